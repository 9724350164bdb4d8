"""Every SQL file of the project is portable T-SQL (sqlproject/dialects.py): it parses and
transpiles strictly everywhere."""

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from leo_assets.settings import make_settings
from leo_assets.sqlproject.check_sql import check_specs, compile_spec
from leo_assets.sqlproject.dialects import normalised_tsql, parse_tsql, transpile
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import REAL_SQL

PROJECT = load_project(REAL_SQL, make_settings())
MODELS = sorted(n for n, m in PROJECT.models.items() if not m.is_seed)


@pytest.mark.parametrize("name", MODELS)
def test_model_transpiles_strictly(name):
    from leo_assets.sqlproject.compile import compile_select

    model = PROJECT.models[name]
    for dialect in ("duckdb", "postgres"):
        sql = compile_select(PROJECT, model, dialect)
        sqlglot.parse_one(sql, read=dialect)  # what we generate parses back
    tsql = compile_select(PROJECT, model, "tsql")
    parse_tsql(tsql)
    for spec in check_specs(PROJECT, model):
        for dialect in ("duckdb", "postgres", "tsql"):
            assert compile_spec(PROJECT, spec, dialect)


@pytest.mark.parametrize(
    "tsql, duckdb_fragment, postgres_fragment",
    [
        ("SELECT CAST(x AS FLOAT) AS y FROM t", "DOUBLE", "DOUBLE PRECISION"),
        ("SELECT CAST(x AS TINYINT) AS y FROM t", "SMALLINT", "SMALLINT"),
        ("SELECT CAST(x AS VARCHAR(MAX)) AS y FROM t", "AS TEXT)", "AS VARCHAR)"),
        ("SELECT YEAR(d) AS y FROM t", "YEAR(", "CAST(EXTRACT(YEAR FROM"),
        ("SELECT DATEFROMPARTS(2020, 1, 2) AS y", "MAKE_DATE(2020, 1, 2)", "MAKE_DATE(2020, 1, 2)"),
        ("SELECT DATEADD(day, 1, d) AS y FROM t", "CAST(", "CAST("),
        # PostgreSQL's MAKE_DATE wants integers: YEAR() inside DATEFROMPARTS is cast too
        (
            "SELECT DATEFROMPARTS(YEAR(d), 4, 6) AS y FROM t",
            "MAKE_DATE(YEAR(",
            "MAKE_DATE(CAST(EXTRACT(YEAR FROM",
        ),
    ],
)
def test_house_layer_fixes(tsql, duckdb_fragment, postgres_fragment):
    tree = parse_tsql(tsql)
    assert duckdb_fragment in transpile(tree, "duckdb")
    assert postgres_fragment in transpile(tree, "postgres")


def test_cached_parses_are_each_callers_own_and_errors_are_not_cached():
    """parse_tsql caches by text (every load of the project parses the same files): each caller
    still gets a tree of its own, and a statement that fails to parse fails every time."""
    sql = "SELECT a FROM t WHERE a = 1"
    first = parse_tsql(sql)
    first.find(exp.Column).replace(exp.column("changed"))
    assert parse_tsql(sql).sql(dialect="tsql") == "SELECT a FROM t WHERE a = 1"
    assert normalised_tsql("select  A /* why */ from t") == normalised_tsql("SELECT a FROM t")
    for _ in range(2):
        with pytest.raises(ParseError):
            parse_tsql("SELECT a FROM t WHERE")
