"""Source grain and row accounting (issue 13): duplicates removed and counted, every row staging
sets aside or changes counted per reason, and no derived table moved by duplicated sources."""

import datetime as dt

import pytest

from leo_assets.resources import WorkspaceDatabase, fingerprint_sql
from leo_assets.settings import PROJECT_DIR
from leo_assets.sqlproject.loader import LoadError, load_project
from leo_assets.sqlproject.sources import (
    SourceDeclarationError,
    load_catalog,
    load_source_declarations,
)
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets.synthetic.tamper import duplicate_rows
from leo_assets_tests.helpers import (
    REAL_SQL,
    build_selection,
    build_tables,
    make_project,
    settings_for,
    write_sources,
)


def _checks(result, asset: str) -> dict[str, object]:
    return {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] == asset
    }


def _meta(evaluation) -> dict[str, int]:
    return {k: v.value for k, v in evaluation.metadata.items() if isinstance(v.value, int)}


def test_every_source_declares_its_grain(tmp_path):
    decls = load_source_declarations(PROJECT_DIR / "sql")
    assert all(d.key for d in decls.values())
    staging = (
        "/* ---\ndescription: One row per KS4 record, no rules, from npd.ks4.\n--- */\n"
        "select ks4_year from npd.ks4\n"
    )
    sql = make_project(tmp_path, {"staging/npd/stg_npd__ks4.sql": staging})
    text = (sql / "_sources.yml").read_text().replace("  key: [edukey, taxyear]\n", "", 1)
    (sql / "_sources.yml").write_text(text)
    with pytest.raises(SourceDeclarationError, match="source 'earnings'.*key"):
        load_source_declarations(sql)


def test_a_model_resolving_key_duplicates_must_exist(tmp_path):
    staging = (
        "/* ---\ndescription: One row per KS4 record, no rules, from npd.ks4.\n--- */\n"
        "select ks4_year from npd.ks4\n"
    )
    sql = make_project(tmp_path, {"staging/npd/stg_npd__ks4.sql": staging})
    text = (sql / "_sources.yml").read_text()
    text = text.replace("key_resolved_by: int_ks4__pupils", "key_resolved_by: int_ks4__pupil", 1)
    (sql / "_sources.yml").write_text(text)
    with pytest.raises(LoadError, match="source 'ks4': key_resolved_by names no model"):
        load_project(sql, settings_for(tmp_path))


def test_staging_removes_duplicates_and_counts_every_row_it_sets_aside(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])

    def spell(key, start, end, uncertain_end=False):
        return {
            "edukey": key,
            "startdate": start,
            "enddate": end,
            "uncertainstartdate": False,
            "uncertainenddate": uncertain_end,
        }

    d = dt.date
    rows = [
        spell("K1", d(2015, 4, 6), d(2016, 4, 5)),
        spell("K1", d(2015, 4, 6), d(2016, 4, 5)),  # exact duplicate
        spell("K2", d(2015, 4, 6), d(2016, 4, 5), True),  # key duplicate: this one sorts last
        spell("K2", d(2015, 4, 6), d(2016, 4, 5), False),
        # key duplicate: NULL sorts last on every engine (SQL Server's own order puts it first)
        spell("K7", d(2015, 4, 6), d(2016, 4, 5), None),
        spell("K7", d(2015, 4, 6), d(2016, 4, 5), True),
        spell("", d(2015, 4, 6), d(2016, 4, 5)),  # blank identifier
        # read as RTRIM (text: id), so ' ' is '' as on SQL Server: an exact duplicate of the last
        spell(" ", d(2015, 4, 6), d(2016, 4, 5)),
        spell("K3", d(2016, 4, 6), d(2015, 4, 5)),  # end before start
        spell("K4", d(2016, 4, 6), d(1900, 1, 1)),  # unknown end: never an open spell
        spell("K5", d(2030, 4, 6), d(9999, 12, 31)),  # starts after the reference date
        spell("K6", d(2019, 4, 6), d(9999, 12, 31)),  # ongoing: kept, open
    ]
    write_sources(settings, {"leo_employment": rows})
    result = build_selection(settings, ["stg_leo__employment"])
    checks = _checks(result, "stg_leo__employment")
    duplicates = _meta(checks["source_duplicates"])
    assert (duplicates["rows_exact_duplicate"], duplicates["rows_key_duplicate"]) == (2, 2)
    issues = _meta(checks["row_issues"])
    assert {k: v for k, v in issues.items() if k.startswith("rows_")} == {
        "rows_blank_identifier": 1,  # the two blank rows are one after RTRIM
        "rows_end_before_start": 1,
        "rows_sentinel_date": 1,
        "rows_date_out_of_range": 1,
    }
    assert not checks["row_issues"].passed  # a recorded warning
    db = WorkspaceDatabase.from_settings(settings)
    table = db.target("stg_leo__employment").sql(db.dialect)
    got = db.rows(
        f"SELECT edukey, is_end_uncertain, is_open_ended, row_issue FROM {table} "
        "WHERE edukey IN ('K2', 'K6', 'K7') ORDER BY edukey"
    )
    assert got == [("K2", 0, 0, None), ("K6", 0, 1, None), ("K7", 1, 0, None)]
    assert db.scalar(f"SELECT COUNT(*) FROM {table}") == 8  # 12 less 2 exact, 2 key duplicates
    db.dispose()


def _table_fingerprints(db: WorkspaceDatabase) -> dict[str, tuple]:
    schema_col = "table_schema"
    sql = (
        f"SELECT table_name FROM information_schema.tables WHERE {schema_col} = "
        f"'{db.workspace_schema}' AND table_type LIKE '%TABLE%'"
    )
    if db.dialect == "duckdb":
        sql += " AND table_catalog = current_database()"
    names = sorted(r[0] for r in db.rows(sql))
    return {
        n: tuple(db.rows(fingerprint_sql(db.dialect, db.target(n).sql(db.dialect)))[0])
        for n in names
    }


def test_duplicated_sources_change_no_derived_table(tmp_path, backend_url):
    """Every row of every source view twice: the spells, earnings and the tables under them are
    unchanged, and the duplicates are counted."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    generate(
        settings, GeneratorConfig(pupils_per_cohort=60, seed=5, show_progress=False), target_url=pg
    )
    targets = ["earnings", "employment_spells", "benefit_spells"]
    build_tables(settings, targets)
    db = WorkspaceDatabase.from_settings(settings)
    before = _table_fingerprints(db)
    db.dispose()
    assert duplicate_rows(settings) > 1000
    result = build_selection(settings, targets)
    db = WorkspaceDatabase.from_settings(settings)
    after = _table_fingerprints(db)
    db.dispose()
    assert set(before) >= {"earnings", "employment_spells", "person_identifier"}
    assert after == before
    employment = _meta(_checks(result, "stg_leo__employment")["source_duplicates"])
    assert employment["rows_exact_duplicate"] > 100
    # the check counts by grouping, staging removes by ranking: the two agree row for row
    db = WorkspaceDatabase.from_settings(settings)
    staged = db.scalar(f"SELECT COUNT(*) FROM {db.target('stg_leo__employment').sql(db.dialect)}")
    db.dispose()
    removed = employment["rows_exact_duplicate"] + employment["rows_key_duplicate"]
    assert staged == employment["denominator_rows"] - removed


def test_staging_sentinel_literals_are_the_reference_ranges():
    """The one sentinel rule lives in sql/reference/ref_sentinel_dates.csv; staging follows it."""
    import csv
    import re

    with open(PROJECT_DIR / "sql" / "reference" / "ref_sentinel_dates.csv", encoding="utf-8") as fh:
        ranges = list(csv.DictReader(fh))
    unknown = next(r for r in ranges if r["meaning"] == "unknown")
    ongoing = next(r for r in ranges if r["meaning"] == "ongoing")
    allowed = {
        f"<= cast('{unknown['last_date']}' as date)",
        f">= cast('{ongoing['first_date']}' as date)",
    }
    for path in sorted((PROJECT_DIR / "sql" / "staging").rglob("*.sql")):
        text = path.read_text(encoding="utf-8").split("*/", 1)[1]
        for m in re.finditer(r"(\S+)\s*cast\('(\d{4}-\d\d-\d\d)' as date\)", text):
            literal = f"{m.group(1)} cast('{m.group(2)}' as date)"
            assert literal in allowed, (
                f"{path.name}: {literal} is not the rule of ref_sentinel_dates"
            )


def test_generator_record_keys_agree_with_declared_grain():
    """The synthetic record truth is keyed like the declared grain (plus the view's year)."""
    from leo_assets.synthetic.views import NATURAL_KEYS

    decls = load_source_declarations(PROJECT_DIR / "sql")
    for source, stems in NATURAL_KEYS.items():
        decl = decls[source]
        extra = set(decl.key) - set(stems)
        assert set(stems) <= set(decl.key), source
        assert extra <= {decl.year_column, "term_id"}, (source, extra)


def test_a_year_split_source_is_counted_view_by_view(tmp_path, backend_url):
    """The School Census's key holds census_year and term_id, which tell its views apart: the
    duplicate count groups one view at a time and adds the counts (over every view at once it ran
    DuckDB out of memory at three cohorts of 600,000), and still agrees with staging."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    first, second = (
        next(pv for pv in write_sources(settings).all_views() if pv.view == name)
        for name in ("spring_census_2014", "summer_census_2014")
    )

    def row(pv, pmr, gender="M"):
        values = {
            "pupilmatchingrefanonymous": pmr,
            "laestab_anon": "S1",
            "enrolstatus": "C",
            "recordstatus": 1,
            "yearofbirth": 1998,
            "monthofbirth": 5,
            "gender": gender,
        }
        return {physical: values[stem] for physical, stem, _ in pv.columns if stem in values}

    write_sources(
        settings,
        {
            first.view: [
                row(first, "P1"),
                row(first, "P1"),  # an exact duplicate
                row(first, "P2", "M"),
                row(first, "P2", "F"),  # a key duplicate
                row(first, "", "M"),  # no person: different pupils, both kept
                row(first, "", "F"),
            ],
            # the same pupils in the next term: no duplicates
            second.view: [row(second, "P1"), row(second, "P2")],
        },
    )
    sql = load_catalog(REAL_SQL, settings).duplicate_counts("school_census", backend)
    assert "view_counts" in sql
    result = build_selection(settings, ["stg_npd__school_census"])
    counts = _meta(_checks(result, "stg_npd__school_census")["source_duplicates"])
    assert counts["denominator_rows"] == 8
    assert counts["rows_exact_duplicate"] == 1
    assert counts["rows_key_duplicate"] == 1
    db = WorkspaceDatabase.from_settings(settings)
    staged = db.scalar(
        f"SELECT COUNT(*) FROM {db.target('stg_npd__school_census').sql(db.dialect)}"
    )
    db.dispose()
    assert staged == 6  # staging keeps one row of each known pupil's key, both of no pupil
