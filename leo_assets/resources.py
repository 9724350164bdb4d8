"""The one resource that talks to the workspace database, and the DDL it generates per engine.

* Writes go only to the configured workspace schema: every DDL statement is built from a
  :class:`Target`, and a target outside that schema raises :class:`WriteRefused`.
* A table is built as ``<name>__new``, gated by the error-severity checks, then swapped in, in
  one transaction; any failure leaves the previous table as it was.
* DuckDB attaches each source database file read-only, so the pipeline cannot write to it.
* The URL shown anywhere (resource config, logs, metadata, errors) has no password.
"""

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlglot import exp

from leo_assets.settings import Settings, SettingsError, validate_identifier
from leo_assets.sqlproject.compile import tsql_select_into
from leo_assets.sqlproject.sources import PhysicalView, SourceCatalog, sql_type

# Workspace URLs with their secrets, keyed by the redacted URL: filled when definitions are built
# from settings, read when a run opens its connection. Never in resource config, so never in the
# UI or Dagster's run storage. _PASSWORDS holds every secret value seen, for redact().
_URLS: dict[str, URL] = {}
_PASSWORDS: dict[str, str] = {}
# a query parameter or ODBC attribute whose name says it holds a secret
SECRET_NAME = re.compile(
    r"(?i)^(pwd|pass|passwd|password|.*password|.*secret.*|.*token.*|.*api_?key.*|"
    r"access_?key.*|.*credential.*|sas|sig|signature)$"
)
_ODBC_SECRET = re.compile(
    r"(?i)(\b(?:pwd|password|[a-z_]*secret[a-z_]*|[a-z_]*token[a-z_]*)\s*=\s*)(\{[^}]*\}|[^;]*)"
)
BACKEND_DIALECT = {"duckdb": "duckdb", "postgresql": "postgres", "mssql": "tsql"}


class WriteRefused(PermissionError):
    """Something tried to write outside the workspace schema."""


class SourceViewError(LookupError):
    """A source view or column that the declaration and settings require is missing."""


class SourceTypeError(SourceViewError):
    """A source column holds another type than its declaration."""


class BuildError(RuntimeError):
    """A table could not be built or failed a blocking check; the previous table is untouched."""


class BlockingChecksFailed(BuildError):
    """Error-severity checks failed on a new table, which was therefore not swapped in."""

    def __init__(self, message: str, outcomes: list):
        super().__init__(message)
        self.outcomes = outcomes


def _remember(secret: str) -> None:
    secret = str(secret)
    if len(secret) >= 3:  # a one- or two-character "secret" would redact every message to noise
        _PASSWORDS[secret] = secret


def redacted_url(url: URL) -> str:
    """``url`` as text with every secret masked: the password field, any query parameter named
    like a secret (``password``, ``pwd``, ``token``, ``api_key``...) and, inside ``odbc_connect``,
    ``PWD=``/``Password=`` and similar ODBC attributes."""
    query: dict[str, Any] = {}
    for name, value in url.query.items():
        values = value if isinstance(value, tuple) else (value,)
        if SECRET_NAME.match(name):
            query[name] = tuple("***" for _ in values) if isinstance(value, tuple) else "***"
        elif name.lower() == "odbc_connect":
            masked = tuple(_ODBC_SECRET.sub(r"\1***", str(v)) for v in values)
            query[name] = masked if isinstance(value, tuple) else masked[0]
        else:
            query[name] = value
    masked_url = url.set(query=query)
    return masked_url.render_as_string(hide_password=True)


def url_secrets(url: URL) -> list[str]:
    """Every secret value a URL holds (see :func:`redacted_url`)."""
    found = [str(url.password)] if url.password else []
    for name, value in url.query.items():
        for v in value if isinstance(value, tuple) else (value,):
            if SECRET_NAME.match(name):
                found.append(str(v))
            elif name.lower() == "odbc_connect":
                for m in _ODBC_SECRET.finditer(str(v)):
                    found.append(m.group(2).strip("{}"))
    return [f for f in found if f]


def register_password(url: URL) -> str:
    """Remember a URL (and its secrets) in-process and return the URL without any secret."""
    redacted = redacted_url(url)
    secrets = url_secrets(url)
    for secret in secrets:
        _remember(secret)
    if secrets:
        _URLS[redacted] = url
    return redacted


def redact(message: str, url: URL | str | None = None) -> str:
    """Remove every known secret (as written and URL-encoded) and anything shaped like one:
    ``user:password@`` in a URL, ``PWD=``/``Password=`` attributes, secret-named parameters."""
    message = str(message)
    for secret in sorted(_PASSWORDS.values(), key=len, reverse=True):
        for form in {
            secret,
            quote(secret, safe=""),
            quote_plus(secret),
            quote(quote(secret, safe=""), safe=""),
        }:
            message = message.replace(form, "***")
    message = re.sub(r"(://[^:/@\s]*):[^@\s]+@", r"\1:***@", message)
    message = _ODBC_SECRET.sub(r"\1***", message)
    message = re.sub(
        r"(?i)([?&;](?:pwd|password|[a-z_]*secret[a-z_]*|[a-z_]*token[a-z_]*|api_?key)=)[^&;\s'\"]*",
        r"\1***",
        message,
    )
    message = re.sub(r"(?i)(PWD%3D|Password%3D)[^%&\s]*(%3B)?", r"\1***\2", message)
    return message


@dataclass(frozen=True)
class Target:
    """A relation leo-assets may write: always inside the workspace schema."""

    schema: str
    name: str

    def sql(self, dialect: str) -> str:
        if dialect == "tsql":
            return f"[{self.schema}].[{self.name}]"
        return f'"{self.schema}"."{self.name}"'


# ---------------------------------------------------------------------------- source types
KS4_SOURCE = "ks4"  # the source whose years setting 'ks4_cohorts' names
COMPATIBLE_FAMILIES = {
    ("decimal", "integer"),  # whole numbers read as decimals exactly
    ("bit", "integer"),  # 0/1 read through CAST(x AS INT)
    ("integer", "bit"),
}


def type_family(typ: str) -> str:
    """date, integer, decimal, text, bit or the type itself, for a declared or found type."""
    t = typ.strip().lower().split("(")[0]
    if t in (
        "date",
        "datetime",
        "datetime2",
        "smalldatetime",
        "timestamp",
        "timestamp without time zone",
    ):
        return "date"
    if t in (
        "int",
        "integer",
        "smallint",
        "bigint",
        "tinyint",
        "hugeint",
        "int2",
        "int4",
        "int8",
        "ubigint",
        "uinteger",
        "usmallint",
        "utinyint",
    ):
        return "integer"
    if t in ("decimal", "numeric", "money", "smallmoney"):
        return "decimal"
    if t in (
        "char",
        "varchar",
        "nchar",
        "nvarchar",
        "text",
        "ntext",
        "character varying",
        "character",
        "bpchar",
        "string",
    ):
        return "text"
    if t in ("bit", "boolean", "bool"):
        return "bit"
    return t


def _q(name: str, dialect: str) -> str:
    return f"[{name}]" if dialect == "tsql" else '"' + name.replace('"', '""') + '"'


def unreadable_values_sql(dialect: str, table: str, column: str, family: str) -> str:
    """(values that cannot be read as ``family``, non-blank values) of a text column."""
    col = _q(column, dialect)
    target = {"date": "DATE", "integer": "BIGINT", "decimal": "DECIMAL(38, 10)"}[family]
    if dialect == "postgres":
        pattern = {
            "date": r"^\s*\d{4}-\d{2}-\d{2}\s*$",
            "integer": r"^\s*[-+]?\d+\s*$",
            "decimal": r"^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$",
        }[family]
        unreadable = f"CASE WHEN {col} !~ '{pattern}' THEN 1 ELSE 0 END"
    else:
        unreadable = f"CASE WHEN TRY_CAST({col} AS {target}) IS NULL THEN 1 ELSE 0 END"
    return (
        f"SELECT COALESCE(SUM({unreadable}), 0), COUNT(*) FROM {table} "
        f"WHERE {col} IS NOT NULL AND LTRIM(RTRIM({col})) <> ''"
    )


def _year_ranges(years: list[int]) -> str:
    """2012-2016, 2018"""
    out: list[str] = []
    for y in sorted(years):
        if out and int(out[-1].split("-")[-1]) == y - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


# ---------------------------------------------------------------------------- DDL per dialect
def ddl_create_table_as(dialect: str, target: Target, select_sql: str) -> list[str]:
    if dialect == "tsql":
        return [tsql_select_into(select_sql, target.sql(dialect))]
    return [f"CREATE TABLE {target.sql(dialect)} AS\n{select_sql}"]


def ddl_create_view_as(dialect: str, target: Target, select_sql: str) -> list[str]:
    return [f"CREATE VIEW {target.sql(dialect)} AS\n{select_sql}"]


def ddl_drop(dialect: str, target: Target, kind: str) -> list[str]:
    keyword = "VIEW" if kind == "view" else "TABLE"
    return [f"DROP {keyword} IF EXISTS {target.sql(dialect)}"]


def ddl_rename(dialect: str, source: Target, new_name: str, kind: str) -> list[str]:
    if source.schema != validate_identifier(source.schema, "workspace_schema"):
        raise WriteRefused(source.schema)
    validate_identifier(new_name, "table name")
    if dialect == "tsql":
        return [f"EXEC sp_rename '{source.schema}.{source.name}', '{new_name}', 'OBJECT'"]
    keyword = "VIEW" if kind == "view" else "TABLE"
    return [f'ALTER {keyword} {source.sql(dialect)} RENAME TO "{new_name}"']


def ddl_swap(
    dialect: str, new: Target, final: Target, new_kind: str, old_kind: str | None
) -> list[str]:
    """Statements that replace ``final`` by ``new`` (run in one transaction)."""
    old = Target(final.schema, f"{final.name}__old")
    stmts: list[str] = []
    if old_kind is not None:
        stmts += ddl_rename(dialect, final, old.name, old_kind)
    stmts += ddl_rename(dialect, new, final.name, new_kind)
    if old_kind is not None:
        stmts += ddl_drop(dialect, old, old_kind)
    return stmts


def ddl_index(dialect: str, target: Target, columns: list[str], index_name: str) -> list[str]:
    for c in columns:
        validate_identifier(c, "index column")
    validate_identifier(index_name, "index name")
    if dialect == "tsql":
        cols = ", ".join(f"[{c}]" for c in columns)
        return [f"CREATE INDEX [{index_name}] ON {target.sql(dialect)} ({cols})"]
    cols = ", ".join(f'"{c}"' for c in columns)
    return [f'CREATE INDEX "{index_name}" ON {target.sql(dialect)} ({cols})']


def ddl_create_schema(dialect: str, schema: str) -> list[str]:
    if dialect == "tsql":
        return [f"IF SCHEMA_ID('{schema}') IS NULL EXEC('CREATE SCHEMA [{schema}]')"]
    return [f'CREATE SCHEMA IF NOT EXISTS "{schema}"']


def fingerprint_sql(dialect: str, relation_sql: str) -> str:
    """Row count and an order-independent content hash of one relation."""
    if dialect == "duckdb":
        return (
            f"SELECT COUNT(*), CAST(COALESCE(SUM(hash(v)), 0) AS VARCHAR) FROM {relation_sql} AS v"
        )
    if dialect == "postgres":
        return (
            "SELECT COUNT(*), CAST(COALESCE(SUM(CAST(hashtext(CAST(v AS TEXT)) AS BIGINT)), 0) "
            f"AS VARCHAR) FROM {relation_sql} AS v"
        )
    return (
        "SELECT COUNT_BIG(*), CAST(COALESCE(CHECKSUM_AGG(BINARY_CHECKSUM(*)), 0) AS VARCHAR(20)) "
        f"FROM {relation_sql}"
    )


def duckdb_tuning(
    env: dict[str, str] | None = None, total_memory: int | None = None
) -> dict[str, str]:
    """DuckDB settings of every workspace connection (benchmarks/notes.md says why).

    * ``preserve_insertion_order = false``: no table here relies on row order (every reader
      orders or aggregates), and keeping it lets ``CREATE TABLE AS`` over tens of millions of rows
      hold whole intermediate results in memory.
    * ``memory_limit``: half the machine's memory, at most 4 GB (DuckDB's default, 80 %, let a
      600,000-pupil build reach 9.6 GB resident; with 6 GB it peaked at 7.3 GB, with 4 GB at
      5.1-5.2 GB, its time within the spread of two runs: docs/benchmarks.md, whose notes give
      the largest queries' cost alone, 5-7 %); larger operators spill to ``temp_directory``
      (DuckDB's default: ``<workspace>.duckdb.tmp``).

    ``LEO_DUCKDB_MEMORY_LIMIT`` (e.g. ``12GB``) and ``LEO_DUCKDB_THREADS`` override them.
    """
    env = dict(os.environ) if env is None else env
    if total_memory is None:
        try:
            total_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total_memory = 8 * 2**30
    limit_mb = max(512, min(4 * 1024, total_memory // 2**20 // 2))
    settings = {"preserve_insertion_order": "false", "memory_limit": f"'{limit_mb}MB'"}
    memory = env.get("LEO_DUCKDB_MEMORY_LIMIT", "").strip()
    if memory:
        if not re.fullmatch(
            r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", memory, re.IGNORECASE
        ):
            raise BuildError(f"LEO_DUCKDB_MEMORY_LIMIT={memory!r}: expected a size such as 6GB")
        settings["memory_limit"] = f"'{memory}'"
    threads = env.get("LEO_DUCKDB_THREADS", "").strip()
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise BuildError(f"LEO_DUCKDB_THREADS={threads!r}: expected a positive whole number")
        settings["threads"] = threads
    return settings


def postgres_work_mem(env: dict[str, str] | None = None) -> str:
    """``work_mem`` of every PostgreSQL workspace session: 256MB, or ``LEO_PG_WORK_MEM``.

    PostgreSQL's default of 4MB is sized for many small transactions. With it, grouping the
    1.4 million census person-terms of a 50,000-pupil cohort (which the planner estimates at a
    tenth of that: it cannot know how few rows share three keys) spilled in a cascade of hash
    partitions and took minutes; with 64MB it took one second. Each sort or hash of a query may
    use this much, so the server needs a few times this per build.
    """
    env = dict(os.environ) if env is None else env
    value = env.get("LEO_PG_WORK_MEM", "").strip() or "256MB"
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)", value):
        raise BuildError(f"LEO_PG_WORK_MEM={value!r}: expected a size such as 256MB")
    return value.replace(" ", "")


class WorkspaceDatabase(ConfigurableResource):
    """SQL execution against the workspace database (DuckDB, PostgreSQL or SQL Server)."""

    url: str  # without password: see register_password
    workspace_schema: str = "leo_assets"
    source_dir: str = ""  # DuckDB: folder of <database>.duckdb source files
    # a config field: pydantic copies the default for every instance
    source_databases: dict[str, str] = {}  # noqa: RUF012

    _engine: Engine | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(
        cls, settings: Settings, project_dir: Path | None = None
    ) -> "WorkspaceDatabase":
        kwargs = {} if project_dir is None else {"project_dir": project_dir}
        url = settings.url(**kwargs)
        return cls(
            url=register_password(url),
            workspace_schema=settings.workspace_schema,
            source_dir=str(settings.source_dir_path(**kwargs)),
            source_databases=dict(settings.source_databases),
        )

    # ------------------------------------------------------------------ connection
    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._engine = None

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.dispose()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()  # releases DuckDB's file lock
            self._engine = None

    @property
    def backend(self) -> str:
        return make_url(self.url).get_backend_name()

    @property
    def dialect(self) -> str:
        return BACKEND_DIALECT[self.backend]

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = _URLS.get(self.url) or make_url(self.url)
            if self.backend == "duckdb" and url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs: dict[str, Any] = {}
            if self.backend == "duckdb":
                kwargs["poolclass"] = StaticPool
            if self.backend == "postgresql":
                kwargs["connect_args"] = {"options": f"-c work_mem={postgres_work_mem()}"}
            try:
                engine = create_engine(url, **kwargs)
            except Exception as exc:
                raise BuildError(redact(f"cannot open workspace {self.url}: {exc}")) from None
            if self.backend == "duckdb":
                event.listen(engine, "connect", self._duckdb_on_connect)
            self._engine = engine
        return self._engine

    def _duckdb_on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET python_enable_replacements = false")
        for setting, value in duckdb_tuning().items():
            cursor.execute(f"SET {setting} = {value}")
        for logical, database in sorted(self.source_databases.items()):
            path = Path(self.source_dir) / f"{database}.duckdb"
            if path.exists():
                # the path is a quoted literal (a folder may hold ' or "); the name an identifier
                literal = "'" + path.as_posix().replace("'", "''") + "'"
                name = validate_identifier(database, f"source_databases.{logical}")
                cursor.execute(f'ATTACH IF NOT EXISTS {literal} AS "{name}" (READ_ONLY)')
        cursor.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except (BuildError, SourceViewError, WriteRefused):
            raise
        except Exception as exc:
            raise BuildError(redact(f"{type(exc).__name__}: {exc}")) from None

    def rows(self, sql: str) -> list[tuple]:
        with self.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).fetchall()]

    def scalar(self, sql: str) -> Any:
        with self.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def execute(self, statements: list[str]) -> None:
        """Run statements in one transaction."""
        with self.engine.begin() as conn:
            for stmt in statements:
                conn.execute(text(stmt))

    # ------------------------------------------------------------------ targets and metadata
    def target(self, name: str, schema: str | None = None) -> Target:
        schema = self.workspace_schema if schema is None else schema
        if schema != self.workspace_schema:
            raise WriteRefused(
                f"refused to write {schema}.{name}: leo-assets writes only to the workspace schema "
                f"{self.workspace_schema!r} (setting 'workspace_schema')"
            )
        if schema in self.source_databases.values():
            raise WriteRefused(f"refused to write {schema}.{name}: {schema} is a source database")
        return Target(
            validate_identifier(schema, "workspace_schema"), validate_identifier(name, "table name")
        )

    def relation_kind(self, name: str) -> str | None:
        """'table', 'view' or None for a relation of the workspace schema."""
        schema_col = "TABLE_SCHEMA" if self.dialect == "tsql" else "table_schema"
        sql = (
            "SELECT table_type FROM information_schema.tables "
            f"WHERE {schema_col} = '{self.workspace_schema}' AND table_name = "
            f"'{validate_identifier(name, 'table name')}'"
        )
        if self.dialect == "duckdb":
            sql += " AND table_catalog = current_database()"
        found = self.rows(sql)
        if not found:
            return None
        return "view" if "VIEW" in str(found[0][0]).upper() else "table"

    def columns(self, name: str) -> list[tuple[str, str]]:
        """(column, type) of a workspace relation in its column order; [] when it does not exist.

        DuckDB: ``DESCRIBE`` of the one relation (8 ms), not its ``information_schema``, which
        scans every attached source database's catalogue (40 ms, once per asset in a build).
        """
        if self.dialect == "duckdb":
            target = self.target(name).sql(self.dialect)
            try:
                return [(row[0], row[1]) for row in self.rows(f"DESCRIBE {target}")]
            except BuildError as exc:
                if "does not exist" in str(exc):
                    return []
                raise
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.workspace_schema}' AND table_name = "
            f"'{validate_identifier(name, 'table name')}'"
        )
        if self.dialect == "duckdb":
            sql += " AND table_catalog = current_database()"
        sql += " ORDER BY ordinal_position"
        return self.rows(sql)

    def ensure_schema(self) -> None:
        self.execute(ddl_create_schema(self.dialect, self.target("_").schema))

    # ------------------------------------------------------------------ sources
    def source_columns(
        self, catalog: SourceCatalog, database: str, views: list[str]
    ) -> dict[str, dict[str, str]]:
        """Columns (lower case name -> type) of ``views`` of a logical source database, by view
        name; a view that does not exist is left out. One catalogue query for all of them."""
        physical = catalog.physical_database(database)
        schema = catalog.settings.project_schema
        names = ", ".join(f"'{validate_identifier(v, 'source view')}'" for v in sorted(views))
        if self.dialect == "duckdb":
            sql = (
                "SELECT table_name, lower(column_name), data_type FROM information_schema.columns "
                f"WHERE table_catalog = '{physical}' AND table_schema = '{schema}'"
            )
        elif self.dialect == "postgres":
            sql = (
                "SELECT table_name, lower(column_name), data_type FROM information_schema.columns "
                f"WHERE table_schema = '{physical}'"
            )
        else:
            sql = (
                "SELECT TABLE_NAME, LOWER(COLUMN_NAME), DATA_TYPE FROM "
                f"[{physical}].INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = '{schema}'"
            )
        sql += f" AND table_name IN ({names})" if names else " AND 1 = 0"
        found: dict[str, dict[str, str]] = {}
        for view, column, typ in self.rows(sql + " ORDER BY 1, 2"):
            found.setdefault(str(view).lower(), {})[column] = typ
        return found

    def verify_sources(self, catalog: SourceCatalog, source: str) -> tuple[frozenset, list[str]]:
        """Check the views of a source exist with their declared columns.

        Returns the (view, column) pairs of missing optional columns and the warnings to record;
        raises :class:`SourceViewError` naming the first missing view or required column.
        """
        missing_optional: set[tuple[str, str]] = set()
        warnings = list(catalog.skipped(source))
        database_of = catalog.physical_database
        views = catalog.views(source)
        columns: dict[str, dict[str, str]] = {}
        for database in sorted({pv.database for pv in views}):
            columns |= self.source_columns(
                catalog, database, [pv.view for pv in views if pv.database == database]
            )
        for pv in views:
            where = f"{database_of(pv.database)}.{catalog.settings.project_schema}.{pv.view}"
            found = columns.get(pv.view.lower())
            if found is None:
                raise SourceViewError(
                    f"source view {where} does not exist (source {pv.database}.{source}). If this "
                    "project's "
                    "extract lacks it, list it in setting 'absent_views' or narrow 'source_years'."
                )
            for physical, _stem, decl in pv.columns:
                if physical in found:
                    self._verify_type(catalog, pv, where, physical, decl.type, found[physical])
                    continue
                if decl.optional:
                    missing_optional.add((pv.view, physical))
                    warnings.append(f"{where}: optional column {physical} is missing; read as NULL")
                else:
                    raise SourceViewError(
                        f"source view {where} has no column {physical} (declared in "
                        "sql/_sources.yml)"
                    )
        if source == KS4_SOURCE:
            warnings += self._verify_cohorts(catalog)
        return frozenset(missing_optional), warnings

    def _verify_type(
        self,
        catalog: SourceCatalog,
        pv: PhysicalView,
        where: str,
        column: str,
        declared: str,
        found: str,
    ) -> None:
        """Fail naming database, view, column, declared and found type when they do not match.

        When the view holds text where a date or number is declared, the message also counts the
        values that cannot be read as the declared type.
        """
        want, have = type_family(declared), type_family(found)
        if want == have or (want, have) in COMPATIBLE_FAMILIES:
            return
        message = (
            f"source view {where}: column {column} is declared {declared} (sql/_sources.yml) "
            f"but the view holds {found}"
        )
        if have == "text" and want in ("date", "integer", "decimal"):
            table = catalog.view_table(pv, self.dialect).sql(dialect=self.dialect)
            bad, total = self.rows(unreadable_values_sql(self.dialect, table, column, want))[0]
            message += f"; {int(bad)} of {int(total)} non-blank values cannot be read as {declared}"
        raise SourceTypeError(message)

    def _verify_cohorts(self, catalog: SourceCatalog) -> list[str]:
        """Every KS4 cohort of the settings must have KS4 rows (else every cohort table is empty).

        Fails when the KS4 views hold other years but not a cohort; only warns when they hold no
        rows at all (a project may build the outcome tables without KS4).
        """
        views = {pv.year: pv for pv in catalog.views(KS4_SOURCE)}

        def has_rows(year: int) -> bool:
            if year not in views:
                return False
            table = catalog.view_table(views[year], self.dialect).sql(dialect=self.dialect)
            return self.scalar(f"SELECT COUNT(*) FROM (SELECT 1 AS x FROM {table}) AS r") > 0

        if all(has_rows(c) for c in catalog.settings.ks4_cohorts):
            return []
        held = [year for year in sorted(views) if has_rows(year)]
        missing = [c for c in catalog.settings.ks4_cohorts if c not in held]
        if not held:
            return [
                "setting 'ks4_cohorts': the KS4 views hold no rows at all: every cohort table "
                + "will be empty"
            ]
        if missing:
            raise SettingsError(
                f"setting 'ks4_cohorts': {', '.join(map(str, missing))} "
                f"{'has' if len(missing) == 1 else 'have'} no KS4 rows; the KS4 views hold "
                f"{_year_ranges(held)}"
            )
        return []

    def last_dates(self, catalog: SourceCatalog, source: str) -> tuple[str | None, str | None]:
        """(first, last) date a source holds in its declared date columns, sentinels excluded."""
        decl = catalog.decls[source]
        dates = [c.name for c in decl.columns if type_family(c.type) == "date"]
        if not dates or not catalog.views(source):
            return None, None
        missing, _ = self.verify_sources(catalog, source)
        relation = catalog.relation(source, self.dialect, missing, raw=True)
        if not isinstance(relation, exp.Table):
            relation = exp.Subquery(this=relation)
        relation = relation.as_("dated") if isinstance(relation, exp.Subquery) else relation
        lows, highs = [], []
        for c in dates:
            real = (
                f"CASE WHEN {_q(c, self.dialect)} > CAST('1900-01-01' AS DATE) AND "
                f"{_q(c, self.dialect)} < CAST('9999-01-01' AS DATE) THEN {_q(c, self.dialect)} END"
            )
            lows.append(f"MIN({real})")
            highs.append(f"MAX({real})")
        from_sql = relation.sql(dialect=self.dialect)
        row = self.rows(f"SELECT {', '.join(lows + highs)} FROM {from_sql}")[0]
        found_low = [v for v in row[: len(dates)] if v is not None]
        found_high = [v for v in row[len(dates) :] if v is not None]
        low = str(min(found_low))[:10] if found_low else None
        high = str(max(found_high))[:10] if found_high else None
        return low, high

    def fingerprint(self, catalog: SourceCatalog, source: str) -> tuple[int, str]:
        """Rows and a content hash of every view of a source (changes when the content changes)."""
        total, parts = 0, []
        for pv in catalog.views(source):
            relation = catalog.view_table(pv, self.dialect).sql(dialect=self.dialect)
            count, digest = self.rows(fingerprint_sql(self.dialect, relation))[0]
            total += int(count)
            parts.append(f"{pv.view}:{count}:{digest}")
        return total, hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ building
    def build_relation(
        self, name: str, select_sql: str, kind: str, gate, indexes: list[list[str]] = ()
    ) -> dict[str, Any]:
        """Build ``name`` as a table or view, run ``gate(new_name)``, then swap it in.

        ``gate`` receives the name of the new relation and raises to stop the swap. On any
        failure the new relation is dropped and the previous one is left as it was.
        """
        dialect = self.dialect
        final = self.target(name)
        new = self.target(f"{name}__new")
        self.ensure_schema()
        started = time.perf_counter()
        leftover = self.relation_kind(new.name)
        if leftover:
            self.execute(ddl_drop(dialect, new, leftover))
        create = ddl_create_view_as if kind == "view" else ddl_create_table_as
        if dialect == "duckdb":
            select_sql = self._duckdb_bigint_sums(final.sql(dialect), select_sql)
        statements = create(dialect, new, select_sql)
        try:
            self.execute(statements)
            gate(new.name)
            old_kind = self.relation_kind(final.name)
            self.execute(ddl_swap(dialect, new, final, kind, old_kind))
        except Exception as exc:
            # best effort: the half-built table goes; the error reported is the build's
            with contextlib.suppress(Exception):
                self.execute(ddl_drop(dialect, new, kind))
            if isinstance(exc, (BuildError, SourceViewError, WriteRefused)):
                raise
            raise BuildError(
                redact(f"building {final.sql(dialect)} failed: {type(exc).__name__}: {exc}")
            ) from None
        if dialect == "duckdb" and kind == "view":
            self._comment_attached_sources(final, select_sql)
        index_statements: list[str] = []
        if kind == "table" and dialect != "duckdb":
            for i, cols in enumerate(indexes):
                index_statements += ddl_index(dialect, final, list(cols), f"ix_{name}_{i}")
            if index_statements:
                self.execute(index_statements)
        if kind == "table":
            index_statements += self._analyze(final)
        return {
            "seconds": round(time.perf_counter() - started, 3),
            "statements": statements + index_statements,
        }

    def _comment_attached_sources(self, view: Target, select_sql: str) -> None:
        """Say on a DuckDB view which attached source files it reads: another client (DBeaver,
        the duckdb shell) opening the workspace has not attached them and reports only
        ``Catalog "LEO_i2" does not exist``; the comment (``duckdb_views().comment``) says what
        to ATTACH."""
        read = [d for d in sorted(set(self.source_databases.values())) if f'"{d}".' in select_sql]
        if not read:
            return
        attach = "; ".join(
            f"ATTACH '{(Path(self.source_dir) / f'{d}.duckdb').as_posix()}' AS \"{d}\" (READ_ONLY)"
            for d in read
        )
        hint = (
            f"Reads the source database(s) {', '.join(read)}, which leo-assets attaches on each "
            f"connection. In another DuckDB client run first: {attach}"
        )
        escaped = hint.replace("'", "''")
        self.execute([f"COMMENT ON VIEW {view.sql('duckdb')} IS '{escaped}'"])

    def _duckdb_bigint_sums(self, name: str, select_sql: str) -> str:
        """Store DuckDB's 128-bit integer sums as BIGINT, the type SQL Server and PostgreSQL give.

        DuckDB types ``SUM`` of an integer as ``HUGEINT``: every day count summed in a model would
        be a 128-bit column, which makes each reader's arithmetic several times slower (the
        person-month models by half their time, benchmarks/notes.md) and which Parquet cannot
        hold. The result columns are read from ``DESCRIBE`` (planning only, nothing runs) and the
        ``HUGEINT`` ones cast; a value beyond BIGINT fails the build rather than being cut.
        """
        try:
            columns = self.rows(f"DESCRIBE {select_sql}")
        except BuildError as exc:  # the model's SQL does not bind: say which model
            raise BuildError(f"building {name} failed: {exc}") from None
        wide = [name for name, typ, *_ in columns if typ == "HUGEINT"]
        if not wide:
            return select_sql
        casts = ", ".join(
            'CAST("{0}" AS BIGINT) AS "{0}"'.format(c.replace('"', '""')) for c in wide
        )
        return f"SELECT * REPLACE ({casts})\nFROM (\n{select_sql}\n) AS built"

    def load_seed(
        self, name: str, columns: list[tuple[str, str, str]], rows: list[tuple], gate
    ) -> dict[str, Any]:
        """Create a small reference table from rows (bound parameters, one statement)."""
        dialect = self.dialect
        final, new = self.target(name), self.target(f"{name}__new")
        self.ensure_schema()
        col_sql = ", ".join(
            f'"{c}" {sql_type(t, dialect)}' if dialect != "tsql" else f"[{c}] {t}"
            for c, t, _ in columns
        )
        leftover = self.relation_kind(new.name)
        stmts = (ddl_drop(dialect, new, leftover) if leftover else []) + [
            f"CREATE TABLE {new.sql(dialect)} ({col_sql})"
        ]
        # multi-row VALUES in chunks: one statement per chunk instead of one per row (a driver's
        # executemany runs row by row on DuckDB); SQL Server allows 2,100 parameters and 1,000 rows
        per_chunk = max(1, min(1000, 2000 // max(1, len(columns))))
        started = time.perf_counter()
        try:
            with self.engine.begin() as conn:
                for stmt in stmts:
                    conn.execute(text(stmt))
                for first in range(0, len(rows), per_chunk):
                    chunk = rows[first : first + per_chunk]
                    values = ", ".join(
                        "(" + ", ".join(f":p{r}_{i}" for i in range(len(columns))) + ")"
                        for r in range(len(chunk))
                    )
                    params = {
                        f"p{r}_{i}": v for r, row in enumerate(chunk) for i, v in enumerate(row)
                    }
                    conn.execute(text(f"INSERT INTO {new.sql(dialect)} VALUES {values}"), params)
            gate(new.name)
            self.execute(ddl_swap(dialect, new, final, "table", self.relation_kind(final.name)))
        except Exception as exc:
            self.execute(ddl_drop(dialect, new, "table"))
            if isinstance(exc, BuildError):
                raise
            raise BuildError(redact(f"loading {final.sql(dialect)} failed: {exc}")) from None
        stmts += self._analyze(final)
        return {"seconds": round(time.perf_counter() - started, 3), "statements": stmts}

    def _analyze(self, table: Target) -> list[str]:
        """PostgreSQL: fresh statistics on a new table before anything reads it.

        Without them the planner guesses (one row for a new table, thousands for a small
        reference table) and picks nested loops whose cost grows with the square of the rows.
        """
        if self.dialect != "postgres":
            return []
        statement = f"ANALYZE {table.sql(self.dialect)}"
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(statement))
        return [statement]
