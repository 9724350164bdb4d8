"""The sequence export and the derived destination rates on the hand-built people of
``sql/marts/destinations.cases.yml`` (the 2014 KS4 cohort, 24 months after KS4).

The rows of destinations, transitions and the monthly and annual metrics are cases and queries in
that file (run by test_model_cases.py); what stays here is what reads the built tables: the wide
export and the report's rates.
"""

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from leo_assets.cli import derived_destination_rates
from leo_assets.exports import export_sequences
from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "destinations.cases.yml"
SETTINGS = {"ks4_cohorts": [2014], "months_after_ks4": 24}


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, **SETTINGS)
    write_sources(settings, all_source_rows(CASES, settings))
    build_selection(settings, ["destinations", "transition_sequence_yearly"])
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
