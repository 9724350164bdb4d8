"""The house layer over sqlglot: portable T-SQL in, DuckDB or PostgreSQL out, strictly.

sqlglot's T-SQL output silently changes meaning for a known list of constructs
(``shared/design/engine_notes.md`` §6). :func:`transpile` fixes the ones that can be fixed on the
syntax tree and raises on anything sqlglot cannot express; :func:`portability_problems` finds the
constructs the portable subset (``sql/README.md``) forbids because no rewrite keeps their meaning.
"""

import functools

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

DIALECTS = ("duckdb", "postgres", "tsql")


class PortabilityError(ValueError):
    """A SQL file uses a construct outside the portable T-SQL subset."""


def _fix(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.DateDiff):
        # T-SQL counts unit boundaries crossed; make sqlglot do the same on every engine
        node.set("date_part_boundary", True)
    elif isinstance(node, exp.DataType):
        t = node.this
        if t == exp.DataType.Type.FLOAT:
            return exp.DataType.build("DOUBLE")
        if t in (exp.DataType.Type.TINYINT, exp.DataType.Type.UTINYINT):
            return exp.DataType.build("SMALLINT")
        if t in (
            exp.DataType.Type.VARCHAR,
            exp.DataType.Type.NVARCHAR,
            exp.DataType.Type.CHAR,
            exp.DataType.Type.NCHAR,
        ):
            # lengths do not constrain anything on DuckDB (and TEXT(n) is not DuckDB syntax); MAX is
            # T-SQL only
            if dialect == "duckdb" or any(
                isinstance(e, exp.DataTypeParam) and e.name.upper() == "MAX"
                for e in node.expressions
            ):
                return exp.DataType.build("VARCHAR")
            if t in (exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR):
                return exp.DataType(this=exp.DataType.Type.VARCHAR, expressions=node.expressions)
    elif dialect == "postgres":
        if isinstance(node, (exp.Year, exp.Month, exp.Day)):
            unit = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY"}[type(node)]
            return exp.cast(exp.Extract(this=exp.var(unit), expression=node.this), "INT")
        if isinstance(node, exp.DateFromParts):
            # the replacement's children are not visited again: fix them here (YEAR() inside, say)
            parts = [
                node.args[k].transform(lambda n: _fix(n, dialect)) for k in ("year", "month", "day")
            ]
            return exp.Anonymous(this="MAKE_DATE", expressions=parts)
    if isinstance(node, exp.DateAdd) and not isinstance(node.parent, exp.Cast):
        # DATEADD on a DATE gives a TIMESTAMP elsewhere: keep T-SQL's DATE
        return exp.cast(node, "DATE")
    return node


def transpile(tree: exp.Expression, dialect: str, copy: bool = True) -> str:
    """Generate SQL for ``dialect`` from a T-SQL syntax tree, raising on anything unsupported.

    ``copy=False`` lets a caller that owns ``tree`` (a copy it made) skip a second deep copy.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {DIALECTS}")
    if copy:
        tree = tree.copy()
    if dialect != "tsql":
        tree = tree.transform(lambda n: _fix(n, dialect), copy=False)
    # the tree is ours (copied above or by the caller): the generator need not copy it again
    return tree.sql(dialect=dialect, copy=False, unsupported_level=ErrorLevel.RAISE)


@functools.lru_cache(maxsize=4096)
def _parse_strict(sql: str) -> exp.Expression:
    # cached by text (a failed parse is not cached: it raises again): the same files and checks
    # are parsed at every load of the project, which is every Dagster definitions load and, in
    # the tests, every build. Shared: handed out only as read-only (parse_tsql_shared).
    statements = [
        s for s in sqlglot.parse(sql, read="tsql", error_level=ErrorLevel.RAISE) if s is not None
    ]
    if len(statements) != 1:
        raise PortabilityError(f"expected exactly one statement, found {len(statements)}")
    return statements[0]


def parse_tsql(sql: str) -> exp.Expression:
    """Parse one T-SQL statement strictly; the tree is the caller's own (a copy of the cached
    parse, about half the cost of parsing again)."""
    return _parse_strict(sql).copy()


def parse_tsql_shared(sql: str) -> exp.Expression:
    """The cached parse itself, shared by every caller in the process: read it, never change it
    (:func:`compile_tree <leo_assets.sqlproject.compile.compile_tree>` and :func:`transpile`
    copy before they rewrite). The loader keeps these as ``SqlModel.tree``, so loading the
    project again (every Dagster definitions load; in the tests, every build) costs no copy."""
    return _parse_strict(sql)


def validate_tsql(sql: str) -> None:
    """Raise as :func:`parse_tsql` would, without making a tree for the caller."""
    _parse_strict(sql)


@functools.lru_cache(maxsize=4096)
def normalised_tsql(sql: str) -> str:
    """One T-SQL statement without comments, identifiers normalised and whitespace canonical: the
    text a model's code version hashes, so comment and layout edits keep the version."""
    return _parse_strict(sql).sql(dialect="tsql", comments=False, normalize=True)


_FORBIDDEN_FUNCTIONS = {
    "NEWID": "random: use a deterministic ordering",
    "RAND": "random: use a deterministic ordering",
    "CHECKSUM": "engine-specific hash: use the integer hash of sql/README.md",
    "BINARY_CHECKSUM": "engine-specific hash",
    "HASHBYTES": "engine-specific hash",
    "GETDATE": "'today' is not reproducible: use @reference_date",
    "SYSDATETIME": "'today' is not reproducible: use @reference_date",
    "CURRENT_TIMESTAMP": "'today' is not reproducible: use @reference_date",
    "TRY_CAST": "PostgreSQL has no TRY_CAST: validate with CASE",
    "TRY_CONVERT": "PostgreSQL has no TRY_CONVERT",
    "PERCENTILE_CONT": (
        "ordered-set aggregates do not transpile: compute percentiles in an output step"
    ),
    "PERCENTILE_DISC": "ordered-set aggregates do not transpile",
    "STRING_SPLIT": "not portable",
    "OPENJSON": "not portable",
    "DATENAME": "language-dependent",
    "FORMAT": "language-dependent",
    "GREATEST": "SQL Server has it only from 2022: write CASE",
    "LEAST": "SQL Server has it only from 2022: write CASE",
}


# Words reserved by PostgreSQL or SQL Server that a CTE or table alias must not be named
# (sqlglot does not quote them, and the file's text goes to SQL Server as written).
RESERVED_NAMES = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "backup",
        "between",
        "both",
        "break",
        "browse",
        "bulk",
        "by",
        "case",
        "cast",
        "check",
        "checkpoint",
        "close",
        "clustered",
        "collate",
        "column",
        "commit",
        "compute",
        "concurrently",
        "constraint",
        "contains",
        "continue",
        "convert",
        "create",
        "cross",
        "current",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "cursor",
        "database",
        "dbcc",
        "deallocate",
        "declare",
        "default",
        "delete",
        "deny",
        "desc",
        "disk",
        "distinct",
        "distributed",
        "do",
        "double",
        "drop",
        "dump",
        "else",
        "end",
        "errlvl",
        "escape",
        "except",
        "exec",
        "execute",
        "exists",
        "exit",
        "external",
        "fetch",
        "file",
        "fillfactor",
        "for",
        "foreign",
        "freetext",
        "freeze",
        "from",
        "full",
        "function",
        "goto",
        "grant",
        "group",
        "having",
        "holdlock",
        "identity",
        "if",
        "ilike",
        "in",
        "index",
        "initially",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "key",
        "kill",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "lineno",
        "load",
        "localtime",
        "localtimestamp",
        "merge",
        "national",
        "natural",
        "nocheck",
        "nonclustered",
        "not",
        "notnull",
        "null",
        "nullif",
        "of",
        "off",
        "offset",
        "offsets",
        "on",
        "only",
        "open",
        "option",
        "or",
        "order",
        "outer",
        "over",
        "overlaps",
        "percent",
        "pivot",
        "placing",
        "plan",
        "precision",
        "primary",
        "print",
        "proc",
        "procedure",
        "public",
        "raiserror",
        "read",
        "readtext",
        "reconfigure",
        "references",
        "replication",
        "restore",
        "restrict",
        "return",
        "returning",
        "revert",
        "revoke",
        "right",
        "rollback",
        "rowcount",
        "rule",
        "save",
        "schema",
        "select",
        "session_user",
        "set",
        "setuser",
        "shutdown",
        "similar",
        "some",
        "statistics",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "textsize",
        "then",
        "to",
        "top",
        "tran",
        "transaction",
        "trigger",
        "truncate",
        "union",
        "unique",
        "unpivot",
        "update",
        "updatetext",
        "use",
        "user",
        "values",
        "variadic",
        "varying",
        "verbose",
        "view",
        "waitfor",
        "when",
        "where",
        "while",
        "window",
        "with",
        "within",
        "writetext",
    ]
)


def portability_problems(tree: exp.Expression) -> list[str]:
    """Constructs of the tree that the portable T-SQL subset forbids (empty list = portable)."""
    problems: list[str] = []
    for node in tree.walk():
        if isinstance(node, (exp.CTE, exp.TableAlias)):
            name = (node.alias if isinstance(node, exp.CTE) else node.name).lower()
            if name in RESERVED_NAMES:
                problems.append(
                    f"the name {name!r} is reserved in PostgreSQL or SQL Server: rename the CTE or "
                    "alias"
                )
            continue
        name = None
        if isinstance(node, exp.Anonymous):
            name = str(node.this).upper()
        elif isinstance(node, exp.Func):
            name = node.sql_name().upper()
        if name in _FORBIDDEN_FUNCTIONS:
            problems.append(f"{name}(): {_FORBIDDEN_FUNCTIONS[name]}")
        if isinstance(node, (exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime)):
            problems.append("current date/time: 'today' is not reproducible: use @reference_date")
        if isinstance(node, exp.Uuid):
            problems.append("NEWID(): random: use a deterministic ordering")
        if isinstance(node, exp.Rand):
            problems.append("RAND(): random: use a deterministic ordering")
        if isinstance(node, exp.DataType):
            if node.this == exp.DataType.Type.BIT:
                problems.append("BIT: use SMALLINT or INT 0/1 flags")
            if node.this in (exp.DataType.Type.MONEY, exp.DataType.Type.SMALLMONEY):
                problems.append("MONEY: use DECIMAL(p, s)")
            if node.this in (exp.DataType.Type.FLOAT,) and not node.expressions:
                problems.append(
                    "FLOAT: use DECIMAL(p, s) (or DOUBLE PRECISION where a double is meant)"
                )
        if isinstance(node, exp.Add) and (
            isinstance(node.left, exp.Literal)
            and node.left.is_string
            or isinstance(node.right, exp.Literal)
            and node.right.is_string
        ):
            problems.append("string '+': use CONCAT()")
        if (
            isinstance(node, exp.Div)
            and not _is_decimal(node.this)
            and not _is_decimal(node.expression)
        ):
            problems.append(
                f"division {node.sql(dialect='tsql')!r}: T-SQL divides integers as integers; "
                "CAST one side AS DECIMAL(p, s)"
            )
        if (
            isinstance(node, exp.Like)
            and isinstance(node.expression, exp.Literal)
            and "[" in node.expression.this
        ):
            problems.append("LIKE with a [...] character class: SQL Server only")
        if isinstance(node, exp.Avg) and not _has_decimal_cast(node.this):
            problems.append("AVG of a column not cast to DECIMAL: T-SQL truncates AVG(int)")
        if isinstance(node, exp.DateDiff):
            unit = (node.text("unit") or "day").lower()
            if unit not in ("day", "dd", "d"):
                problems.append(
                    f"DATEDIFF({unit}, ...): only DATEDIFF(day, ...) is portable; use "
                    "YEAR()/MONTH() arithmetic"
                )
        if (
            isinstance(node, exp.Limit)
            and isinstance(node.parent, exp.Select)
            and not node.parent.args.get("order")
        ):
            problems.append("TOP without ORDER BY is not deterministic")
        if isinstance(node, exp.Window) and node.this and isinstance(node.this, (exp.RowNumber,)):
            order = node.args.get("order")
            if order is None:
                problems.append("ROW_NUMBER() without ORDER BY is not deterministic")
        if isinstance(node, (exp.Into,)):
            problems.append(
                "SELECT ... INTO: a SQL file is one SELECT; the engine creates the table"
            )
        if isinstance(node, exp.Join):
            problems += _outer_join_or_problems(node)
    return sorted(set(problems))


def _outer_join_or_problems(join: exp.Join) -> list[str]:
    """An OR across both sides of an outer join's ON: DuckDB plans it as a nested loop.

    DuckDB (1.5) hashes an outer join on its equalities only when every other condition is a plain
    comparison; one ``OR`` (or ``NOT``) over columns of both sides turns the join into a
    blockwise nested loop whose cost grows with the square of the rows (a 100,000-row self-join
    took 8 s of CPU instead of 0.03 s). Inner joins are not affected.
    """
    side = (join.side or "").upper()
    on = join.args.get("on")
    if side not in ("LEFT", "RIGHT", "FULL") or on is None:
        return []
    joined = join.this.alias_or_name
    problems = []
    for conjunct in on.flatten() if isinstance(on, exp.And) else [on]:
        if not any(isinstance(n, (exp.Or, exp.Not)) for n in conjunct.walk()):
            continue
        tables = {column.table for column in conjunct.find_all(exp.Column)}
        if joined in tables and tables - {joined}:
            problems.append(
                f"{side} JOIN {joined} ON ... {conjunct.sql(dialect='tsql')}: an OR or NOT across "
                "both sides of an "
                "outer join is planned as a nested loop by DuckDB (cost grows with the square of "
                "the rows); "
                "find the matches with an INNER JOIN, aggregate them, then LEFT JOIN the result"
            )
    return problems


_DECIMAL_TYPES = (exp.DataType.Type.DECIMAL, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)


def _is_decimal(node: exp.Expression | None) -> bool:
    """Whether an expression's T-SQL type is decimal (or float) by SQL Server's type rules.

    A CAST to DECIMAL/FLOAT, a literal with a decimal point, arithmetic with such an operand,
    and SUM/MIN/MAX/ABS/ROUND/COALESCE/NULLIF/CASE over one (T-SQL gives CASE and COALESCE the
    type of highest precedence among their results). Anything else, a bare column included,
    could be an integer: ``CAST(a AS INT) / CASE WHEN CAST(b AS DECIMAL) > 0 THEN 2 END`` is
    still integer division.
    """
    if node is None:
        return False
    if isinstance(node, exp.Paren):
        return _is_decimal(node.this)
    if isinstance(node, exp.Cast):
        return node.to.this in _DECIMAL_TYPES
    if isinstance(node, exp.Literal):
        return not node.is_string and "." in node.this
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)):
        return _is_decimal(node.left) or _is_decimal(node.right)
    if isinstance(node, exp.Neg):
        return _is_decimal(node.this)
    if isinstance(node, exp.Case):
        branches = [i.args.get("true") for i in node.args.get("ifs") or []]
        return any(_is_decimal(b) for b in [*branches, node.args.get("default")])
    if isinstance(node, (exp.Sum, exp.Min, exp.Max, exp.Abs, exp.Round, exp.Nullif, exp.Window)):
        return _is_decimal(node.this)
    if isinstance(node, exp.Coalesce):
        return _is_decimal(node.this) or any(_is_decimal(e) for e in node.expressions)
    return False


def _has_decimal_cast(node: exp.Expression | None) -> bool:
    if node is None:
        return False
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.this:
        return True
    for sub in node.walk():
        if (
            isinstance(sub, exp.Cast)
            and sub.to.this
            in (
                exp.DataType.Type.DECIMAL,
                exp.DataType.Type.DOUBLE,
                exp.DataType.Type.FLOAT,
            )
            and sub.to.expressions
        ):
            return True
        if isinstance(sub, exp.Cast) and sub.to.this == exp.DataType.Type.DOUBLE:
            return True
    return False
