"""The SQL of data tests: header-declared generic checks and ``*.check.sql`` files, as failing-row
queries.

Every check is a SELECT of the rows that break it, written in portable T-SQL and compiled like a
model, so a check runs the same on every engine and can be run by hand in SSMS
(:mod:`leo_assets.render` writes them into the SSMS script; :mod:`leo_assets.checks` runs them).
"""

from dataclasses import dataclass, field
from typing import Any

from leo_assets.settings import validate_identifier
from leo_assets.sqlproject.compile import compile_check, compile_text, compile_tree, compiled
from leo_assets.sqlproject.dialects import parse_tsql, validate_tsql
from leo_assets.sqlproject.header import CheckDecl, LoadError
from leo_assets.sqlproject.loader import SingularCheck, SqlModel, SqlProject


def _ident(name: str) -> str:
    return f"[{validate_identifier(name, 'column')}]"


def _cols(cols: list[str]) -> str:
    return ", ".join(_ident(c) for c in cols)


def _check_columns(check: CheckDecl) -> list[str]:
    """The columns of a ``not_null`` or ``unique`` check (one name or a list)."""
    return check.args if isinstance(check.args, list) else [check.args]


def duplicate_keys_tsql(table: str, cols: list[str], columnar: bool = False) -> str:
    """The failing rows of a ``unique`` check: each key held by two or more rows, once, with
    its number of rows (``n_rows``).

    Two forms of the same rows. The GROUP BY is the one row stores plan well (SQL Server and
    PostgreSQL hash or stream-aggregate it, or read it from an index on the key) and the one the
    T-SQL script shows. ``columnar``: a window over the key, which DuckDB computes more than
    twice as fast as a hash aggregate of tens of millions of distinct keys (the grain of
    ``metrics_monthly``, 49 million person-months: 9.4 s -> 4.0 s; docs/benchmarks.md). NULL key
    parts fall into one group in both, and the row the window keeps differs from its twins only
    in columns it does not return, so both forms give the same rows (test_resources runs both).
    """
    if not columnar:
        return (
            f"SELECT {_cols(cols)}, COUNT(*) AS n_rows FROM {table} "
            f"GROUP BY {_cols(cols)} HAVING COUNT(*) > 1"
        )
    over = f"PARTITION BY {_cols(cols)}"
    return (
        f"SELECT {_cols(cols)}, n_rows FROM (SELECT {_cols(cols)}, "
        f"COUNT(*) OVER ({over}) AS n_rows, "
        f"ROW_NUMBER() OVER ({over} ORDER BY {_ident(cols[0])}) AS row_in_key "
        f"FROM {table}) AS keyed WHERE n_rows > 1 AND row_in_key = 1"
    )


def failing_rows_tsql(model: SqlModel, check: CheckDecl) -> str:
    """The portable T-SQL that returns the rows breaking a generic check."""
    table = f"ws.{model.name}"
    keys = list(model.header.grain)
    args = check.args
    where = f"{model.path.name}: check {check.name!r}"
    if check.type in ("not_null", "unique"):
        cols = _check_columns(check)
        if not cols:
            raise LoadError(f"{where}: name at least one column")
        if check.type == "not_null":
            shown = keys or cols
            cond = " OR ".join(f"{_ident(c)} IS NULL" for c in cols)
            return f"SELECT {_cols(shown)} FROM {table} WHERE {cond}"
        return duplicate_keys_tsql(table, cols)
    if check.type == "accepted_values":
        column, values = args.get("column"), args.get("values")
        if not column or not values:
            raise LoadError(f"{where}: accepted_values needs column and values")
        literal = ", ".join(
            str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"
            for v in values
        )
        null_clause = "" if args.get("allow_null", True) else f" OR {_ident(column)} IS NULL"
        return (
            f"SELECT {_cols(keys or [column])} FROM {table} "
            f"WHERE {_ident(column)} NOT IN ({literal}){null_clause}"
        )
    if check.type == "relationships":
        column, to, to_field = (
            args.get("column"),
            str(args.get("to", "")),
            args.get("field", args.get("column")),
        )
        if not column or not to.startswith("ws."):
            raise LoadError(f"{where}: relationships needs column and to: ws.<model>")
        shown = ", ".join(f"child.{_ident(c)}" for c in (keys or [column]))
        return (
            f"SELECT {shown} FROM {table} AS child WHERE child.{_ident(column)} IS NOT NULL AND "
            "NOT EXISTS "
            f"(SELECT 1 FROM {to} AS parent WHERE parent.{_ident(to_field)} = "
            f"child.{_ident(column)})"
        )
    if check.type == "expression_is_true":
        expr = args if isinstance(args, str) else args.get("expression")
        shown = _cols(keys) if keys else "1 AS failing"
        return f"SELECT {shown} FROM {table} WHERE CASE WHEN ({expr}) THEN 1 ELSE 0 END = 0"
    if check.type == "row_count":
        low, high = int(args.get("min", 1)), args.get("max")
        cond = f"n < {low}" + (f" OR n > {int(high)}" if high is not None else "")
        return f"SELECT n FROM (SELECT COUNT(*) AS n FROM {table}) AS counted WHERE {cond}"
    raise LoadError(f"{where}: unknown check type {check.type!r}")


def _list(values: Any) -> str:
    values = values if isinstance(values, list) else [values]
    return ", ".join(str(v) for v in values)


def describe_check(check: CheckDecl) -> str:
    """A generic check in words (its own ``description`` when the header gives one), with what a
    failure does: a blocking (error) check keeps the previous table; a warn check only warns."""
    args = check.args if check.args is not None else {}
    if check.description:
        text = check.description
    elif check.type == "not_null":
        text = f"no NULL in {_list(args)}"
    elif check.type == "unique":
        text = f"no two rows share ({_list(args)})"
    elif check.type == "accepted_values":
        text = f"{args.get('column')} is one of {_list(args.get('values', []))}"
        text += "" if args.get("allow_null", True) else " (never NULL)"
    elif check.type == "relationships":
        field_ = args.get("field", args.get("column"))
        target = str(args.get("to", "")).removeprefix("ws.")
        text = f"every {args.get('column')} is found in {target}.{field_}"
    elif check.type == "expression_is_true":
        expr = args if isinstance(args, str) else args.get("expression")
        text = f"every row satisfies {' '.join(str(expr).split())}"
    elif check.type == "row_count":
        text = f"at least {int(args.get('min', 1))} rows" + (
            f" and at most {int(args['max'])}" if args.get("max") is not None else ""
        )
    else:
        text = f"{check.type} check"
    if check.max_failing_rate is not None:
        text += f"; up to {check.max_failing_rate:.2%} of rows may fail"
    elif check.max_failing_rows:
        text += f"; up to {check.max_failing_rows} rows may fail"
    return with_consequence(text, check.severity)


def with_consequence(text: str, severity: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    if severity == "error":
        return f"{text}. Blocking: if it fails, the previous table is kept and the run fails."
    return f"{text}. Warning only: a failure is reported, the table is still built."


@dataclass
class CheckSpec:
    """A check ready to run: generic or singular, with its severity and threshold."""

    model: str
    name: str
    description: str
    severity: str
    tsql: str  # failing rows, portable T-SQL against ws.<model>
    max_failing_rows: int = 0
    max_failing_rate: float | None = None
    singular: SingularCheck | None = None
    key_columns: list[str] = field(default_factory=list)
    duplicates_of: str | None = None  # a source: count the rows its grain removes
    count_by: str | None = None  # a column: failing rows counted per value (row_issue reasons)
    columnar_tsql: str | None = None  # the same rows in the form DuckDB runs faster

    @property
    def blocking(self) -> bool:
        return self.severity == "error"


def check_specs(project: SqlProject, model: SqlModel) -> list[CheckSpec]:
    """Every check of a model: grain checks, header checks, then check files."""
    specs = []
    for decl in model.checks:
        tsql = failing_rows_tsql(model, decl)
        validate_tsql(tsql)  # a malformed expression_is_true fails at load
        specs.append(
            CheckSpec(
                model.name,
                decl.name,
                describe_check(decl),
                decl.severity,
                tsql,
                decl.max_failing_rows,
                decl.max_failing_rate,
                key_columns=list(model.header.grain),
                columnar_tsql=(
                    duplicate_keys_tsql(f"ws.{model.name}", _check_columns(decl), columnar=True)
                    if decl.type == "unique"
                    else None
                ),
            )
        )
    for chk in model.singular_checks:
        specs.append(
            CheckSpec(
                model.name,
                chk.name,
                with_consequence(chk.header.description, chk.header.severity),
                chk.header.severity,
                chk.text,
                singular=chk,
                key_columns=list(model.header.grain),
            )
        )
    if model.layer == "staging":
        specs += row_accounting_specs(model)
    names = [s.name for s in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise LoadError(f"{model.path.name}: two checks named {min(dupes)!r}; give one a 'name'")
    return specs


ROW_ISSUE_COLUMN = "row_issue"
ROW_ISSUE_REASONS = (
    "blank_identifier",
    "end_before_start",
    "sentinel_date",
    "unparseable_value",
    "date_out_of_range",
)


def row_accounting_specs(model: SqlModel) -> list[CheckSpec]:
    """Warn checks of a staging model that count what staging changes (sql/README.md).

    ``source_duplicates``: rows of the source its declared grain removes (exact duplicates and
    key duplicates). ``row_issues``: rows whose ``row_issue`` column names a reason
    (:data:`ROW_ISSUE_REASONS`): rows set aside downstream, or values made NULL or reinterpreted.
    Both record counts only, never a person's values.
    """
    specs = []
    for source in sorted(model.source_deps):
        name = source.split(".", 1)[1]
        specs.append(
            CheckSpec(
                model.name,
                "source_duplicates" if len(model.source_deps) == 1 else f"source_duplicates_{name}",
                f"rows of {source} removed by its declared grain (sql/_sources.yml key): "
                "exact duplicates and rows repeating a key",
                "warn",
                "",
                duplicates_of=name,
            )
        )
    if ROW_ISSUE_COLUMN in model.column_descriptions:
        column = _ident(ROW_ISSUE_COLUMN)
        specs.append(
            CheckSpec(
                model.name,
                "row_issues",
                "rows staging sets aside, clips or reinterprets, counted per reason: "
                + model.column_descriptions[ROW_ISSUE_COLUMN],
                "warn",
                f"SELECT {column} FROM ws.{model.name} WHERE {column} IS NOT NULL",
                count_by=ROW_ISSUE_COLUMN,
            )
        )
    return specs


def compile_spec(
    project: SqlProject, spec: CheckSpec, dialect: str, table_name: str | None = None
) -> str:
    if spec.duplicates_of:
        return project.catalog.duplicate_counts(spec.duplicates_of, dialect)
    overrides = {spec.model: table_name} if table_name else {}
    if spec.singular is not None:
        return compile_check(project, spec.singular, dialect, overrides)
    if dialect == "tsql":
        make = lambda: compile_text(project, "/* --- */" + spec.tsql, 1, overrides)
        return compiled(project, spec.tsql, dialect, overrides, frozenset(), make)
    tsql = spec.columnar_tsql if dialect == "duckdb" and spec.columnar_tsql else spec.tsql
    make = lambda: compile_tree(project, parse_tsql(tsql), dialect, overrides)
    return compiled(project, tsql, dialect, overrides, frozenset(), make)
