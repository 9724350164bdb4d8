"""The KS4 cohort's check outcomes on the hand-built pupils of ``sql/marts/ks4_cohort.cases.yml``.

The rows of ks4_cohort and school_spells are cases in ``sql/marts/<model>.cases.yml`` (run by
test_model_cases.py); what stays here is the outcome of a check, which is not a row of a model.
"""

from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "ks4_cohort.cases.yml"


def test_ks4_key_duplicates_are_left_for_int_ks4__pupils(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    write_sources(settings, all_source_rows(CASES, settings))
    result = build_selection(settings, ["ks4_cohort"])
    # P1's two 2014 records share the declared key; staging keeps both for int_ks4__pupils
    (dups,) = [
        ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name == "source_duplicates" and ev.asset_key.path[-1] == "stg_npd__ks4"
    ]
    assert dups.passed and dups.metadata["rows_key_duplicate_left_for_int_ks4__pupils"].value == 1
