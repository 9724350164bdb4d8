"""Bulk writers for the synthetic sources and truth: DuckDB files or a PostgreSQL server.

DuckDB: one file per source database, ``<source_dir>/<physical db>.duckdb``, tables in schema
``settings.project_schema``; the truth in ``<source_dir>/leo_truth.duckdb``, schema ``truth``.
Everything is written into a temporary folder first and moved into place only when complete.

PostgreSQL: one schema per source database named exactly as the physical database, and schema
``leo_truth``; written into temporary schemas and swapped in by renaming, in one transaction.

Rows arrive as Arrow tables; they are sorted by their natural key and cast to the declared types
by DuckDB (``CREATE TABLE ... AS SELECT CAST(...)`` / ``INSERT ... SELECT CAST(...)``). For
PostgreSQL the cast result is streamed with ``COPY ... FROM STDIN (FORMAT csv)``.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv

from leo_assets.settings import Settings, validate_identifier
from leo_assets.sqlproject.sources import PhysicalView, SourceCatalog, sql_type

TRUTH_FILE = "leo_truth.duckdb"
TRUTH_SCHEMA_DUCKDB = "truth"
TRUTH_SCHEMA_POSTGRES = "leo_truth"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _portable(typ: str, dialect: str) -> str:
    if dialect == "postgres" and typ.upper() == "DOUBLE":
        return "DOUBLE PRECISION"
    return typ


def view_columns(pv: PhysicalView, dialect: str) -> list[tuple[str, str]]:
    return [(physical, sql_type(decl.type, dialect)) for physical, _stem, decl in pv.columns]


def _cast_select(
    columns: list[tuple[str, str]], source: str, order: list[str] | None = None
) -> str:
    sql = (
        "SELECT "
        + ", ".join(f"CAST({q(c)} AS {t}) AS {q(c)}" for c, t in columns)
        + f" FROM {source}"
    )
    names = {c for c, _ in columns}
    keys = [k for k in (order or []) if k in names]
    if keys:
        sql += " ORDER BY " + ", ".join(q(k) for k in keys)
    return sql


def _rechunk(table: pa.Table, rows: int = 100_000) -> pa.Table:
    """Small record batches let DuckDB scan the Arrow table in parallel."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), schema=table.schema)


class Sink:
    """Where generated tables go. Chunks of one table are buffered and written in bulk: when the
    buffered rows exceed ``flush_rows`` (bounding memory) or at the end, sorted by their keys."""

    location: dict[str, str]
    flush_rows = 2_000_000

    def _init_buffers(self) -> None:
        self._buf: dict[tuple[str, str], list[pa.Table]] = {}
        self._meta: dict[tuple[str, str], tuple[list, list | None]] = {}
        self._buffered = 0

    def append(
        self, key: tuple[str, str], columns: list[tuple[str, str]], table: pa.Table, sort_keys=None
    ) -> None:
        if table.num_rows == 0:
            return
        self._buf.setdefault(key, []).append(table)
        self._meta[key] = (columns, sort_keys)
        self._buffered += table.num_rows
        if self._buffered >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for key in sorted(self._buf):
            chunks = self._buf[key]
            columns, sort_keys = self._meta[key]
            table = (
                chunks[0]
                if len(chunks) == 1
                else pa.concat_tables(chunks, promote_options="permissive")
            )
            self._write(key, columns, _rechunk(table), sort_keys)
        self._buf.clear()
        self._buffered = 0

    def release(self) -> None:
        """Called between cohorts: write the rows buffered so far and give back what the engine
        caches of them, so that the next cohort starts from an empty sink."""
        self.flush()

    def _write(
        self,
        key: tuple[str, str],
        columns: list[tuple[str, str]],
        table: pa.Table,
        order: list[str] | None,
    ) -> None:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def count(self, key: tuple[str, str]) -> int:
        raise NotImplementedError

    def table_name(self, key: tuple[str, str]) -> str:
        raise NotImplementedError


class DuckDBSink(Sink):
    """Tables keyed by (database, table); database is a physical source database or 'truth'."""

    dialect = "duckdb"

    def __init__(self, settings: Settings, catalog: SourceCatalog, memory_limit: str = "1GB"):
        self.settings = settings
        self.dir = settings.source_dir_path()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tmp = self.dir / f".synthetic-tmp-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        self.schema = validate_identifier(settings.project_schema, "project_schema")
        # the limit bounds DuckDB's share of generate's peak (see release); sorts beyond it
        # spill here
        self.con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "temp_directory": str(self.tmp / "spill"),
                "preserve_insertion_order": True,
            }
        )
        self.con.execute("SET enable_progress_bar = false")
        self.databases = sorted(
            {catalog.physical_database(pv.database) for pv in catalog.all_views()}
            | set(settings.source_databases.values())
        )
        self._attach()
        for db in self.databases:
            self.con.execute(f"CREATE SCHEMA {q(db)}.{q(self.schema)}")
        self.con.execute(f"CREATE SCHEMA leo_truth.{TRUTH_SCHEMA_DUCKDB}")
        self.created: set[tuple[str, str]] = set()
        self._init_buffers()
        self.location = {db: str(self.dir / f"{db}.duckdb") for db in self.databases}
        self.location["truth"] = str(self.dir / TRUTH_FILE)

    def _target(self, key: tuple[str, str]) -> str:
        db, table = key
        if db == "truth":
            return f"leo_truth.{TRUTH_SCHEMA_DUCKDB}.{q(table)}"
        return f"{q(db)}.{q(self.schema)}.{q(table)}"

    def table_name(self, key) -> str:
        return self._target(key)

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def count(self, key) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {self._target(key)}").fetchone()[0])

    def _write(self, key, columns, table, order=None) -> None:
        self.con.register("_chunk", table)
        try:
            select = _cast_select(columns, "_chunk", order)
            if key in self.created:
                self.con.execute(f"INSERT INTO {self._target(key)} {select}")
            else:
                self.con.execute(f"CREATE TABLE {self._target(key)} AS {select}")
                self.created.add(key)
        finally:
            self.con.unregister("_chunk")

    def release(self) -> None:
        super().release()
        # DuckDB keeps the blocks of every table it wrote cached until its memory limit is
        # reached, so over several cohorts its share of the peak would grow with the cohorts:
        # detaching a file drops its blocks (and checkpoints it), attaching it again costs nothing
        self._detach()
        self._attach()

    def _attach(self) -> None:
        for db in self.databases:
            self.con.execute(f"ATTACH {_lit(self.tmp / (db + '.duckdb'))} AS {q(db)}")
        self.con.execute(f"ATTACH {_lit(self.tmp / TRUTH_FILE)} AS leo_truth")

    def _detach(self) -> None:
        for db in self.databases:
            self.con.execute(f"DETACH {q(db)}")
        self.con.execute("DETACH leo_truth")

    def ensure(self, key, columns) -> None:
        if key in self.created or key in self._buf:
            return
        cols = ", ".join(f"CAST(NULL AS {t}) AS {q(c)}" for c, t in columns)
        self.con.execute(f"CREATE TABLE {self._target(key)} AS SELECT {cols} WHERE false")
        self.created.add(key)

    def finish(self) -> None:
        self.flush()
        self.con.execute("CHECKPOINT")
        self._detach()
        self.con.close()
        for name in [db + ".duckdb" for db in self.databases] + [TRUTH_FILE]:
            final = self.dir / name
            wal = final.with_name(final.name + ".wal")
            if wal.exists():
                wal.unlink()
            os.replace(self.tmp / name, final)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def abort(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


class PostgresSink(Sink):
    """Schemas named as the physical source databases, plus ``leo_truth``; swapped in at the end."""

    dialect = "postgres"

    def __init__(
        self, url: str, settings: Settings, catalog: SourceCatalog, batch_rows: int = 500_000
    ):
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        if u.get_backend_name() != "postgresql":
            raise ValueError("target_url must be a postgresql URL (postgresql+psycopg://...)")
        password = u.password or os.environ.get("LEO_WORKSPACE_PASSWORD")
        conninfo = u.set(drivername="postgresql", password=password).render_as_string(
            hide_password=False
        )
        self.redacted = u.render_as_string(hide_password=True)
        self.conn = psycopg.connect(conninfo, autocommit=False)
        self.batch_rows = batch_rows
        self.duck = duckdb.connect()
        self.duck.execute("SET enable_progress_bar = false")
        self.databases = sorted(
            {catalog.physical_database(pv.database) for pv in catalog.all_views()}
            | set(settings.source_databases.values())
        )
        self.final = {db: validate_identifier(db, "source_databases") for db in self.databases}
        self.final["truth"] = TRUTH_SCHEMA_POSTGRES
        self.tmp = {k: f"{v}__synthetic_tmp" for k, v in self.final.items()}
        with self.conn.cursor() as cur:
            for schema in self.tmp.values():
                cur.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
                cur.execute(f"CREATE SCHEMA {q(schema)}")
        self.conn.commit()
        self.created: set[tuple[str, str]] = set()
        self._init_buffers()
        self.location = {db: f"{self.redacted} schema {self.final[db]}" for db in self.databases}
        self.location["truth"] = f"{self.redacted} schema {TRUTH_SCHEMA_POSTGRES}"

    def _target(self, key) -> str:
        db, table = key
        return f"{q(self.tmp[db])}.{q(table)}"

    def _create(self, key, columns) -> None:
        cols = ", ".join(f"{q(c)} {_portable(t, 'postgres')}" for c, t in columns)
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {self._target(key)} ({cols})")
        self.created.add(key)

    def table_name(self, key) -> str:
        return self._target(key)

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)

    def count(self, key) -> int:
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {self._target(key)}")
            return int(cur.fetchone()[0])

    def _write(self, key, columns, table, order=None) -> None:
        if key not in self.created:
            self._create(key, columns)
        self.duck.register("_chunk", table)
        try:
            duck_cols = [(c, _duck_equivalent(t)) for c, t in columns]
            typed = self.duck.execute(_cast_select(duck_cols, "_chunk", order)).to_arrow_table()
        finally:
            self.duck.unregister("_chunk")
        names = ", ".join(q(c) for c, _ in columns)
        copy_sql = f"COPY {self._target(key)} ({names}) FROM STDIN WITH (FORMAT csv)"
        with self.conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for start in range(0, typed.num_rows, self.batch_rows):
                buf = io.BytesIO()
                pcsv.write_csv(
                    typed.slice(start, self.batch_rows),
                    buf,
                    pcsv.WriteOptions(include_header=False),
                )
                copy.write(buf.getvalue())

    def ensure(self, key, columns) -> None:
        if key not in self.created and key not in self._buf:
            self._create(key, columns)

    def finish(self) -> None:
        self.flush()
        with self.conn.cursor() as cur:
            for k, final in self.final.items():
                cur.execute(f"DROP SCHEMA IF EXISTS {q(final)} CASCADE")
                cur.execute(f"ALTER SCHEMA {q(self.tmp[k])} RENAME TO {q(final)}")
        self.conn.commit()
        self.conn.close()
        self.duck.close()

    def abort(self) -> None:
        try:
            self.conn.rollback()
            with self.conn.cursor() as cur:
                for schema in self.tmp.values():
                    cur.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
            self.conn.commit()
        finally:
            self.conn.close()
            self.duck.close()


def _duck_equivalent(pg_type: str) -> str:
    """A PostgreSQL type name from sql_type() as DuckDB understands it (for the cast step)."""
    t = pg_type.upper()
    if t.startswith(("CHAR(", "VARCHAR(")) or t == "TEXT":
        return "VARCHAR"
    if t == "DOUBLE PRECISION":
        return "DOUBLE"
    return pg_type


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
