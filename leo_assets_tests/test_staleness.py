"""Staleness after a SQL edit and after a source change, and the one-action rebuild of the closure.

Dagster 1.13 marks only the edited asset stale (its children turn stale one rebuild later); the
``stale_closure`` automation condition, evaluated by the ``rebuild_stale_assets`` sensor, must
request exactly the edited (or changed) assets and everything downstream, and nothing else.
"""

import datetime as dt

import dagster as dg

from leo_assets.build import stale_closure
from leo_assets.definitions import build_definitions
from leo_assets.staleness import stale_status
from leo_assets_tests.helpers import (
    EMPLOYMENT_MART,
    EMPLOYMENT_STAGING,
    employment_rows,
    make_project,
    settings_for,
    write_sources,
)

BENEFITS_STAGING = """
/* ---
description: Benefit spells for staleness tests, one row per source row.
--- */
select benefit.edukey, benefit.benefit_type from leo.benefits as benefit
"""
BENEFITS_MART = """
/* ---
description: One row per edukey with a benefit, for staleness tests.
grain: [edukey]
--- */
select claims.edukey, cast(count(*) as int) as n_claims from ws.stg_leo__benefits as claims
where claims.edukey is not null group by claims.edukey
"""
TOP_MART = """
/* ---
description: One row per edukey with two or more spells, for staleness tests.
grain: [edukey]
--- */
select people.edukey from ws.employment_people as people where people.n_spells >= 2
"""
FILES = {
    "staging/leo/stg_leo__employment.sql": EMPLOYMENT_STAGING,
    "marts/employment_people.sql": EMPLOYMENT_MART,
    "marts/repeat_employees.sql": TOP_MART,
    "staging/leo/stg_leo__benefits.sql": BENEFITS_STAGING,
    "marts/benefit_people.sql": BENEFITS_MART,
}


def _keys(*names):
    layer = {"stg_leo__employment": "staging", "stg_leo__benefits": "staging"}
    return {dg.AssetKey([layer.get(n, "marts"), n]) for n in names}


def _requested(defs, instance, cursor):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    keys = {
        k for k in defs.resolve_asset_graph().get_all_asset_keys() if result.get_num_requested(k)
    }
    return keys, result.cursor


def _run(defs, instance, keys=None):
    job = defs.resolve_job_def("build_all")
    kwargs = {"asset_selection": sorted(keys, key=str)} if keys else {}
    assert job.execute_in_process(instance=instance, **kwargs).success


def test_sql_edit_rebuilds_exactly_the_edited_asset_and_downstream(tmp_path):
    sql = make_project(tmp_path, FILES)
    settings = settings_for(tmp_path)
    write_sources(settings, employment_rows("A", "B", "B"))
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(settings, sql_dir=sql)
    _, cursor = _requested(defs, instance, None)
    _run(defs, instance)
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == set()  # a full build leaves nothing to do
    assert stale_closure(defs, instance) == set()

    path = sql / "marts" / "employment_people.sql"
    path.write_text(
        path.read_text().replace(
            "where spells.edukey is not null",
            "where spells.edukey is not null and spells.edukey <> 'Z'",
        )
    )
    defs = build_definitions(settings, sql_dir=sql)  # "Reload definitions"
    edited, child = _keys("employment_people"), _keys("repeat_employees")
    assert stale_status(defs, instance, *edited)[0] == "STALE"
    assert stale_status(defs, instance, *edited)[1][0][0] == "CODE"
    assert stale_status(defs, instance, *child)[0] == "FRESH"  # Dagster alone is not transitive
    assert stale_closure(defs, instance) == edited | child
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == edited | child  # the sensor's one run: exactly the closure
    _run(defs, instance, requested)
    assert _requested(defs, instance, cursor)[0] == set()
    assert stale_closure(defs, instance) == set()


def test_source_change_rebuilds_its_downstream_only(tmp_path):
    sql = make_project(tmp_path, FILES)
    settings = settings_for(tmp_path)
    write_sources(settings, employment_rows("A", "B"))
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(settings, sql_dir=sql)
    _, cursor = _requested(defs, instance, None)
    _run(defs, instance)
    _, cursor = _requested(defs, instance, cursor)

    rows = employment_rows("A", "B")
    rows["leo_employment"].append(
        {
            "edukey": "B",
            "startdate": dt.date(2017, 1, 1),
            "enddate": dt.date(2017, 6, 1),
            "uncertainstartdate": False,
            "uncertainenddate": False,
        }
    )
    write_sources(settings, rows)
    unchanged, _ = _requested(defs, instance, cursor)
    assert unchanged == set()  # nothing moves until the source is observed
    _run(
        defs, instance, {dg.AssetKey(["source", "employment"]), dg.AssetKey(["source", "benefits"])}
    )
    first = _keys("stg_leo__employment")
    assert stale_status(defs, instance, *first) == (
        "STALE",
        [("DATA", "has a new dependency data version")],
    )
    assert (
        stale_status(defs, instance, *_keys("stg_leo__benefits"))[0] == "FRESH"
    )  # same content, same version
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == _keys("stg_leo__employment", "employment_people", "repeat_employees")
    _run(defs, instance, requested)
    assert instance.get_latest_materialization_event(*_keys("repeat_employees")) is not None
