"""A password in the workspace URL never reaches resource config, errors, metadata or logs."""

import logging

import dagster as dg
import pytest

from leo_assets.definitions import build_definitions
from leo_assets.resources import BuildError, WorkspaceDatabase, redact
from leo_assets.settings import make_settings
from leo_assets_tests.helpers import EMPLOYMENT_STAGING, make_project

SECRET = "Pa55-w0rd-never-shown"


def test_resource_config_has_no_password(tmp_path):
    settings = make_settings(workspace_url=f"postgresql+psycopg://analyst:{SECRET}@127.0.0.1:1/ws")
    db = WorkspaceDatabase.from_settings(settings)
    assert SECRET not in db.url and "***" in db.url
    assert SECRET not in str(db.model_dump())


def test_connection_errors_are_redacted(tmp_path):
    settings = make_settings(workspace_url=f"postgresql+psycopg://analyst:{SECRET}@127.0.0.1:1/ws")
    db = WorkspaceDatabase.from_settings(settings)
    with pytest.raises(BuildError) as err:
        db.scalar("SELECT 1")
    assert SECRET not in str(err.value)
    assert redact(f"postgresql://u:{SECRET}@h/db") == "postgresql://u:***@h/db"


def test_failed_run_logs_and_events_have_no_password(tmp_path, caplog):
    sql = make_project(tmp_path, {"staging/leo/stg_leo__employment.sql": EMPLOYMENT_STAGING})
    settings = make_settings(
        workspace_url=f"postgresql+psycopg://analyst:{SECRET}@127.0.0.1:1/ws",
        source_dir=str(tmp_path),
    )
    defs = build_definitions(settings, sql_dir=sql)
    caplog.set_level(logging.DEBUG)
    result = defs.resolve_job_def("build_all").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    everything = "\n".join(str(e) for e in result.all_events) + caplog.text
    assert "Connection refused" in everything  # the failure is reported...
    assert SECRET not in everything  # ...without the password
