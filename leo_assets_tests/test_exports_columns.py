"""The wide sequence export has a column per month some cohort can be observed in, and no more:
a column past the reference date for every cohort (m108 with the defaults) would be empty in
every row."""

import re

import pytest

from leo_assets.exports import observable_months, sequence_sql
from leo_assets.settings import make_settings
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import REAL_SQL


@pytest.mark.parametrize(
    "cohorts, reference, months",
    [([2012, 2014], "2021-07-31", 107), ([2012], "2030-01-01", 108), ([2014], "2021-07-31", 83)],
)
def test_the_last_month_column_is_one_some_cohort_reaches(cohorts, reference, months):
    settings = make_settings(ks4_cohorts=cohorts, reference_date=reference)
    assert observable_months(settings) == months
    sql = sequence_sql(load_project(REAL_SQL, settings), "month")
    columns = re.findall(r" as (m\d{3})\b", sql)
    assert columns[-1] == f"m{months:03d}" and len(columns) == months
    # the last column's month of the earliest cohort is on or before the reference date
    first = min(cohorts)
    year, month = first + (8 + months - 1) // 12, (8 + months - 1) % 12 + 1
    assert f"{year:04d}-{month:02d}" <= reference[:7]
    years = re.findall(r" as (y\d{2})\b", sequence_sql(load_project(REAL_SQL, settings), "year"))
    assert len(years) == (months + 11) // 12
