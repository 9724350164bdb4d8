"""Match-quality diagnostics against the synthetic generator's injected faults (DuckDB).

Three extracts of one cohort (400 pupils, same seed), every fault type injected at 0, 0.02 and
0.06, built once each up to match_quality_summary. Each diagnostic with a fault type of its own
must stay quiet without it (within the stated tolerance: genuine second PMRs and EduKeys, true
non-linkage and birth-year keying quirks exist in fault-free data) and rise with it; recall and
precision against the truth are the measured ones (docs/match_quality.md) with a margin.
"""

import pytest

from leo_assets.diagnostics import calibrate, resolve, threshold_rows
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import SettingsError, make_settings
from leo_assets.synthetic import FaultRates, GeneratorConfig, generate
from leo_assets_tests.helpers import build_selection, settings_for

RATES = (0.0, 0.02, 0.06)
PUPILS = 400
# diagnostic -> largest overall rate on a fault-free extract (quirk_scale 1)
FAULT_FREE_TOLERANCE = {
    "PL-1": 0.03, "PL-2": 0.04, "PL-3": 0.0, "PL-4": 0.0, "PL-5": 0.06, "PL-6": 0.0, "PL-7": 0.0, "PL-8": 0.04,
    "PL-10": 0.0, "PL-11": 0.0, "CD-1": 0.0,
    "CD-3": 0.01, "CD-4": 0.0, "CO-1": 0.0, "ER-1": 0.0, "EM-1": 0.0, "BE-1": 0.0, "IL-1": 0.0, "HE-1": 0.0,
}
RISES_WITH_FAULTS = ("PL-1", "PL-3", "PL-4", "PL-5", "PL-6", "PL-8", "PL-11", "CD-1", "CD-4")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    out = {}
    for rate in RATES:
        root = tmp_path_factory.mktemp(f"mq{rate}")
        settings = settings_for(root, ks4_cohorts=[2014])
        faults = FaultRates(**{name: rate for name in FaultRates.model_fields})
        generate(settings, GeneratorConfig(pupils_per_cohort=PUPILS, cohorts=[2014], faults=faults, show_progress=False))
        result = build_selection(settings, ["match_quality_summary"])
        rows = calibrate(str(root / "ws.duckdb"), str(settings.source_dir_path() / "leo_truth.duckdb"))
        out[rate] = (settings, result, {r["diagnostic"]: r for r in rows})
    return out


def test_quiet_without_faults(extracts):
    _settings, result, rows = extracts[0.0]
    for diag, tolerance in FAULT_FREE_TOLERANCE.items():
        assert rows[diag]["estimate"] is not None and rows[diag]["estimate"] <= tolerance, (diag, rows[diag])
    evals = {ev.check_name: ev for ev in result.get_asset_check_evaluations() if ev.check_name.startswith("mq_")}
    failing = {name for name, ev in evals.items() if not ev.passed}
    # PL-2: the generator's 2 % genuine second EduKeys exceed the 26.4 warn threshold of 1 %
    assert failing <= {"mq_pl_2_several_edukeys"}, failing


def test_diagnostics_rise_with_injected_faults(extracts):
    for diag in RISES_WITH_FAULTS:
        estimates = [extracts[rate][2][diag]["estimate"] for rate in RATES]
        assert estimates[0] < estimates[1] < estimates[2], (diag, estimates)


def test_recall_and_precision_against_the_truth(extracts):
    rows = extracts[0.06][2]
    for diag in ("PL-1", "PL-3", "PL-4", "PL-5", "PL-6", "CD-1"):
        assert rows[diag]["recall"] >= 0.9, rows[diag]  # measured 0.94-1.0
    # PL-11 catches every undermatch_edukey, and unlinked_pmr only when the victim has no second PMR
    assert rows["PL-11"]["recall"] >= 0.55, rows["PL-11"]
    for diag in ("PL-3", "PL-4", "PL-6", "PL-11", "CD-1", "CD-4"):
        assert rows[diag]["precision"] >= 0.95, rows[diag]  # measured 1.0
    assert 0.3 <= rows["CD-4"]["recall"] <= 0.8  # half of two random pupils differ in sex
    # the injected rate is recovered where one fault makes one flag
    for diag in ("PL-6",):
        assert abs(rows[diag]["estimate"] - rows[diag]["injected_rate"]) <= 0.02, rows[diag]


def test_escalation_is_non_blocking_and_counted(extracts):
    _settings, result, _rows = extracts[0.06]
    assert result.success
    evals = {ev.check_name: ev for ev in result.get_asset_check_evaluations() if ev.check_name.startswith("mq_")}
    assert evals["mq_pl_3_identifier_conflicts"].severity.value == "ERROR" and not evals["mq_pl_3_identifier_conflicts"].passed
    assert evals["mq_cd_4_sex_conflict"].severity.value == "WARN" and not evals["mq_cd_4_sex_conflict"].passed  # no error threshold
    assert all(ev.blocking is False for ev in evals.values())


SAFE_TEXT_KEYS = {"unit", "direction", "status", "threshold", "by_scope"}


def test_no_personal_attributes_in_check_metadata(extracts):
    """Every check's metadata: counts, rates, thresholds and scope labels; key columns only in samples."""
    from leo_assets.definitions import build_definitions
    from leo_assets.sqlproject.loader import load_project
    from leo_assets_tests.helpers import REAL_SQL

    settings, result, _rows = extracts[0.06]
    project = load_project(REAL_SQL, settings)
    db = WorkspaceDatabase.from_settings(settings)
    identifiers = {str(v) for (v,) in db.rows('SELECT identifier_value FROM "leo_assets"."person_identifier" '
                                              "WHERE identifier_type IN ('pmr', 'edukey')")}
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
            assert key in SAFE_TEXT_KEYS, (ev.check_name, key, value)
            tokens = set(str(value).replace("|", " ").split())
            assert not tokens & identifiers, (ev.check_name, key)
            if key == "by_scope":
                allowed_words = {"measure", "ks4_year", "subgroup", "subgroup_value", "numerator", "denominator", "rate",
                                 "gap_from_cohort", "status", "flagged", "leo_link", "paye", "benefits", "ilr", "hesa",
                                 "nccis", "non_ilr_source", "academic_year", "all", "fsm", "sen", "eal", "ethnicity_major", "none", "support", "ehcp",
                                 "unknown", "White", "Mixed", "Asian", "Black", "Chinese", "Other", "Unclassified",
                                 "ok", "warn", "error", "report", "no_data", "---"}
                for token in tokens:
                    assert token in allowed_words or token.replace(".", "").replace("-", "").replace("e", "").isdigit() \
                        or set(token) <= {"-"}, (ev.check_name, token)
    assert n > 100


def test_thresholds_are_settings():
    assert resolve({})["PL-1"] == {"warn": 0.03, "error": 0.10, "severity": "error"}
    assert resolve({})["PL-8"] == {"warn": 0.03, "error": None, "severity": "error", "min_n": 500}
    assert resolve({"PL-8": {"min_n": 50}})["PL-8"]["min_n"] == 50
    rows = {r[0]: r for r in threshold_rows({"PL-1": {"warn": 0.05, "error": None}, "CD-4": {"severity": "warn"}})}
    assert rows["PL-1"][5:8] == (0.05, None, "error") and rows["CD-4"][7] == "warn"
    for bad, named in (({"PL-99": {}}, "match_quality.PL-99"), ({"PL-1": {"warm": 0.1}}, "match_quality.PL-1.warm"),
                       ({"PL-1": {"warn": "high"}}, "match_quality.PL-1.warn"), ({"PL-1": {"warn": 0.2, "error": 0.1}}, "match_quality.PL-1"),
                       ({"CD-1": {"severity": "fatal"}}, "match_quality.CD-1.severity"),
                       ({"PL-7": {"min_n": 5}}, "match_quality.PL-7.min_n"), ({"PL-1": 0.1}, "match_quality.PL-1")):
        with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
            make_settings(match_quality=bad)
