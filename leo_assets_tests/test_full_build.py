"""The whole graph on synthetic LEO, on DuckDB and on PostgreSQL: every asset builds, every blocking
check passes."""

import dagster as dg

from leo_assets.definitions import build_definitions
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets_tests.helpers import settings_for


def test_every_asset_and_check_on_synthetic_leo(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    generate(
        settings, GeneratorConfig(pupils_per_cohort=250, seed=3, show_progress=False), target_url=pg
    )
    defs = build_definitions(settings)
    result = defs.resolve_job_def("build_all").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    failures = [e.step_key for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    graph = defs.resolve_asset_graph()
    assert materialized == set(graph.materializable_asset_keys)
    evaluations = result.get_asset_check_evaluations()
    blocking_failed = [
        (e.asset_key.to_user_string(), e.check_name)
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR and e.blocking
    ]
    assert blocking_failed == []
    assert len(evaluations) > 100
