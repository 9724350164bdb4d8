"""Person resolution on hand-built identifiers: one person per ae_id, rules for the rest."""

import random

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import (
    build_selection,
    census_row,
    rows_by_view,
    settings_for,
    write_sources,
)


def _sources():
    rows = rows_by_view(
        census_row("P1", 2014, "spring", "S1"),
        census_row("P4", 2014, "spring", "S1"),
        census_row("", 2014, "spring", "S1"),
    )
    rows["learner_ae_id_to_pmr_lookup"] = [
        {"ae_id": 100, "pupilmatchingrefanonymous": "P1"},
        {"ae_id": 100, "pupilmatchingrefanonymous": " P2 "},  # padded: trimmed
        {"ae_id": 200, "pupilmatchingrefanonymous": "P3"},
        {"ae_id": 300, "pupilmatchingrefanonymous": "P3"},  # identity conflict
        {"ae_id": 400, "pupilmatchingrefanonymous": ""},  # blank: not a link
        {"ae_id": 0, "pupilmatchingrefanonymous": "P5"},  # no resolved person: not a link
    ]
    rows["learner_ae_id_to_edukey_lookup"] = [{"ae_id": 100, "edukey": "E1"}]
    rows["education_records_lookup"] = [
        {"ae_id": 100, "recordid": 555, "source": "ILR"},
        {"ae_id": 200, "recordid": 556, "source": "NPD"},
    ]
    rows["learners"] = [
        {"external_id": 1, "recordid": 555, "academicyear": "2014/2015"},
        {"external_id": 2, "recordid": 777, "academicyear": "2014/2015"},
    ]
    rows["leo_employment"] = [
        {
            "edukey": "E1",
            "startdate": "2016-04-06",
            "enddate": "2017-04-05",
            "uncertainstartdate": False,
            "uncertainenddate": False,
        },
        {
            "edukey": "E9",
            "startdate": "2016-04-06",
            "enddate": "2017-04-05",
            "uncertainstartdate": False,
            "uncertainenddate": False,
        },
    ]
    return rows


def test_person_resolution_rules(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, _sources())
    build_selection(settings, ["person_lookup"])
    db = WorkspaceDatabase.from_settings(settings)
    ids = db.rows(
        "SELECT identifier_type, identifier_value, person_id, ae_id, is_linked, n_ae_ids, identifier_rank "
        'FROM "leo_assets"."person_identifier" ORDER BY identifier_type, identifier_value'
    )
    assert ids == [
        ("ae_id", "100", 1, 100, 1, 1, 1),
        ("ae_id", "200", 2, 200, 1, 1, 1),
        ("edukey", "E1", 1, 100, 1, 1, 1),
        ("edukey", "E9", 3, None, 0, 0, 1),  # in employment, in no lookup: a person of its own
        (
            "ilr_recordid",
            "555",
            1,
            100,
            1,
            1,
            1,
        ),  # ILR records only through the lookup; 556 is not an ILR record, 777 unlinked
        ("pmr", "P1", 1, 100, 1, 1, 1),
        ("pmr", "P2", 1, 100, 1, 1, 2),
        ("pmr", "P3", 2, 200, 1, 2, 1),  # linked to 200 and 300: the lower, reported
        ("pmr", "P4", 4, None, 0, 0, 1),
    ]
    people = db.rows(
        "SELECT person_id, ae_id, primary_pmr, primary_edukey, n_pmrs, n_edukeys, n_ilr_records, "
        'n_conflicting_identifiers FROM "leo_assets"."person_lookup" ORDER BY person_id'
    )
    assert people == [
        (1, 100, "P1", "E1", 2, 1, 1, 0),
        (2, 200, "P3", None, 1, 0, 0, 1),
        (3, None, None, "E9", 0, 1, 0, 0),
        (4, None, "P4", None, 1, 0, 0, 0),
    ]
    db.dispose()


def test_same_sources_in_another_order_give_identical_ids(tmp_path):
    first = tmp_path / "a"
    second = tmp_path / "b"
    outputs = []
    for root, seed in ((first, 1), (second, 2)):
        rows = _sources()
        for view_rows in rows.values():
            random.Random(seed).shuffle(view_rows)
        settings = settings_for(root)
        write_sources(settings, rows)
        build_selection(settings, ["person_lookup"])
        db = WorkspaceDatabase.from_settings(settings)
        outputs.append(
            db.rows(
                'SELECT * FROM "leo_assets"."person_identifier" ORDER BY identifier_type, identifier_value'
            )
        )
        db.dispose()
    assert outputs[0] == outputs[1]
