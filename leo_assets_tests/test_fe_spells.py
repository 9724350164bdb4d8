"""FE spells from hand-built ILR aims, on DuckDB and PostgreSQL.

The people (ae_id -> person_id): ae_id 10 -> 1, 20 -> 2, 30 -> 3; recordid 9999 is linked to no
ae_id, so its aims belong to no person.
"""

import datetime as dt

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date
SENTINEL = D(1900, 1, 1)
_external_ids = iter(range(1, 1000))


def _aim(recordid, year, provider, aim_ref, start, *, end=None, expected=None, achieved=None, status=1,
         outcome=None, prog=-1, framework=-1, standard=-1, level=-1):
    """One row of the ILR aims view; year is the academic-year end (2015 = '2014/2015')."""
    return {"external_id": next(_external_ids), "academicyear": f"{year - 1}/{year}", "dataset_identifier": "ILR",
            "recordid": recordid, "upin_anon": 0, "ukprn_anon": provider, "framework_id": framework,
            "standard_id": standard, "programme_type": prog, "learning_aim_id": aim_ref, "fundmodel": 25,
            "outcome": outcome if outcome is not None else -1, "compstatus": status, "start_date": start,
            "end_date": end, "end_date_expected": expected, "achievement_date": achieved, "traineeship": -1,
            "notional_level": -1, "notional_level_v2": level, "ssatier2": "-1"}


def _rows():
    aims = [
        # person 1: an aim in two academic years; the later record has the actual end, earlier than
        # the first year's expected end (D78: the latest record wins)
        _aim(1001, 2015, 111, "60000001", D(2014, 9, 1), expected=D(2016, 6, 30), level=15),
        _aim(1002, 2016, 111, "60000001", D(2014, 9, 1), end=D(2016, 5, 20), expected=D(2016, 6, 30),
             achieved=D(2016, 6, 10), status=2, outcome=1, level=15),
        # withdrawn without an actual end: 31 August of the last year it appears in
        _aim(1003, 2017, 111, "60000002", D(2016, 9, 5), expected=D(2017, 6, 30), status=3, outcome=3, level=2),
        # 1900-01-01 sentinel end and achievement date: no actual end, so the expected end
        _aim(1003, 2017, 111, "60000003", D(2016, 9, 5), end=SENTINEL, expected=D(2017, 6, 30),
             achieved=SENTINEL, status=2, outcome=3, level=9),
        # continuing, expected end after the reference date: clipped and censored
        _aim(1004, 2021, 222, "60000004", D(2020, 9, 1), expected=D(2022, 6, 30), outcome=9, level=3),
        # continuing, no expected end: open, censored at the reference date
        _aim(1004, 2021, 222, "60000005", D(2021, 1, 10), outcome=9, level=2),
        # starts after the reference date: left out
        _aim(1005, 2022, 222, "60000006", D(2021, 9, 1), expected=D(2022, 6, 30), level=2),
        # person 2: an advanced framework apprenticeship over two years: programme aim + two components
        _aim(2001, 2018, 333, "ZPROG001", D(2017, 9, 1), expected=D(2019, 3, 31), prog=2, framework=420),
        _aim(2001, 2018, 333, "50000001", D(2017, 9, 1), expected=D(2019, 3, 31), prog=2, framework=420, level=3),
        _aim(2001, 2018, 333, "50000002", D(2017, 9, 1), end=D(2018, 3, 15), expected=D(2018, 3, 31),
             achieved=D(2018, 3, 15), status=2, outcome=1, prog=2, framework=420, level=1),
        _aim(2002, 2019, 333, "ZPROG001", D(2017, 9, 1), end=D(2019, 3, 29), expected=D(2019, 3, 31),
             achieved=D(2019, 4, 20), status=2, outcome=1, prog=2, framework=420),
        _aim(2002, 2019, 333, "50000001", D(2017, 9, 1), end=D(2019, 3, 29), expected=D(2019, 3, 31),
             achieved=D(2019, 4, 20), status=2, outcome=1, prog=2, framework=420, level=3),
        # person 2: a standard: the programme aim has no level and takes its component's (4)
        _aim(2003, 2020, 333, "ZPROG001", D(2019, 9, 2), expected=D(2021, 3, 31), prog=25, standard=77),
        _aim(2003, 2020, 333, "60000009", D(2019, 9, 2), expected=D(2021, 3, 31), prog=25, standard=77, level=4),
        # person 3: a traineeship and an intermediate apprenticeship
        _aim(3001, 2016, 444, "ZPROG001", D(2015, 10, 1), end=D(2016, 2, 28), expected=D(2016, 3, 31),
             status=2, outcome=1, prog=24),
        _aim(3001, 2016, 444, "Z0001947", D(2015, 10, 1), end=D(2016, 2, 28), expected=D(2016, 3, 31),
             status=2, outcome=1, prog=24, level=1),
        _aim(3002, 2017, 444, "ZPROG001", D(2016, 9, 12), end=D(2017, 3, 31), status=3, outcome=3, prog=3,
             framework=500),
        # an aim of an ILR learner record linked to no ae_id: not a person, left out
        _aim(9999, 2016, 111, "60000001", D(2015, 9, 1), end=D(2016, 6, 30), status=2, outcome=1, level=2),
    ]
    lookup = [{"ae_id": ae_id, "recordid": recordid, "source": "ILR"} for ae_id, recordid in
              [(10, 1001), (10, 1002), (10, 1003), (10, 1004), (10, 1005), (20, 2001), (20, 2002), (20, 2003),
               (30, 3001), (30, 3002)]]
    return {"aims": aims, "education_records_lookup": lookup}


COLUMNS = ("person_id, provider_id, learning_aim_ref, start_date, end_date, is_censored, end_rule, spell_type, spell_level, "
           "aim_level, apprenticeship_level, is_programme_aim, completion_status, is_completed, is_withdrawn, "
           "is_achieved, achievement_date, first_academic_year, last_academic_year, n_records")

EXPECTED = [
    (1, 111, "60000001", D(2014, 9, 1), D(2016, 5, 20), 0, "actual", "classroom_fe", 1, 1, None, 0, 2, 1, 0, 1,
     D(2016, 6, 10), 2015, 2016, 2),
    (1, 111, "60000002", D(2016, 9, 5), D(2017, 8, 31), 0, "withdrawn_last_year", "classroom_fe", 2, 2, None, 0, 3, 0,
     1, 0, None, 2017, 2017, 1),
    (1, 111, "60000003", D(2016, 9, 5), D(2017, 6, 30), 0, "expected", "classroom_fe", None, None, None, 0, 2, 1, 0,
     0, None, 2017, 2017, 1),
    (1, 222, "60000004", D(2020, 9, 1), D(2021, 7, 31), 1, "expected", "classroom_fe", 3, 3, None, 0, 1, 0, 0, 0,
     None, 2021, 2021, 1),
    (1, 222, "60000005", D(2021, 1, 10), D(2021, 7, 31), 1, "open", "classroom_fe", 2, 2, None, 0, 1, 0, 0, 0, None,
     2021, 2021, 1),
    (2, 333, "50000001", D(2017, 9, 1), D(2019, 3, 29), 0, "actual", "apprenticeship_advanced", 3, 3, 3, 0, 2, 1, 0, 1,
     D(2019, 4, 20), 2018, 2019, 2),
    (2, 333, "50000002", D(2017, 9, 1), D(2018, 3, 15), 0, "actual", "apprenticeship_advanced", 3, 1, 3, 0, 2, 1, 0, 1,
     D(2018, 3, 15), 2018, 2018, 1),
    (2, 333, "60000009", D(2019, 9, 2), D(2021, 3, 31), 0, "expected", "apprenticeship_higher", 4, 4, 4, 0, 1, 0, 0, 0,
     None, 2020, 2020, 1),
    (2, 333, "ZPROG001", D(2017, 9, 1), D(2019, 3, 29), 0, "actual", "apprenticeship_advanced", 3, None, 3, 1, 2, 1,
     0, 1, D(2019, 4, 20), 2018, 2019, 2),
    (2, 333, "ZPROG001", D(2019, 9, 2), D(2021, 3, 31), 0, "expected", "apprenticeship_higher", 4, None, 4, 1, 1, 0,
     0, 0, None, 2020, 2020, 1),
    (3, 444, "Z0001947", D(2015, 10, 1), D(2016, 2, 28), 0, "actual", "traineeship", 1, 1, None, 0, 2, 1, 0, 1, None,
     2016, 2016, 1),
    (3, 444, "ZPROG001", D(2015, 10, 1), D(2016, 2, 28), 0, "actual", "traineeship", None, None, None, 1, 2, 1, 0, 1,
     None, 2016, 2016, 1),
    (3, 444, "ZPROG001", D(2016, 9, 12), D(2017, 3, 31), 0, "actual", "apprenticeship_intermediate", 2, None, 2, 1, 3,
     0, 1, 0, None, 2017, 2017, 1),
]


def test_fe_spells(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=D(2021, 7, 31))
    write_sources(settings, _rows())
    result = build_selection(settings, ["fe_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    got = db.rows(f'SELECT {COLUMNS} FROM "leo_assets"."fe_spells" '
                  'ORDER BY person_id, provider_id, learning_aim_ref, start_date')
    assert got == EXPECTED
    # the unlinked learner record's aim is in the record table, without a person, and counted
    assert db.rows('SELECT recordid, person_id FROM "leo_assets"."int_fe__aim_records" WHERE person_id IS NULL') == [
        (9999, None)]
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    unlinked = checks[("int_fe__aim_records", "unlinked_ilr_records")]
    assert unlinked.metadata["failing_rows"].value == 1  # 1 of 18 records: under the 10% warning threshold
    assert checks[("fe_spells", "grain_unique")].passed is True
    assert checks[("fe_spells", "start_date_le_end_date")].passed is True
    db.dispose()
