"""Check outcomes on the hand-built pupils of ``sql/marts/ks4_cohort.cases.yml`` (the KS4
cohort) and ``sql/marts/school_spells.cases.yml`` (AP and PRU placements).

The rows of ks4_cohort and school_spells are cases in ``sql/marts/<model>.cases.yml`` (run by
test_model_cases.py); what stays here is the outcome of a check, which is not a row of a model.
"""

from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "ks4_cohort.cases.yml"
SPELL_CASES = REAL_SQL / "marts" / "school_spells.cases.yml"


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


def test_ap_and_pru_records_of_no_person_are_counted(tmp_path, backend_url):
    """int_school__placement_records' check records_left_out counts the PRU and the AP record of
    case ap_and_pru_records_of_no_person_make_no_spell (PMRs bridging to no person), and none of
    the placements that make spells (P6's PRU record, P7's AP record)."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, all_source_rows(SPELL_CASES, settings))
    result = build_selection(settings, ["int_school__placement_records"])
    (check,) = [
        ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name == "records_left_out"
        and ev.asset_key.path[-1] == "int_school__placement_records"
    ]
    assert not check.passed and check.metadata["failing_rows"].value == 2
