"""metrics_annual's benefit continuity and PAYE earnings per day (issue 17, rules 8 and 9), on
hand-built people, on DuckDB and PostgreSQL. The KS4 cohort is 2014: tax year 2015 is 6 April
2014 to 5 April 2015, tax year 2016 the next.

PX: JSA from 1 Sep 2014 to 31 Mar 2015 (212 days: continuous), PAYE work from 1 Jan to
    5 Apr 2015 (95 days in tax year 2015) paid 1900: 20.00 a day.
PY: JSA from 1 Jan to 30 Jun 2015 (181 days, the shortest six months: continuous in both tax
    years it touches), earnings 500 in tax year 2016 with no PAYE spell: no per-day figure.
"""

import datetime as dt

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_tables, settings_for, write_sources

D = dt.date


def _sources():
    ks4 = {
        "ks4_acadyr": "2013/2014",
        "ks4_laestab_anon": "S1",
        "ks4_endks": 1,
        "ks4_natres": 1,
        "ks4_gender": "F",
        "ks4_yearofbirth": 1998,
        "ks4_monthofbirth": 3,
    }
    benefit = {"benefit_type": "JSA", "out_of_work_benefit": 1}
    return {
        "ks4_2014": [dict(ks4, ks4_pupilmatchingrefanonymous=p) for p in ("PX", "PY")],
        "learner_ae_id_to_pmr_lookup": [
            {"ae_id": 1, "pupilmatchingrefanonymous": "PX"},
            {"ae_id": 2, "pupilmatchingrefanonymous": "PY"},
        ],
        "learner_ae_id_to_edukey_lookup": [
            {"ae_id": 1, "edukey": "EX"},
            {"ae_id": 2, "edukey": "EY"},
        ],
        "leo_benefit": [
            dict(benefit, edukey="EX", startdate=D(2014, 9, 1), enddate=D(2015, 3, 31)),
            dict(benefit, edukey="EY", startdate=D(2015, 1, 1), enddate=D(2015, 6, 30)),
        ],
        "leo_employment": [
            {
                "edukey": "EX",
                "startdate": D(2015, 1, 1),
                "enddate": D(2015, 4, 5),
                "uncertainstartdate": False,
                "uncertainenddate": False,
            }
        ],
        "leo_earnings": [
            {"edukey": "EX", "taxyear": 201415, "earnings": 1900},
            {"edukey": "EY", "taxyear": 201516, "earnings": 500},
        ],
    }


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, ks4_cohorts=[2014], months_after_ks4=24)
    write_sources(settings, _sources())
    build_tables(settings, ["metrics_annual"])
    db = WorkspaceDatabase.from_settings(settings)
    yield db
    db.dispose()


def test_benefit_continuity_and_earnings_per_day(built):
    rows = built.rows(
        "SELECT c.pmr, a.year, a.days_out_of_work_benefit,"
        " a.longest_out_of_work_benefit_spell_days, a.is_continuously_on_out_of_work_benefit,"
        " a.days_employment,"
        " CAST(a.paye_gbp_per_day_employed AS DECIMAL(14, 2))"
        ' FROM "leo_assets"."metrics_annual" AS a'
        ' JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = a.person_id'
        " WHERE a.basis = 'tax' ORDER BY c.pmr, a.year"
    )
    per_day = [(pmr, year, None if v is None else float(v)) for pmr, year, *_, v in rows]
    assert [r[:6] for r in rows] == [
        ("PX", 2015, 212, 212, 1, 95),
        ("PX", 2016, 0, 0, 0, 0),
        ("PY", 2015, 95, 181, 1, 0),
        ("PY", 2016, 86, 181, 1, 0),
    ]
    assert per_day == [
        ("PX", 2015, 20.0),
        ("PX", 2016, None),
        ("PY", 2015, None),
        ("PY", 2016, None),
    ]


def test_academic_years_have_no_earnings_per_day(built):
    assert (
        built.scalar(
            'SELECT COUNT(*) FROM "leo_assets"."metrics_annual" '
            "WHERE basis = 'academic' AND paye_gbp_per_day_employed IS NOT NULL"
        )
        == 0
    )
