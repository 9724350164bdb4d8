"""HE spells from hand-built HESA records, on DuckDB and PostgreSQL.

PMR H1 is linked to ae_id 100 (person 1); H2 is in no lookup (a person of its own: person 2).
The last HESA year in the data is 2020 (2019/20); the reference date is 31 July 2021.
"""

import datetime as dt

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date


def _hesa(
    year,
    pmr,
    provider,
    start,
    end=None,
    *,
    mode=1,
    level="4",
    year_of_student=1,
    obtained=None,
    qualifier=0,
    jacs=None,
    hecos=None,
):
    """(view, row) of a HESA record: the provider and end date columns change name in 2008."""
    row = {
        "he_pupilmatchingrefanonymous": pmr,
        "he_comdate": start,
        "he_yearprg": str(year_of_student),
        "he_yearstu": year_of_student,
        "he_xmode01": mode,
        "he_xlev601": level,
        "he_xqobtn01": obtained,
        "he_xpqual01": qualifier,
    }
    if year <= 2007:
        row.update(he_instid_anon=provider, he_dateleft=end)
    else:
        row.update(he_xinstid01_anon=provider, he_enddate=end)
    if 2008 <= year <= 2019:
        row["he_xjacs01_1"] = jacs
    if year == 2020:
        row["he_xhecos_1"] = hecos
    return f"hesa_{year}", row


def _rows():
    records = [
        # A: DATELEFT (2007) then ENDDATE (2008 on); ends in 2009 part-time with a first degree
        _hesa(2007, "H1", "INST1", D(2006, 9, 25)),
        _hesa(2008, "H1", "INST1", D(2006, 9, 25), year_of_student=2, jacs="G100"),
        _hesa(
            2009,
            "H1",
            "INST1",
            D(2006, 9, 25),
            D(2009, 6, 30),
            mode=3,
            year_of_student=3,
            obtained="H00",
            qualifier=1,
            jacs="G100",
        ),
        # B: ends by DATELEFT in 2005/06; a qualification code outside the qualifiers population is ignored
        _hesa(2005, "H1", "INST2", D(2004, 10, 1), mode=3, level="5"),
        _hesa(
            2006, "H1", "INST2", D(2004, 10, 1), D(2006, 6, 15), mode=3, level="5", obtained="J10"
        ),
        # C: continuing (no end) in the last HESA year: censored at the reference date; JACS then HECOS
        _hesa(2019, "H1", "INST3", D(2018, 9, 20), level="2", jacs="G400"),
        _hesa(
            2020,
            "H1",
            "INST3",
            D(2018, 9, 20),
            mode=2,
            level="2",
            year_of_student=2,
            hecos="100366",
        ),
        # D: no end date, and no record after 2010/11: ends 31 August 2011
        _hesa(2011, "H1", "INST4", D(2010, 9, 20)),
        # E: an end after the reference date: clipped and censored
        _hesa(2020, "H2", "INST5", D(2019, 9, 20), D(2022, 6, 30), mode=3, level="6"),
        # F: ENDDATE 9999-12-31 (open) and a blank provider, not seen after 2015/16
        _hesa(2016, "H2", "", D(2015, 9, 21), D(9999, 12, 31)),
        # left out: no commencement date; an end before the commencement; a blank PMR
        _hesa(2017, "H2", "INST5", None),
        _hesa(2018, "H2", "INST6", D(2017, 10, 1), D(2017, 9, 1)),
        _hesa(2015, "", "INST1", D(2014, 9, 22)),
    ]
    rows: dict[str, list] = {}
    for view, row in records:
        rows.setdefault(view, []).append(row)
    rows["learner_ae_id_to_pmr_lookup"] = [{"ae_id": 100, "pupilmatchingrefanonymous": "H1"}]
    return rows


COLUMNS = (
    "person_id, provider_id, start_date, end_date, is_censored, end_rule, mode_code, is_full_time, "
    "level_of_study_code, level_of_study, year_of_student, subject_jacs, subject_hecos, "
    "qualification_obtained_code, qualification_academic_year, has_qualification, first_academic_year, "
    "last_academic_year, n_records"
)

EXPECTED = [
    (
        1,
        "INST1",
        D(2006, 9, 25),
        D(2009, 6, 30),
        0,
        "actual",
        3,
        0,
        "4",
        "first_degree",
        3,
        "G100",
        None,
        "H00",
        2009,
        1,
        2007,
        2009,
        3,
    ),
    (
        1,
        "INST2",
        D(2004, 10, 1),
        D(2006, 6, 15),
        0,
        "actual",
        3,
        0,
        "5",
        "other_undergraduate",
        1,
        None,
        None,
        None,
        None,
        0,
        2005,
        2006,
        2,
    ),
    (
        1,
        "INST3",
        D(2018, 9, 20),
        D(2021, 7, 31),
        1,
        "open",
        2,
        1,
        "2",
        "higher_degree_taught",
        2,
        "G400",
        "100366",
        None,
        None,
        0,
        2019,
        2020,
        2,
    ),
    (
        1,
        "INST4",
        D(2010, 9, 20),
        D(2011, 8, 31),
        0,
        "last_year_seen",
        1,
        1,
        "4",
        "first_degree",
        1,
        None,
        None,
        None,
        None,
        0,
        2011,
        2011,
        1,
    ),
    (
        2,
        "INST5",
        D(2019, 9, 20),
        D(2021, 7, 31),
        1,
        "actual",
        3,
        0,
        "6",
        "further_education",
        1,
        None,
        None,
        None,
        None,
        0,
        2020,
        2020,
        1,
    ),
    (
        2,
        "unknown",
        D(2015, 9, 21),
        D(2016, 8, 31),
        0,
        "last_year_seen",
        1,
        1,
        "4",
        "first_degree",
        1,
        None,
        None,
        None,
        None,
        0,
        2016,
        2016,
        1,
    ),
]


def test_he_spells(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=D(2021, 7, 31))
    write_sources(settings, _rows())
    result = build_selection(settings, ["he_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    got = db.rows(
        f'SELECT {COLUMNS} FROM "leo_assets"."he_spells" ORDER BY person_id, provider_id, start_date'
    )
    assert got == EXPECTED
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    left_out = checks[("he_spells", "records_left_out")]
    assert (
        left_out.passed is False and left_out.metadata["failing_rows"].value == 2
    )  # warns, does not block
    assert checks[("stg_hesa__instances", "unlinked_students")].metadata["failing_rows"].value == 1
    assert checks[("he_spells", "grain_unique")].passed is True
    db.dispose()
