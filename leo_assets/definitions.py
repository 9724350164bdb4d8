"""The Dagster code location: the SQL project under ``sql/`` bound to this project's settings."""

from pathlib import Path

import dagster as dg

from leo_assets.assets import build_model_asset, build_source_observer, build_warn_checks
from leo_assets.diagnostics import build_diagnostic_checks
from leo_assets.outputs import build_output_assets
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import PROJECT_DIR, Settings, load_settings
from leo_assets.sqlproject.loader import load_project

SQL_DIR = PROJECT_DIR / "sql"


def build_definitions(
    settings: Settings | None = None, sql_dir: Path = SQL_DIR, project_dir: Path = PROJECT_DIR
) -> dg.Definitions:
    """Load ``sql_dir`` and return its assets, checks, jobs, sensor and resource."""
    settings = settings or load_settings(project_dir=project_dir)
    project = load_project(sql_dir, settings)
    backend = settings.backend
    assets: list = [build_source_observer(project, backend)]
    checks = []
    for name in project.order:
        model = project.models[name]
        assets.append(build_model_asset(project, model, backend))
        warn = build_warn_checks(project, model)
        if warn is not None:
            checks.append(warn)
    assets += build_output_assets(
        project, backend
    )  # out_*_safe: disclosure control, pictures (outputs group)
    diagnostics = build_diagnostic_checks(
        project
    )  # match-quality diagnostics (leo_assets/diagnostics.py)
    if diagnostics is not None:
        checks.append(diagnostics)
    everything = dg.AssetSelection.all(include_sources=True)
    build_all = dg.define_asset_job(
        "build_all",
        selection=everything,
        description=("Observe every source view, then build every table and run every check."),
    )
    rebuild_stale = dg.AutomationConditionSensorDefinition(
        "rebuild_stale_assets",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=15,
        description="Rebuilds edited assets (new code version, after 'Reload definitions') and "
        "assets whose upstream changed, with everything downstream of them, in one run.",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[build_all],
        sensors=[rebuild_stale],
        resources={"workspace": WorkspaceDatabase.from_settings(settings, project_dir=project_dir)},
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location (workspace.yaml, ``dagster dev``, ``leo-assets ui``): the project's
    settings. Loaded when Dagster asks for it, so importing this module builds nothing (the CLI
    and the tests import :func:`build_definitions` and build with their own settings)."""
    return build_definitions()
