"""The T-SQL date functions the SQL files use, pinned on edge dates against SQL Server's semantics.

Each expected value is what SQL Server returns per Microsoft's Transact-SQL reference (cited by
key below), written here by hand; the expression goes through the house transpiler
(``leo_assets.sqlproject.dialects``) and runs on DuckDB and on PostgreSQL.

References (Microsoft Learn, Transact-SQL reference, "... (Transact-SQL)"):
  DATEDIFF   "returns the count (as a signed integer value) of the specified datepart
             boundaries crossed between the specified startdate and enddate"; a later start
             than end gives a negative number.
  DATEADD    adds number to the datepart; "If datepart is month and the date month has more days
             than the return month and the date day doesn't exist in the return month, the last
             day of the return month is returned" (DATEADD(month, 1, '2024-08-31') = 2024-09-30);
             the same holds for year (29 February + 1 year). It does not snap a month-end start
             to the month end of the result (unlike Oracle's ADD_MONTHS). Return type: that of
             date (DATE in, DATE out).
  EOMONTH    "Returns the last day of the month containing a specified date".
  DATEFROMPARTS  "Returns a date value that maps to the specified year, month, and day values";
             "If the arguments are not valid, then an error is raised."
  YEAR/MONTH/DAY  the same values as DATEPART(year|month|day, date), as int.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from leo_assets.sqlproject.dialects import parse_tsql, transpile

D = dt.date

CASES = [
    # DATEDIFF(day, ...): the only unit the portable subset allows; day boundaries crossed
    ("DATEDIFF(day, CAST('2019-12-31' AS DATE), CAST('2020-01-01' AS DATE))", 1),
    ("DATEDIFF(day, CAST('2020-02-28' AS DATE), CAST('2020-03-01' AS DATE))", 2),  # leap year
    ("DATEDIFF(day, CAST('2019-02-28' AS DATE), CAST('2019-03-01' AS DATE))", 1),
    ("DATEDIFF(day, CAST('2020-03-01' AS DATE), CAST('2020-02-28' AS DATE))", -2),
    ("DATEDIFF(day, CAST('2020-01-01' AS DATE), CAST('2021-01-01' AS DATE))", 366),
    ("DATEDIFF(day, CAST('2020-06-30' AS DATE), CAST('2020-06-30' AS DATE))", 0),
    # DATEDIFF(month|year, ...): boundaries crossed, not whole periods elapsed (the loader
    # forbids these units in SQL files; pinned because the house layer rewrites them)
    ("DATEDIFF(month, CAST('2020-01-31' AS DATE), CAST('2020-02-01' AS DATE))", 1),
    ("DATEDIFF(year, CAST('2019-12-31' AS DATE), CAST('2020-01-01' AS DATE))", 1),
    ("DATEDIFF(year, CAST('2020-01-01' AS DATE), CAST('2020-12-31' AS DATE))", 0),
    # DATEADD(day | month | year, n, date): DATE stays DATE
    ("DATEADD(day, 1, CAST('2020-02-28' AS DATE))", D(2020, 2, 29)),
    ("DATEADD(day, -1, CAST('2020-03-01' AS DATE))", D(2020, 2, 29)),
    ("DATEADD(day, 1, CAST('2020-12-31' AS DATE))", D(2021, 1, 1)),
    ("DATEADD(day, -366, CAST('2021-01-01' AS DATE))", D(2020, 1, 1)),
    ("DATEADD(month, 1, CAST('2020-01-31' AS DATE))", D(2020, 2, 29)),
    ("DATEADD(month, 1, CAST('2019-01-31' AS DATE))", D(2019, 2, 28)),
    ("DATEADD(month, -1, CAST('2020-03-31' AS DATE))", D(2020, 2, 29)),
    ("DATEADD(month, 1, CAST('2020-02-29' AS DATE))", D(2020, 3, 29)),  # no month-end snapping
    ("DATEADD(month, 1, CAST('2024-08-31' AS DATE))", D(2024, 9, 30)),  # Microsoft's example
    ("DATEADD(year, 1, CAST('2020-02-29' AS DATE))", D(2021, 2, 28)),
    ("DATEADD(year, -1, CAST('2020-02-29' AS DATE))", D(2019, 2, 28)),
    ("DATEADD(year, 4, CAST('2020-02-29' AS DATE))", D(2024, 2, 29)),
    ("DATEADD(year, 1, CAST('2019-12-31' AS DATE))", D(2020, 12, 31)),
    # EOMONTH(date)
    ("EOMONTH(CAST('2020-02-10' AS DATE))", D(2020, 2, 29)),
    ("EOMONTH(CAST('2019-02-10' AS DATE))", D(2019, 2, 28)),
    ("EOMONTH(CAST('2100-02-01' AS DATE))", D(2100, 2, 28)),  # not a leap year
    ("EOMONTH(CAST('2000-02-01' AS DATE))", D(2000, 2, 29)),  # a leap year
    ("EOMONTH(CAST('2020-12-31' AS DATE))", D(2020, 12, 31)),
    ("EOMONTH(CAST('2021-04-01' AS DATE))", D(2021, 4, 30)),
    # DATEFROMPARTS(year, month, day), also from YEAR()/MONTH() of a date
    ("DATEFROMPARTS(2020, 2, 29)", D(2020, 2, 29)),
    ("DATEFROMPARTS(2015, 9, 1)", D(2015, 9, 1)),
    ("DATEFROMPARTS(YEAR(CAST('2016-08-31' AS DATE)) - 1, 9, 1)", D(2015, 9, 1)),
    (
        "DATEFROMPARTS(YEAR(CAST('2020-02-29' AS DATE)), MONTH(CAST('2020-02-29' AS DATE)), 1)",
        D(2020, 2, 1),
    ),
    # YEAR / MONTH / DAY: int
    ("YEAR(CAST('2020-02-29' AS DATE))", 2020),
    ("MONTH(CAST('2020-02-29' AS DATE))", 2),
    ("DAY(CAST('2020-02-29' AS DATE))", 29),
    ("DAY(EOMONTH(CAST('2019-02-01' AS DATE)))", 28),
    (
        (
            "(YEAR(CAST('2021-01-31' AS DATE)) - YEAR(CAST('2020-12-01' AS DATE))) * 12"
            " + MONTH(CAST('2021-01-31' AS DATE)) - MONTH(CAST('2020-12-01' AS DATE))"
        ),
        1,
    ),
]

# SQL Server raises for these (DATEFROMPARTS: "If the arguments are not valid, then an error is
# raised")
ERRORS = ["DATEFROMPARTS(2019, 2, 29)", "DATEFROMPARTS(2020, 13, 1)", "DATEFROMPARTS(2020, 4, 31)"]


@pytest.fixture(scope="module")
def engine(module_backend):
    backend, url, _root = module_backend
    dialect = "duckdb" if backend == "duckdb" else "postgres"
    eng = sa.create_engine(url or "duckdb:///:memory:")
    yield dialect, eng
    eng.dispose()


def _run(engine, expression: str):
    dialect, eng = engine
    sql = transpile(parse_tsql(f"SELECT {expression} AS v"), dialect)
    with eng.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


@pytest.mark.parametrize("expression, expected", CASES)
def test_date_function_gives_sql_servers_result(engine, expression, expected):
    value = _run(engine, expression)
    assert value == expected and type(value) is type(expected), (expression, value)


@pytest.mark.parametrize("expression", ERRORS)
def test_impossible_dates_are_errors_as_in_sql_server(engine, expression):
    with pytest.raises(sa.exc.DBAPIError):
        _run(engine, expression)
