"""Same input, same output, outputs included (issue 13): on DuckDB and on PostgreSQL, a build from
synthetic sources and a second build from the same sources with their rows rewritten in another
physical order (:func:`leo_assets.synthetic.shuffle.shuffle_source_rows`) and from a copy of
``sql/`` whose ``out_destinations.sql`` differs by a comment and whitespace only, its ``_safe``
tables then rebuilt from raw ``out_*`` tables rewritten in another physical order too, give
identical tables (every relation of the workspace, EXCEPT ALL both ways), identical ``_safe``
outputs, and a byte-identical export folder (``leo-assets export-outputs`` and
``export-sequences``).

The tables are built with the functions their assets run (``helpers.build_tables`` and
``build_safe_tables``: the same SQL, gates and disclosure control), not in Dagster runs: a run's
machinery (a step and its events per asset, every warn check) writes no table and was most of
this test's time. The Dagster path itself is test_full_build's, test_cli's and test_dagster_dev's.

The cohort is small (150 pupils) but big enough that disclosure control has work to do: the test
asserts that primary and secondary suppression both happened in ``out_destinations_safe``.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from leo_assets.cli import main
from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.loader import load_project
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets.synthetic.shuffle import shuffle_source_rows, shuffle_table_rows
from leo_assets_tests.helpers import REAL_SQL, build_safe_tables, build_tables, settings_for

# two synthetic builds per engine and the exports: started first (conftest.py)
pytestmark = pytest.mark.slow

# ACRO stamps its session with the wall clock (results.json per output, session_summary.json):
# those fields, and the checksum files of those two files, are the only ones not compared as is.
_ACRO_CLOCK = re.compile(rb'"timestamp": "[^"]*"')
_ACRO_CLOCK_FILES = {"acro/results.json", "acro/session_summary.json"}
_ACRO_CLOCK_SUMS = {"acro/checksums/results.json.txt", "acro/checksums/session_summary.json.txt"}


def _relations(db: WorkspaceDatabase) -> list[str]:
    sql = (
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{db.workspace_schema}'"
    )
    if db.dialect == "duckdb":
        sql += " AND table_catalog = current_database()"
    return sorted(r[0] for r in db.rows(sql + " ORDER BY table_name"))


def _differing_rows(db: WorkspaceDatabase, schema_a: str, schema_b: str, name: str) -> int:
    a, b = f'"{schema_a}"."{name}"', f'"{schema_b}"."{name}"'
    n = 0
    for x, y in ((a, b), (b, a)):
        n += int(
            db.scalar(f"SELECT COUNT(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y}) AS d")
        )
    return n


def _files(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder).as_posix()
            data = path.read_bytes()
            if rel in _ACRO_CLOCK_FILES:
                data = _ACRO_CLOCK.sub(b'"timestamp": "-"', data)
            if rel not in _ACRO_CLOCK_SUMS:
                out[rel] = data
    return out


def _build(settings, sql_dir: Path) -> None:
    """Every table, as the assets make them (helpers.build_tables), and the safe tables."""
    build_tables(settings, list(load_project(sql_dir, settings).models), sql_dir)
    assert len(build_safe_tables(settings, sql_dir)) == 6


def _export(settings, root: Path, name: str) -> Path:
    folder = root / name
    settings_file = root / f"{name}.yml"
    values = {
        "workspace_url": settings.url().render_as_string(hide_password=False),
        "workspace_schema": settings.workspace_schema,
        "source_dir": str(settings.source_dir_path()),
        "ks4_cohorts": list(settings.ks4_cohorts),
    }
    settings_file.write_text(yaml.safe_dump(values), encoding="utf-8")
    base = ["--settings", str(settings_file)]
    assert main([*base, "export-outputs", str(folder)]) == 0
    assert main([*base, "export-sequences", str(folder / "sequences_month.csv")]) == 0
    assert (
        main([*base, "export-sequences", "--by", "year", str(folder / "sequences_year.csv")]) == 0
    )
    return folder


def test_shuffled_sources_and_a_no_op_edit_change_nothing(module_backend, capsys):
    backend, pg, root = module_backend
    base = settings_for(root, backend, pg, ks4_cohorts=[2014])
    generate(
        base, GeneratorConfig(pupils_per_cohort=150, seed=3, show_progress=False), target_url=pg
    )
    first = base.model_copy(update={"workspace_schema": "run_a"})
    _build(first, REAL_SQL)
    export_a = _export(first, root, "export_a")

    # the same sources, every table rewritten in another physical order
    shuffled = shuffle_source_rows(base, seed=11)
    assert len(shuffled) > 20 and sum(shuffled.values()) > 1000
    # the same SQL but for a comment and whitespace in one output
    sql_b = root / "sql_b"
    shutil.copytree(REAL_SQL, sql_b)
    out = sql_b / "outputs" / "out_destinations.sql"
    text = out.read_text(encoding="utf-8")
    edited = text.replace("\nselect\n", "\n-- a comment that changes nothing\nselect  \n", 1)
    assert edited != text
    out.write_text(edited + "\n\n", encoding="utf-8")
    assert (
        load_project(sql_b, base).models["out_destinations"].code_version
        == load_project(REAL_SQL, base).models["out_destinations"].code_version
    )
    second = base.model_copy(update={"workspace_schema": "run_b"})
    _build(second, sql_b)
    # and the raw aggregates read back in another physical order: the safe tables are rebuilt
    # from them and must not change (the order a table is read in decides nothing)
    db = WorkspaceDatabase.from_settings(second)
    try:
        raw = [n for n in _relations(db) if n.startswith("out_") and not n.endswith("_safe")]
        with db.engine.begin() as conn:
            for name in raw:
                shuffle_table_rows(conn, db.dialect, "run_b", name, seed=5)
    finally:
        db.dispose()
    assert len(raw) == 6
    build_safe_tables(second, sql_b)
    export_b = _export(second, root, "export_b")
    capsys.readouterr()

    db = WorkspaceDatabase.from_settings(first)
    try:
        names = _relations(db)
        assert names == _relations(WorkspaceDatabase.from_settings(second))
        assert len(names) > 60 and sum(n.endswith("_safe") for n in names) == 6
        differing = {n: _differing_rows(db, "run_a", "run_b", n) for n in names}
        assert {n: d for n, d in differing.items() if d} == {}
        # disclosure control had work to do: cells hidden by the primary rules and by secondary
        # suppression (a count of 10 or more hidden to protect another)
        keys = ["ks4_year", "destination_year", "breakdown", "group_value", "destination"]
        on = " AND ".join(f"safe.{k} = raw.{k}" for k in keys)
        hidden_small, hidden_big = db.rows(
            "SELECT SUM(CASE WHEN raw.n_people < 10 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN raw.n_people >= 10 THEN 1 ELSE 0 END) "
            f'FROM "run_a".out_destinations_safe AS safe '
            f'INNER JOIN "run_a".out_destinations AS raw ON {on} WHERE safe.n_people IS NULL'
        )[0]
        assert hidden_small > 50 and hidden_big > 5, (hidden_small, hidden_big)
    finally:
        db.dispose()

    files_a, files_b = _files(export_a), _files(export_b)
    assert sorted(files_a) == sorted(files_b)
    assert {"tables/out_destinations.csv", "sequences_month.csv", "sequences_year.csv"} <= set(
        files_a
    )
    assert [f for f in files_a if files_a[f] != files_b[f]] == []
    results = json.loads(files_a["acro/results.json"])
    assert len(results["results"]) > 6
