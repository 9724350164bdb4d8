"""Rewrite every source view's table with its rows in another physical order (fixed seed).

A build must not depend on the order in which a source hands out its rows: SQL without ORDER BY
may return them in any order, and SQL Server, PostgreSQL and DuckDB all do so in practice
(parallel scans, heap order after updates, another extract of the same data). The determinism
tests build once from the generated sources, shuffle them with :func:`shuffle_source_rows`, build
again and compare every table byte for byte.

``shuffle_source_rows(settings, seed=1)`` rewrites, in place, every physical view of the source
catalog that exists as a table: DuckDB files ``<source_dir>/<database>.duckdb`` (schema
``project_schema``) or the PostgreSQL schemas named as the source databases (in the workspace
database, where :func:`leo_assets.synthetic.generate` writes them). The new order is a hash of each
whole row and the seed, so the same seed gives the same order and another seed another; the rows
themselves (values and count) are unchanged. Returns ``{view: rows}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from leo_assets.settings import PROJECT_DIR, Settings
from leo_assets.sqlproject.sources import load_catalog


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def shuffle_table_rows(conn: Any, dialect: str, schema: str, name: str, seed: int = 1) -> int:
    """Rewrite table ``schema.name`` in a seeded shuffled physical order on an open SQLAlchemy
    connection to DuckDB or PostgreSQL (same rows, another order); returns its rows."""
    if dialect == "duckdb":
        order = f"hash(t, {int(seed)}), hash(CAST(t AS VARCHAR), {int(seed) + 1})"
    elif dialect == "postgres":
        order = f"md5(CAST(t AS text) || '{int(seed)}')"
    else:
        raise ValueError(f"shuffle_table_rows: {dialect} is not supported (DuckDB, PostgreSQL)")
    # rewritten in place (views that read the table, e.g. staging, stay valid)
    table, tmp = f"{_q(schema)}.{_q(name)}", _q(f"shuffled__{name}")
    conn.execute(
        sa.text(f"CREATE TEMPORARY TABLE {tmp} AS SELECT * FROM {table} AS t ORDER BY {order}")
    )
    conn.execute(sa.text(f"TRUNCATE TABLE {table}"))
    conn.execute(sa.text(f"INSERT INTO {table} SELECT * FROM {tmp}"))
    conn.execute(sa.text(f"DROP TABLE {tmp}"))
    return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar())


def shuffle_source_rows(
    settings: Settings, seed: int = 1, sql_dir: Path | None = None
) -> dict[str, int]:
    """Rewrite every source table in a shuffled physical row order; returns ``{view: rows}``."""
    catalog = load_catalog(Path(sql_dir or PROJECT_DIR / "sql"), settings)
    seed = int(seed)
    done: dict[str, int] = {}
    if settings.backend == "duckdb":
        schema = settings.project_schema
        by_database: dict[str, list[str]] = {}
        for pv in catalog.all_views():
            by_database.setdefault(catalog.physical_database(pv.database), []).append(pv.view)
        for database, views in sorted(by_database.items()):
            path = settings.source_dir_path() / f"{database}.duckdb"
            if not path.exists():
                continue
            con = duckdb.connect(str(path))
            try:
                con.execute("SET preserve_insertion_order = true")
                existing = {
                    r[0]
                    for r in con.execute(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = ? AND table_type = 'BASE TABLE'",
                        [schema],
                    ).fetchall()
                }
                for view in sorted(set(views) & existing):
                    table, tmp = f"{_q(schema)}.{_q(view)}", f"{_q(schema)}.{_q(view + '__shuf')}"
                    con.execute("BEGIN")
                    con.execute(
                        f"CREATE TABLE {tmp} AS SELECT * FROM {table} AS t "
                        f"ORDER BY hash(t, {seed}), hash(CAST(t AS VARCHAR), {seed + 1})"
                    )
                    con.execute(f"DROP TABLE {table}")
                    con.execute(f"ALTER TABLE {tmp} RENAME TO {_q(view)}")
                    con.execute("COMMIT")
                    done[view] = int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                con.execute("CHECKPOINT")
            finally:
                con.close()
        return done
    engine = sa.create_engine(settings.url())
    try:
        with engine.begin() as conn:
            for pv in catalog.all_views():
                database = catalog.physical_database(pv.database)
                kind = conn.execute(
                    sa.text(
                        "SELECT table_type FROM information_schema.tables "
                        "WHERE table_schema = :s AND table_name = :t"
                    ),
                    {"s": database, "t": pv.view},
                ).scalar()
                if kind != "BASE TABLE":
                    continue
                done[pv.view] = shuffle_table_rows(conn, "postgres", database, pv.view, seed)
                conn.execute(sa.text(f"ANALYZE {_q(database)}.{_q(pv.view)}"))
    finally:
        engine.dispose()
    return done


__all__ = ["shuffle_source_rows", "shuffle_table_rows"]
