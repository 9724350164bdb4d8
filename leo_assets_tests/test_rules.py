"""The rules a referee would question (docs/decisions.md), one hand-built person per branch, on
DuckDB and PostgreSQL, under the default settings and under the alternatives.

The KS4 cohort is 2014: month 1 is September 2014. The alternative settings are
nccis_fills_gaps: false, state_min_days_by_activity: {employment: 7} and
self_employment_evidence: profit; they are built into a second workspace schema from the same
sources. (Benefit classification: test_outcomes.py.)
"""

import datetime as dt
import re
from pathlib import Path

import pytest

from leo_assets.definitions import build_definitions
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import (
    ACTIVITY_TYPES,
    DEFAULT_STATE_HIERARCHY,
    Settings,
    SettingsError,
    make_settings,
)
from leo_assets.sqlproject.loader import parameter_values
from leo_assets_tests.helpers import REAL_SQL, build_tables, settings_for, write_sources

D = dt.date
ALTERNATIVE = {
    "nccis_fills_gaps": False,
    "state_min_days_by_activity": {"employment": 7},
    "self_employment_evidence": "profit",
}
PEOPLE = ("PF", "PG", "PH", "PI", "PJ")


def _ks4(pmr):
    return {
        "ks4_pupilmatchingrefanonymous": pmr,
        "ks4_acadyr": "2013/2014",
        "ks4_laestab_anon": "S1",
        "ks4_endks": 1,
        "ks4_natres": 1,
        "ks4_gender": "F",
        "ks4_yearofbirth": 1998,
        "ks4_monthofbirth": 3,
    }


def _ret(pmr, month, code, acadyr="2014/2015"):
    return {
        "nccis_pupilmatchingrefanonymous": pmr,
        "nccis_acadyr": acadyr,
        "nccis_monthno": month,
        "nccis_current_activity_code": code,
        "nccis_current_activity_start_date": None,
        "nccis_cohort_status": None,
    }


def _rows():
    return {
        "ks4_2014": [_ks4(p) for p in PEOPLE],
        "learner_ae_id_to_pmr_lookup": [
            {"ae_id": i, "pupilmatchingrefanonymous": p} for i, p in enumerate(PEOPLE, start=1)
        ],
        "learner_ae_id_to_edukey_lookup": [
            {"ae_id": 1, "edukey": "EF"},
            {"ae_id": 3, "edukey": "EH"},
            {"ae_id": 4, "edukey": "EI"},
            {"ae_id": 5, "edukey": "EJ"},
        ],
        "nccis_2011_to_2021": [
            # PF: FE returned September to December, no ILR record (an under-match): NCCIS fills
            # the months; October also has PAYE work, a direct source, which wins
            *[_ret("PF", m, 230) for m in (9, 10, 11, 12)],
            # PG: NEET available to the labour market in September, not available in Nov-Dec
            _ret("PG", 9, 619),
            _ret("PG", 11, 640),
            _ret("PG", 12, 640),
        ],
        "leo_employment": [
            {
                "edukey": "EF",
                "startdate": D(2014, 10, 1),
                "enddate": D(2014, 10, 31),
                "uncertainstartdate": False,
                "uncertainenddate": False,
            },
            # PH: three days' work in January 2015 during a month on JSA
            {
                "edukey": "EH",
                "startdate": D(2015, 1, 1),
                "enddate": D(2015, 1, 3),
                "uncertainstartdate": False,
                "uncertainenddate": False,
            },
        ],
        "leo_benefit": [
            {
                "edukey": "EH",
                "benefit_type": "JSA",
                "startdate": D(2015, 1, 1),
                "enddate": D(2015, 1, 31),
                "out_of_work_benefit": 1,
            }
        ],
        "leo_self_assessment": [
            # PI: a self-employed return without profit (2014/15)
            {
                "edukey": "EI",
                "taxyear": 201415,
                "self_employed": 1,
                "earnings_self_employment": 0,
            },
            # PJ: profit on a return not flagged self-employed (2015/16)
            {
                "edukey": "EJ",
                "taxyear": 201516,
                "self_employed": 0,
                "earnings_self_employment": 500,
            },
        ],
    }


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    common = {"ks4_cohorts": [2014], "months_after_ks4": 24}
    default = settings_for(root, backend, pg, **common)
    other = settings_for(root, backend, pg, workspace_schema="rules_alt", **common, **ALTERNATIVE)
    write_sources(default, _rows())
    tables = ["transition_sequence", "metrics_monthly", "activity_spells"]
    build_tables(default, tables)
    build_tables(other, tables)
    db = WorkspaceDatabase.from_settings(default)
    yield db
    db.dispose()


def _states(db, schema, pmr, last_month=6):
    return db.rows(
        f'SELECT s.month_index, s.state, s.state_source FROM "{schema}"."transition_sequence" AS s '
        f'JOIN "{schema}"."ks4_cohort" AS c ON c.person_id = s.person_id '
        f"WHERE c.pmr = '{pmr}' AND s.month_index <= {last_month} ORDER BY s.month_index"
    )


def test_nccis_fills_months_no_direct_source_covers(built):
    # rule 1: fe from NCCIS in September, November, December; October's PAYE work is direct
    assert _states(built, "leo_assets", "PF", 5) == [
        (1, "fe", "nccis"),
        (2, "employment", "direct"),
        (3, "fe", "nccis"),
        (4, "fe", "nccis"),
        (5, "not_captured", "none"),
    ]
    assert _states(built, "rules_alt", "PF", 5) == [
        (1, "not_captured", "none"),
        (2, "employment", "direct"),
        (3, "not_captured", "none"),
        (4, "not_captured", "none"),
        (5, "not_captured", "none"),
    ]
    # NCCIS education never becomes an activity spell (DfE-style destinations do not see it)
    assert built.rows(
        'SELECT a.activity_type FROM "leo_assets"."activity_spells" AS a '
        'JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = a.person_id WHERE c.pmr = \'PF\''
    ) == [("employment",)]


def test_neet_active_and_inactive_kept_apart(built):
    assert _states(built, "leo_assets", "PG", 4) == [
        (1, "neet_active", "direct"),
        (2, "not_captured", "none"),
        (3, "neet_inactive", "direct"),
        (4, "neet_inactive", "direct"),
    ]
    assert built.rows(
        "SELECT m.month_index, m.days_neet, m.days_neet_active, m.days_neet_inactive "
        'FROM "leo_assets"."metrics_monthly" AS m JOIN "leo_assets"."ks4_cohort" AS c '
        "ON c.person_id = m.person_id WHERE c.pmr = 'PG' AND m.month_index <= 4 "
        "ORDER BY m.month_index"
    ) == [(1, 30, 30, 0), (2, 0, 0, 0), (3, 30, 0, 30), (4, 31, 0, 31)]


def test_minimum_days_per_state(built):
    # rule 2: by default a day of work makes the month employment (ONS/ILO, DfE); with
    # state_min_days_by_activity {employment: 7} three days of work do not, and JSA shows
    assert _states(built, "leo_assets", "PH", 6)[4] == (5, "employment", "direct")
    assert _states(built, "rules_alt", "PH", 6)[4] == (5, "out_of_work_benefit", "direct")
    hierarchy = built.rows(
        'SELECT activity_type, min_days FROM "rules_alt"."ref_state_hierarchy" '
        "WHERE activity_type IN ('employment', 'he') ORDER BY activity_type"
    )
    assert hierarchy == [("employment", 7), ("he", 1)]


def test_self_employment_evidence(built):
    # rule 3: the self-assessment flag (default) or profit above 0 (alternative)
    query = (
        'SELECT c.pmr, a.start_date, a.end_date FROM "{s}"."activity_spells" AS a '
        'JOIN "{s}"."ks4_cohort" AS c ON c.person_id = a.person_id '
        "WHERE a.activity_type = 'self_employment' ORDER BY c.pmr"
    )
    assert built.rows(query.format(s="leo_assets")) == [("PI", D(2014, 4, 6), D(2015, 4, 5))]
    assert built.rows(query.format(s="rules_alt")) == [("PJ", D(2015, 4, 6), D(2016, 4, 5))]


def test_rule_settings_are_validated_and_reach_sql_as_parameters():
    values = parameter_values(make_settings(self_employment_evidence="flag_or_profit"))
    assert values["self_employment_by_flag"] == ("INT", 1)
    assert values["self_employment_by_profit"] == ("INT", 1)
    assert parameter_values(make_settings())["benefit_source_flag"] == ("INT", 1)
    assert parameter_values(make_settings(nccis_fills_gaps=False))["nccis_fills_gaps"] == (
        "INT",
        0,
    )
    defaults = parameter_values(make_settings())
    assert (defaults["he_dormant_is_he"], defaults["he_fe_level_as_fe"]) == (("INT", 0), ("INT", 1))
    assert defaults["fe_funded_only"] == ("INT", 1)
    alternative = parameter_values(
        make_settings(he_dormant_students="he", he_fe_level="he", fe_participation="any_aim")
    )
    assert alternative["he_dormant_is_he"] == ("INT", 1)
    assert alternative["he_fe_level_as_fe"] == ("INT", 0)
    assert alternative["fe_funded_only"] == ("INT", 0)
    for name in ("he_dormant_students", "he_fe_level", "fe_participation"):
        with pytest.raises(SettingsError, match=f"setting '{name}'"):
            make_settings(**{name: "sometimes"})
    with pytest.raises(SettingsError, match="benefit_classification"):
        make_settings(benefit_classification="image")
    with pytest.raises(SettingsError, match="self_employment_evidence"):
        make_settings(self_employment_evidence="earnings")
    with pytest.raises(SettingsError, match="state_min_days_by_activity.*work"):
        make_settings(state_min_days_by_activity={"work": 3})
    with pytest.raises(SettingsError, match="state_min_days_by_activity.employment"):
        make_settings(state_min_days_by_activity={"employment": 40})
    with pytest.raises(SettingsError, match="state_hierarchy.*'neet'"):
        make_settings(state_hierarchy=["employment", "neet"])


def test_every_activity_is_a_day_column_and_a_hierarchy_bit():
    # metrics_monthly pivots activity_spells' types into a column each and transition_sequence
    # reads those columns by name: an activity type in the settings or activity_spells but not in
    # both pivots would never be counted and never become a state
    monthly = (REAL_SQL / "marts" / "metrics_monthly.sql").read_text()
    sequence = (REAL_SQL / "marts" / "transition_sequence.sql").read_text()
    spells = (REAL_SQL / "marts" / "activity_spells.sql").read_text()
    accepted = re.search(r"column: activity_type, values: \[([^\]]*)\]", spells)
    assert accepted and set(accepted.group(1).split(", ")) == set(ACTIVITY_TYPES)
    for activity in ACTIVITY_TYPES:
        assert f"= '{activity}' then activity.days_in_month end) as days_{activity}" in monthly
        assert f"= '{activity}' then ref.min_days end) as min_{activity}" in sequence
        assert f"= '{activity}' then ref.priority_bit end) as bit_{activity}" in sequence
        reached = (
            f"when months.days_{activity} >= hierarchy.min_{activity} then hierarchy.bit_{activity}"
        )
        assert f"{reached} else 0 end as reached_{activity}" in sequence
        # once in the mask, once (as its sign) in n_activities
        assert sequence.count(f"reached.reached_{activity}") == 2
        assert f"sign(reached.reached_{activity})" in sequence
        assert f"when hierarchy.bit_{activity} then '{activity}'" in sequence


# --------------------------------------------------------------- staleness of each rule setting
# Changing a rule setting must mark stale exactly the assets whose SQL uses it. Dagster marks an
# asset stale when its code_version moves (and its children through their data versions,
# test_staleness.py), so the check is on the code versions of the Dagster definitions
# themselves, default settings against one alternative value at a time.
RULE_SETTINGS = {
    # setting: (an alternative value, the assets whose code version it must move)
    "nccis_fills_gaps": (False, {"marts/transition_sequence"}),
    "state_hierarchy": (
        list(reversed(DEFAULT_STATE_HIERARCHY)),
        {"reference/ref_state_hierarchy"},
    ),
    "state_min_days": (2, {"reference/ref_state_hierarchy"}),
    "state_min_days_by_activity": ({"employment": 7}, {"reference/ref_state_hierarchy"}),
    "self_employment_evidence": ("profit", {"intermediate/int_spells__merged"}),
    "benefit_classification": (
        "mapping",
        {"intermediate/int_spells__merged", "marts/benefit_spells"},
    ),
    "he_dormant_students": ("he", {"intermediate/int_spells__merged"}),
    "he_fe_level": ("he", {"intermediate/int_spells__merged"}),
    "fe_participation": ("any_aim", {"intermediate/int_spells__merged"}),
    "cohort_definition": (
        "census_on_roll",
        {"intermediate/int_ks4__pupils", "marts/ks4_cohort"},
    ),
    "cohort_census": ("autumn", {"intermediate/int_ks4__pupils"}),
    "price_base_year": (2015, {"marts/earnings"}),
}
# reference tables built from settings (sql/reference/_reference.yml rows_from_setting), by hand
SEEDS_FROM = {
    "state_hierarchy": {"reference/ref_state_hierarchy"},
    "state_min_days": {"reference/ref_state_hierarchy"},
    "state_min_days_by_activity": {"reference/ref_state_hierarchy"},
}
SQL = Path(__file__).resolve().parent.parent / "sql"


def _code_versions(**values) -> dict[str, str | None]:
    graph = build_definitions(make_settings(**values)).resolve_asset_graph()
    return {"/".join(k.path): graph.get(k).code_version for k in graph.get_all_asset_keys()}


def _sql_using(parameters: set[str]) -> set[str]:
    """Assets whose SQL (its own file or one of its ``.check.sql`` files) names one of the
    parameters outside comments: read from the files, not from the loader."""
    used = set()
    for path in SQL.rglob("*.sql"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)
        text = re.sub(r"--[^\n]*", "", text)
        if any(re.search(rf"@{p}\b", text) for p in parameters):
            layer = path.relative_to(SQL).parts[0]
            name = path.name.removesuffix(".sql").removesuffix(".check").split("__")
            # a check file <model>__<check>.check.sql belongs to its model
            model = "__".join(name[:-1]) if path.name.endswith(".check.sql") else "__".join(name)
            used.add(f"{layer}/{model}")
    return used


@pytest.fixture(scope="module")
def default_versions():
    return _code_versions()


def test_every_rule_setting_is_covered():
    for name in RULE_SETTINGS:
        assert name in Settings.model_fields, name
    rules = {"nccis_fills_gaps", "benefit_classification", "self_employment_evidence"}
    assert rules <= set(RULE_SETTINGS)


@pytest.mark.parametrize("name", sorted(RULE_SETTINGS))
def test_changing_a_rule_setting_moves_exactly_the_assets_that_use_it(name, default_versions):
    value, expected = RULE_SETTINGS[name]
    assert getattr(make_settings(), name) != value
    changed = _code_versions(**{name: value})
    moved = {key for key in default_versions if default_versions[key] != changed.get(key)}
    assert moved == expected, (name, sorted(moved))
    # and the expectation is what the SQL files say: the parameters the setting feeds, found in
    # the files outside comments, plus the reference tables built from the setting
    before, after = (
        parameter_values(make_settings()),
        parameter_values(make_settings(**{name: value})),
    )
    parameters = {p for p in before if before[p] != after[p]}
    assert _sql_using(parameters) | SEEDS_FROM.get(name, set()) == expected, (name, parameters)
