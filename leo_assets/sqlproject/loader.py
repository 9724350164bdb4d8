"""Reads ``sql/``: every SQL file becomes a :class:`SqlModel`, validated at load time.

Load errors (with the file and line): a file without a header; SQL that is not one portable
T-SQL SELECT; a reference that is neither a model nor a declared source; an unqualified table;
a layer reading a layer it may not; a cycle; two files with one name; an unknown ``@parameter``.
"""

import csv
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp
from sqlglot.errors import ParseError

from leo_assets.settings import CENSUS_TERMS, Settings
from leo_assets.sqlproject.ctes import reread_ctes
from leo_assets.sqlproject.dialects import (
    PortabilityError,
    normalised_tsql,
    parse_tsql_shared,
    portability_problems,
)
from leo_assets.sqlproject.header import CheckDecl, Header, LoadError, parse_header
from leo_assets.sqlproject.ordering import load_known, ordering_problems, untyped_columns
from leo_assets.sqlproject.sources import SourceCatalog, load_catalog

# Bump when the Python that turns a file into a table changes meaning: every code version moves.
BUILD_STRATEGY_VERSION = "1"

LAYERS = ("reference", "staging", "intermediate", "marts", "outputs")
LAYER_READS: dict[str, set[str]] = {
    "staging": {"source"},
    # intermediate models join persons through person_identifier, a mart: upstream of everything
    "intermediate": {"staging", "intermediate", "marts", "reference"},
    "marts": {"staging", "intermediate", "marts", "reference"},
    "outputs": {"marts", "outputs", "reference"},
}
LAYER_PREFIX = {"reference": "ref_", "staging": "stg_", "intermediate": "int_", "outputs": "out_"}
# every layer builds tables (sql/README.md "Layers": staging became tables in issue 18, since a
# view's de-duplicated source rows look tiny to a row-store planner); a header may still say view
DEFAULT_MATERIALIZE: dict[str, str] = {}
WORKSPACE_QUALIFIER = "ws"
REFERENCE_FILE = "_reference.yml"


def parameter_values(settings: Settings) -> dict[str, tuple[str, Any]]:
    """The ``@parameters`` a SQL file may use: name -> (T-SQL type, value)."""
    return {
        "reference_date": ("DATE", settings.reference_date.isoformat()),
        "first_ks4_cohort": ("INT", min(settings.ks4_cohorts)),
        "last_ks4_cohort": ("INT", max(settings.ks4_cohorts)),
        "price_base_year": ("INT", settings.price_base_year),
        "months_after_ks4": ("INT", settings.months_after_ks4),
        "nccis_fills_gaps": ("INT", int(settings.nccis_fills_gaps)),
        "benefit_source_flag": ("INT", int(settings.benefit_classification == "source_flag")),
        "self_employment_by_flag": ("INT", int(settings.self_employment_evidence != "profit")),
        "self_employment_by_profit": ("INT", int(settings.self_employment_evidence != "flag")),
        "he_dormant_is_he": ("INT", int(settings.he_dormant_students == "he")),
        "he_fe_level_as_fe": ("INT", int(settings.he_fe_level == "fe")),
        "fe_funded_only": ("INT", int(settings.fe_participation == "funded")),
        "cohort_by_census": ("INT", int(settings.cohort_definition == "census_on_roll")),
        "cohort_census_term": ("INT", CENSUS_TERMS.index(settings.cohort_census) + 1),
    }


@dataclass
class SingularCheck:
    """A ``<model>__<name>.check.sql`` file: a SELECT returning the failing rows."""

    name: str
    model: str
    path: Path
    text: str
    header: Header
    tree: exp.Expression
    model_deps: set[str] = field(default_factory=set)
    source_deps: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)


@dataclass
class SqlModel:
    """One derived table: a SQL file (or a reference seed) and everything known about it."""

    name: str
    layer: str
    path: Path
    text: str
    header: Header
    tree: exp.Expression | None  # None for seeds
    group: str
    model_deps: set[str] = field(default_factory=set)
    source_deps: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    column_descriptions: dict[str, str] = field(default_factory=dict)
    singular_checks: list[SingularCheck] = field(default_factory=list)
    seed_columns: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (name, type, description)
    seed_rows: list[tuple[Any, ...]] = field(default_factory=list)
    code_version: str = ""

    @property
    def is_seed(self) -> bool:
        return self.tree is None

    @property
    def materialize(self) -> str:
        return self.header.materialize or DEFAULT_MATERIALIZE.get(self.layer, "table")

    @property
    def checks(self) -> list[CheckDecl]:
        """Declared checks, with the grain's uniqueness and not-null checks first."""
        out: list[CheckDecl] = []
        if self.header.grain:
            out.append(
                CheckDecl(
                    type="unique",
                    args=list(self.header.grain),
                    name="grain_unique",
                    description=f"one row per ({', '.join(self.header.grain)})",
                )
            )
            out.append(
                CheckDecl(
                    type="not_null",
                    args=list(self.header.grain),
                    name="grain_not_null",
                    description=f"no grain column is null: {', '.join(self.header.grain)}",
                )
            )
        out.extend(self.header.checks)
        return out


@dataclass
class SqlProject:
    sql_dir: Path
    settings: Settings
    catalog: SourceCatalog
    models: dict[str, SqlModel]
    order: list[str]

    @functools.cached_property
    def compile_key(self) -> str:
        """What compiled SQL depends on besides the statement, the dialect and the call's
        overrides: the settings but where the workspace and the source files are (SQL names
        databases and schemas, never a URL or folder) and the source declarations. Equal keys
        compile equal text to equal SQL."""
        settings = self.settings.model_dump_json(exclude={"workspace_url", "source_dir"})
        blob = settings + repr(sorted(self.catalog.decls.items()))
        return hashlib.sha256(blob.encode()).hexdigest()

    def downstream(self, names: set[str]) -> set[str]:
        """``names`` and every model that reads them, directly or not."""
        out = set(names)
        changed = True
        while changed:
            changed = False
            for m in self.models.values():
                if m.name not in out and m.model_deps & out:
                    out.add(m.name)
                    changed = True
        return out


def _line(node: exp.Expression, base_line: int) -> int:
    meta = getattr(node, "this", node)
    line = getattr(meta, "meta", {}).get("line") if isinstance(meta, exp.Expression) else None
    return line or base_line


def table_references(tree: exp.Expression) -> list[exp.Table]:
    """Every table reference that is not a CTE name."""
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    refs = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name.lower() in cte_names:
            continue
        refs.append(table)
    return refs


def _column_comments(tree: exp.Expression) -> dict[str, str]:
    """Trailing ``-- comment`` of each column of the final SELECT, as column descriptions."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    if not isinstance(select, exp.Select):
        return {}
    out = {}
    for proj in select.expressions:
        comments = proj.comments or (
            proj.this.comments if isinstance(proj, exp.Alias) and proj.this else None
        )
        # banner comments ("---------- ids") group columns; they describe none of them
        kept = [
            c.strip()
            for c in comments or []
            if c.strip() and not re.fullmatch(r"-+\s*[\w ]*", c.strip())
        ]
        if kept:
            out[proj.alias_or_name] = " ".join(kept)
    return out


def _text_line(text: str, needle: str, default: int) -> int:
    """The 1-based line of the first case-insensitive occurrence of ``needle`` in ``text``."""
    m = re.search(re.escape(needle), text, flags=re.IGNORECASE)
    return text[: m.start()].count("\n") + 1 if m else default


def _analyse(
    project_sources: set[str],
    tree: exp.Expression,
    rel: str,
    base_line: int,
    params_known: set[str],
    text: str = "",
):
    model_deps, source_deps, params = set(), set(), set()
    for table in table_references(tree):
        line = _line(table, base_line)
        if table.catalog:
            raise LoadError(
                f"{rel}:{line}: {table.sql('tsql')}: write sources as <database>.<source> and "
                "models as ws.<name>; physical database names come from the settings"
            )
        if not table.db:
            raise LoadError(
                f"{rel}:{line}: table {table.name!r} is not schema-qualified: use ws.{table.name} "
                "for a model or <database>.<source> for a source"
            )
        qualifier, name = table.db.lower(), table.name.lower()
        if qualifier == WORKSPACE_QUALIFIER:
            model_deps.add(name)
        elif f"{qualifier}.{name}" in project_sources:
            source_deps.add(f"{qualifier}.{name}")
        else:
            raise LoadError(
                f"{rel}:{line}: unknown reference {qualifier}.{name}: not a model (ws.<name>) "
                "nor a source declared in sql/_sources.yml"
            )
    for param in tree.find_all(exp.Parameter):
        name = param.name.lower()
        if name not in params_known:
            raise LoadError(
                f"{rel}:{_text_line(text, '@' + name, base_line)}: unknown parameter @{name}; "
                f"known: {', '.join('@' + p for p in sorted(params_known))}"
            )
        params.add(name)
    return model_deps, source_deps, params


def _body(text: str, header: Header) -> str:
    """A SQL file's statement, the header blanked out so line numbers in errors match the file."""
    return "\n" * (header.body_line - 1) + text.split("*/", 1)[1]


@functools.lru_cache(maxsize=4096)
def _portability(body: str) -> tuple[str, ...]:
    """:func:`portability_problems` of a statement, once per text (its tree is shared)."""
    return tuple(portability_problems(parse_tsql_shared(body)))


@functools.lru_cache(maxsize=4096)
def _analysed(
    text: str, body: str, rel: str, base_line: int, sources: frozenset, params: frozenset
) -> tuple[frozenset, frozenset, frozenset]:
    """:func:`_analyse` of a file's text, once per text and project (errors are raised each time:
    lru_cache keeps only results)."""
    found = _analyse(set(sources), parse_tsql_shared(body), rel, base_line, set(params), text)
    return tuple(frozenset(x) for x in found)  # type: ignore[return-value]


def _parse_body(text: str, header: Header, rel: str) -> exp.Expression:
    body = _body(text, header)
    try:
        tree = parse_tsql_shared(body)  # read-only: compile_tree copies
    except (ParseError, PortabilityError) as exc:
        raise LoadError(f"{rel}: not valid T-SQL: {str(exc).splitlines()[0]}") from None
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        raise LoadError(
            f"{rel}:{header.body_line}: a SQL file holds exactly one SELECT (no DDL, DML or EXEC)"
        )
    problems = _portability(body)
    if problems:
        raise LoadError(
            f"{rel}: outside the portable T-SQL subset (sql/README.md): " + "; ".join(problems)
        )
    return tree


def _load_seeds(sql_dir: Path, settings: Settings) -> list[SqlModel]:
    path = sql_dir / "reference" / REFERENCE_FILE
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    seeds = []
    for name, body in raw.items():
        rel = f"reference/{REFERENCE_FILE}: {name}"
        if not name.startswith(LAYER_PREFIX["reference"]):
            raise LoadError(f"{rel}: reference tables are named ref_<name>")
        columns = [
            (c, str(spec["type"]), str(spec.get("description", "")))
            for c, spec in (body.get("columns") or {}).items()
        ]
        if not columns:
            raise LoadError(f"{rel}: no columns declared")
        if "csv" in body:
            csv_path = sql_dir / "reference" / body["csv"]
            with open(csv_path, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                if [c for c, _, _ in columns] != reader.fieldnames:
                    raise LoadError(
                        f"{rel}: {body['csv']} header {reader.fieldnames} differs from the "
                        "declared columns"
                    )
                rows = [tuple(_coerce(r[c], t) for c, t, _ in columns) for r in reader]
            if "overrides_from_setting" in body:
                rows = _apply_overrides(rows, columns, body, settings, rel)
        elif "rows_from_setting" in body:
            values = getattr(settings, body["rows_from_setting"])
            rows = [(v,) if not isinstance(v, (list, tuple)) else tuple(v) for v in values]
            if body.get("enumerate"):
                rows = [(i, *row) for i, row in enumerate(rows, start=1)]
        elif body.get("calendar") == "months":
            rows = _calendar_months(
                int(body.get("first_year", 2000)), int(body.get("last_year", 2040))
            )
        else:
            raise LoadError(f"{rel}: give 'csv', 'rows_from_setting' or 'calendar: months'")
        header = Header(
            description=str(body.get("description", "")), grain=list(body.get("grain") or [])
        )
        seeds.append(
            SqlModel(
                name=name,
                layer="reference",
                path=path,
                text=json.dumps(rows, default=str),
                header=header,
                tree=None,
                group="reference",
                seed_columns=columns,
                seed_rows=rows,
                column_descriptions={c: d for c, _, d in columns if d},
            )
        )
    return seeds


def _apply_overrides(
    rows: list[tuple[Any, ...]],
    columns: list[tuple[str, str, str]],
    body: dict[str, Any],
    settings: Settings,
    rel: str,
) -> list[tuple[Any, ...]]:
    """A CSV's rows with the values a setting overrides: ``{key: {column: value}}``, the key being
    the value of the table's one grain column (validated by the setting; checked again here)."""
    grain = list(body.get("grain") or [])
    if len(grain) != 1:
        raise LoadError(f"{rel}: overrides_from_setting needs a grain of one column")
    names = [c for c, _, _ in columns]
    key_at = names.index(grain[0])
    overrides = getattr(settings, body["overrides_from_setting"])
    known = {row[key_at] for row in rows}
    for key, values in overrides.items():
        if key not in known:
            raise LoadError(f"{rel}: setting overrides unknown {grain[0]} {key!r}")
        for column in values:
            if column not in names:
                raise LoadError(f"{rel}: setting overrides unknown column {column!r}")
    out = []
    for row in rows:
        values = overrides.get(row[key_at], {})
        out.append(tuple(values.get(c, v) for c, v in zip(names, row, strict=True)))
    return out


def _calendar_months(first_year: int, last_year: int) -> list[tuple[Any, ...]]:
    """(month_start_date, month_end_date, calendar_year, month_no, academic_year) for every
    month."""
    import calendar
    import datetime as dt

    rows = []
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            last_day = calendar.monthrange(year, month)[1]
            academic_year = year + 1 if month >= 9 else year
            rows.append(
                (
                    dt.date(year, month, 1),
                    dt.date(year, month, last_day),
                    year,
                    month,
                    academic_year,
                )
            )
    return rows


def _coerce(value: str, typ: str) -> Any:
    if value == "":
        return None
    t = typ.lower()
    if t.startswith(("int", "smallint", "bigint")):
        return int(value)
    if t.startswith(("decimal", "numeric")):
        return float(value)
    if t == "date":
        import datetime as dt

        return dt.date.fromisoformat(value)
    return value


def load_project(sql_dir: Path, settings: Settings) -> SqlProject:
    """Load and validate every file under ``sql_dir``."""
    sql_dir = Path(sql_dir)
    catalog = load_catalog(sql_dir, settings)
    source_refs = set(catalog.by_reference())
    params_known = set(parameter_values(settings))
    models: dict[str, SqlModel] = {}
    for seed in _load_seeds(sql_dir, settings):
        models[seed.name] = seed
    checks: list[SingularCheck] = []
    for path in sorted(sql_dir.rglob("*.sql")):
        rel = path.relative_to(sql_dir).as_posix()
        parts = path.relative_to(sql_dir).parts
        layer = parts[0] if len(parts) > 1 else None
        if layer not in LAYERS or layer == "reference":
            raise LoadError(
                f"{rel}: SQL files live in a layer folder: "
                f"{', '.join(l for l in LAYERS if l != 'reference')}"
            )
        text = path.read_text(encoding="utf-8")
        header = parse_header(text, rel)
        tree = _parse_body(text, header, rel)
        model_deps, source_deps, params = (
            set(found)
            for found in _analysed(
                text,
                _body(text, header),
                rel,
                header.body_line,
                frozenset(source_refs),
                frozenset(params_known),
            )
        )
        if path.name.endswith(".check.sql"):
            stem = path.name[: -len(".check.sql")]
            if "__" not in stem:
                raise LoadError(f"{rel}: a check file is named <model>__<check>.check.sql")
            model_name, check_name = stem.rsplit("__", 1)
            checks.append(
                SingularCheck(
                    check_name,
                    model_name,
                    path,
                    text,
                    header,
                    tree,
                    model_deps,
                    source_deps,
                    params,
                )
            )
            continue
        name = path.stem
        prefix = LAYER_PREFIX.get(layer)
        if prefix and not name.startswith(prefix):
            raise LoadError(f"{rel}: a {layer} model is named {prefix}<name>")
        if not prefix and any(name.startswith(p) for p in LAYER_PREFIX.values()):
            raise LoadError(f"{rel}: the prefix of {name!r} belongs to another layer")
        if name in models:
            raise LoadError(
                f"{rel}: a model named {name!r} already exists "
                f"({models[name].path.relative_to(sql_dir)})"
            )
        model_deps |= {d.lower() for d in header.depends_on}
        # a relationships check reads its target: the target must be built first
        model_deps |= {
            str(c.args.get("to", "")).split(".", 1)[-1].lower()
            for c in header.checks
            if c.type == "relationships"
            and isinstance(c.args, dict)
            and str(c.args.get("to", "")).startswith("ws.")
        }
        group = "_".join(parts[:-1])
        models[name] = SqlModel(
            name,
            layer,
            path,
            text,
            header,
            tree,
            group,
            model_deps,
            source_deps,
            params,
            _column_comments(tree),
        )
    # references and layers
    for m in models.values():
        rel = m.path.relative_to(sql_dir).as_posix()
        for dep in sorted(m.model_deps):
            if dep not in models:
                raise LoadError(f"{rel}: unknown reference ws.{dep}: no model of that name")
            allowed = LAYER_READS.get(m.layer, set())
            if models[dep].layer not in allowed:
                raise LoadError(
                    f"{rel}: layer violation: a {m.layer} model may read "
                    f"{', '.join(sorted(allowed))}, "
                    f"not ws.{dep} ({models[dep].layer})"
                )
        if m.source_deps and "source" not in LAYER_READS.get(m.layer, set()):
            raise LoadError(
                f"{rel}: layer violation: only staging models read sources "
                f"({', '.join(sorted(m.source_deps))})"
            )
    for chk in checks:
        rel = chk.path.relative_to(sql_dir).as_posix()
        if chk.model not in models:
            raise LoadError(f"{rel}: no model named {chk.model!r} for this check")
        unknown = chk.model_deps - set(models)
        if unknown:
            raise LoadError(f"{rel}: unknown reference ws.{min(unknown)}")
        models[chk.model].singular_checks.append(chk)
    try:
        order = list(
            TopologicalSorter(
                {n: sorted(m.model_deps) for n, m in sorted(models.items())}
            ).static_order()
        )
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise LoadError(f"cycle between models: {cycle}") from None
    read = {s for m in models.values() for s in m.source_deps}
    for decl in catalog.decls.values():
        if decl.key_resolved_by and decl.reference in read and decl.key_resolved_by not in models:
            raise LoadError(
                f"_sources.yml: source {decl.name!r}: key_resolved_by names no model "
                f"({decl.key_resolved_by!r})"
            )
    _lint_orders_and_types(sql_dir, models)
    project = SqlProject(sql_dir, settings, catalog, models, order)
    for name in order:
        models[name].code_version = _code_version(project, models[name])
    return project


def lint_findings(models: dict[str, "SqlModel"]) -> dict[str, list[tuple[str, str]]]:
    """Findings of rules 11, 12 and 13 of sql/README.md per model: (short key, message)."""
    grains = {name: list(m.header.grain) for name, m in models.items()}
    reference = {name for name, m in models.items() if m.layer == "reference"}
    project_key = (
        tuple(sorted((name, tuple(grain)) for name, grain in grains.items())),
        tuple(sorted(reference)),
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for name, m in sorted(models.items()):
        if m.tree is None:
            continue
        key = (m.text, m.materialize, json.dumps(m.header.unique, sort_keys=True), project_key)
        found = _LINT_SEEN.get(key)
        if found is None:
            found = ordering_problems(m.tree, grains, m.header.unique)
            if m.materialize == "table":
                found += untyped_columns(m.tree)
            found += reread_ctes(m.tree, reference)
            if len(_LINT_SEEN) > 4096:
                _LINT_SEEN.clear()
            _LINT_SEEN[key] = found
        if found:
            out[name] = list(found)
    return out


# findings per (file text, materialisation, declared unique keys, every model's grain and the
# reference tables): the rules read nothing else, and the tree of a text is parsed once per
# process (parse_tsql_shared), so a project loaded again (each definitions load, each test's
# build) is not linted again
_LINT_SEEN: dict[tuple, list[tuple[str, str]]] = {}


def _lint_orders_and_types(sql_dir: Path, models: dict[str, "SqlModel"]) -> None:
    """Rules 11 to 13 need every model (grains, layers), so they run once all files are read. A
    finding recorded in sql/_lint_known.yml (files older than the rules, to be fixed) is let
    through."""
    known = load_known(sql_dir)
    for name, found in lint_findings(models).items():
        problems = [msg for key, msg in found if key not in known.get(name, set())]
        m = models[name]
        if problems:
            rel = m.path.relative_to(sql_dir).as_posix()
            raise LoadError(
                f"{rel}: outside the portable T-SQL subset (sql/README.md): " + "; ".join(problems)
            )


def _normalised(text: str, header: Header) -> str:
    return normalised_tsql(_body(text, header))


def _code_version(project: SqlProject, model: SqlModel) -> str:
    """Hash of the normalised SQL, header, checks and the settings the file uses.

    Comment and whitespace edits keep the version; any change of meaning moves it. Upstream
    changes reach this asset through Dagster's data versions, not through this hash.
    """
    params = parameter_values(project.settings)
    parts: dict[str, Any] = {
        "build": BUILD_STRATEGY_VERSION,
        "schema": project.settings.workspace_schema,
        "header": project.models[model.name].header.model_dump(
            exclude={"body_line", "description"}
        ),
        "params": {p: params[p] for p in sorted(model.params)},
        "sources": {
            s: project.catalog.signature(s.split(".", 1)[1]) for s in sorted(model.source_deps)
        },
    }
    if model.is_seed:
        parts["seed"] = [model.seed_columns, [list(map(str, r)) for r in model.seed_rows]]
    else:
        parts["sql"] = _normalised(model.text, model.header)
    for chk in sorted(model.singular_checks, key=lambda c: c.name):
        parts.setdefault("checks", []).append(
            [chk.name, chk.header.severity, _normalised(chk.text, chk.header)]
        )
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


__all__ = ["LAYERS", "LoadError", "SingularCheck", "SqlModel", "SqlProject", "load_project"]
