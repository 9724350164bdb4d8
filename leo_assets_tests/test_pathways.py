"""Post-16 pathways' check outcomes and determinism on the hand-built ILR aims and LARS rows of
``sql/marts/pathways.cases.yml``.

The rows of pathways (and the aim attributes and main-aim ranks behind them) are cases in that
file (run by test_model_cases.py); what stays here are the outcomes of the checks, which are not
rows of a model, and a property: the same sources in another row order give the same table.
"""

import datetime as dt

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import (
    REAL_SQL,
    build_selection,
    build_tables,
    settings_for,
    write_sources,
)
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "pathways.cases.yml"
ALL_ROWS = 'SELECT * FROM "leo_assets"."pathways" ORDER BY person_id, snapshot_date'


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, reference_date=dt.date(2016, 7, 31))
    rows = all_source_rows(CASES, settings)
    write_sources(settings, rows)
    result = build_selection(settings, ["pathways"])
    db = WorkspaceDatabase.from_settings(settings)
    out = {
        "settings": settings,
        "rows": rows,
        "all_columns": db.rows(ALL_ROWS),
        "checks": {
            (c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()
        },
    }
    db.dispose()
    return out


def test_checks_pass(built):
    checks = built["checks"]
    for model in ("int_pathways__aims", "int_pathways__candidate_aims", "pathways"):
        for (name, check), evaluation in checks.items():
            if name == model and check != "unknown_pathway_type":
                assert evaluation.passed, (model, check)
    assert checks[("pathways", "grain_unique")].passed
    # person 11's only aim has no level (case higher_level_aim_is_unknown)
    assert checks[("pathways", "unknown_pathway_type")].metadata["failing_rows"].value == 1


def test_same_sources_other_row_order_same_table(built):
    """Determinism (D96, N7, N8): the sources in another row order give the identical table."""
    settings = built["settings"]
    shuffled = {
        view: list(reversed(values[1::2])) + values[0::2] for view, values in built["rows"].items()
    }
    write_sources(settings, shuffled)
    build_tables(settings, ["pathways"])
    db = WorkspaceDatabase.from_settings(settings)
    again = db.rows(ALL_ROWS)
    db.dispose()
    assert again == built["all_columns"]


def test_plams_records_left_out_are_counted(tmp_path):
    """int_school__plams_aims' check records_left_out counts the two records of
    pathways.plams.cases.yml that make no aim (case plams_aims_left_out: an aim ending before it
    starts, a PMR linked to no person); the aim starting after the reference date is an aim."""
    settings = settings_for(tmp_path, reference_date=dt.date(2016, 7, 31))
    write_sources(
        settings, all_source_rows(REAL_SQL / "marts" / "pathways.plams.cases.yml", settings)
    )
    result = build_selection(settings, ["int_school__plams_aims"])
    check = next(
        c
        for c in result.get_asset_check_evaluations()
        if c.asset_key.path[-1] == "int_school__plams_aims" and c.check_name == "records_left_out"
    )
    assert check.metadata["failing_rows"].value == 2
