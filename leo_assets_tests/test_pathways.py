"""Post-16 pathways (derivations 21) from hand-built ILR aims and LARS rows, on DuckDB and PostgreSQL.

The people (ae_id -> person_id): ae_id 10 -> 1, 20 -> 2, ..., 110 -> 11, one learner record per
person and academic year. Reference date 2016-07-31; the first aim starts 2014-09-01 (academic year
2015 is the first of the extract), so the census dates are the third Thursdays 2014-10-16,
2015-01-15, 2015-05-21, 2015-10-15, 2016-01-21 and 2016-05-19.
"""

import datetime as dt

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date
SENTINEL = D(1900, 1, 1)
REFERENCE_DATE = D(2016, 7, 31)
OCT14, JAN15, MAY15, OCT15, JAN16, MAY16 = (
    D(2014, 10, 16),
    D(2015, 1, 15),
    D(2015, 5, 21),
    D(2015, 10, 15),
    D(2016, 1, 21),
    D(2016, 5, 19),
)

# aim ref -> (LARS QualType, title, notional_level_v2, fl2width, fl3width, sfl_type)
AIMS = {
    "ZPROG001": ("ZPROG", "Apprenticeship / traineeship programme aim", -1, 0, 0, -1),
    "60000011": ("0002", "GCE A level in Mathematics", 3, 0, 50, -1),
    "60000012": ("0002", "GCE A level in English Literature", 3, 0, 50, -1),
    "60000013": ("0002", "GCE A level in Biology", 3, 0, 50, -1),
    "60000017": ("0001", "GCE AS level in Chemistry", 3, 0, 25, -1),
    "60000021": ("0003", "GCSE in Mathematics", 15, 20, 0, -1),
    "60000031": ("1435", "Pearson BTEC Level 3 Extended Diploma in Business", 3, 0, 100, -1),
    "60000032": ("1435", "Pearson BTEC Level 3 Extended Diploma in Sport", 3, 0, 100, -1),
    "60000042": ("1446", "Level 2 Diploma in Construction", 2, 100, 0, -1),
    "60000051": ("1445", "Level 1 Diploma in Vocational Studies", 1, 0, 0, -1),
    "60000061": ("0036", "NVQ Level 2 in Business and Administration", 2, 100, 0, -1),
    "60000062": ("0036", "NVQ Level 3 in Engineering Maintenance", 3, 0, 100, -1),
    "60000064": (
        "0087",
        "Level 3 Certificate in Hospitality (technical certificate)",
        3,
        0,
        25,
        -1,
    ),
    "60000071": ("1442", "Functional Skills qualification in English", 1, 0, 0, 1),
    "60000072": ("1442", "Functional Skills qualification in Mathematics", 1, 0, 0, 2),
    "60000081": ("2999", "Certificate in ESOL Skills for Life", 0, 0, 0, -1),
    "60000101": ("0045", "Higher National Certificate in Engineering", 5, 0, 0, -1),
    "60000111": ("0010", "Professional award (higher level)", 9, 0, 0, -1),
    "Z0007834": ("ZWRK", "Work placement (traineeship)", -1, 0, 0, -1),
}


def _aim(
    n,
    recordid,
    year,
    provider,
    aim_ref,
    start,
    *,
    end=None,
    expected=None,
    achieved=None,
    status=1,
    outcome=-1,
    prog=-1,
    framework=-1,
    standard=-1,
    fl3=None,
):
    """One row of the ILR aims view; year is the academic-year end (2015 = '2014/2015')."""
    _qual, _title, level, fl2, fl3_default, sfl = AIMS[aim_ref]
    return {
        "external_id": n,
        "academicyear": f"{year - 1}/{year}",
        "dataset_identifier": "ILR",
        "recordid": recordid,
        "upin_anon": 0,
        "ukprn_anon": provider,
        "framework_id": framework,
        "standard_id": standard,
        "programme_type": prog,
        "learning_aim_id": aim_ref,
        "fundmodel": 25,
        "outcome": outcome,
        "compstatus": status,
        "start_date": start,
        "end_date": end,
        "end_date_expected": expected,
        "achievement_date": achieved,
        "traineeship": -1,
        "notional_level": -1,
        "notional_level_v2": level,
        "ssatier2": "-1",
        "fl2width": fl2,
        "fl3width": fl3_default if fl3 is None else fl3,
        "sfl_type": sfl,
    }


def _rows():
    done = {"status": 2, "outcome": 1}
    specs = [
        # person 1: three A levels over two years (the 2016 record of Biology has no width: polyfill)
        # and a GCSE maths resit (notional_level_v2 15 = level 1/2 -> level 1)
        *[
            (1001, 2015, 111, ref, D(2014, 9, 1), {"expected": D(2016, 6, 30)})
            for ref in ("60000011", "60000012", "60000013")
        ],
        *[
            (
                1002,
                2016,
                111,
                ref,
                D(2014, 9, 1),
                {
                    "end": D(2016, 6, 24),
                    "achieved": D(2016, 7, 20),
                    **done,
                    **({"fl3": 0} if ref == "60000013" else {}),
                },
            )
            for ref in ("60000011", "60000012", "60000013")
        ],
        (
            1001,
            2015,
            111,
            "60000021",
            D(2014, 9, 1),
            {"end": D(2015, 6, 12), "status": 2, "outcome": 3},
        ),
        # person 2: a level 3 BTEC (under an A-level QualType code) and functional skills English
        (
            2001,
            2015,
            222,
            "60000031",
            D(2014, 9, 1),
            {"end": D(2015, 6, 26), "achieved": D(2015, 7, 10), **done},
        ),
        (2001, 2015, 222, "60000071", D(2014, 9, 1), {"end": D(2015, 6, 5), **done}),
        # person 3: an intermediate (level 2) framework apprenticeship
        (
            3001,
            2015,
            333,
            "ZPROG001",
            D(2014, 10, 1),
            {"end": D(2015, 7, 31), "prog": 3, "framework": 500, **done},
        ),
        (
            3001,
            2015,
            333,
            "60000061",
            D(2014, 10, 1),
            {"end": D(2015, 7, 31), "prog": 3, "framework": 500, **done},
        ),
        (
            3001,
            2015,
            333,
            "60000072",
            D(2014, 10, 1),
            {"end": D(2015, 3, 20), "prog": 3, "framework": 500, **done},
        ),
        # person 4: a level 3 standard, continuing, ending as expected
        (
            4001,
            2015,
            444,
            "ZPROG001",
            D(2014, 9, 15),
            {"expected": D(2015, 6, 30), "prog": 25, "standard": 77},
        ),
        (
            4001,
            2015,
            444,
            "60000064",
            D(2014, 9, 15),
            {"expected": D(2015, 6, 30), "prog": 25, "standard": 77},
        ),
        # person 5: a traineeship (entry-level and level-1 aims only)
        *[
            (5001, 2015, 555, ref, D(2015, 2, 2), {"end": D(2015, 6, 19), "prog": 24, **done})
            for ref in ("ZPROG001", "Z0007834", "60000071")
        ],
        # person 6: an AS level with a level 2 diploma: mixed level 2/3
        (6001, 2015, 666, "60000017", D(2014, 9, 1), {"end": D(2015, 6, 12), **done}),
        (
            6001,
            2015,
            666,
            "60000042",
            D(2014, 9, 1),
            {"end": D(2015, 6, 12), "status": 2, "outcome": 3},
        ),
        # person 7: a level 5 aim
        (7001, 2015, 777, "60000101", D(2014, 9, 1), {"end": D(2015, 6, 30), **done}),
        # person 8: below level 2 (LARS has the level 1 diploma only in 2013 and 2017: the earlier wins)
        (8001, 2015, 888, "60000051", D(2014, 9, 1), {"end": D(2015, 6, 30), **done}),
        (8001, 2015, 888, "60000081", D(2014, 9, 1), {"end": D(2015, 6, 30), **done}),
        # person 9: a level 3 BTEC withdrawn without an end date: ends 31 August 2015
        (
            9001,
            2015,
            999,
            "60000032",
            D(2014, 9, 1),
            {"expected": D(2016, 6, 30), "status": 3, "outcome": 3},
        ),
        # person 10: a level 3 NVQ with 1900-01-01 end and achievement dates: the expected end
        (
            10001,
            2015,
            1010,
            "60000062",
            D(2014, 9, 1),
            {"end": SENTINEL, "achieved": SENTINEL, "expected": D(2015, 6, 30), **done},
        ),
        # person 11: only a "higher level" aim (notional_level_v2 9 -> unknown level)
        (11001, 2016, 1111, "60000111", D(2015, 9, 1), {"end": D(2015, 12, 18), **done}),
    ]
    aims = [_aim(n, *spec[:5], **spec[5]) for n, spec in enumerate(specs, start=1)]
    lars = [
        {
            "learnaimref": ref,
            "academicyear": f"{year - 1}/{year}",
            "qualtype": qual,
            "aimtitle": title,
        }
        for ref, (qual, title, *_rest) in AIMS.items()
        if ref != "60000051"
        for year in (2015, 2016)
    ]
    lars += [
        {
            "learnaimref": "60000051",
            "academicyear": "2012/2013",
            "qualtype": "1445",
            "aimtitle": AIMS["60000051"][1],
        },
        {
            "learnaimref": "60000051",
            "academicyear": "2016/2017",
            "qualtype": "9999",
            "aimtitle": AIMS["60000051"][1],
        },
    ]
    recordids = sorted({a["recordid"] for a in aims})
    lookup = [{"ae_id": (rid // 1000) * 10, "recordid": rid, "source": "ILR"} for rid in recordids]
    return {"aims": aims, "lars": lars, "education_records_lookup": lookup}


def _days(start, end):
    return (end - start).days + 1


COLUMNS = (
    "person_id, snapshot_date, pathway_type_id, is_composite, has_sfl_english, has_sfl_maths, highest_level, "
    "n_aims, main_learning_aim_ref, main_start_date, main_end_date, is_framework, is_standard, is_completed, "
    "is_achieved, length_of_study_days"
)


def _expected():
    rows = []

    def add(
        person,
        dates,
        type_id,
        composite,
        english,
        maths,
        level,
        n_aims,
        ref,
        start,
        end,
        framework,
        standard,
        completed,
        achieved,
    ):
        for date in dates:
            rows.append(
                (
                    person,
                    date,
                    type_id,
                    composite,
                    english,
                    maths,
                    level,
                    n_aims,
                    ref,
                    start,
                    end,
                    framework,
                    standard,
                    completed,
                    achieved,
                    _days(start, end),
                )
            )

    a_levels = ("60000011", D(2014, 9, 1), D(2016, 6, 24), 0, 0, 1, 1)
    # person 1: three A levels -> 12, composite (no A level carries 60% of the weight); main aim: the
    # three A levels tie on every criterion, the lowest aim reference wins
    add(1, [OCT14, JAN15, MAY15], 12, 1, 0, 1, 3, 4, *a_levels)  # with the GCSE maths resit
    add(1, [OCT15, JAN16, MAY16], 12, 1, 0, 0, 3, 3, *a_levels)
    # person 2: level 3 BTEC -> 14 (not an A level although QualType 1435 is on the A-level list)
    add(
        2,
        [OCT14, JAN15, MAY15],
        14,
        0,
        1,
        0,
        3,
        2,
        "60000031",
        D(2014, 9, 1),
        D(2015, 6, 26),
        0,
        0,
        1,
        1,
    )
    # person 3: level 2 apprenticeship -> 31; the programme aim is the main aim
    add(
        3, [OCT14, JAN15], 31, 0, 0, 1, 2, 3, "ZPROG001", D(2014, 10, 1), D(2015, 7, 31), 1, 0, 1, 1
    )
    add(3, [MAY15], 31, 0, 0, 0, 2, 2, "ZPROG001", D(2014, 10, 1), D(2015, 7, 31), 1, 0, 1, 1)
    # person 4: level 3 standard -> 11
    add(
        4,
        [OCT14, JAN15, MAY15],
        11,
        0,
        0,
        0,
        3,
        2,
        "ZPROG001",
        D(2014, 9, 15),
        D(2015, 6, 30),
        0,
        1,
        0,
        0,
    )
    # person 5: traineeship -> 32 (two non-programme aims without weight: composite)
    add(5, [MAY15], 32, 1, 1, 0, 1, 3, "60000071", D(2015, 2, 2), D(2015, 6, 19), 0, 0, 1, 1)
    # person 6: AS level + level 2 diploma -> 20; the diploma carries most of the weight
    add(
        6,
        [OCT14, JAN15, MAY15],
        20,
        0,
        0,
        0,
        3,
        2,
        "60000017",
        D(2014, 9, 1),
        D(2015, 6, 12),
        0,
        0,
        1,
        1,
    )
    # person 7: level 5 -> 1, level capped at 4
    add(
        7,
        [OCT14, JAN15, MAY15],
        1,
        0,
        0,
        0,
        4,
        1,
        "60000101",
        D(2014, 9, 1),
        D(2015, 6, 30),
        0,
        0,
        1,
        1,
    )
    # person 8: entry and level 1 -> 42
    add(
        8,
        [OCT14, JAN15, MAY15],
        42,
        1,
        0,
        0,
        1,
        2,
        "60000051",
        D(2014, 9, 1),
        D(2015, 6, 30),
        0,
        0,
        1,
        1,
    )
    # person 9: withdrawn level 3 BTEC without an end -> 14 until 31 August 2015 (the reference dropped it)
    add(
        9,
        [OCT14, JAN15, MAY15],
        14,
        0,
        0,
        0,
        3,
        1,
        "60000032",
        D(2014, 9, 1),
        D(2015, 8, 31),
        0,
        0,
        0,
        0,
    )
    # person 10: level 3 NVQ with 1900-01-01 end -> 15 up to its expected end
    add(
        10,
        [OCT14, JAN15, MAY15],
        15,
        0,
        0,
        0,
        3,
        1,
        "60000062",
        D(2014, 9, 1),
        D(2015, 6, 30),
        0,
        0,
        1,
        1,
    )
    # person 11: only a level-9 ("higher") aim -> 0 unknown, no level
    add(11, [OCT15], 0, 0, 0, 0, None, 1, "60000111", D(2015, 9, 1), D(2015, 12, 18), 0, 0, 1, 1)
    return sorted(rows, key=lambda r: (r[0], r[1]))


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, reference_date=REFERENCE_DATE)
    write_sources(settings, _rows())
    result = build_selection(settings, ["pathways"])
    db = WorkspaceDatabase.from_settings(settings)
    out = {
        "settings": settings,
        "pathways": db.rows(
            f'SELECT {COLUMNS} FROM "leo_assets"."pathways" ORDER BY person_id, snapshot_date'
        ),
        "all_columns": db.rows(
            'SELECT * FROM "leo_assets"."pathways" ORDER BY person_id, snapshot_date'
        ),
        "aims": {
            (r[0], r[1]): r[2:]
            for r in db.rows(
                "SELECT person_id, learning_aim_ref, aim_level, pathway_level, end_date, end_rule, lars_year, qual_type, "
                "is_a_level, is_btec, is_general, fl3_width_pct, is_width_polyfilled, weight "
                'FROM "leo_assets"."int_pathways__aims"'
            )
        },
        "ranks": db.rows(
            'SELECT learning_aim_ref, aim_type_id, main_aim_rank FROM "leo_assets"."int_pathways__candidate_aims" '
            "WHERE person_id = 1 AND snapshot_date = DATE '2015-01-15' ORDER BY main_aim_rank"
        ),
        "checks": {
            (c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()
        },
    }
    db.dispose()
    return out


def test_pathways_rows(built):
    assert built["pathways"] == _expected()


def test_census_dates_are_third_thursdays(built):
    dates = sorted({r[1] for r in built["pathways"]})
    assert dates == [OCT14, JAN15, MAY15, OCT15, JAN16, MAY16]
    assert [d for d in dates if d.year == 2015] == [D(2015, 1, 15), D(2015, 5, 21), D(2015, 10, 15)]
    assert all(
        d.weekday() == 3 and 15 <= d.day <= 21 for d in dates
    )  # Thursday, third of the month
    # D95: every date has pathways, not only the first
    assert {r[0] for r in built["pathways"] if r[1] == MAY16} == {1}


def test_aim_attributes(built):
    aims = built["aims"]
    # (aim_level, pathway_level, end_date, end_rule, lars_year, qual_type, is_a_level, is_btec, is_general,
    #  fl3_width_pct, is_width_polyfilled, weight)
    gcse = aims[(1, "60000021")]
    assert gcse[:2] == (1, 1)  # notional_level_v2 15 -> level 1
    biology = aims[(1, "60000013")]
    assert (
        biology[9] == 50 and biology[10] == 1 and biology[11] == pytest.approx(0.5)
    )  # polyfilled width
    btec = aims[(2, "60000031")]
    assert btec[6:9] == (0, 1, 0)  # BTEC title beats the A-level QualType code
    assert aims[(3, "60000072")][:2] == (
        1,
        2,
    )  # a level-1 aim of a level 2 apprenticeship classifies at 2
    assert aims[(4, "ZPROG001")][:2] == (
        None,
        3,
    )  # a standard's programme aim takes the standard's level
    assert aims[(8, "60000051")][4:6] == (
        2013,
        "1445",
    )  # nearest LARS year, the earlier of two equally near
    assert aims[(8, "60000051")][8] == 1
    assert aims[(9, "60000032")][2:4] == (D(2015, 8, 31), "withdrawn_last_year")
    assert aims[(10, "60000062")][2:4] == (D(2015, 6, 30), "expected")  # 1900-01-01 end is no end
    assert aims[(11, "60000111")][:2] == (None, None)  # notional_level_v2 9 -> unknown


def test_main_aim_tie_broken_by_aim_ref(built):
    assert built["ranks"] == [
        ("60000011", 12, 1),
        ("60000012", 12, 2),
        ("60000013", 12, 3),
        ("60000021", 42, 4),
    ]


def test_checks_pass(built):
    checks = built["checks"]
    for model in ("int_pathways__aims", "int_pathways__candidate_aims", "pathways"):
        for (name, check), evaluation in checks.items():
            if name == model and check != "unknown_pathway_type":
                assert evaluation.passed, (model, check)
    assert checks[("pathways", "grain_unique")].passed
    assert checks[("pathways", "unknown_pathway_type")].metadata["failing_rows"].value == 1


def test_same_sources_other_row_order_same_table(built, module_backend):
    """Determinism (D96, N7, N8): the sources in another row order give the identical table."""
    settings = built["settings"]
    rows = _rows()
    shuffled = {view: list(reversed(values[1::2])) + values[0::2] for view, values in rows.items()}
    write_sources(settings, shuffled)
    build_selection(settings, ["pathways"])
    db = WorkspaceDatabase.from_settings(settings)
    again = db.rows('SELECT * FROM "leo_assets"."pathways" ORDER BY person_id, snapshot_date')
    db.dispose()
    assert again == built["all_columns"]
