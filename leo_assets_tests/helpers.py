"""Test helpers: tiny SQL projects and hand-written source views on DuckDB or PostgreSQL."""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import textwrap
import zlib
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from leo_assets.settings import PROJECT_DIR, Settings, make_settings
from leo_assets.sqlproject.sources import SourceCatalog, load_catalog, sql_type

REAL_SQL = PROJECT_DIR / "sql"


def make_project(root: Path, files: dict[str, str], with_reference: bool = False) -> Path:
    """A SQL project under ``root/sql`` with the real source declarations and ``files``."""
    sql = root / "sql"
    sql.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL_SQL / "_sources.yml", sql / "_sources.yml")
    if with_reference and (REAL_SQL / "reference").exists():
        shutil.copytree(REAL_SQL / "reference", sql / "reference", dirs_exist_ok=True)
    for rel, text in files.items():
        path = sql / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return sql


def settings_for(
    root: Path, backend: str = "duckdb", pg_url: str | None = None, **extra: Any
) -> Settings:
    url = f"duckdb:///{root / 'ws.duckdb'}" if backend == "duckdb" else pg_url
    return make_settings(workspace_url=url, source_dir=str(root / "sources"), **extra)


def write_sources(
    settings: Settings,
    rows: dict[str, list[dict[str, Any]]] | None = None,
    skip_views: set[str] = frozenset(),
    drop_columns: dict[str, set[str]] | None = None,
    sql_dir: Path = REAL_SQL,
) -> SourceCatalog:
    """Create every declared source view (empty unless ``rows`` gives rows for it)."""
    rows = rows or {}
    drop_columns = drop_columns or {}
    catalog = load_catalog(sql_dir, settings)
    backend = settings.backend
    views = [pv for pv in catalog.all_views() if pv.view not in skip_views]
    if backend == "duckdb":
        src = settings.source_dir_path()
        src.mkdir(parents=True, exist_ok=True)
        cons: dict[str, duckdb.DuckDBPyConnection] = {}
        for database in settings.source_databases.values():
            path = src / f"{database}.duckdb"
            path.unlink(missing_ok=True)
            cons[database] = duckdb.connect(str(path))
            cons[database].execute(f'CREATE SCHEMA "{settings.project_schema}"')
        for pv in views:
            con = cons[settings.source_databases[pv.database]]
            cols = {
                c: t
                for c, t in pv.column_types().items()
                if c not in drop_columns.get(pv.view, set())
            }
            ddl = ", ".join(f'"{c}" {sql_type(t, "duckdb")}' for c, t in cols.items())
            con.execute(f'CREATE TABLE "{settings.project_schema}"."{pv.view}" ({ddl})')
            for row in rows.get(pv.view, []):
                names = list(row)
                con.execute(
                    f'INSERT INTO "{settings.project_schema}"."{pv.view}" ({", ".join(names)}) '
                    f"VALUES ({', '.join('?' * len(names))})",
                    [row[n] for n in names],
                )
        for con in cons.values():
            con.close()
        return catalog
    engine = sa.create_engine(settings.url())
    with engine.begin() as conn:
        for database in settings.source_databases.values():
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{database}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{database}"'))
        for pv in views:
            database = settings.source_databases[pv.database]
            cols = {
                c: t
                for c, t in pv.column_types().items()
                if c not in drop_columns.get(pv.view, set())
            }
            ddl = ", ".join(f'"{c}" {sql_type(t, "postgres")}' for c, t in cols.items())
            conn.execute(sa.text(f'CREATE TABLE "{database}"."{pv.view}" ({ddl})'))
            for row in rows.get(pv.view, []):
                names = list(row)
                conn.execute(
                    sa.text(
                        f'INSERT INTO "{database}"."{pv.view}" ({", ".join(names)}) VALUES '
                        f"({', '.join(':' + n for n in names)})"
                    ),
                    row,
                )
    engine.dispose()
    return catalog


EMPLOYMENT_STAGING = """
/* ---
description: Employment spells per edukey, for engine tests. One row per source row.
materialize: view
--- */
select
    employment.edukey,  -- person key
    employment.startdate as start_date,  -- first day
    employment.enddate as end_date  -- last day
from leo.employment as employment
"""

EMPLOYMENT_MART = """
/* ---
description: One row per edukey with the number of spells, for engine tests.
grain: [edukey]
checks:
  - expression_is_true: n_spells >= 1
  - row_count: {min: 1}
    severity: warn
--- */
select
    spells.edukey,  -- person key
    cast(count(*) as int) as n_spells  -- spells of this edukey
from ws.stg_leo__employment as spells
where spells.edukey is not null
group by spells.edukey
"""


def employment_rows(*edukeys: str) -> dict[str, list[dict[str, Any]]]:
    """One 366-day PAYE spell per edukey; a repeated edukey gets its next spell a year later.

    (Exact duplicate source rows are removed by staging, so a repeat must be a different spell.)
    """
    import datetime as dt

    rows, seen = [], {}
    for k in edukeys:
        n = seen[k] = seen.get(k, -1) + 1
        start = dt.date(2015 + n, 4, 6)
        rows.append(
            {
                "edukey": k,
                "startdate": start,
                "enddate": start + dt.timedelta(days=365),
                "uncertainstartdate": False,
                "uncertainenddate": False,
            }
        )
    return {"leo_employment": rows}


# a test's Dagster run logs only errors: the console logger otherwise formats a DEBUG line per
# event, which pytest shows only for a failing test
QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def build_selection(
    settings: Settings, names: list[str], sql_dir: Path = REAL_SQL, upstream: bool = True
):
    """Build ``names`` and everything upstream of them in a Dagster run (sources observed first,
    warn checks and diagnostics run); return the run, for tests of its checks and events.
    ``upstream=False``: ``names`` alone, on tables already built (:func:`build_tables`)."""
    import dagster as dg

    from leo_assets.build import resolve_selection
    from leo_assets.definitions import build_definitions

    defs = build_definitions(settings, sql_dir=sql_dir)
    keys = resolve_selection(defs, [f"+{n}" if upstream else n for n in names])
    result = defs.resolve_job_def("build_all").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config=QUIET_RUN,
        asset_selection=sorted(keys, key=str),
        raise_on_error=False,
    )
    if not result.success:
        failures = [e.step_failure_data for e in result.all_events if e.is_step_failure]
        messages = [
            f.user_failure_data.description if f.user_failure_data else f.error.message
            for f in failures
        ]
        raise AssertionError("build failed: " + " | ".join(m[:2000] for m in messages))
    return result


def build_tables(settings: Settings, names: list[str], sql_dir: Path = REAL_SQL) -> None:
    """Build the tables ``names`` and every model upstream of them, in the project's build order,
    with the function each asset runs (:func:`leo_assets.assets.materialize_model`: the same
    SQL, each table gated by its blocking checks), but not in a Dagster run.

    For tests of what tables hold: a Dagster run adds its machinery (a step and its events per
    asset) and every warn check, most of a small build's time. Tests of runs, checks and events
    use :func:`build_selection`; the Dagster path itself is tested by test_full_build, test_cli
    and test_dagster_dev."""
    from leo_assets.assets import materialize_model
    from leo_assets.resources import WorkspaceDatabase
    from leo_assets.sqlproject.loader import load_project

    project = load_project(sql_dir, settings)
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack += project.models[name].model_deps
    db = WorkspaceDatabase.from_settings(settings)
    try:
        for name in project.order:
            if name in wanted:
                materialize_model(project, project.models[name], db)
    finally:
        db.dispose()


def build_safe_tables(settings: Settings, sql_dir: Path = REAL_SQL) -> list[str]:
    """Every disclosure-safe table from its built ``out_*`` table, with the function each
    ``out_*_safe`` asset runs (:func:`leo_assets.outputs.materialize_safe`: protected, written,
    gated by the blocking re-verification), but not in a Dagster run; their names."""
    from leo_assets.outputs import materialize_safe, output_specs
    from leo_assets.resources import WorkspaceDatabase
    from leo_assets.sqlproject.loader import load_project

    specs = output_specs(load_project(sql_dir, settings)).values()
    db = WorkspaceDatabase.from_settings(settings)
    try:
        for spec in specs:
            materialize_safe(spec, db, settings)
    finally:
        db.dispose()
    return [spec.safe_name for spec in specs]


def census_row(
    pmr: str, year: int, term: str, school: str, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """(view, row) of a School Census record with the view's column suffix applied."""
    suffix = {"autumn": "aut", "spring": "spr", "summer": "sum"}[term] + f"{year % 100:02d}"
    row = {
        "pupilmatchingrefanonymous": pmr,
        "laestab_anon": school,
        "recordstatus": 1,
        "enrolstatus": "C",
        "gender": "F",
        "yearofbirth": year - 16,
        "monthofbirth": 3,
    }
    row.update(extra)
    return f"{term}_census_{year}", {f"{k}_{suffix}": v for k, v in row.items()}


def rows_by_view(*pairs: tuple[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for view, row in pairs:
        out.setdefault(view, []).append(row)
    return out


def readable_text(path: Path) -> str:
    """A file's text, to search for a planted secret: for SQLite storage every value, with
    Dagster's zlib-compressed snapshots (which hold the resource config) decompressed."""
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
                        with contextlib.suppress(zlib.error):
                            value = zlib.decompress(value)
                        value = value.decode("utf-8", errors="replace")
                    parts.append(str(value))
    finally:
        con.close()
    return "\n".join(parts)


def stop_process_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop a server started with ``start_new_session=True`` and every process of its group.

    ``dagster dev`` answers SIGTERM by waiting out its code server's shutdown (about 30 s, a
    test's teardown spent idle); a test keeps nothing of the server, so after ``grace`` seconds
    the group is killed."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
