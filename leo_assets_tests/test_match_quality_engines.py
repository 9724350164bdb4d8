"""Every match-quality diagnostic on a hand-built extract, on DuckDB and on PostgreSQL.

One small world, one person per diagnostic (plus a clean pupil), built once per engine: each
flag lands on exactly the person built to trip it, the summary counts it, and the asset checks
report it on the asset it concerns without blocking the build.
"""

import datetime as dt
import itertools

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import (
    build_selection,
    census_row,
    rows_by_view,
    settings_for,
    write_sources,
)

D = dt.date
_external_ids = itertools.count(1)


def _census_years(pmr, school, years, nc_years=False, **extra):
    """Autumn, spring and summer records at one school, sole registration, for each census year
    (nc_years: with the NC year of a pupil in Year 11 in 2014)."""
    return [
        census_row(
            pmr,
            year,
            term,
            school,
            **extra,
            **({"ncyearactual": str(year - 2003)} if nc_years else {}),
        )
        for year in years
        for term in ("autumn", "spring", "summer")
    ]


def _ks4(pmr, sex="F", month=3):
    return {
        "ks4_pupilmatchingrefanonymous": pmr,
        "ks4_acadyr": "2013/2014",
        "ks4_laestab_anon": "S1",
        "ks4_endks": 1,
        "ks4_natres": 1,
        "ks4_gender": sex,
        "ks4_yearofbirth": 1998,
        "ks4_monthofbirth": month,
    }


def _aim(recordid, year, start):
    return {
        "external_id": next(_external_ids),
        "academicyear": f"{year - 1}/{year}",
        "dataset_identifier": "ILR",
        "recordid": recordid,
        "upin_anon": 0,
        "ukprn_anon": 111,
        "framework_id": -1,
        "standard_id": -1,
        "programme_type": -1,
        "learning_aim_id": "60000001",
        "fundmodel": 25,
        "outcome": -1,
        "compstatus": 1,
        "start_date": start,
        "end_date": start + dt.timedelta(days=200),
        "end_date_expected": None,
        "achievement_date": None,
        "traineeship": -1,
        "notional_level": -1,
        "notional_level_v2": 2,
        "ssatier2": "-1",
    }


def _world():
    years = range(2011, 2015)
    pairs = []
    # clean pupil (ae 1)
    pairs += _census_years("PCLEAN", "S1", years, yearofbirth=1998, monthofbirth=3)
    # over-match (ae 2): two PMRs of two pupils at two schools at once, different sex and birth
    # month
    pairs += _census_years("PA1", "S1", years, gender="F", yearofbirth=1998, monthofbirth=3)
    pairs += _census_years("PA2", "S2", years, gender="M", yearofbirth=1998, monthofbirth=7)
    # keying conflict (ae 3): one record two academic years of birth away, one born after its census
    # (CD-6)
    pairs += _census_years("PB", "S1", years, yearofbirth=1998, monthofbirth=3)
    pairs.append(census_row("PB", 2010, "spring", "S1", yearofbirth=2000, monthofbirth=3))
    pairs.append(census_row("PB", 2009, "spring", "S1", yearofbirth=2012, monthofbirth=3))
    # age conflicts (ae 4): earnings, employment and benefits before 14, FE before 14, HE before 16;
    # NC years consistent with the age (CD-5 examines, quiet); HE over Year 10 census days (HE-3),
    # JSA over one (BE-4)
    pairs += _census_years("PC", "S1", years, nc_years=True, yearofbirth=1998, monthofbirth=3)
    # twins over-matched (ae 11): two PMRs, same birth and sex, one school and term (CD-2, PL-1)
    pairs += [
        census_row(pmr, 2012, "spring", "S3", yearofbirth=1998, monthofbirth=5)
        for pmr in ("PF1", "PF2")
    ]
    # NC year 3 at academic age 13 (ae 12, CD-5); NC year 11 at 15 is consistent
    pairs.append(
        census_row("PG", 2012, "spring", "S4", yearofbirth=1998, monthofbirth=3, ncyearactual="3")
    )
    pairs.append(
        census_row("PG", 2014, "spring", "S4", yearofbirth=1998, monthofbirth=3, ncyearactual="11")
    )
    # PL-7: PI is not linked but in the census (not HE-only); PH is in HESA only (HE-only)
    pairs.append(census_row("PI", 2010, "spring", "S1", yearofbirth=1994, monthofbirth=3))
    rows = rows_by_view(*pairs)
    rows["ks4_2014"] = [
        _ks4("PCLEAN"),
        _ks4("PA1"),
        _ks4("PB"),
        _ks4("PC"),
        _ks4("PD"),
    ]  # PD: never linked
    rows["learner_ae_id_to_pmr_lookup"] = [
        {"ae_id": 1, "pupilmatchingrefanonymous": "PCLEAN"},
        {"ae_id": 2, "pupilmatchingrefanonymous": "PA1"},
        {"ae_id": 2, "pupilmatchingrefanonymous": "PA2"},
        {"ae_id": 3, "pupilmatchingrefanonymous": "PB"},
        {"ae_id": 4, "pupilmatchingrefanonymous": "PC"},
        {"ae_id": 6, "pupilmatchingrefanonymous": "PB"},  # PL-3: PB linked to ae 3 and ae 6
        {"ae_id": 11, "pupilmatchingrefanonymous": "PF1"},
        {"ae_id": 11, "pupilmatchingrefanonymous": "PF2"},
        {"ae_id": 12, "pupilmatchingrefanonymous": "PG"},
        {"ae_id": 13, "pupilmatchingrefanonymous": "PJ"},
    ]
    rows["learner_ae_id_to_edukey_lookup"] = [
        {"ae_id": 1, "edukey": "E1"},
        {"ae_id": 2, "edukey": "E2"},
        {"ae_id": 2, "edukey": "E2B"},
        {"ae_id": 4, "edukey": "E4"},
        {"ae_id": 5, "edukey": "E5"},  # ae 5: outcomes only (PL-11)
        {"ae_id": 5, "edukey": "E5B"},  # ... under two EduKeys in one tax year (PL-2, ER-4)
        {"ae_id": 12, "edukey": "E12"},
    ]
    rows["education_records_lookup"] = [
        {"ae_id": 4, "recordid": 4001, "source": "ILR"},
        {"ae_id": 4, "recordid": 4002, "source": "ILR"},
        {"ae_id": 4, "recordid": 4004, "source": "ILR"},
        {
            "ae_id": 9,
            "recordid": 4006,
            "source": "NPD",
        },  # PL-10: an ILR learner's recordid on another dataset's row
        {"ae_id": 7, "recordid": 7001, "source": "NPD"},
        {"ae_id": 8, "recordid": 7001, "source": "NPD"},  # PL-10: not unique
    ] + [
        {"ae_id": 13, "recordid": 13000 + k, "source": "ILR"} for k in range(1, 5)
    ]  # PJ's aims at four providers
    # PL-8: unlinked 0/1 in 2011, 1/2 in 2012 (4003: no lookup row; +50 pp: warn), 1/2 in 2013
    # (4006; no change), 1/1 in 2015 (4007; no 2014 records, so no previous year to compare with,
    # though 2013 is the year before it in the data)
    # IL-2: PC (born March 1998) is 12 in 2010/11, not 19; 13 in 2011/12 is right
    rows["learners"] = [
        {"external_id": 900001, "recordid": 4001, "academicyear": "2010/2011", "acage": 19},
        {"external_id": 900002, "recordid": 4002, "academicyear": "2011/2012", "acage": 13},
        {"external_id": 900003, "recordid": 4003, "academicyear": "2011/2012"},
        {"external_id": 900004, "recordid": 4004, "academicyear": "2012/2013"},
        {"external_id": 900006, "recordid": 4006, "academicyear": "2012/2013"},
        {"external_id": 900007, "recordid": 4007, "academicyear": "2014/2015"},
    ]
    rows["aims"] = [_aim(4001, 2011, D(2010, 9, 6))]  # PC is 12, and at school (IL-1, IL-6)
    # IL-4: PJ's aims at four providers on 10 September 2014
    rows["aims"] += [
        dict(_aim(13000 + k, 2015, D(2014, 9, 10)), ukprn_anon=111 * k) for k in range(1, 5)
    ]
    rows["leo_employment"] = [
        {
            "edukey": "E1",
            "startdate": D(2015, 4, 6),
            "enddate": D(2016, 4, 5),
            "uncertainstartdate": False,
            "uncertainenddate": False,
        },
        {
            "edukey": "E4",
            "startdate": D(2010, 6, 1),
            "enddate": D(2010, 8, 31),
            "uncertainstartdate": False,
            "uncertainenddate": False,
        },
        {
            "edukey": "E5",
            "startdate": D(2016, 6, 1),
            "enddate": D(2016, 8, 31),
            "uncertainstartdate": True,
            "uncertainenddate": False,
        },
        {
            "edukey": "E9",
            "startdate": D(2016, 6, 1),
            "enddate": D(2016, 8, 31),
            "uncertainstartdate": False,
            "uncertainenddate": False,
        },  # PL-6
    ]
    rows["leo_earnings"] = [
        {"edukey": "E1", "taxyear": 201516, "earnings": 9000},
        {"edukey": "E4", "taxyear": 201011, "earnings": 800},
        {"edukey": "E5", "taxyear": 201617, "earnings": 3000},
        {"edukey": "E5B", "taxyear": 201617, "earnings": 2000},
    ]
    rows["leo_benefit"] = [
        {
            "edukey": "E4",
            "benefit_type": "JSA",
            "startdate": D(2012, 1, 1),
            "enddate": D(2012, 2, 1),
            "out_of_work_benefit": 1,
        },
        # BE-3: the source calls carer's allowance out-of-work, ref_benefit_types does not
        {
            "edukey": "E1",
            "benefit_type": "ICA",
            "startdate": D(2018, 1, 1),
            "enddate": D(2018, 6, 1),
            "out_of_work_benefit": 1,
        },
        # BE-5: a code the classification lacks
        {
            "edukey": "E1",
            "benefit_type": "ZZZ",
            "startdate": D(2019, 1, 1),
            "enddate": D(2019, 6, 1),
            "out_of_work_benefit": 0,
        },
        # BE-2: PG (born March 1998) claiming before birth
        {
            "edukey": "E12",
            "benefit_type": "DLA",
            "startdate": D(1997, 6, 1),
            "enddate": D(1999, 6, 1),
            "out_of_work_benefit": 0,
        },
    ]
    rows["hesa_2013"] = [
        {
            "he_pupilmatchingrefanonymous": "PC",
            "he_comdate": D(2012, 9, 20),
            "he_yearprg": "1",
            "he_yearstu": 1,
            "he_xmode01": 1,
            "he_xlev601": "4",
            "he_xinstid01_anon": "INST1",
            "he_enddate": D(2013, 6, 30),
            "he_xpqual01": 0,
        }
    ]
    rows["hesa_2013"] += [
        dict(rows["hesa_2013"][0], he_pupilmatchingrefanonymous=pmr) for pmr in ("PH", "PI")
    ]
    # HE-2: PJ full-time at two providers at once; HE-4: a 2014 record ending before it commences
    rows["hesa_2013"] += [
        dict(
            rows["hesa_2013"][0],
            he_pupilmatchingrefanonymous="PJ",
            he_xinstid01_anon=inst,
            he_comdate=D(2012, 9, day),
        )
        for inst, day in (("INST1", 20), ("INST2", 24))
    ]
    rows["hesa_2014"] = [
        dict(
            rows["hesa_2013"][0],
            he_pupilmatchingrefanonymous="PJ",
            he_xinstid01_anon="INST3",
            he_comdate=D(2013, 9, 20),
            he_enddate=D(2013, 9, 1),
        )
    ]
    # NCCIS (PMR, academic year, month, code): PCLEAN at school on roll, then an unmapped code and
    # two categories in one month (NC-1); PG at school in 2013/14 autumn with no on-roll record that
    # term (NC-2)
    rows["nccis_2011_to_2021"] = [
        {
            "nccis_pupilmatchingrefanonymous": pmr,
            "nccis_acadyr": year,
            "nccis_monthno": month,
            "nccis_current_activity_code": code,
            "nccis_current_activity_start_date": None,
        }
        for pmr, year, month, code in (
            ("PCLEAN", "2013/2014", 10, 210),
            ("PCLEAN", "2013/2014", 12, 999),
            ("PCLEAN", "2013/2014", 11, 210),
            ("PCLEAN", "2013/2014", 11, 330),
            ("PG", "2013/2014", 11, 210),
        )
    ]
    return rows


EXPECTED_FLAGS = {
    "PA1": {"PL-1", "PL-2", "PL-4", "CD-1", "CD-4"},
    "PB": {"PL-3", "CD-3", "CD-6"},
    "PC": {"ER-1", "EM-1", "BE-1", "BE-4", "IL-1", "IL-2", "IL-6", "HE-1", "HE-3"},
    "PF1": {"PL-1", "CD-2"},
    "PG": {"CD-5", "BE-2"},
    "PJ": {"HE-2", "IL-4"},
}


@pytest.fixture(scope="module")
def world(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(
        root,
        backend,
        pg,
        ks4_cohorts=[2014],
        reference_date=D(2021, 7, 31),
        match_quality={"PL-8": {"min_n": 1}},
    )  # judge the change between years of one record
    write_sources(settings, _world())
    result = build_selection(settings, ["match_quality_summary"])
    db = WorkspaceDatabase.from_settings(settings)
    yield settings, db, result
    db.dispose()


def test_each_diagnostic_flags_the_person_built_to_trip_it(world):
    _settings, db, _result = world
    flags = db.rows(
        'SELECT f.flag, coalesce(l.primary_pmr, l.primary_edukey) FROM "leo_assets"."match_flags" '
        "AS f "
        'JOIN "leo_assets"."person_lookup" AS l ON l.person_id = f.person_id ORDER BY 1, 2'
    )
    by_person: dict[str, set[str]] = {}
    for flag, who in flags:
        by_person.setdefault(who, set()).add(flag)
    # PB's conflicting PMR resolves to ae 3; ae 6 holds no identifier of its own but the PMR
    assert by_person.pop("PA1") == EXPECTED_FLAGS["PA1"]
    assert by_person.pop("PB") == EXPECTED_FLAGS["PB"]
    assert by_person.pop("PC") == EXPECTED_FLAGS["PC"]
    for who in ("PF1", "PG", "PJ"):
        assert by_person.pop(who) == EXPECTED_FLAGS[who], who
    assert by_person.pop("E5") == {"PL-11", "PL-2", "ER-4"}
    assert by_person.pop("E9") == {"PL-6"}
    assert by_person.pop("PH") == {
        "PL-7"
    }  # HESA only; PI (unlinked, in the census) and PC (linked) are not
    assert by_person == {}, by_person  # the clean pupil and everyone else: no flag


def test_summary_counts_and_judges(world):
    _settings, db, _result = world
    rows = {
        (d, m): (n, den, status)
        for d, m, n, den, status in db.rows(
            "SELECT diagnostic_id, measure, numerator, denominator, status FROM "
            '"leo_assets"."match_quality_summary" '
            "WHERE ks4_year = 'all' AND subgroup = 'all'"
        )
    }
    assert rows[("PL-3", "flagged")][0] == 1 and rows[("PL-3", "flagged")][2] == "error"  # hard: 0
    assert rows[("PL-6", "flagged")][:2] == (1, 6) and rows[("PL-6", "flagged")][2] == "error"
    assert (
        rows[("PL-5", "leo_link")][:2] == (4, 5) and rows[("PL-5", "leo_link")][2] == "warn"
    )  # 80 % < 90 %
    assert rows[("PL-5", "paye")][:2] == (2, 5) and rows[("PL-5", "paye")][2] == "report"
    assert rows[("ER-1", "flagged")][:2] == (1, 2)
    per_cohort = db.rows(
        'SELECT numerator, denominator FROM "leo_assets"."match_quality_summary" '
        "WHERE diagnostic_id = 'PL-1' AND ks4_year = '2014' AND subgroup = 'all'"
    )
    assert per_cohort == [(1, 4)]


def test_checks_report_on_their_assets_without_blocking(world):
    _settings, _db, result = world
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_")
    }
    assert len(evals) == 38
    assert evals["mq_pl_3_identifier_conflicts"].asset_key.path == ["marts", "person_identifier"]
    assert evals["mq_cd_1_two_schools_at_once"].asset_key.path == ["marts", "school_spells"]
    assert evals["mq_pl_3_identifier_conflicts"].severity.value == "ERROR"
    assert not evals["mq_pl_3_identifier_conflicts"].passed
    assert all(ev.blocking is False for ev in evals.values())
    md = evals["mq_er_1_earnings_before_14"].metadata
    assert md["numerator"].value == 1 and md["denominator"].value == 2 and md["rate"].value == 0.5
    assert md["rate_2014"].value == 0.5 and md["threshold_warn"].value == 0.001


def test_hesa_only_ilr_link_and_recordid_diagnostics(world):
    """PL-7, PL-8 and PL-10 on the hand-built extract: exact counts, a tripping and a quiet case
    each."""
    _settings, db, result = world
    rows = {
        (d, m, y, g, v): (n, den, status)
        for d, m, y, g, v, n, den, status in db.rows(
            "SELECT diagnostic_id, measure, ks4_year, subgroup, subgroup_value, numerator, "
            "denominator, status "
            'FROM "leo_assets"."match_quality_summary" WHERE diagnostic_id IN (\'PL-7\', '
            "'PL-8', 'PL-10')"
        )
    }
    # PL-7: PH of PC, PH, PI, PJ is HE-only (25 % > 5 %); cohort 2014 holds only PC (linked): quiet
    assert rows[("PL-7", "flagged", "all", "all", "all")] == (1, 4, "warn")
    assert rows[("PL-7", "flagged", "all", "hesa_year", "2013")] == (1, 4, "report")
    assert rows[("PL-7", "flagged", "all", "hesa_year", "2014")] == (0, 1, "report")
    assert rows[("PL-7", "flagged", "2014", "all", "all")] == (0, 1, "ok")
    # PL-8: 3 of 6 learner records unlinked, reported; 2012 jumps 50 pp (warn), 2013 does not move
    # (report), 2015 follows no year (report: 2013's 50 % is not its previous year's rate)
    assert rows[("PL-8", "flagged", "all", "all", "all")] == (3, 6, "report")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2011")] == (0, 1, "report")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2012")] == (1, 2, "warn")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2013")] == (1, 2, "report")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2015")] == (1, 1, "report")
    # PL-10: 7001 of 9 lookup recordids is duplicated; 4006 of the 4 ILR learner recordids found is
    # an NPD row
    assert rows[("PL-10", "flagged", "all", "all", "all")] == (1, 9, "error")
    assert rows[("PL-10", "non_ilr_source", "all", "all", "all")] == (1, 4, "error")
    assert len(rows) == 11  # records, not persons: no cohort rows for PL-8 and PL-10
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_pl_")
    }
    assert evals["mq_pl_7_he_only_persons"].asset_key.path == ["marts", "he_spells"]
    assert evals["mq_pl_8_unlinked_ilr_records"].asset_key.path == ["marts", "fe_spells"]
    assert evals["mq_pl_10_recordid_conformity"].asset_key.path == ["marts", "person_identifier"]
    assert (
        not evals["mq_pl_7_he_only_persons"].passed
        and evals["mq_pl_7_he_only_persons"].severity.value == "WARN"
    )
    assert (
        not evals["mq_pl_8_unlinked_ilr_records"].passed
        and evals["mq_pl_8_unlinked_ilr_records"].severity.value == "WARN"
    )
    assert (
        not evals["mq_pl_10_recordid_conformity"].passed
        and evals["mq_pl_10_recordid_conformity"].severity.value == "ERROR"
    )
    md = evals["mq_pl_8_unlinked_ilr_records"].metadata
    assert (md["numerator"].value, md["denominator"].value, md["status"].value) == (3, 6, "report")
    flags = db.rows(
        'SELECT n_items, first_event_date FROM "leo_assets"."match_flags" WHERE flag = \'PL-7\''
    )
    assert [n for n, _d in flags] == [1]


def test_record_consistency_diagnostics_count_persons_and_events(world):
    """int_quality__person_checks: persons flagged (and their offending records) among those
    examined."""
    _settings, db, result = world
    rows = {
        (d, m): (n, den, status)
        for d, m, n, den, status in db.rows(
            "SELECT diagnostic_id, measure, numerator, denominator, status FROM "
            '"leo_assets"."match_quality_summary" '
            "WHERE ks4_year = 'all' AND subgroup = 'all' AND diagnostic_id IN "
            "('CD-2', 'CD-5', 'CD-6', 'IL-2', 'IL-4', 'IL-6', 'HE-2', 'HE-3', 'BE-2', 'BE-4', "
            "'ER-4')"
        )
    }
    # CD-2: PF of 9 persons with census records; events: PF's one census term of the 43
    # person-term-schools
    assert rows[("CD-2", "flagged")][0] == 1 and rows[("CD-2", "flagged")][2] == "warn"
    assert (
        rows[("CD-2", "flagged_events")][0] == 1 and rows[("CD-2", "flagged_events")][2] == "report"
    )
    # CD-5: PG (NC 3 at 13) of PC (consistent) and PG; 1 of their 14 records
    assert rows[("CD-5", "flagged")] == (1, 2, "warn") and rows[("CD-5", "flagged_events")] == (
        1,
        14,
        "report",
    )
    # CD-6 is judged on records: PB's record born after its census; persons reported
    assert rows[("CD-6", "flagged")][0] == 1 and rows[("CD-6", "flagged")][2] == "warn"
    assert (
        rows[("CD-6", "flagged_persons")][0] == 1
        and rows[("CD-6", "flagged_persons")][2] == "report"
    )
    # IL-2: PC's learner record of 2010/11 (AcAge 19, census says 12), not that of 2011/12 (13);
    # ERROR above 2 %
    assert rows[("IL-2", "flagged")] == (1, 1, "error") and rows[("IL-2", "flagged_events")] == (
        1,
        2,
        "report",
    )
    # HE-2: PJ's two overlapping instances; PC, PH and PI have one each (INST3 ends before it
    # starts: no spell)
    assert rows[("HE-2", "flagged")] == (1, 4, "warn") and rows[("HE-2", "flagged_events")] == (
        2,
        5,
        "report",
    )
    # HE-3: PC's instance covers three Year 10 census days; the others have no census records
    assert rows[("HE-3", "flagged")] == (1, 4, "warn")
    # BE-4: PC's JSA covers the spring 2012 census day at academic age 13; PCLEAN's carer's
    # allowance is examined too, as the source flags it out-of-work (benefit_classification)
    assert rows[("BE-4", "flagged")] == (1, 2, "warn") and rows[("BE-4", "flagged_events")] == (
        1,
        2,
        "report",
    )
    # BE-2 (hard): PG's DLA claim before birth, of PG's and PC's claims (PCLEAN's: ICA, ZZZ
    # unclassified)
    assert rows[("BE-2", "flagged")][0] == 1 and rows[("BE-2", "flagged")][2] == "error"
    # IL-4: PJ's four providers on one day (the only person with FE aims at several); IL-6: PC's aim
    # over school days
    assert rows[("IL-4", "flagged")] == (1, 2, "warn") and rows[("IL-4", "flagged_events")] == (
        4,
        5,
        "report",
    )
    assert rows[("IL-6", "flagged")] == (1, 1, "warn")
    # ER-4 is judged on person tax years: E5's 2016/17 of E1's, E4's and E5's; persons reported
    assert rows[("ER-4", "flagged")] == (1, 3, "warn") and rows[("ER-4", "flagged_persons")] == (
        1,
        3,
        "report",
    )
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_")
    }
    assets = {
        "mq_cd_2_two_pmrs_in_one_term": "school_spells",
        "mq_cd_5_nc_year_vs_age": "school_spells",
        "mq_cd_6_impossible_census_age": "school_spells",
        "mq_il_2_ilr_age_vs_census_age": "fe_spells",
        "mq_he_2_overlapping_full_time_he": "he_spells",
        "mq_he_3_full_time_he_at_school": "he_spells",
        "mq_be_4_out_of_work_benefit_at_school": "benefit_spells",
        "mq_be_2_benefit_before_birth": "benefit_spells",
        "mq_il_4_more_than_3_providers": "fe_spells",
        "mq_il_6_fe_while_at_school": "fe_spells",
        "mq_er_4_earnings_under_two_edukeys": "earnings",
    }
    for name, asset in assets.items():
        assert evals[name].asset_key.path == ["marts", asset] and not evals[name].passed, name
    assert evals["mq_il_2_ilr_age_vs_census_age"].severity.value == "ERROR"
    assert evals["mq_he_3_full_time_he_at_school"].severity.value == "WARN"  # no error threshold
    evidence = dict(
        db.rows(
            'SELECT flag, evidence FROM "leo_assets"."match_flags" AS f JOIN '
            '"leo_assets"."person_lookup" AS l '
            "ON l.person_id = f.person_id WHERE l.primary_pmr = 'PC' AND flag IN ('IL-2', 'HE-3', "
            "'BE-4')"
        )
    )
    assert evidence["IL-2"].endswith("1 of 2; largest difference (years): 7"), evidence
    assert evidence["HE-3"].endswith(": 1 of 1") and evidence["BE-4"].endswith(": 1 of 1"), evidence
    first = db.rows(
        'SELECT f.first_event_date FROM "leo_assets"."match_flags" AS f JOIN '
        '"leo_assets"."person_lookup" AS l '
        "ON l.person_id = f.person_id WHERE l.primary_pmr = 'PC' AND f.flag = 'BE-4'"
    )
    assert first == [(D(2012, 1, 19),)]  # the spring 2012 census day: third Thursday of January


def test_record_level_diagnostics(world):
    """BE-3, BE-5, SP-1, SP-2, HE-4, EM-3, NC-1, NC-2: records, spells, codes or person-months."""
    _settings, db, result = world
    rows = {
        (d, m, y, g, v): (n, den, status)
        for d, m, y, g, v, n, den, status in db.rows(
            "SELECT diagnostic_id, measure, ks4_year, subgroup, subgroup_value, numerator, "
            "denominator, status "
            'FROM "leo_assets"."match_quality_summary" '
            "WHERE diagnostic_id IN ('BE-3', 'BE-5', 'SP-1', 'SP-2', 'HE-4', 'EM-3', 'NC-1', "
            "'NC-2')"
        )
    }
    every = ("all", "all", "all")
    # BE-3 (report): ICA flagged out-of-work by the source, in-work by ref_benefit_types; ZZZ is
    # unclassified
    assert rows[("BE-3", "flagged") + every] == (1, 3, "report")
    assert rows[("BE-3", "flagged", "all", "benefit_type", "ICA")] == (1, 1, "report")
    assert rows[("BE-3", "flagged", "all", "benefit_type", "JSA")] == (0, 1, "report")
    assert rows[("BE-3", "flagged", "2014", "all", "all")] == (
        1,
        2,
        "report",
    )  # E1 (PCLEAN) and E4 (PC) are pupils
    # BE-5 (hard): ZZZ of JSA, ICA, ZZZ, DLA
    assert rows[("BE-5", "flagged") + every] == (1, 4, "error")
    # SP-1, SP-2 (hard): the merged spells and the metrics are clean
    assert (
        rows[("SP-1", "flagged") + every][0] == 0 and rows[("SP-1", "flagged") + every][2] == "ok"
    )
    assert {v for (d, m, y, g, v) in rows if d == "SP-1" and g == "table"} == {
        "activity_spells",
        "employment_spells",
        "benefit_spells",
        "nccis_spells",
    }
    assert (
        rows[("SP-2", "flagged") + every][0] == 0 and rows[("SP-2", "flagged") + every][2] == "ok"
    )
    # HE-4 (report): PJ's 2014 record ends before it commences; no record lacks an end
    assert rows[("HE-4", "flagged") + every] == (1, 6, "report")
    assert rows[("HE-4", "flagged", "all", "hesa_year", "2014")] == (1, 1, "report")
    assert rows[("HE-4", "open_end") + every] == (0, 6, "report")
    # EM-3 (report): E5's start is uncertain, of the spells of E1, E4, E5 and E9; by tax year of the
    # start
    assert rows[("EM-3", "flagged") + every] == (1, 4, "report")
    assert rows[("EM-3", "uncertain_start", "all", "tax_year", "2017")] == (1, 2, "report")
    assert rows[("EM-3", "uncertain_start", "all", "tax_year", "2011")] == (0, 1, "report")
    # NC-1: one unmapped return (999) of 5; one person-month (PCLEAN, November) of 4 with two
    # categories
    assert rows[("NC-1", "flagged") + every] == (1, 5, "warn")
    assert rows[("NC-1", "conflicting") + every] == (1, 4, "warn")
    # NC-2: PG at school in November 2013 with no autumn 2014 census record; PCLEAN on roll in Oct
    # and Nov
    assert rows[("NC-2", "flagged") + every] == (1, 3, "warn")
    evals = {
        ev.check_name: ev
        for ev in result.get_asset_check_evaluations()
        if ev.check_name.startswith("mq_")
    }
    assert evals["mq_be_3_source_flag_disagrees"].passed  # reported, never judged
    assert (
        evals["mq_be_3_source_flag_disagrees"].metadata["direction"].value
        == "rate reported, not judged (no warn threshold set)"
    )
    assert (
        not evals["mq_be_5_unknown_benefit_codes"].passed
        and evals["mq_be_5_unknown_benefit_codes"].severity.value == "ERROR"
    )
    assert evals["mq_sp_1_unmerged_spells"].passed and evals[
        "mq_sp_1_unmerged_spells"
    ].asset_key.path == ["marts", "activity_spells"]
    assert evals["mq_sp_2_days_above_period"].asset_key.path == ["marts", "metrics_monthly"]
    assert evals["mq_em_3_uncertain_dates"].passed and evals["mq_he_4_hesa_dates"].passed
    assert (
        not evals["mq_nc_1_unmapped_and_conflicting"].passed
        and not evals["mq_nc_2_at_school_not_on_roll"].passed
    )
    assert evals["mq_nc_2_at_school_not_on_roll"].asset_key.path == ["marts", "nccis_spells"]
