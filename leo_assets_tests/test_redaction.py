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


CANARY = "Kanary7x9"
ODBC = (
    "DRIVER%3D%7BODBC+Driver+18+for+SQL+Server%7D%3BSERVER%3D127.0.0.1%2C1%3BDATABASE%3Dws"
    "%3BUID%3Danalyst%3B{attr}%3D{secret}%3BEncrypt%3Dno"
)
SECRET_FORMS = {
    "password field": f"postgresql+psycopg://analyst:{CANARY}1@127.0.0.1:1/ws",
    "password query parameter": f"postgresql+psycopg://analyst@127.0.0.1:1/ws?password={CANARY}2",
    "secret-named parameter": f"postgresql+psycopg://analyst@127.0.0.1:1/ws?api_token={CANARY}3",
    "odbc_connect PWD=": "mssql+pyodbc:///?odbc_connect="
    + ODBC.format(attr="PWD", secret=CANARY + "4"),
    "odbc_connect Password=": "mssql+pyodbc:///?odbc_connect="
    + ODBC.format(attr="Password", secret=CANARY + "5"),
    "LEO_WORKSPACE_PASSWORD": "postgresql+psycopg://analyst@127.0.0.1:1/ws",
}


@pytest.mark.parametrize("form", list(SECRET_FORMS))
def test_a_planted_secret_is_written_nowhere(tmp_path, monkeypatch, capfd, form):
    """A canary secret in each place a URL can hold one; the connection fails; then every file
    Dagster wrote (run and event storage, compute logs), stdout and stderr are searched."""
    from leo_assets.cli import main

    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("LEO_WORKSPACE_URL", SECRET_FORMS[form])
    monkeypatch.setenv("LEO_SOURCE_DIR", str(tmp_path / "sources"))
    monkeypatch.setenv("LEO_SETTINGS_FILE", str(tmp_path / "none.yml"))
    (tmp_path / "none.yml").write_text("{}\n")
    if form == "LEO_WORKSPACE_PASSWORD":
        monkeypatch.setenv("LEO_WORKSPACE_PASSWORD", CANARY + "6")
    assert main(["build", "stg_leo__employment"]) == 1  # the connection fails...
    out, err = capfd.readouterr()
    assert "FAILED" in out + err
    written = out + err
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files), "Dagster wrote no storage to search"
    written += "".join(_readable(path) for path in files)
    assert "odbc_connect" in written or "postgresql" in written  # the URL is there, redacted
    assert CANARY not in written  # ...and the secret is nowhere


def _readable(path) -> str:
    """A file's text; for SQLite storage every value, with Dagster's zlib-compressed snapshots
    (which hold the resource config) decompressed."""
    import sqlite3
    import zlib

    data = path.read_bytes()
    if not data.startswith(b"SQLite format 3"):
        return data.decode("utf-8", errors="replace")
    parts = []
    con = sqlite3.connect(path)
    try:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        try:
                            value = zlib.decompress(value)
                        except zlib.error:
                            pass
                        value = value.decode("utf-8", errors="replace")
                    parts.append(str(value))
    finally:
        con.close()
    return "\n".join(parts)
