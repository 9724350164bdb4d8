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


def _census_years(pmr, school, years, **extra):
    """Autumn, spring and summer records at one school, sole registration, for each census year."""
    return [census_row(pmr, year, term, school, **extra) for year in years for term in ("autumn", "spring", "summer")]


def _ks4(pmr, sex="F", month=3):
    return {"ks4_pupilmatchingrefanonymous": pmr, "ks4_acadyr": "2013/2014", "ks4_laestab_anon": "S1", "ks4_endks": 1,
            "ks4_natres": 1, "ks4_gender": sex, "ks4_yearofbirth": 1998, "ks4_monthofbirth": month}


def _aim(recordid, year, start):
    return {"external_id": next(_external_ids), "academicyear": f"{year - 1}/{year}", "dataset_identifier": "ILR",
            "recordid": recordid, "upin_anon": 0, "ukprn_anon": 111, "framework_id": -1, "standard_id": -1,
            "programme_type": -1, "learning_aim_id": "60000001", "fundmodel": 25, "outcome": -1, "compstatus": 1,
            "start_date": start, "end_date": start + dt.timedelta(days=200), "end_date_expected": None,
            "achievement_date": None, "traineeship": -1, "notional_level": -1, "notional_level_v2": 2, "ssatier2": "-1"}


def _world():
    years = range(2011, 2015)
    pairs = []
    # clean pupil (ae 1)
    pairs += _census_years("PCLEAN", "S1", years, yearofbirth=1998, monthofbirth=3)
    # over-match (ae 2): two PMRs of two pupils at two schools at once, different sex and birth month
    pairs += _census_years("PA1", "S1", years, gender="F", yearofbirth=1998, monthofbirth=3)
    pairs += _census_years("PA2", "S2", years, gender="M", yearofbirth=1998, monthofbirth=7)
    # keying conflict (ae 3): one record two academic years of birth away
    pairs += _census_years("PB", "S1", years, yearofbirth=1998, monthofbirth=3)
    pairs.append(census_row("PB", 2010, "spring", "S1", yearofbirth=2000, monthofbirth=3))
    # age conflicts (ae 4): earnings, employment and benefits before 14, FE before 14, HE before 16
    pairs += _census_years("PC", "S1", years, yearofbirth=1998, monthofbirth=3)
    # PL-7: PI is not linked but in the census (not HE-only); PH is in HESA only (HE-only)
    pairs.append(census_row("PI", 2010, "spring", "S1", yearofbirth=1994, monthofbirth=3))
    rows = rows_by_view(*pairs)
    rows["ks4_2014"] = [_ks4("PCLEAN"), _ks4("PA1"), _ks4("PB"), _ks4("PC"), _ks4("PD")]  # PD: never linked
    rows["learner_ae_id_to_pmr_lookup"] = [
        {"ae_id": 1, "pupilmatchingrefanonymous": "PCLEAN"},
        {"ae_id": 2, "pupilmatchingrefanonymous": "PA1"},
        {"ae_id": 2, "pupilmatchingrefanonymous": "PA2"},
        {"ae_id": 3, "pupilmatchingrefanonymous": "PB"},
        {"ae_id": 4, "pupilmatchingrefanonymous": "PC"},
        {"ae_id": 6, "pupilmatchingrefanonymous": "PB"},  # PL-3: PB linked to ae 3 and ae 6
    ]
    rows["learner_ae_id_to_edukey_lookup"] = [
        {"ae_id": 1, "edukey": "E1"}, {"ae_id": 2, "edukey": "E2"}, {"ae_id": 2, "edukey": "E2B"},
        {"ae_id": 4, "edukey": "E4"}, {"ae_id": 5, "edukey": "E5"},  # ae 5: outcomes only (PL-11)
    ]
    rows["education_records_lookup"] = [
        {"ae_id": 4, "recordid": 4001, "source": "ILR"}, {"ae_id": 4, "recordid": 4002, "source": "ILR"},
        {"ae_id": 4, "recordid": 4004, "source": "ILR"},
        {"ae_id": 9, "recordid": 4006, "source": "NPD"},  # PL-10: an ILR learner's recordid on another dataset's row
        {"ae_id": 7, "recordid": 7001, "source": "NPD"}, {"ae_id": 8, "recordid": 7001, "source": "NPD"},  # PL-10: not unique
    ]
    # PL-8: unlinked 0/1 in 2011, 1/2 in 2012 (4003: no lookup row; +50 pp: warn), 1/2 in 2013 (4006; no change)
    rows["learners"] = [
        {"external_id": 900001, "recordid": 4001, "academicyear": "2010/2011"},
        {"external_id": 900002, "recordid": 4002, "academicyear": "2011/2012"},
        {"external_id": 900003, "recordid": 4003, "academicyear": "2011/2012"},
        {"external_id": 900004, "recordid": 4004, "academicyear": "2012/2013"},
        {"external_id": 900006, "recordid": 4006, "academicyear": "2012/2013"},
    ]
    rows["aims"] = [_aim(4001, 2011, D(2010, 9, 6))]  # PC is 12
    rows["leo_employment"] = [
        {"edukey": "E1", "startdate": D(2015, 4, 6), "enddate": D(2016, 4, 5), "uncertainstartdate": False, "uncertainenddate": False},
        {"edukey": "E4", "startdate": D(2010, 6, 1), "enddate": D(2010, 8, 31), "uncertainstartdate": False, "uncertainenddate": False},
        {"edukey": "E5", "startdate": D(2016, 6, 1), "enddate": D(2016, 8, 31), "uncertainstartdate": False, "uncertainenddate": False},
        {"edukey": "E9", "startdate": D(2016, 6, 1), "enddate": D(2016, 8, 31), "uncertainstartdate": False, "uncertainenddate": False},  # PL-6
    ]
    rows["leo_earnings"] = [{"edukey": "E1", "taxyear": 201516, "earnings": 9000}, {"edukey": "E4", "taxyear": 201011, "earnings": 800}]
    rows["leo_benefit"] = [{"edukey": "E4", "benefit_type": "JSA", "startdate": D(2012, 1, 1), "enddate": D(2012, 2, 1),
                            "out_of_work_benefit": 1}]
    rows["hesa_2013"] = [{"he_pupilmatchingrefanonymous": "PC", "he_comdate": D(2012, 9, 20), "he_yearprg": "1",
                          "he_yearstu": 1, "he_xmode01": 1, "he_xlev601": "4", "he_xinstid01_anon": "INST1",
                          "he_enddate": D(2013, 6, 30), "he_xpqual01": 0}]
    rows["hesa_2013"] += [dict(rows["hesa_2013"][0], he_pupilmatchingrefanonymous=pmr) for pmr in ("PH", "PI")]
    return rows


EXPECTED_FLAGS = {
    "PA1": {"PL-1", "PL-2", "PL-4", "CD-1", "CD-4"},
    "PB": {"PL-3", "CD-3"},
    "PC": {"ER-1", "EM-1", "BE-1", "IL-1", "HE-1"},
}


@pytest.fixture(scope="module")
def world(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, ks4_cohorts=[2014], reference_date=D(2021, 7, 31),
                            match_quality={"PL-8": {"min_n": 1}})  # judge the change between years of one record
    write_sources(settings, _world())
    result = build_selection(settings, ["match_quality_summary"])
    db = WorkspaceDatabase.from_settings(settings)
    yield settings, db, result
    db.dispose()


def test_each_diagnostic_flags_the_person_built_to_trip_it(world):
    _settings, db, _result = world
    flags = db.rows('SELECT f.flag, coalesce(l.primary_pmr, l.primary_edukey) FROM "leo_assets"."match_flags" AS f '
                    'JOIN "leo_assets"."person_lookup" AS l ON l.person_id = f.person_id ORDER BY 1, 2')
    by_person: dict[str, set[str]] = {}
    for flag, who in flags:
        by_person.setdefault(who, set()).add(flag)
    # PB's conflicting PMR resolves to ae 3; ae 6 holds no identifier of its own but the PMR
    assert by_person.pop("PA1") == EXPECTED_FLAGS["PA1"]
    assert by_person.pop("PB") == EXPECTED_FLAGS["PB"]
    assert by_person.pop("PC") == EXPECTED_FLAGS["PC"]
    assert by_person.pop("E5") == {"PL-11"}
    assert by_person.pop("E9") == {"PL-6"}
    assert by_person.pop("PH") == {"PL-7"}  # HESA only; PI (unlinked, in the census) and PC (linked) are not
    assert by_person == {}, by_person  # the clean pupil and everyone else: no flag


def test_summary_counts_and_judges(world):
    _settings, db, _result = world
    rows = {(d, m): (n, den, status) for d, m, n, den, status in db.rows(
        'SELECT diagnostic_id, measure, numerator, denominator, status FROM "leo_assets"."match_quality_summary" '
        "WHERE ks4_year = 'all' AND subgroup = 'all'")}
    assert rows[("PL-3", "flagged")][0] == 1 and rows[("PL-3", "flagged")][2] == "error"  # hard: 0
    assert rows[("PL-6", "flagged")][:2] == (1, 4) and rows[("PL-6", "flagged")][2] == "error"
    assert rows[("PL-5", "leo_link")][:2] == (4, 5) and rows[("PL-5", "leo_link")][2] == "warn"  # 80 % < 90 %
    assert rows[("PL-5", "paye")][:2] == (2, 5) and rows[("PL-5", "paye")][2] == "report"
    assert rows[("ER-1", "flagged")][:2] == (1, 2)
    per_cohort = db.rows('SELECT numerator, denominator FROM "leo_assets"."match_quality_summary" '
                         "WHERE diagnostic_id = 'PL-1' AND ks4_year = '2014' AND subgroup = 'all'")
    assert per_cohort == [(1, 4)]


def test_checks_report_on_their_assets_without_blocking(world):
    _settings, _db, result = world
    evals = {ev.check_name: ev for ev in result.get_asset_check_evaluations() if ev.check_name.startswith("mq_")}
    assert len(evals) == 19
    assert evals["mq_pl_3_identifier_conflicts"].asset_key.path == ["marts", "person_identifier"]
    assert evals["mq_cd_1_two_schools_at_once"].asset_key.path == ["marts", "school_spells"]
    assert evals["mq_pl_3_identifier_conflicts"].severity.value == "ERROR"
    assert not evals["mq_pl_3_identifier_conflicts"].passed
    assert all(ev.blocking is False for ev in evals.values())
    md = evals["mq_er_1_earnings_before_14"].metadata
    assert md["numerator"].value == 1 and md["denominator"].value == 2 and md["rate"].value == 0.5
    assert md["rate_2014"].value == 0.5 and md["threshold_warn"].value == 0.001


def test_hesa_only_ilr_link_and_recordid_diagnostics(world):
    """PL-7, PL-8 and PL-10 on the hand-built extract: exact counts, a tripping and a quiet case each."""
    _settings, db, result = world
    rows = {(d, m, y, g, v): (n, den, status) for d, m, y, g, v, n, den, status in db.rows(
        'SELECT diagnostic_id, measure, ks4_year, subgroup, subgroup_value, numerator, denominator, status '
        "FROM \"leo_assets\".\"match_quality_summary\" WHERE diagnostic_id IN ('PL-7', 'PL-8', 'PL-10')")}
    # PL-7: PH of PC, PH, PI is HE-only (33 % > 5 %); cohort 2014 holds only PC (linked): quiet
    assert rows[("PL-7", "flagged", "all", "all", "all")] == (1, 3, "warn")
    assert rows[("PL-7", "flagged", "2014", "all", "all")] == (0, 1, "ok")
    # PL-8: 2 of 5 learner records unlinked, reported; 2012 jumps 50 pp (warn), 2013 does not move (report)
    assert rows[("PL-8", "flagged", "all", "all", "all")] == (2, 5, "report")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2011")] == (0, 1, "report")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2012")] == (1, 2, "warn")
    assert rows[("PL-8", "flagged", "all", "academic_year", "2013")] == (1, 2, "report")
    # PL-10: 7001 of 5 lookup recordids is duplicated; 4006 of the 4 ILR learner recordids found is an NPD row
    assert rows[("PL-10", "flagged", "all", "all", "all")] == (1, 5, "error")
    assert rows[("PL-10", "non_ilr_source", "all", "all", "all")] == (1, 4, "error")
    assert len(rows) == 8  # records, not persons: no cohort rows for PL-8 and PL-10
    evals = {ev.check_name: ev for ev in result.get_asset_check_evaluations() if ev.check_name.startswith("mq_pl_")}
    assert evals["mq_pl_7_he_only_persons"].asset_key.path == ["marts", "he_spells"]
    assert evals["mq_pl_8_unlinked_ilr_records"].asset_key.path == ["marts", "fe_spells"]
    assert evals["mq_pl_10_recordid_conformity"].asset_key.path == ["marts", "person_identifier"]
    assert not evals["mq_pl_7_he_only_persons"].passed and evals["mq_pl_7_he_only_persons"].severity.value == "WARN"
    assert not evals["mq_pl_8_unlinked_ilr_records"].passed and evals["mq_pl_8_unlinked_ilr_records"].severity.value == "WARN"
    assert not evals["mq_pl_10_recordid_conformity"].passed and evals["mq_pl_10_recordid_conformity"].severity.value == "ERROR"
    md = evals["mq_pl_8_unlinked_ilr_records"].metadata
    assert (md["numerator"].value, md["denominator"].value, md["status"].value) == (2, 5, "report")
    flags = db.rows('SELECT n_items, first_event_date FROM "leo_assets"."match_flags" WHERE flag = \'PL-7\'')
    assert [n for n, _d in flags] == [1]
