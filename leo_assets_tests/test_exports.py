"""exports.py: the wide sequence export on the hand-built people of
``sql/marts/destinations.cases.yml`` (the 2014 KS4 cohort, 24 months after KS4) and its columns
for other settings; and the report's derived destination rates (cli.py), which read the same
build.

The rows of destinations, transitions and the monthly and annual metrics are cases and queries in
that file (run by test_model_cases.py); what stays here is what reads the built tables. The wide
export has a column per month some cohort can be observed in, and no more: a column past the
reference date for every cohort (m108 with the defaults) would be empty in every row.
"""

import re

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from leo_assets.cli import derived_destination_rates
from leo_assets.exports import export_sequences, observable_months, sequence_sql
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import make_settings
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import REAL_SQL, build_tables, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "destinations.cases.yml"
SETTINGS = {"ks4_cohorts": [2014], "months_after_ks4": 24}


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, **SETTINGS)
    write_sources(settings, all_source_rows(CASES, settings))
    build_tables(settings, ["destinations", "transition_sequence_yearly"])
    db = WorkspaceDatabase.from_settings(settings)
    yield db
    db.dispose()


@pytest.mark.parametrize(("by", "suffix"), [("month", "csv"), ("year", "parquet")])
def test_wide_sequence_export(built, by, suffix, tmp_path):
    settings = settings_for(tmp_path, **SETTINGS)
    out = tmp_path / f"sequences.{suffix}"
    assert export_sequences(load_project(REAL_SQL, settings), built, out, by=by, chunk_rows=2) == 5
    table = pq.read_table(out) if suffix == "parquet" else pacsv.read_csv(out)
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert len(rows) == 5 and "sex" in table.column_names
    if by == "month":
        assert table.column_names[-1] == "m024"
        pb = next(r for r in rows.values() if r["m003"] == "employment")
        states = ["not_captured"] * 2 + ["employment"] * 5 + ["not_captured"]
        assert [pb[f"m{i:03d}"] for i in range(1, 9)] == states
    else:
        assert table.column_names[-2:] == ["y01", "y02"]
        # the most frequent monthly state; a tie (PA: six months of FE, six of nothing) goes to
        # the hierarchy
        assert sorted(r["y01"] for r in rows.values()) == ["fe"] + ["not_captured"] * 4


def test_report_lists_derived_destination_rates_beside_published(module_backend, built):
    backend, pg, root = module_backend
    rows = {
        measure: (derived, published, n)
        for measure, derived, published, n in derived_destination_rates(
            settings_for(root, backend, pg, **SETTINGS)
        )
    }
    assert rows["sustained (year 1)"] == (0.6, 0.941, 5)  # PA, PB, PC sustained; PD, PE not
    assert rows["not_captured (year 1)"] == (0.2, 0.01, 5)


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
