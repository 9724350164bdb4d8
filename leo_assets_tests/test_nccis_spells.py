"""NCCIS spells from hand-built monthly returns, on DuckDB and PostgreSQL.

PMRs N1 and N1B are linked to ae_id 500 (person 1); N2 and N3 are in no lookup (persons 2 and 3).
The last month of the data is September 2017; the reference date is 31 August 2017 (and 31 March
2019 in the second test).
"""

import datetime as dt

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date


def _ret(pmr, acadyr, month, code, start=None, status=None):
    return {
        "nccis_pupilmatchingrefanonymous": pmr,
        "nccis_acadyr": acadyr,
        "nccis_monthno": month,
        "nccis_current_activity_code": code,
        "nccis_current_activity_start_date": start,
        "nccis_cohort_status": status,
    }


def _rows():
    returns = [
        # person 1: education from September 2015 ('2015/2016' month 9 is September 2015) ...
        _ret("N1", "2015/2016", 9, 230, D(2015, 9, 7)),
        _ret("N1", "2015/2016", 10, 230, D(2015, 9, 7)),
        _ret("N1", "2015/2016", 11, 230, D(2015, 9, 7)),
        _ret("N1B", "2015/2016", 12, 230, D(2015, 9, 7)),  # December under the person's second PMR
        _ret("N1", "2015/2016", 1, 230, D(2015, 9, 7)),
        _ret(
            "N1B", "2015/2016", 1, 230, D(2015, 9, 7)
        ),  # January also under the second PMR: one month
        # ... employment recorded as starting 25 January: education ends the day before
        _ret("N1", "2015/2016", 2, 330, D(2016, 1, 25)),
        # March: employment and NEET returned: employment wins on priority
        _ret("N1", "2015/2016", 3, 330, D(2016, 1, 25)),
        _ret("N1", "2015/2016", 3, 619, D(2016, 3, 1)),
        # custody (young adult offender) from 12 April
        _ret("N1", "2015/2016", 4, 710, D(2016, 4, 12)),
        _ret("N1", "2015/2016", 5, 710, D(2016, 4, 12)),
        # an unmapped code: the month is left out (a gap), and counted
        _ret("N1", "2015/2016", 6, 999),
        # NEET in August 2016 ('2015/2016' month 8) and September 2016 ('2016/2017' month 9): one spell
        _ret("N1", "2015/2016", 8, 540),
        _ret("N1", "2016/2017", 9, 610),
        # October only as a duplicate record (M): excluded; the one-month gap is bridged
        _ret("N1", "2016/2017", 10, 410, D(2016, 10, 3), "M"),
        _ret("N1", "2016/2017", 11, 619, None, "P"),
        # person 2: an apprenticeship; the recorded start is more than five years before the month
        _ret("N2", "2016/2017", 6, 310, D(2011, 1, 1)),
        _ret("N2", "2016/2017", 7, 310, D(2011, 1, 1)),
        _ret("N2", "2016/2017", 8, 310, D(2011, 1, 1)),
        # still running in September 2017, the last month of the data: open, censored
        _ret("N2", "2017/2018", 9, 310, D(2011, 1, 1)),
        # person 3: March only as a duplicate record: no spell
        _ret("N3", "2016/2017", 3, 330, D(2017, 3, 1), "M"),
        # April: education with a recorded start after the month: the month start is used
        _ret("N3", "2016/2017", 4, 220, D(2017, 5, 10)),
        # May: employment recorded as starting 1 March, inside the previous spell's first month
        # or before it: not used
        _ret("N3", "2016/2017", 5, 330, D(2017, 3, 1)),
        # August: employment again after two months without a return, recorded as running since
        # 2 May: the same spell
        _ret("N3", "2016/2017", 8, 360, D(2017, 5, 2)),
        # a blank PMR: no person (counted in staging)
        _ret("", "2016/2017", 8, 360),
    ]
    return {
        "nccis_2011_to_2021": returns,
        "learner_ae_id_to_pmr_lookup": [
            {"ae_id": 500, "pupilmatchingrefanonymous": "N1"},
            {"ae_id": 500, "pupilmatchingrefanonymous": "N1B"},
        ],
    }


COLUMNS = (
    "person_id, start_date, end_date, is_censored, start_rule, end_rule, activity_category, is_neet, "
    "first_activity_code, last_activity_code, first_return_month_date, last_return_month_date, n_returns, "
    "n_months_without_return, n_conflict_months"
)

EXPECTED = [
    (
        1,
        D(2015, 9, 7),
        D(2016, 1, 24),
        0,
        "recorded_start",
        "next_spell_start",
        "education",
        0,
        230,
        230,
        D(2015, 9, 1),
        D(2016, 1, 1),
        5,
        0,
        0,
    ),
    (
        1,
        D(2016, 1, 25),
        D(2016, 3, 31),
        0,
        "recorded_start",
        "last_return_month",
        "employment",
        0,
        330,
        330,
        D(2016, 2, 1),
        D(2016, 3, 1),
        2,
        0,
        1,
    ),
    (
        1,
        D(2016, 4, 12),
        D(2016, 5, 31),
        0,
        "recorded_start",
        "last_return_month",
        "custody",
        0,
        710,
        710,
        D(2016, 4, 1),
        D(2016, 5, 1),
        2,
        0,
        0,
    ),
    (
        1,
        D(2016, 8, 1),
        D(2016, 11, 30),
        0,
        "month_start",
        "last_return_month",
        "neet_active",
        1,
        540,
        619,
        D(2016, 8, 1),
        D(2016, 11, 1),
        3,
        1,
        0,
    ),
    (
        2,
        D(2017, 6, 1),
        D(2017, 8, 31),
        1,
        "month_start",
        "open",
        "apprenticeship",
        0,
        310,
        310,
        D(2017, 6, 1),
        D(2017, 9, 1),
        4,
        0,
        0,
    ),
    (
        3,
        D(2017, 4, 1),
        D(2017, 4, 30),
        0,
        "month_start",
        "last_return_month",
        "education",
        0,
        220,
        220,
        D(2017, 4, 1),
        D(2017, 4, 1),
        1,
        0,
        0,
    ),
    (
        3,
        D(2017, 5, 1),
        D(2017, 8, 31),
        0,
        "month_start",
        "last_return_month",
        "employment",
        0,
        330,
        360,
        D(2017, 5, 1),
        D(2017, 8, 1),
        2,
        2,
        0,
    ),
]


def test_nccis_spells(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=D(2017, 8, 31))
    write_sources(settings, _rows())
    result = build_selection(settings, ["nccis_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    got = db.rows(
        f'SELECT {COLUMNS} FROM "leo_assets"."nccis_spells" ORDER BY person_id, start_date'
    )
    assert got == EXPECTED
    # months left out of the spells, with what made them unusable
    assert db.rows(
        "SELECT person_id, month_start_date, activity_code, n_returns, n_duplicate_returns, n_unmapped_returns "
        'FROM "leo_assets"."int_nccis__months" WHERE activity_category IS NULL ORDER BY person_id, month_start_date'
    ) == [
        (1, D(2016, 6, 1), 999, 1, 0, 1),
        (1, D(2016, 10, 1), None, 1, 1, 0),
        (3, D(2017, 3, 1), None, 1, 1, 0),
    ]
    # the month's counts: January under two PMRs, March with two categories, December under N1B only
    assert db.rows(
        'SELECT month_start_date, pmr, n_returns, n_categories, n_pmrs FROM "leo_assets"."int_nccis__months" '
        "WHERE person_id = 1 AND month_start_date IN ('2015-12-01', '2016-01-01', '2016-03-01', '2016-10-01') "
        "ORDER BY month_start_date"
    ) == [
        (D(2015, 12, 1), "N1B", 1, 1, 1),
        (D(2016, 1, 1), "N1", 2, 1, 2),
        (D(2016, 3, 1), "N1", 2, 2, 1),
        (D(2016, 10, 1), None, 1, 0, 1),
    ]
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    failing = {
        name: checks[("int_nccis__months", name)].metadata["failing_rows"].value
        for name in (
            "duplicate_returns",
            "unmapped_activity_codes",
            "conflicting_activities",
            "implausible_activity_start",
        )
    }
    assert failing == {
        "duplicate_returns": 2,
        "unmapped_activity_codes": 1,
        "conflicting_activities": 1,
        "implausible_activity_start": 5,
    }
    assert (
        checks[("int_nccis__months", "unmapped_activity_codes")].passed is False
    )  # warns, does not block
    assert checks[("nccis_spells", "grain_unique")].passed is True
    assert checks[("nccis_spells", "end_within_last_return_month")].passed is True
    db.dispose()


def test_open_spells_end_with_the_data(tmp_path, backend_url):
    """With the reference date after the NCCIS data, a spell running in the last month is censored
    at the end of that month, not extended to the reference date (nothing is imputed)."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=D(2019, 3, 31))
    rows = _rows()
    rows["nccis_2011_to_2021"] = [
        r for r in rows["nccis_2011_to_2021"] if r["nccis_pupilmatchingrefanonymous"] == "N2"
    ]
    write_sources(settings, rows)
    build_selection(settings, ["nccis_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    assert db.rows(
        f'SELECT {COLUMNS} FROM "leo_assets"."nccis_spells" ORDER BY person_id, start_date'
    ) == [
        (
            2,
            D(2017, 6, 1),
            D(2017, 9, 30),
            1,
            "month_start",
            "open",
            "apprenticeship",
            0,
            310,
            310,
            D(2017, 6, 1),
            D(2017, 9, 1),
            4,
            0,
            0,
        ),
    ]
    db.dispose()
