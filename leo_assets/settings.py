"""Project settings: one documented YAML file plus environment overrides, validated at load.

Where settings come from, last wins:

1. the defaults in :class:`Settings` (the same values as the shipped ``leo_settings.yml``);
2. a YAML file: ``$LEO_SETTINGS_FILE``, else ``leo_settings.yml`` in the project folder;
3. environment variables ``LEO_<FIELD>`` for the scalar fields (``LEO_WORKSPACE_URL``,
   ``LEO_WORKSPACE_SCHEMA``, ``LEO_PROJECT_SCHEMA``, ``LEO_REFERENCE_DATE``, ``LEO_KS4_COHORTS``
   as ``2013,2014``...), and ``LEO_WORKSPACE_PASSWORD`` for a password kept out of the URL.

A bad value fails with :class:`SettingsError` naming the setting and the value (never a password).
"""

import csv
import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILENAME = "leo_settings.yml"
# The match-quality diagnostics' registry (ids, families, assets, check names, what is counted,
# default thresholds and severities): reference data beside the SQL that computes them, read here
# to validate setting match_quality and by the loader as table ref_match_quality.
MATCH_QUALITY_FILE = PROJECT_DIR / "sql" / "reference" / "ref_match_quality.csv"
# setting match_quality.<id>.<key> -> the column of ref_match_quality it overrides
MATCH_QUALITY_KEYS = {
    "warn": "threshold_warn",
    "error": "threshold_error",
    "severity": "max_severity",
    "gap_warn": "gap_warn",
    "min_n": "min_n",
}
SEVERITIES = ("warn", "error")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$|^[0-9][A-Za-z0-9_]{0,62}$")
SOURCE_DATABASES = ("npd", "lilr", "hesa", "leo")
ACTIVITY_TYPES = (
    "custody",
    "school",
    "fe",
    "apprenticeship",
    "traineeship",
    "he",
    "employment",
    "self_employment",
    "out_of_work_benefit",
    "disability_carer_benefit",
    "in_work_benefit",
    "neet_active",
    "neet_inactive",
)
# Education and training first (as DfE's destination measures), then work, then benefits and NEET.
DEFAULT_STATE_HIERARCHY = (
    "custody",
    "apprenticeship",
    "he",
    "school",
    "fe",
    "traineeship",
    "employment",
    "self_employment",
    "out_of_work_benefit",
    "neet_active",
    "neet_inactive",
    "disability_carer_benefit",
    "in_work_benefit",
)
BENEFIT_CLASSIFICATIONS = ("source_flag", "mapping")
SELF_EMPLOYMENT_EVIDENCE = ("flag", "profit", "flag_or_profit")
COHORT_DEFINITIONS = ("ks4", "census_on_roll")
CENSUS_TERMS = ("autumn", "spring", "summer")  # term_id 1, 2, 3 of the School Census
HE_DORMANT_STUDENTS = ("not_he", "he")  # rule 5 of docs/decisions.md
HE_FE_LEVEL = ("fe", "he")
FE_PARTICIPATION = ("funded", "any_aim")  # rule 6


class SettingsError(ValueError):
    """A setting is missing or has a bad value; the message names the setting."""


def validate_identifier(value: str, setting: str) -> str:
    """Return ``value`` if it is a safe SQL identifier (letters, digits, underscore).

    >>> validate_identifier("NPD_i2", "source_databases.npd")
    'NPD_i2'
    >>> validate_identifier("x; drop table y", "workspace_schema")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leo_assets.settings.SettingsError: setting 'workspace_schema': 'x; drop table y' is not a ...
    """
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise SettingsError(
            f"setting {setting!r}: {value!r} is not a valid identifier "
            "(letters, digits and _ only, at most 63 characters)"
        )
    return value


def parse_years(spec: str | int | list, setting: str = "years") -> tuple[int, ...]:
    """Expand a year list such as ``"2006-2019,2021"`` into sorted years.

    >>> parse_years("2006-2008,2011")
    (2006, 2007, 2008, 2011)
    >>> parse_years("")
    ()
    """
    if isinstance(spec, int):
        return (spec,)
    if isinstance(spec, list):
        return tuple(sorted({y for item in spec for y in parse_years(item, setting)}))
    years: set[int] = set()
    for part in str(spec).replace(" ", "").split(","):
        if not part:
            continue
        m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
        if not m:
            raise SettingsError(
                f"setting {setting!r}: {part!r} is not a year or a range like 2006-2019"
            )
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if hi < lo:
            raise SettingsError(f"setting {setting!r}: range {part!r} ends before it starts")
        years.update(range(lo, hi + 1))
    return tuple(sorted(years))


@functools.cache
def _registry_rows(path: Path) -> tuple[dict[str, Any], ...]:
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = dict(raw)
            for col in ("threshold_warn", "threshold_error", "gap_warn"):
                row[col] = float(row[col]) if row[col] else None
            row["min_n"] = int(row["min_n"]) if row["min_n"] else None
            rows.append(row)
    return tuple(rows)


def match_quality_registry(path: Path = MATCH_QUALITY_FILE) -> dict[str, dict[str, Any]]:
    """The diagnostics of ``sql/reference/ref_match_quality.csv`` by id, in file order, with the
    default thresholds as numbers (None where the file leaves them empty)."""
    return {row["diagnostic_id"]: dict(row) for row in _registry_rows(Path(path))}


def _rate(value: Any, where: str, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        rate = "a number from 0 to 1" + (", or null" if allow_none else "")
        raise SettingsError(f"setting '{where}': {value!r} is not a rate ({rate})")
    if not 0.0 <= float(value) <= 1.0:
        raise SettingsError(f"setting '{where}': {value!r} is not a rate between 0 and 1")
    return float(value)


def resolve_match_quality(
    overrides: dict[str, dict[str, Any]] | None, path: Path = MATCH_QUALITY_FILE
) -> dict[str, dict[str, Any]]:
    """Every diagnostic's thresholds in force: the registry's defaults merged with setting
    ``match_quality``; a bad id, key or value raises SettingsError naming ``match_quality.<id>``.

    Keys: warn, error, severity; gap_warn and min_n where the registry gives a default (PL-5:
    both, PL-8: min_n)."""
    setting = "match_quality"
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise SettingsError(
            f"setting '{setting}': expected a mapping of diagnostic id to thresholds"
        )
    registry = match_quality_registry(path)
    out: dict[str, dict[str, Any]] = {}
    for diag_id, row in registry.items():
        out[diag_id] = {
            "warn": row["threshold_warn"],
            "error": row["threshold_error"],
            "severity": row["max_severity"],
        }
        out[diag_id].update({k: row[k] for k in ("gap_warn", "min_n") if row[k] is not None})
    for key, body in overrides.items():
        where = f"{setting}.{key}"
        if key not in registry:
            raise SettingsError(
                f"setting '{where}': unknown diagnostic {key!r}; known: {', '.join(registry)}"
            )
        if not isinstance(body, dict):
            raise SettingsError(
                f"setting '{where}': expected a mapping such as {{warn: 0.03, error: 0.10}}, "
                f"got {body!r}"
            )
        allowed = set(out[key])
        for name, value in body.items():
            if name not in allowed:
                raise SettingsError(
                    f"setting '{where}.{name}': unknown key; known: {', '.join(sorted(allowed))}"
                )
            if name == "severity":
                if value not in SEVERITIES:
                    raise SettingsError(
                        f"setting '{where}.severity': {value!r} is not one of "
                        f"{', '.join(SEVERITIES)}"
                    )
                out[key]["severity"] = value
            elif name == "min_n":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise SettingsError(
                        f"setting '{where}.min_n': {value!r} is not a positive whole number"
                    )
                out[key]["min_n"] = value
            else:
                out[key][name] = _rate(value, f"{where}.{name}", allow_none=(name == "error"))
        resolved, row = out[key], registry[key]
        warn, error = resolved["warn"], resolved["error"]
        if warn is None and (row["threshold_warn"] is not None or error is not None):
            raise SettingsError(f"setting '{where}.warn': a warn threshold is needed")
        direction = row["direction"]
        if (
            error is not None
            and warn is not None
            and ((direction == "max" and error < warn) or (direction == "min" and error > warn))
        ):
            side = "below" if direction == "max" else "above"
            raise SettingsError(
                f"setting '{where}': error threshold {error} is {side} the warn threshold {warn}"
            )
    return out


class Settings(BaseModel):
    """Everything a build depends on besides the SQL files and the sources' content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace_url: SecretStr = Field(
        default=SecretStr(""),
        description="SQLAlchemy URL of the writable workspace database. Empty: a DuckDB file "
        "data/leo_workspace.duckdb in the project folder. SRS: mssql+pyodbc://@DSN or "
        "mssql+pyodbc://server/db?driver=ODBC+Driver+18+for+SQL+Server&trusted_connection=yes",
    )
    workspace_schema: str = Field(
        default="leo_assets",
        description="schema every derived table is written to; the only schema leo-assets writes",
    )
    project_schema: str = Field(
        default="synthetic", description="the schema of the source views: the SRS project number"
    )
    source_databases: dict[str, str] = Field(
        default_factory=lambda: {
            "npd": "NPD_i2",
            "lilr": "LILR_i2",
            "hesa": "HESA_i2",
            "leo": "LEO_i2",
        },
        description="physical database of each logical source database",
    )
    source_dir: str = Field(
        default="data/sources",
        description="DuckDB only: folder holding <database>.duckdb source files, attached "
        "read-only",
    )
    source_years: dict[str, str] = Field(
        default_factory=dict,
        description="years available per part of a year-split source, e.g. "
        "{school_census.summer: '2006-2019,2021'}; default: every year the variable request form "
        "lists",
    )
    absent_views: list[str] = Field(
        default_factory=list,
        description="physical views this project's extract does not have: skipped with a recorded "
        "warning",
    )
    ks4_cohorts: list[int] = Field(
        default_factory=lambda: [2012, 2013, 2014],
        description="KS4 cohorts of interest, as the academic-year end of Year 11 (2014 = 2013/14)",
    )
    reference_date: dt.date = Field(
        default=dt.date(2021, 7, 31),
        description="the data reference date: replaces every 'today'; open spells are censored at "
        "it",
    )
    months_after_ks4: int = Field(
        default=108,
        ge=1,
        le=240,
        description=(
            "months of activity per cohort member from the September after KS4 "
            "(108: to about age 25)"
        ),
    )
    state_hierarchy: list[str] = Field(
        default_factory=lambda: list(DEFAULT_STATE_HIERARCHY),
        description=(
            "priority of activities when several fall in one month: the first present wins; "
            "'not_captured' is implied last"
        ),
    )
    state_min_days: int = Field(
        default=1,
        ge=1,
        le=31,
        description="days of an activity in a month for it to count as the month's state",
    )
    state_min_days_by_activity: dict[str, int] = Field(
        default_factory=dict,
        description="state_min_days for single activities, e.g. {employment: 7}; the others "
        "keep state_min_days",
    )
    nccis_fills_gaps: bool = Field(
        default=True,
        description="transition_sequence: a month no direct source covers takes the state of "
        "the person's NCCIS education, employment or training return "
        "(ref_nccis_activity.fill_activity_type)",
    )
    benefit_classification: str = Field(
        default="source_flag",
        description="out-of-work benefits: source_flag = the source's own Out_of_work_benefit "
        "flag where it is set, ref_benefit_types for the rest; mapping = ref_benefit_types only",
    )
    self_employment_evidence: str = Field(
        default="flag",
        description="a self-assessment tax year is self-employment when: flag = the return's "
        "self-employed flag is 1; profit = its self-employment earnings are above 0; "
        "flag_or_profit = either",
    )
    he_dormant_students: str = Field(
        default="not_he",
        description="HESA years in which a student instance is dormant (XMODE01 6: not actively "
        "studying): not_he = those academic years are not HE in activity_spells; he = the whole "
        "instance is HE",
    )
    he_fe_level: str = Field(
        default="fe",
        description="HESA instances at further-education level (XLEV601 6): fe = activity fe; "
        "he = activity he",
    )
    fe_participation: str = Field(
        default="funded",
        description="which classroom ILR aims make activity fe: funded = aims whose funding "
        "model is not 99 (no Skills Funding Agency or YPLA funding); any_aim = every aim",
    )
    cohort_definition: str = Field(
        default="ks4",
        description="who is in the cohort of a year Y of ks4_cohorts: ks4 = pupils with an "
        "end-of-KS4 record (ks4_endks = 1) in Y; census_on_roll = pupils of the academic birth "
        "cohort of Year 11 in Y (born 1 September Y-17 to 31 August Y-16) on roll in the School "
        "Census named by cohort_census in Y, with or without a KS4 record",
    )
    cohort_census: str = Field(
        default="spring",
        description="cohort_definition census_on_roll: the School Census of Y whose roll defines "
        "the cohort (autumn, spring or summer)",
    )
    match_quality: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="overrides of the match-quality diagnostics' thresholds and severities, by "
        "diagnostic id (e.g. {PL-1: {warn: 0.03, error: 0.10}}); defaults in "
        "sql/reference/ref_match_quality.csv, meaning in docs/match_quality.md",
    )
    disclosure: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides of the statistical disclosure control rules of the outputs "
        "(minimum cell count, rounding, dominance, p%); defaults and meaning in "
        "leo_assets/disclosure.py",
    )
    price_base_year: int = Field(
        default=2021,
        ge=2003,
        le=2023,
        description="real-terms earnings are in prices of this calendar year (ref_prices)",
    )

    @field_validator("workspace_schema", "project_schema")
    @classmethod
    def _identifier(cls, value: str, info: Any) -> str:
        return validate_identifier(value, info.field_name)

    @field_validator("source_databases")
    @classmethod
    def _databases(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [d for d in SOURCE_DATABASES if d not in value]
        if missing:
            raise SettingsError(f"setting 'source_databases': missing {', '.join(missing)}")
        unknown = [d for d in value if d not in SOURCE_DATABASES]
        if unknown:
            raise SettingsError(
                f"setting 'source_databases': unknown logical database {', '.join(unknown)}"
            )
        for key, name in value.items():
            validate_identifier(name, f"source_databases.{key}")
        return dict(value)

    @field_validator("state_hierarchy")
    @classmethod
    def _hierarchy(cls, value: list[str]) -> list[str]:
        if not value:
            raise SettingsError(
                "setting 'state_hierarchy': empty; list at least one activity (every month "
                "would be not_captured)"
            )
        unknown = [v for v in value if v not in ACTIVITY_TYPES]
        if unknown:
            raise SettingsError(
                f"setting 'state_hierarchy': unknown activity {unknown[0]!r}; known: "
                f"{', '.join(ACTIVITY_TYPES)}"
            )
        if len(set(value)) != len(value):
            raise SettingsError("setting 'state_hierarchy': an activity is listed twice")
        return list(value)

    @field_validator("state_min_days", "price_base_year", mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info: Any) -> Any:
        # pydantic reads true / false as 1 / 0; a yes/no is no number of days or year
        if isinstance(value, bool):
            raise SettingsError(f"setting '{info.field_name}': {value!r} is not a whole number")
        return value

    @field_validator("state_min_days_by_activity", mode="before")
    @classmethod
    def _min_days(cls, value: Any) -> dict[str, int]:
        # before pydantic's coercion, so that true or "7" is not read as a number of days
        if not isinstance(value, dict):
            raise SettingsError(
                f"setting 'state_min_days_by_activity': {value!r} is not a mapping of activity: "
                "days"
            )
        for activity, days in value.items():
            if activity not in ACTIVITY_TYPES:
                raise SettingsError(
                    f"setting 'state_min_days_by_activity': unknown activity {activity!r}; "
                    f"known: {', '.join(ACTIVITY_TYPES)}"
                )
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 31:
                raise SettingsError(
                    f"setting 'state_min_days_by_activity.{activity}': {days!r} is not a whole "
                    f"number of days from 1 to 31"
                )
        return dict(value)

    @field_validator("benefit_classification")
    @classmethod
    def _benefits(cls, value: str) -> str:
        if value not in BENEFIT_CLASSIFICATIONS:
            raise SettingsError(
                f"setting 'benefit_classification': {value!r} is not one of "
                + ", ".join(BENEFIT_CLASSIFICATIONS)
            )
        return value

    @field_validator("self_employment_evidence")
    @classmethod
    def _self_employment(cls, value: str) -> str:
        if value not in SELF_EMPLOYMENT_EVIDENCE:
            raise SettingsError(
                f"setting 'self_employment_evidence': {value!r} is not one of "
                + ", ".join(SELF_EMPLOYMENT_EVIDENCE)
            )
        return value

    @field_validator("he_dormant_students", "he_fe_level", "fe_participation")
    @classmethod
    def _education_rules(cls, value: str, info: Any) -> str:
        allowed = {
            "he_dormant_students": HE_DORMANT_STUDENTS,
            "he_fe_level": HE_FE_LEVEL,
            "fe_participation": FE_PARTICIPATION,
        }[info.field_name]
        if value not in allowed:
            raise SettingsError(
                f"setting '{info.field_name}': {value!r} is not one of " + ", ".join(allowed)
            )
        return value

    @field_validator("cohort_definition")
    @classmethod
    def _cohort_definition(cls, value: str) -> str:
        if value not in COHORT_DEFINITIONS:
            raise SettingsError(
                f"setting 'cohort_definition': {value!r} is not one of "
                + ", ".join(COHORT_DEFINITIONS)
            )
        return value

    @field_validator("cohort_census")
    @classmethod
    def _cohort_census(cls, value: str) -> str:
        if value not in CENSUS_TERMS:
            raise SettingsError(
                f"setting 'cohort_census': {value!r} is not one of " + ", ".join(CENSUS_TERMS)
            )
        return value

    @field_validator("source_years")
    @classmethod
    def _years(cls, value: dict[str, str]) -> dict[str, str]:
        for key, spec in value.items():
            parse_years(spec, f"source_years.{key}")
        return {k: str(v) for k, v in value.items()}

    @field_validator("match_quality")
    @classmethod
    def _match_quality(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        resolve_match_quality(value)  # a bad id, key or value fails here: match_quality.<id>
        return value

    @field_validator("ks4_cohorts")
    @classmethod
    def _cohorts(cls, value: list[int]) -> list[int]:
        if not value:
            raise SettingsError("setting 'ks4_cohorts': at least one cohort is needed")
        for year in value:
            if not 2002 <= int(year) <= 2040:
                raise SettingsError(
                    f"setting 'ks4_cohorts': {year!r} is not a KS4 year between 2002 and 2040"
                )
        return sorted({int(y) for y in value})

    @field_validator("workspace_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw:
            try:
                url = make_url(raw)
            except Exception:
                raise SettingsError(
                    "setting 'workspace_url': not a SQLAlchemy URL "
                    "(value not shown: it may hold a password)"
                ) from None
            if url.get_backend_name() not in ("duckdb", "postgresql", "mssql"):
                raise SettingsError(
                    f"setting 'workspace_url': backend {url.get_backend_name()!r} is not supported "
                    "(duckdb, postgresql or mssql)"
                )
        return value

    # ------------------------------------------------------------------ derived values
    @property
    def state_hierarchy_rows(self) -> list[tuple[str, int]]:
        """Rows of reference table ref_state_hierarchy (before numbering): activity, min days."""
        return [
            (activity, self.state_min_days_by_activity.get(activity, self.state_min_days))
            for activity in self.state_hierarchy
        ]

    @property
    def match_quality_overrides(self) -> dict[str, dict[str, Any]]:
        """Setting match_quality as overrides of table ref_match_quality: {diagnostic id: {column:
        value}}, for the ids and keys the setting names (``overrides_from_setting`` of
        ``sql/reference/_reference.yml``)."""
        resolved = resolve_match_quality(self.match_quality)
        return {
            diag_id: {MATCH_QUALITY_KEYS[key]: resolved[diag_id][key] for key in body}
            for diag_id, body in self.match_quality.items()
        }

    def url(self, project_dir: Path = PROJECT_DIR) -> URL:
        """The workspace URL, with the default DuckDB file and ``LEO_WORKSPACE_PASSWORD``
        applied."""
        raw = self.workspace_url.get_secret_value()
        if not raw:
            return make_url(f"duckdb:///{project_dir / 'data' / 'leo_workspace.duckdb'}")
        url = make_url(raw)
        password = os.environ.get("LEO_WORKSPACE_PASSWORD")
        if password and not url.password:
            url = url.set(password=password)
        return url

    def redacted_url(self, project_dir: Path = PROJECT_DIR) -> str:
        return self.url(project_dir).render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        raw = self.workspace_url.get_secret_value()
        return make_url(raw).get_backend_name() if raw else "duckdb"

    def source_dir_path(self, project_dir: Path = PROJECT_DIR) -> Path:
        path = Path(self.source_dir)
        return path if path.is_absolute() else project_dir / path


class _DatesAsText(yaml.SafeLoader):
    """YAML without implicit dates: ``2021-02-30`` stays text, so the setting it belongs to is
    validated (and named) like any other value instead of failing inside the YAML parser."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_ENV_SCALARS = {
    "LEO_WORKSPACE_URL": "workspace_url",
    "LEO_WORKSPACE_SCHEMA": "workspace_schema",
    "LEO_PROJECT_SCHEMA": "project_schema",
    "LEO_REFERENCE_DATE": "reference_date",
    "LEO_SOURCE_DIR": "source_dir",
}


def load_settings(
    path: str | Path | None = None,
    env: dict[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> Settings:
    """Read the settings file and the environment, validate, and return :class:`Settings`."""
    env = dict(os.environ) if env is None else env
    if path is None:
        path = env.get("LEO_SETTINGS_FILE") or (project_dir / SETTINGS_FILENAME)
    data: dict[str, Any] = {}
    path = Path(path)
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.load(fh, Loader=_DatesAsText) or {}
        if not isinstance(loaded, dict):
            raise SettingsError(f"settings file {path}: expected a mapping of setting: value")
        data.update(loaded)
    elif env.get("LEO_SETTINGS_FILE"):
        raise SettingsError(f"setting 'LEO_SETTINGS_FILE': file {path} does not exist")
    for var, field in _ENV_SCALARS.items():
        if env.get(var):
            data[field] = env[var]
    if env.get("LEO_KS4_COHORTS"):
        data["ks4_cohorts"] = [c for c in env["LEO_KS4_COHORTS"].replace(" ", "").split(",") if c]
    return make_settings(**data)


def make_settings(**values: Any) -> Settings:
    """Build :class:`Settings`, turning pydantic's errors into one :class:`SettingsError`."""
    try:
        return Settings(**values)
    except SettingsError:
        raise
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            shown = "(hidden)" if name == "workspace_url" else repr(err.get("input"))
            msg = err["msg"].removeprefix("Value error, ")
            if msg.startswith("setting "):
                problems.append(msg)
            else:
                problems.append(f"setting {name!r}: {shown}: {msg}")
        raise SettingsError("; ".join(problems)) from None
