"""Turns a model's SELECT into SQL that runs on one engine.

* DuckDB and PostgreSQL: the T-SQL syntax tree gets physical relations and bound parameters,
  then goes through the house layer (:mod:`leo_assets.sqlproject.dialects`).
* SQL Server: the file's own text, with only the logical names and ``@parameters`` spliced out
  by their token positions, so what runs is what the researcher wrote and can read in SSMS.
"""

import itertools
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from leo_assets.sqlproject.dialects import transpile
from leo_assets.sqlproject.loader import (
    WORKSPACE_QUALIFIER,
    SingularCheck,
    SqlModel,
    SqlProject,
    parameter_values,
    table_references,
)


def workspace_table(project: SqlProject, name: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name, quoted=True),
        db=exp.to_identifier(project.settings.workspace_schema, quoted=True),
    )


def _param_literal(project: SqlProject, name: str) -> exp.Expression:
    typ, value = parameter_values(project.settings)[name]
    if typ == "DATE":
        return exp.cast(exp.Literal.string(value), "DATE")
    return exp.Literal.number(value)


def _relation_for(
    project: SqlProject,
    table: exp.Table,
    dialect: str,
    overrides: dict[str, str],
    missing_optional: frozenset,
) -> exp.Expression:
    qualifier, name = table.db.lower(), table.name.lower()
    if qualifier == WORKSPACE_QUALIFIER:
        return workspace_table(project, overrides.get(name, name))
    source = name
    relation = project.catalog.relation(source, dialect, missing_optional)
    if isinstance(relation, exp.Table):
        return relation
    return exp.Subquery(this=relation)


# compiled SQL per (project's compile_key, statement text, dialect, overrides, missing optional
# columns): every build loads the project again and compiles each model and check afresh (in the
# tests, over a hundred builds of the same files); compiling is pure in these
_COMPILED: dict[tuple, str] = {}


def compiled(
    project: SqlProject,
    text: str,
    dialect: str,
    overrides: dict[str, str] | None,
    missing_optional: frozenset,
    make: Callable[[], str],
) -> str:
    """The SQL ``make`` compiles from ``text``, made once per key (see ``_COMPILED``)."""
    key = (
        project.compile_key,
        text,
        dialect,
        tuple(sorted((overrides or {}).items())),
        missing_optional,
    )
    sql = _COMPILED.get(key)
    if sql is None:
        sql = make()
        if len(_COMPILED) > 8192:
            _COMPILED.clear()
        _COMPILED[key] = sql
    return sql


def compile_tree(
    project: SqlProject,
    tree: exp.Expression,
    dialect: str,
    overrides: dict[str, str] | None = None,
    missing_optional: frozenset = frozenset(),
) -> str:
    """SQL for ``dialect`` from a parsed T-SQL SELECT of this project."""
    overrides = overrides or {}
    if dialect == "tsql":
        raise ValueError("use compile_text for SQL Server: it keeps the file's own text")
    tree = tree.copy()
    for table in table_references(tree):
        relation = _relation_for(project, table, dialect, overrides, missing_optional)
        alias = table.alias or table.name
        relation.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        table.replace(relation)
    for param in list(tree.find_all(exp.Parameter)):
        param.replace(_param_literal(project, param.name.lower()))
    return transpile(tree, dialect, copy=False)


def compile_text(
    project: SqlProject,
    text: str,
    body_line: int,
    overrides: dict[str, str] | None = None,
    missing_optional: frozenset = frozenset(),
) -> str:
    """The T-SQL of a file, with logical names and parameters replaced in place."""
    overrides = overrides or {}
    body = "\n" * (body_line - 1) + text.split("*/", 1)[1]
    tree = sqlglot.parse_one(body, read="tsql")
    edits: list[tuple[int, int, str]] = []
    for table in table_references(tree):
        db_meta, name_meta = table.args["db"].meta, table.this.meta
        relation = _relation_for(project, table, "tsql", overrides, missing_optional)
        if isinstance(relation, exp.Subquery):
            replacement = f"({relation.this.sql(dialect='tsql')})"
        else:
            replacement = relation.sql(dialect="tsql")
        if not table.alias:
            replacement += f" AS [{table.name}]"
        edits.append((db_meta["start"], name_meta["end"] + 1, replacement))
    tokens = sqlglot.Dialect.get_or_raise("tsql").tokenize(body)
    for tok, nxt in itertools.pairwise(tokens):
        if tok.token_type == TokenType.PARAMETER and nxt.start == tok.end + 1:
            literal = _param_literal(project, nxt.text.lower()).sql(dialect="tsql")
            edits.append((tok.start, nxt.end + 1, literal))
    out = body
    for start, end, replacement in sorted(edits, reverse=True):
        out = out[:start] + replacement + out[end:]
    return out.strip() + "\n"


def compile_select(
    project: SqlProject,
    model: SqlModel,
    dialect: str,
    overrides: dict[str, str] | None = None,
    missing_optional: frozenset = frozenset(),
) -> str:
    """The SELECT of a model for ``dialect`` (``tsql`` = the file's own text)."""
    if model.is_seed:
        raise ValueError(f"{model.name} is a reference table, not a SELECT")
    if dialect == "tsql":
        make = lambda: compile_text(
            project, model.text, model.header.body_line, overrides, missing_optional
        )
    else:
        make = lambda: compile_tree(project, model.tree, dialect, overrides, missing_optional)  # type: ignore[arg-type]
    return compiled(project, model.text, dialect, overrides, missing_optional, make)


def compile_check(
    project: SqlProject, check: SingularCheck, dialect: str, overrides: dict[str, str] | None = None
) -> str:
    if dialect == "tsql":
        make = lambda: compile_text(project, check.text, check.header.body_line, overrides)
    else:
        make = lambda: compile_tree(project, check.tree, dialect, overrides)
    return compiled(project, check.text, dialect, overrides, frozenset(), make)


def tsql_select_into(select_sql: str, target: str) -> str:
    """Add ``INTO target`` to the outermost SELECT of a T-SQL query (CTEs allowed).

    >>> tsql_select_into("WITH a AS (SELECT 1 AS x FROM t) SELECT x FROM a", "[s].[n]")
    'WITH a AS (SELECT 1 AS x FROM t) SELECT x INTO [s].[n] FROM a'
    """
    tokens = sqlglot.Dialect.get_or_raise("tsql").tokenize(select_sql)
    depth = 0
    seen_outer_select = False
    for tok in tokens:
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and tok.token_type == TokenType.SELECT:
            seen_outer_select = True
        elif depth == 0 and seen_outer_select and tok.token_type == TokenType.FROM:
            return f"{select_sql[: tok.start]}INTO {target} {select_sql[tok.start :]}"
    raise ValueError("the outermost SELECT has no FROM: cannot add INTO")
