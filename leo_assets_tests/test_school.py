"""KS4 cohort and school spells on hand-built pupils, on DuckDB and PostgreSQL."""

import datetime as dt

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import (
    build_selection,
    census_row,
    rows_by_view,
    settings_for,
    write_sources,
)

D = dt.date


def _school_rows():
    return rows_by_view(
        # P1: three terms at S1, no dates recorded; a duplicate record elsewhere is ignored
        census_row("P1", 2014, "autumn", "S1"),
        census_row("P1", 2014, "spring", "S1"),
        census_row("P1", 2014, "summer", "S1"),
        census_row("P1", 2014, "spring", "S9", recordstatus=101),
        # P2: entered S1 in 2012 (recorded), moved to S2 for the summer term
        census_row("P2", 2014, "autumn", "S1", entrydate=D(2012, 9, 4)),
        census_row("P2", 2014, "spring", "S1", entrydate=D(2012, 9, 4)),
        census_row("P2", 2014, "summer", "S2", leavingdate=D(9999, 12, 31)),
        # P3: at S1 in spring; the summer census has them off roll with a leaving date
        census_row("P3", 2014, "spring", "S1"),
        census_row("P3", 2014, "summer", "S1", onroll=False, leavingdate=D(2014, 5, 2)),
        # P4: dual registration, main at S1 and subsidiary at S3
        census_row("P4", 2014, "spring", "S1", enrolstatus="M"),
        census_row("P4", 2014, "spring", "S3", enrolstatus="S"),
        # P5: S1, then S2, then back to S1
        census_row("P5", 2014, "autumn", "S1"),
        census_row("P5", 2014, "spring", "S2"),
        census_row("P5", 2014, "summer", "S1"),
    )


def test_school_spells(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, _school_rows())
    build_selection(settings, ["school_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    spells = db.rows(
        "SELECT p.primary_pmr, s.school_id, s.start_date, s.end_date, s.start_rule, s.end_rule, s.registration, s.n_censuses "
        'FROM "leo_assets"."school_spells" AS s JOIN "leo_assets"."person_lookup" AS p ON p.person_id = s.person_id '
        "ORDER BY p.primary_pmr, s.start_date, s.school_id"
    )
    assert spells == [
        ("P1", "S1", D(2013, 9, 1), D(2014, 8, 31), "term_start", "term_end", "single", 3),
        ("P2", "S1", D(2012, 9, 4), D(2014, 3, 31), "recorded_entry", "term_end", "single", 2),
        ("P2", "S2", D(2014, 4, 1), D(2014, 8, 31), "term_start", "term_end", "single", 1),
        ("P3", "S1", D(2014, 1, 1), D(2014, 5, 2), "term_start", "recorded_leaving", "single", 1),
        ("P4", "S1", D(2014, 1, 1), D(2014, 3, 31), "term_start", "term_end", "dual_main", 1),
        ("P4", "S3", D(2014, 1, 1), D(2014, 3, 31), "term_start", "term_end", "dual_subsidiary", 1),
        ("P5", "S1", D(2013, 9, 1), D(2013, 12, 31), "term_start", "term_end", "single", 1),
        ("P5", "S2", D(2014, 1, 1), D(2014, 3, 31), "term_start", "term_end", "single", 1),
        ("P5", "S1", D(2014, 4, 1), D(2014, 8, 31), "term_start", "term_end", "single", 1),
    ]
    db.dispose()


def test_school_spells_are_censored_at_the_reference_date(tmp_path):
    settings = settings_for(tmp_path, reference_date="2014-06-30")
    write_sources(settings, _school_rows())
    build_selection(settings, ["school_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    rows = db.rows(
        'SELECT end_date, end_rule, is_censored FROM "leo_assets"."school_spells" '
        "WHERE start_date = DATE '2013-09-01' AND n_censuses = 3"
    )
    assert rows == [(D(2014, 6, 30), "reference_date", 1)]
    db.dispose()


def _ks4_rows():
    rows = rows_by_view(
        census_row(
            "P1",
            2014,
            "spring",
            "S1",
            gender="G",
            ethnicgroupminor="APKN",
            fsmeligible=True,
            senprovision="K",
            languagegroupminor="OTH",
            idacirank=100,
            idaciscore=0.5,
        ),
        census_row("P1", 2014, "spring", "S9", recordstatus=120, gender="M"),
        census_row(
            "P2",
            2014,
            "spring",
            "S1",
            gender="B",
            ethnicgroupminor="WBRI",
            fsmeligible=False,
            senprovision="N",
            languagegroupminor="ENG",
        ),
        census_row("P2", 2012, "spring", "S1", fsmeligible=True),
    )
    ks4 = {
        "ks4_acadyr": "2013/2014",
        "ks4_laestab_anon": "S1",
        "ks4_endks": 1,
        "ks4_natres": 1,
        "ks4_gender": "F",
    }
    rows["ks4_2014"] = [
        dict(ks4, ks4_pupilmatchingrefanonymous="P1", ks4_level2_em_ptq=0),
        dict(
            ks4, ks4_pupilmatchingrefanonymous="P1", ks4_level2_em_ptq=1
        ),  # the "attained" duplicate wins
        dict(ks4, ks4_pupilmatchingrefanonymous="P2", ks4_level2_em_ptq=0, ks4_gender="M"),
        dict(ks4, ks4_pupilmatchingrefanonymous="P7", ks4_endks=0),  # not at the end of KS4
    ]
    rows["ks4_2011"] = [
        dict(ks4, ks4_pupilmatchingrefanonymous="P6", ks4_acadyr="2010/2011")
    ]  # not a configured cohort
    rows["learner_ae_id_to_pmr_lookup"] = [{"ae_id": 10, "pupilmatchingrefanonymous": "P1"}]
    rows["learner_ae_id_to_edukey_lookup"] = [{"ae_id": 10, "edukey": "E1"}]
    rows["leo_geography"] = [
        {"edukey": "E1", "taxyear": 201516, "gor": "E12000001"},
        {"edukey": "E1", "taxyear": 201415, "gor": "E12000007"},
    ]
    return rows


def test_ks4_cohort(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    write_sources(settings, _ks4_rows())
    result = build_selection(settings, ["ks4_cohort"])
    # P1's two 2014 records share the declared key; staging keeps both for int_ks4__pupils
    (dups,) = [
        ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name == "source_duplicates" and ev.asset_key.path[-1] == "stg_npd__ks4"
    ]
    assert dups.passed and dups.metadata["rows_key_duplicate_left_for_int_ks4__pupils"].value == 1
    db = WorkspaceDatabase.from_settings(settings)
    rows = db.rows(
        "SELECT pmr, ks4_year, is_linked, n_ks4_records, sex, ethnicity_minor, ethnicity_major, is_fsm, is_ever_fsm_6, "
        "sen_status, is_eal, idaci_decile, region_name, has_good_pass_em "
        'FROM "leo_assets"."ks4_cohort" ORDER BY pmr'
    )
    assert rows == [
        ("P1", 2014, 1, 2, "F", "APKN", "Asian", 1, 1, "support", 1, 1, "London", 1),
        (
            "P2",
            2014,
            0,
            1,
            "M",
            "WBRI",
            "White",
            0,
            1,
            "none",
            0,
            None,
            None,
            0,
        ),  # FSM two years earlier: ever-FSM
    ]
    db.dispose()


def test_school_spells_with_pru_ap_and_exclusions(tmp_path, backend_url):
    """PRU and AP census records give typed spells; a permanent exclusion ends the spell at its
    school on its day, a fixed-period one changes nothing (issue #16)."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    rows = rows_by_view(
        # P6: S1 from autumn 2012, permanently excluded on 10 Feb 2013 (no leaving date), then a PRU
        census_row("P6", 2013, "autumn", "S1"),
        census_row("P6", 2013, "spring", "S1"),
        (
            "exclusions_table_1_2013",
            {
                "pupilmatchingrefanonymous_ex13": "P6",
                "laestab_anon_ex13": "S1",
                "category_ex13": "PERM",
                "startdate_ex13": D(2013, 2, 10),
                "sessions_ex13": 0,
                "perm_duplicate_ex13": False,
            },
        ),
        (
            "pru_census_2010_to_2013",
            {
                "pru_pupilmatchingrefanonymous": "P6",
                "pru_academicyear": "2012/2013",
                "pru_laestab_anon": "R1",
                "pru_enrolstatus": "C",
                "pru_onroll": True,
            },
        ),
        # P7: S1 in spring 2013 with a fixed-period exclusion, and an AP placement funded by LA9
        census_row("P7", 2013, "spring", "S1"),
        (
            "exclusions_table_1_2013",
            {
                "pupilmatchingrefanonymous_ex13": "P7",
                "laestab_anon_ex13": "S1",
                "category_ex13": "FIXD",
                "startdate_ex13": D(2013, 1, 20),
                "sessions_ex13": 4,
                "perm_duplicate_ex13": False,
            },
        ),
        (
            "ap_census_2008_to_2021",
            {
                "ap_pupilmatchingrefanonymous": "P7",
                "ap_acadyr": "2012/2013",
                "ap_lanumber_anon": "LA9",
            },
        ),
        # P8: in the School Census at R1 (a PRU: it is in the PRU census) after 2013
        census_row("P8", 2014, "spring", "R1"),
    )
    write_sources(settings, rows)
    build_selection(settings, ["school_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    spells = db.rows(
        "SELECT p.primary_pmr, s.school_id, s.start_date, s.end_date, s.end_rule, s.provision_type "
        'FROM "leo_assets"."school_spells" AS s JOIN "leo_assets"."person_lookup" AS p ON p.person_id = s.person_id '
        "ORDER BY p.primary_pmr, s.start_date, s.school_id"
    )
    assert spells == [
        ("P6", "S1", D(2012, 9, 1), D(2013, 2, 10), "permanent_exclusion", "mainstream"),
        ("P6", "R1", D(2013, 1, 1), D(2013, 3, 31), "term_end", "pru"),
        ("P7", "AP-LA9", D(2013, 1, 1), D(2013, 3, 31), "term_end", "ap"),
        ("P7", "S1", D(2013, 1, 1), D(2013, 3, 31), "term_end", "mainstream"),
        ("P8", "R1", D(2014, 1, 1), D(2014, 3, 31), "term_end", "pru"),
    ]
    db.dispose()
