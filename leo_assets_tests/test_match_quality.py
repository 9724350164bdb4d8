"""Match-quality diagnostics against the synthetic generator's injected faults (DuckDB).

Three extracts of two cohorts four years apart (2010 and 2014, 250 pupils each, same seed),
every fault type injected at 0, 0.02 and 0.06, built once each up to match_quality_summary.
overmatch_cohort merges 2014 pupils into 2010 pupils: the only fault that gives impossible ages.
Each diagnostic with a fault type of its own must stay quiet without it (within the stated
tolerance: genuine second PMRs and EduKeys, true non-linkage, birth-year keying quirks,
defaulted employment dates and the ICA classification exist in fault-free data) and rise with it;
recall and precision against the truth are the measured ones (docs/match_quality.md) with a
margin.
"""

import pytest

from leo_assets.calibration import calibrate
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import SettingsError, make_settings
from leo_assets.settings import resolve_match_quality as resolve
from leo_assets.synthetic import FaultRates, GeneratorConfig, generate
from leo_assets_tests.helpers import REAL_SQL, build_selection, build_tables, settings_for

# three synthetic builds, two of them Dagster runs: started first (conftest.py)
pytestmark = pytest.mark.slow

RATES = (0.0, 0.02, 0.06)
PUPILS = 250
COHORTS = [2010, 2014]
# diagnostic -> largest overall rate on a fault-free extract (quirk_scale 1)
FAULT_FREE_TOLERANCE = {
    "PL-1": 0.03,
    "PL-2": 0.04,
    "PL-3": 0.0,
    "PL-4": 0.0,
    "PL-5": 0.06,
    "PL-6": 0.0,
    "PL-7": 0.0,
    "PL-8": 0.04,
    "PL-10": 0.0,
    "PL-11": 0.0,
    "CD-1": 0.0,
    "CD-2": 0.0,
    "CD-3": 0.01,
    "CD-4": 0.0,
    "CD-5": 0.0,
    "CD-6": 0.0002,
    "CO-1": 0.0,
    "ER-1": 0.0,
    "EM-1": 0.0,
    "BE-1": 0.0,
    "BE-2": 0.0,
    "BE-4": 0.0,
    "BE-5": 0.0,
    "IL-1": 0.0,
    "IL-2": 0.0,
    "IL-4": 0.0,
    "IL-6": 0.0,
    "HE-1": 0.0,
    "HE-2": 0.0,
    "HE-3": 0.0,
    "HE-4": 0.0,
    "ER-4": 0.002,  # person tax years straddling a genuine second EduKey
    "NC-1": 0.0,
    "NC-2": 0.01,
    "SP-1": 0.0,
    "SP-2": 0.0,
    # reported, not judged: defaulted employment dates (4-5 %); ICA, out-of-work in the source,
    # in-work here
    "EM-3": 0.08,
    "BE-3": 0.03,
}
RISES_WITH_FAULTS = (
    "PL-1",
    "PL-2",
    "PL-3",
    "PL-4",
    "PL-5",
    "PL-6",
    "PL-8",
    "PL-11",
    "CD-1",
    "CD-3",
    "CD-4",
    "CD-5",
    "CO-1",
    "ER-4",
    "IL-1",
    "IL-2",
    "IL-6",
    "HE-1",
    "HE-2",
    "HE-3",
)
# too few older partners' outcomes fall before the younger's 14th or 16th birthday to rise at every
# rate
RISES_AT_THE_HIGHEST_RATE = ("ER-1", "EM-1", "BE-1", "BE-4")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    out = {}
    for rate in RATES:
        root = tmp_path_factory.mktemp(f"mq{rate}")
        settings = settings_for(root, ks4_cohorts=COHORTS)
        faults = FaultRates(**{name: rate for name in FaultRates.model_fields})
        generate(
            settings,
            GeneratorConfig(
                pupils_per_cohort=PUPILS, cohorts=COHORTS, faults=faults, show_progress=False
            ),
        )
        # the check evaluations of a Dagster run are read at the fault-free and the highest rate;
        # at the middle rate only the diagnostics' tables are
        if rate in (RATES[0], RATES[-1]):
            result = build_selection(settings, ["match_quality_summary"])
        else:
            result = None
            build_tables(settings, ["match_quality_summary"])
        rows = calibrate(
            str(root / "ws.duckdb"), str(settings.source_dir_path() / "leo_truth.duckdb")
        )
        out[rate] = (settings, result, {(r["diagnostic"], r["target_fault"]): r for r in rows})
    return out


def _estimate(rows, diag):
    return next(r["estimate"] for (d, _t), r in rows.items() if d == diag)


def test_quiet_without_faults(extracts):
    _settings, result, rows = extracts[0.0]
    assert set(FAULT_FREE_TOLERANCE) == {d for d, _t in rows}
    for diag, tolerance in FAULT_FREE_TOLERANCE.items():
        estimate = _estimate(rows, diag)
        assert estimate is not None and estimate <= tolerance, (diag, estimate)
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_")
    }
    failing = {name for name, ev in evals.items() if not ev.passed}
    # PL-5 judges subgroups of 30 or more pupils against the cohort's link rate (gap 5 points): with
    # 2 % genuine non-linkage, 4 unlinked among 44 Asian pupils happens by chance at 250 a cohort.
    # The overall link rate must still pass; only subgroup scopes may warn.
    if "mq_pl_5_link_rates" in failing:
        warned = _pl5_scopes_not_ok(_settings)
        assert warned and all(subgroup != "all" for subgroup, _ in warned), warned
        failing.discard("mq_pl_5_link_rates")
    # PL-2: the generator's 2 % genuine second EduKeys exceed the 26.4 warn threshold of 1 %; CD-6:
    # its keying quirk (a birth year after the census year in 1 record of 10,000) sits at the 26.4
    # warn threshold of 0.01 %
    assert failing <= {"mq_pl_2_several_edukeys", "mq_cd_6_impossible_census_age"}, failing


def _pl5_scopes_not_ok(settings):
    db = WorkspaceDatabase.from_settings(settings)
    try:
        return db.rows(
            "SELECT subgroup, subgroup_value FROM leo_assets.match_quality_summary "
            "WHERE diagnostic_id = 'PL-5' AND measure = 'leo_link' "
            "AND status NOT IN ('ok', 'report', 'no_data') ORDER BY subgroup, subgroup_value"
        )
    finally:
        db.dispose()


def test_diagnostics_rise_with_injected_faults(extracts):
    for diag in RISES_WITH_FAULTS:
        estimates = [_estimate(extracts[rate][2], diag) for rate in RATES]
        assert estimates[0] < estimates[1] < estimates[2], (diag, estimates)
    for diag in RISES_AT_THE_HIGHEST_RATE:
        estimates = [_estimate(extracts[rate][2], diag) for rate in RATES]
        assert estimates[0] == 0 < estimates[2], (diag, estimates)


def test_recall_and_precision_against_the_truth(extracts):
    rows = extracts[0.06][2]
    for key in (
        ("PL-1", "overmatch_pmr"),
        ("PL-3", "pmr_conflict"),
        ("PL-4", "overmatch_pmr"),
        ("PL-5", "unlinked_pmr"),
        ("PL-6", "orphan_edukey"),
        ("PL-11", "undermatch_edukey"),
        ("CD-1", "overmatch_pmr"),
    ):
        assert rows[key]["recall"] >= 0.9, (key, rows[key])  # measured 0.92-1.0
    # 16 cross-cohort merges at 0.06: the PMR comparisons see a merge only when the merged person
    # holds both pupils' PMRs; 2 of the 16 did not (the victim's PMR already pointed at another
    # ae_id of a person with two), so one miss is 6 points of recall: measured 0.875-0.94
    for key in (
        ("PL-1", "overmatch_cohort"),
        ("PL-4", "overmatch_cohort"),
        ("CD-1", "overmatch_cohort"),
    ):
        assert rows[key]["recall"] >= 0.85, (key, rows[key])
    # across cohorts four years apart: birth years, NC years and ILR ages disagree for most merged
    # pairs
    for diag in ("CD-3", "CD-5", "CO-1"):
        assert rows[(diag, "overmatch_cohort")]["recall"] >= 0.75, rows[
            (diag, "overmatch_cohort")
        ]  # measured 0.88
    assert (
        rows[("IL-2", "overmatch_cohort")]["recall"] >= 0.5
    )  # measured 0.69: the partner needs ILR records
    assert (
        rows[("ER-4", "overmatch_cohort")]["recall"] >= 0.5
    )  # measured 0.75: both need earnings in one tax year
    # the older partner must have entered full-time HE, and there are 16-22 cross-cohort merges at
    # 0.06, so one miss is 5-6 points: measured at the default seed and seeds 1, 2 (HE-1 / HE-3)
    # 0.44 / 0.44, 0.32 / 0.36, 0.24 / 0.24 before the AP/PRU generator change (3.5% of a cohort
    # in AP or a PRU) and 0.44 / 0.38, 0.45 / 0.41, 0.41 / 0.35 after: 0.4 failed by chance
    for diag in ("HE-1", "HE-3"):
        assert rows[(diag, "overmatch_cohort")]["recall"] >= 0.3, rows[(diag, "overmatch_cohort")]
    # PL-11 catches unlinked_pmr only when the victim has no second PMR
    assert 0.2 <= rows[("PL-11", "unlinked_pmr")]["recall"] <= 0.7
    # a within-cohort over-match is nearly age-blind: two pupils of one academic cohort can still
    # differ in calendar birth year (born September-December and January-August): CD-3 caught 2
    # of 37 at 0.06 in session 4, and CO-1 some too (0 before; the cause was not traced)
    for diag in ("CD-3", "CO-1", "HE-1"):
        assert rows[(diag, "overmatch_pmr")]["recall"] <= 0.1, rows[(diag, "overmatch_pmr")]
    for diag in (
        "PL-3",
        "PL-4",
        "PL-6",
        "PL-11",
        "CD-1",
        "CD-3",
        "CD-4",
        "CD-5",
        "CO-1",
        "ER-4",
        "IL-2",
        "IL-6",
        "HE-2",
        "HE-3",
        "BE-4",
    ):
        assert rows[next(k for k in rows if k[0] == diag)]["precision"] >= 0.95, (
            diag
        )  # measured 1.0
    assert (
        0.3 <= rows[("CD-4", "overmatch_pmr")]["recall"] <= 0.8
    )  # half of two random pupils differ in sex
    # the injected rate is recovered where one fault makes one flag
    assert (
        abs(
            rows[("PL-6", "orphan_edukey")]["estimate"]
            - rows[("PL-6", "orphan_edukey")]["injected_rate"]
        )
        <= 0.02
    )


def test_escalation_is_non_blocking_and_counted(extracts):
    _settings, result, _rows = extracts[0.06]
    assert result.success
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_")
    }
    assert (
        evals["mq_pl_3_identifier_conflicts"].severity.value == "ERROR"
        and not evals["mq_pl_3_identifier_conflicts"].passed
    )
    assert (
        evals["mq_cd_4_sex_conflict"].severity.value == "WARN"
        and not evals["mq_cd_4_sex_conflict"].passed
    )  # no error threshold
    assert all(ev.blocking is False for ev in evals.values())


SAFE_TEXT_KEYS = {"unit", "direction", "status", "threshold", "by_scope"}
BENEFIT_CODES = {
    line.split(",")[0]
    for line in (REAL_SQL / "reference" / "ref_benefit_types.csv").read_text().splitlines()[1:]
}


def test_no_personal_attributes_in_check_metadata(extracts):
    """Every check's metadata: counts, rates, thresholds and scope labels; key columns only in
    samples."""
    from leo_assets.definitions import build_definitions
    from leo_assets.sqlproject.loader import load_project

    settings, result, _rows = extracts[0.06]
    project = load_project(REAL_SQL, settings)
    db = WorkspaceDatabase.from_settings(settings)
    identifiers = {
        str(v)
        for (v,) in db.rows(
            'SELECT identifier_value FROM "leo_assets"."person_identifier" '
            "WHERE identifier_type IN ('pmr', 'edukey')"
        )
    }
    db.dispose()
    assert build_definitions(settings) is not None
    n = 0
    for ev in result.get_asset_check_evaluations():
        model = project.models[ev.asset_key.path[-1]]
        for key, entry in ev.metadata.items():
            value = entry.value
            n += 1
            if key == "failing_keys_sample":
                header = value.splitlines()[0].strip("| ").split(" | ")
                assert set(header) <= set(model.header.grain), (ev.check_name, header)
                continue
            if isinstance(value, (int, float)) or value is None:
                continue
            if key == "by_scope":  # a Dagster table: its column names and every cell as text
                assert [c.name for c in value.schema.columns][:2] == ["status", "measure"]
                value = " ".join(
                    [c.name for c in value.schema.columns]
                    + [str(v) for r in value.records for v in r.data.values() if v is not None]
                )
            assert key in SAFE_TEXT_KEYS, (ev.check_name, key, value)
            tokens = set(str(value).replace("|", " ").split())
            assert not tokens & identifiers, (ev.check_name, key)
            if key == "by_scope":
                allowed_words = {
                    "measure",
                    "ks4_year",
                    "subgroup",
                    "subgroup_value",
                    "numerator",
                    "denominator",
                    "rate",
                    "gap_from_cohort",
                    "status",
                    "flagged",
                    "leo_link",
                    "paye",
                    "benefits",
                    "ilr",
                    "hesa",
                    "nccis",
                    "non_ilr_source",
                    "academic_year",
                    "all",
                    "fsm",
                    "sen",
                    "eal",
                    "ethnicity_major",
                    "none",
                    "support",
                    "ehcp",
                    "unknown",
                    "White",
                    "Mixed",
                    "Asian",
                    "Black",
                    "Chinese",
                    "Other",
                    "Unclassified",
                    "ok",
                    "warn",
                    "error",
                    "report",
                    "no_data",
                    "---",
                    "flagged_events",
                    "flagged_persons",
                    "open_end",
                    "uncertain_start",
                    "uncertain_end",
                    "conflicting",
                    "table",
                    "benefit_type",
                    "hesa_year",
                    "tax_year",
                    "activity_spells",
                    "employment_spells",
                    "benefit_spells",
                    "nccis_spells",
                    "metrics_monthly",
                    "metrics_annual",
                }
                allowed_words |= BENEFIT_CODES  # BE-3 by benefit code: codes, not people
                for token in tokens:
                    assert (
                        token in allowed_words
                        or token.replace(".", "").replace("-", "").replace("e", "").isdigit()
                        or set(token) <= {"-"}
                    ), (ev.check_name, token)
    assert n > 100


def test_thresholds_are_settings():
    assert resolve({})["PL-1"] == {"warn": 0.03, "error": 0.10, "severity": "error"}
    assert resolve({})["PL-8"] == {"warn": 0.03, "error": None, "severity": "error", "min_n": 500}
    # report diagnostics: no thresholds unless set; an error threshold needs a warn threshold
    assert resolve({})["BE-3"] == {"warn": None, "error": None, "severity": "error"}
    assert resolve({"EM-3": {"warn": 0.1}})["EM-3"]["warn"] == 0.1
    assert resolve({"IL-2": {}})["IL-2"] == {"warn": 0.005, "error": 0.02, "severity": "error"}
    assert resolve({"PL-8": {"min_n": 50}})["PL-8"]["min_n"] == 50
    overrides = make_settings(
        match_quality={"PL-1": {"warn": 0.05, "error": None}, "CD-4": {"severity": "warn"}}
    ).match_quality_overrides  # the columns of ref_match_quality they replace (test_loader)
    assert overrides == {
        "PL-1": {"threshold_warn": 0.05, "threshold_error": None},
        "CD-4": {"max_severity": "warn"},
    }
    for bad, named in (
        ({"PL-99": {}}, "match_quality.PL-99"),
        ({"PL-1": {"warm": 0.1}}, "match_quality.PL-1.warm"),
        ({"PL-1": {"warn": "high"}}, "match_quality.PL-1.warn"),
        ({"PL-1": {"warn": 0.2, "error": 0.1}}, "match_quality.PL-1"),
        ({"CD-1": {"severity": "fatal"}}, "match_quality.CD-1.severity"),
        ({"PL-7": {"min_n": 5}}, "match_quality.PL-7.min_n"),
        ({"PL-1": 0.1}, "match_quality.PL-1"),
        ({"HE-4": {"error": 0.1}}, "match_quality.HE-4.warn"),
    ):
        with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
            make_settings(match_quality=bad)


def test_every_diagnostic_is_documented_with_its_defaults():
    """docs/match_quality.md has a row per diagnostic and leo_settings.yml lists each one with its
    asset."""
    import re

    from leo_assets.diagnostics import DIAGNOSTICS
    from leo_assets.settings import PROJECT_DIR

    docs = (PROJECT_DIR / "docs" / "match_quality.md").read_text(encoding="utf-8")
    settings_text = (PROJECT_DIR / "leo_settings.yml").read_text(encoding="utf-8")
    for diag in DIAGNOSTICS:
        assert re.search(
            rf"^\| {re.escape(diag.id)}( \(new\))? \| {diag.asset} \|", docs, re.MULTILINE
        ), diag.id
        assert re.search(rf"\b{re.escape(diag.id)}\s+{diag.asset}\s", settings_text), diag.id


def _summary_row(year, status, rate, num, den, warn=0.03, error=0.10, subgroup="all", value="all"):
    return {
        "diagnostic_id": "PL-1",
        "measure": "flagged",
        "ks4_year": year,
        "subgroup": subgroup,
        "subgroup_value": value,
        "numerator": num,
        "denominator": den,
        "rate": rate,
        "gap_from_cohort": None,
        "threshold_warn": warn,
        "threshold_error": error,
        "status": status,
    }


def test_outcome_words_match_the_status_of_every_scope():
    """Within every threshold: passed; a scope past warn: a warning naming it; past error: an
    error."""
    from leo_assets.diagnostics import DIAGNOSTICS, evaluate

    pl1 = next(d for d in DIAGNOSTICS if d.id == "PL-1")
    ok = [_summary_row("all", "ok", 0.02, 20, 1000), _summary_row("2013", "ok", 0.02, 10, 500)]
    passed, _sev, md, text = evaluate(pl1, ok)
    assert passed and text.endswith("every scope within the thresholds: passed")
    assert md["by_scope"].schema.columns[0].name == "status"

    scope_warn = [
        _summary_row("all", "ok", 0.02, 20, 1000),
        _summary_row("2012", "ok", 0.0, 0, 500),
        _summary_row("2013", "warn", 0.04, 20, 500),
    ]
    passed, severity, md, text = evaluate(pl1, scope_warn)
    assert not passed and severity == "warn"
    assert (
        "WARNING: KS4 cohort 2013 at 4.00%, above the warn threshold 3.00% (overall within)" in text
    )
    assert "status ok" not in text
    assert md["by_scope"].records[0].data["status"] == "warn"  # the worst scope first

    error = [_summary_row("all", "error", 0.2, 200, 1000)]
    passed, severity, _md, text = evaluate(pl1, error)
    assert not passed and severity == "error"
    assert "ERROR: overall at 20.00%, above the error threshold 10.00%" in text
