"""Settings: defaults, the file, environment overrides, and errors that name the setting."""

import datetime as dt
import re

import pytest

from leo_assets.settings import (
    PROJECT_DIR,
    SettingsError,
    load_settings,
    make_settings,
    match_quality_registry,
)


def test_shipped_file_equals_defaults():
    assert load_settings(PROJECT_DIR / "leo_settings.yml", env={}) == make_settings()


@pytest.mark.parametrize(
    "values, named",
    [
        ({"workspace_schema": "leo; drop table x"}, "workspace_schema"),
        ({"project_schema": ""}, "project_schema"),
        ({"source_databases": {"npd": "NPD_i2"}}, "source_databases"),
        (
            {"source_databases": {"npd": "NPD i2", "lilr": "L", "hesa": "H", "leo": "L2"}},
            "source_databases.npd",
        ),
        ({"ks4_cohorts": [1990]}, "ks4_cohorts"),
        ({"ks4_cohorts": []}, "ks4_cohorts"),
        ({"reference_date": "31/07/2021"}, "reference_date"),
        ({"workspace_url": "sqlite:///x.db"}, "workspace_url"),
        (
            {"source_years": {"school_census.spring": "2006-20x"}},
            "source_years.school_census.spring",
        ),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_bad_values_name_the_setting(values, named):
    with pytest.raises(SettingsError) as err:
        make_settings(**values)
    assert named in str(err.value)


RULE_SETTING_BAD_VALUES = [
    # every rule setting (docs/decisions.md) with values it must refuse, and what the error names
    ({"nccis_fills_gaps": "sometimes"}, "nccis_fills_gaps"),
    ({"nccis_fills_gaps": None}, "nccis_fills_gaps"),
    ({"state_hierarchy": ["employment", "neet"]}, "state_hierarchy': unknown activity 'neet'"),
    ({"state_hierarchy": []}, "state_hierarchy': empty"),
    ({"state_hierarchy": "employment"}, "state_hierarchy"),
    ({"state_hierarchy": ["employment", "employment"]}, "state_hierarchy': an activity is listed"),
    ({"state_min_days": 0}, "state_min_days"),
    ({"state_min_days": -1}, "state_min_days"),
    ({"state_min_days": 32}, "state_min_days"),
    ({"state_min_days": True}, "state_min_days"),
    ({"state_min_days": 1.5}, "state_min_days"),
    ({"state_min_days_by_activity": {"work": 3}}, "state_min_days_by_activity': unknown activity"),
    ({"state_min_days_by_activity": {"employment": -2}}, "state_min_days_by_activity.employment"),
    ({"state_min_days_by_activity": {"employment": 0}}, "state_min_days_by_activity.employment"),
    ({"state_min_days_by_activity": {"employment": True}}, "state_min_days_by_activity.employment"),
    ({"state_min_days_by_activity": {"employment": "7"}}, "state_min_days_by_activity.employment"),
    ({"state_min_days_by_activity": ["employment"]}, "state_min_days_by_activity"),
    ({"self_employment_evidence": "earnings"}, "self_employment_evidence"),
    ({"benefit_classification": "image"}, "benefit_classification"),
    ({"he_dormant_students": "sometimes"}, "he_dormant_students"),
    ({"he_fe_level": "postgraduate"}, "he_fe_level"),
    ({"fe_participation": "hours"}, "fe_participation"),
    ({"cohort_definition": "age"}, "cohort_definition"),
    ({"cohort_census": "winter"}, "cohort_census"),
    ({"price_base_year": 2002}, "price_base_year"),
    ({"price_base_year": 2024}, "price_base_year"),
    ({"price_base_year": True}, "price_base_year"),
]


@pytest.mark.parametrize(
    "values, named", RULE_SETTING_BAD_VALUES, ids=[str(v) for v, _ in RULE_SETTING_BAD_VALUES]
)
def test_rule_settings_refuse_bad_values_naming_the_setting(values, named):
    with pytest.raises(SettingsError) as err:
        make_settings(**values)
    assert f"setting '{named}" in str(err.value), str(err.value)


def test_price_base_year_range_is_the_price_table_s():
    # the allowed base years are exactly the years ref_prices holds
    years = [
        int(line.split(",")[0])
        for line in (PROJECT_DIR / "sql" / "reference" / "ref_prices.csv").read_text().split()[1:]
    ]
    make_settings(price_base_year=min(years))
    make_settings(price_base_year=max(years))
    for outside in (min(years) - 1, max(years) + 1):
        with pytest.raises(SettingsError, match="price_base_year"):
            make_settings(price_base_year=outside)


def test_environment_overrides(tmp_path):
    env = {
        "LEO_WORKSPACE_SCHEMA": "research",
        "LEO_REFERENCE_DATE": "2020-03-31",
        "LEO_KS4_COHORTS": "2015, 2014",
        "LEO_PROJECT_SCHEMA": "2000123",
    }
    s = load_settings(tmp_path / "none.yml", env=env)
    assert s.workspace_schema == "research"
    assert s.reference_date == dt.date(2020, 3, 31)
    assert s.ks4_cohorts == [2014, 2015]
    assert s.project_schema == "2000123"


def test_settings_file_named_by_env_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="LEO_SETTINGS_FILE"):
        load_settings(env={"LEO_SETTINGS_FILE": str(tmp_path / "missing.yml")})


def test_password_is_never_shown(tmp_path):
    s = make_settings(workspace_url="postgresql+psycopg://analyst:s3cret-pw@db.example:5432/ws")
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" not in str(s.model_dump())
    assert "s3cret-pw" not in s.redacted_url()
    assert s.url().password == "s3cret-pw"
    with pytest.raises(SettingsError) as err:
        make_settings(
            workspace_url="postgresql+psycopg://analyst:s3cret-pw@db.example:5432/ws",
            ks4_cohorts=[1],
        )
    assert "s3cret-pw" not in str(err.value)


def test_password_from_environment(monkeypatch):
    monkeypatch.setenv("LEO_WORKSPACE_PASSWORD", "from-env")
    s = make_settings(workspace_url="postgresql+psycopg://analyst@db.example/ws")
    assert s.url().password == "from-env"
    assert "from-env" not in s.redacted_url()


def _rate(text: str) -> float | None:
    """'> 3 %' -> 0.03, '> 0' -> 0.0, '< 90 %' -> 0.9, '-' or 'report' -> None."""
    m = re.fullmatch(r"[<>] ([0-9.]+)( %)?", text.strip())
    if not m:
        return None
    return round(float(m.group(1)) / (100 if m.group(2) else 1), 6)


def test_documented_defaults_are_the_registry():
    """The match-quality defaults have one home, sql/reference/ref_match_quality.csv; the table
    of docs/match_quality.md and the list in leo_settings.yml's comment repeat them: they agree."""
    registry = match_quality_registry()
    docs = (PROJECT_DIR / "docs" / "match_quality.md").read_text(encoding="utf-8")
    shipped = (PROJECT_DIR / "leo_settings.yml").read_text(encoding="utf-8")
    for diag_id, row in registry.items():
        cells = re.search(
            rf"^\| {re.escape(diag_id)}(?: \(new\))? \| ([^|]+) \|[^|]+\|[^|]+"
            r"\| ([^|]+) \| ([^|]+) \|",
            docs,
            re.MULTILINE,
        )
        assert cells, diag_id
        assert cells.group(1).strip() == row["asset"], diag_id
        warn, error = cells.group(2).strip(), cells.group(3).strip()
        if row["judged_on"] == "change":  # PL-8: the warn cell is a sentence on the change
            assert f"> {row['threshold_warn'] * 100:g} pp" in warn, diag_id
        else:
            assert _rate(warn) == row["threshold_warn"], (diag_id, warn)
            assert (warn == "report") == (row["threshold_warn"] is None), diag_id
        assert _rate(error) == row["threshold_error"], (diag_id, error)
        # leo_settings.yml: "<id> <asset> warn ..." (report diagnostics: "report")
        listed = re.search(
            rf"\b{re.escape(diag_id)}\s+{row['asset']}\s+([^\n]*?)(?:\s{{2,}}[A-Z]{{2}}-|$)",
            shipped,
            re.MULTILINE,
        )
        assert listed, diag_id
        said = listed.group(1)
        if row["threshold_warn"] is None:
            assert said.startswith("report"), (diag_id, said)
        elif row["judged_on"] != "change" and diag_id != "PL-5":
            assert said.startswith(f"warn > {_pct(row['threshold_warn'])}"), (diag_id, said)
            if row["threshold_error"] is not None:
                assert f"error > {_pct(row['threshold_error'])}" in said, (diag_id, said)
            else:
                assert "error" not in said, (diag_id, said)


def _pct(value: float) -> str:
    return "0" if value == 0 else f"{value * 100:g} %"
