"""Bad inputs on purpose: SQL run against the synthetic source views, for the reliability tests.

Each helper changes the *source* views of a synthetic run (never a workspace) the way a real
extract can be wrong: every row twice, a sentinel date, a blank identifier, text in a date
column. ``docs/reliability.md`` (``scripts/reliability_matrix.py``) and the tests use them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import sqlalchemy as sa

from leo_assets.settings import PROJECT_DIR, Settings
from leo_assets.sqlproject.sources import PhysicalView, load_catalog


@contextmanager
def source_connection(settings: Settings, database: str) -> Iterator[Callable[[str], list]]:
    """``run(sql)`` on one logical source database (npd, lilr, hesa, leo), writable.

    Relations are named ``{schema}.<view>``: ``{schema}`` is replaced by the schema that holds the
    views (the project schema on DuckDB, the physical database on PostgreSQL).
    """
    physical = settings.source_databases[database]
    if settings.backend == "duckdb":
        path = Path(settings.source_dir_path()) / f"{physical}.duckdb"
        con = duckdb.connect(str(path))
        try:
            yield lambda sql: con.execute(
                sql.replace("{schema}", f'"{settings.project_schema}"')
            ).fetchall()
        finally:
            con.close()
        return
    engine = sa.create_engine(settings.url())
    try:
        with engine.begin() as conn:

            def run(sql: str) -> list:
                result = conn.execute(sa.text(sql.replace("{schema}", f'"{physical}"')))
                return result.fetchall() if result.returns_rows else []

            yield run
    finally:
        engine.dispose()


def source_views(settings: Settings, sources: list[str] | None = None) -> list[PhysicalView]:
    catalog = load_catalog(PROJECT_DIR / "sql", settings)
    return [pv for pv in catalog.all_views() if sources is None or pv.source in sources]


def _by_database(views: list[PhysicalView]) -> dict[str, list[PhysicalView]]:
    """Views grouped by their logical database: one connection each (opening a DuckDB file
    costs about as much as reading a small view)."""
    grouped: dict[str, list[PhysicalView]] = {}
    for pv in views:
        grouped.setdefault(pv.database, []).append(pv)
    return grouped


def duplicate_rows(settings: Settings, sources: list[str] | None = None) -> int:
    """Insert every row of the views of ``sources`` (all when None) a second time; rows added."""
    added = 0
    for database, views in sorted(_by_database(source_views(settings, sources)).items()):
        with source_connection(settings, database) as run:
            for pv in views:
                table = f'{{schema}}."{pv.view}"'
                n = run(f"SELECT COUNT(*) FROM {table}")[0][0]
                run(f"INSERT INTO {table} SELECT * FROM {table}")
                added += int(n)
    return added


def update_rows(settings: Settings, source: str, view: str, set_sql: str, where_sql: str) -> int:
    """``UPDATE`` some rows of one view; returns the rows changed."""
    pv = next(v for v in source_views(settings, [source]) if v.view == view)
    with source_connection(settings, pv.database) as run:
        table = f'{{schema}}."{pv.view}"'
        n = run(f"SELECT COUNT(*) FROM {table} WHERE {where_sql}")[0][0]
        run(f"UPDATE {table} SET {set_sql} WHERE {where_sql}")
    return int(n)


def retype_column(settings: Settings, source: str, view: str, column: str, new_type: str) -> None:
    """Change the type a view holds for a column (e.g. a date column held as text)."""
    pv = next(v for v in source_views(settings, [source]) if v.view == view)
    with source_connection(settings, pv.database) as run:
        table = f'{{schema}}."{pv.view}"'
        if settings.backend == "duckdb":
            run(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {new_type}')
        else:
            run(
                f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {new_type} '
                f'USING "{column}"::{new_type}'
            )


def source_digest(settings: Settings) -> str:
    """A digest of every source view's rows (to show that a build wrote nothing to a source)."""
    import hashlib

    parts = []
    for database, views in sorted(_by_database(source_views(settings)).items()):
        with source_connection(settings, database) as run:
            for pv in views:
                table = f'{{schema}}."{pv.view}"'
                if settings.backend == "duckdb":
                    row = run(f"SELECT COUNT(*), COALESCE(SUM(hash(t)), 0) FROM {table} AS t")[0]
                else:
                    row = run(
                        "SELECT COUNT(*), COALESCE(SUM(hashtext(CAST(t AS TEXT))::bigint), 0) "
                        f"FROM {table} AS t"
                    )[0]
                parts.append(f"{pv.view}:{row[0]}:{row[1]}")
    return hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]
