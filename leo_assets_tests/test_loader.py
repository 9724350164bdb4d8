"""Load-time rejections, each naming the file (and the line where there is one)."""

import shutil

import pytest

from leo_assets.settings import make_settings
from leo_assets.sqlproject.header import LoadError
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import EMPLOYMENT_MART, EMPLOYMENT_STAGING, make_project

OK = {"staging/leo/stg_leo__employment.sql": EMPLOYMENT_STAGING}
HDR = "/* ---\ndescription: A test model, one row per thing.\n--- */\n"


def _load(tmp_path, files):
    return load_project(make_project(tmp_path, {**OK, **files}), make_settings())


@pytest.mark.parametrize(
    "files, message",
    [
        ({"marts/m.sql": "select 1 as x"}, r"marts/m\.sql:1: no header"),
        (
            {"marts/m.sql": HDR + "select x.a\nfrom ws.nowhere as x"},
            r"marts/m\.sql: unknown reference ws\.nowhere",
        ),
        (
            {"marts/m.sql": HDR + "select x.a\nfrom leo.salaries as x"},
            r"marts/m\.sql:5: unknown reference leo\.salaries",
        ),
        (
            {"marts/m.sql": HDR + "select x.a\nfrom person_lookup as x"},
            r"marts/m\.sql:5: table 'person_lookup' is not schema-qualified",
        ),
        (
            {"marts/m.sql": HDR + "select x.a from LEO_i2.synthetic.leo_employment as x"},
            r"marts/m\.sql:4: .*physical database names",
        ),
        (
            {"marts/m.sql": HDR + "select e.edukey from leo.employment as e"},
            r"marts/m\.sql: layer violation: only staging models read sources",
        ),
        (
            {"outputs/out_m.sql": HDR + "select s.edukey from ws.stg_leo__employment as s"},
            r"outputs/out_m\.sql: layer violation: a outputs model may read",
        ),
        (
            {
                "marts/m.sql": HDR
                + "select 1 as x from ws.stg_leo__employment as s where s.startdate < @today"
            },
            r"marts/m\.sql:4: unknown parameter @today",
        ),
        ({"marts/m.sql": HDR + "drop table ws.stg_leo__employment"}, r"marts/m\.sql"),
        (
            {"marts/m.sql": HDR + "select newid() as x from ws.stg_leo__employment as s"},
            r"NEWID\(\): random",
        ),
        ({"marts/m.sql": HDR + "select getdate() as x from ws.stg_leo__employment as s"}, r"today"),
        (
            {"marts/m.sql": HDR + "select s.n / 2 as x from ws.stg_leo__employment as s"},
            r"division .*DECIMAL",
        ),
        (
            {
                "marts/m.sql": HDR
                + "select datediff(month, s.a, s.b) as x from ws.stg_leo__employment as s"
            },
            r"DATEDIFF\(month",
        ),
        (
            {"marts/m.sql": HDR + "select top 5 s.edukey from ws.stg_leo__employment as s"},
            r"TOP without ORDER BY",
        ),
        (
            {
                "marts/m.sql": HDR
                + "select concat('a', 'b') + 'c' as x from ws.stg_leo__employment as s"
            },
            r"string '\+'",
        ),
        (
            {"marts/m.sql": HDR + "select cast(s.a as bit) as x from ws.stg_leo__employment as s"},
            r"BIT",
        ),
        (
            {"intermediate/m.sql": HDR + "select s.edukey from ws.stg_leo__employment as s"},
            r"intermediate model is named int_",
        ),
        (
            {"marts/int_m.sql": HDR + "select s.edukey from ws.stg_leo__employment as s"},
            r"prefix of 'int_m' belongs to another layer",
        ),
        (
            {
                "marts/a.sql": HDR + "select b.x from ws.b as b",
                "marts/b.sql": HDR + "select a.x from ws.a as a",
            },
            r"cycle between models",
        ),
        ({"marts/sub/stg_leo__employment.sql": HDR + "select 1 as x"}, r"stg_leo__employment"),
        (
            {"marts/m.sql": "/* ---\ndescription: short\n--- */\nselect 1 as x"},
            r"description must say",
        ),
        (
            {"marts/m.sql": "/* ---\ndescription: [unclosed\n--- */\nselect 1 as x"},
            r"marts/m\.sql:\d+: header is not valid YAML",
        ),
        (
            {
                "marts/m.sql": HDR.replace(
                    "--- */", "checks:\n  - not_null: [x]\n    unique: [x]\n--- */"
                )
                + "select 1 as x"
            },
            r"exactly one of",
        ),
        ({"marts/m__c.check.sql": HDR + "select 1 as x"}, r"no model named 'm' for this check"),
        ({"m.sql": HDR + "select 1 as x"}, r"m\.sql: SQL files live in a layer folder"),
        (
            {
                "marts/m.sql": HDR
                + "select greatest(s.a, s.b) as x from ws.stg_leo__employment as s"
            },
            r"GREATEST\(\)",
        ),
        (
            {
                "marts/m.sql": HDR
                + "select s.a from ws.stg_leo__employment as s where s.a like '[0-9]%'"
            },
            r"character class",
        ),
    ],
)
def test_rejections(tmp_path, files, message):
    with pytest.raises(LoadError, match=message):
        _load(tmp_path, files)


def test_dependencies_are_inferred_and_ctes_ignored(tmp_path):
    project = _load(
        tmp_path,
        {
            "marts/employment_people.sql": EMPLOYMENT_MART,
            "marts/m.sql": HDR + "with employment_people as (select 1 as edukey)\n"
            "select p.edukey from employment_people as p "
            "join ws.employment_people as q on q.edukey = p.edukey",
        },
    )
    assert project.models["employment_people"].model_deps == {"stg_leo__employment"}
    assert project.models["stg_leo__employment"].source_deps == {"leo.employment"}
    assert project.models["m"].model_deps == {"employment_people"}
    assert (
        project.order.index("stg_leo__employment")
        < project.order.index("employment_people")
        < project.order.index("m")
    )
    assert project.downstream({"stg_leo__employment"}) == {
        "stg_leo__employment",
        "employment_people",
        "m",
    }


def test_code_version_ignores_comments_and_tracks_meaning_and_settings(tmp_path):
    sql = make_project(tmp_path, {**OK, "marts/employment_people.sql": EMPLOYMENT_MART})
    v1 = load_project(sql, make_settings()).models["employment_people"].code_version
    path = sql / "marts" / "employment_people.sql"
    path.write_text(path.read_text().replace("-- spells of this edukey", "-- reworded comment\n\n"))
    assert load_project(sql, make_settings()).models["employment_people"].code_version == v1
    path.write_text(path.read_text().replace("n_spells >= 1", "n_spells >= 2"))
    v2 = load_project(sql, make_settings()).models["employment_people"].code_version
    assert v2 != v1
    # settings a file uses move its version; settings it does not use leave it alone
    staging = sql / "staging" / "leo" / "stg_leo__employment.sql"
    staging.write_text(
        staging.read_text().replace(
            "from leo.employment as employment",
            "from leo.employment as employment where employment.startdate <= @reference_date",
        )
    )
    a = load_project(sql, make_settings()).models
    b = load_project(sql, make_settings(reference_date="2020-01-01")).models
    assert a["stg_leo__employment"].code_version != b["stg_leo__employment"].code_version
    assert a["employment_people"].code_version == b["employment_people"].code_version


def test_reserved_names_are_rejected(tmp_path):
    with pytest.raises(LoadError, match="'overlaps' is reserved"):
        _load(
            tmp_path,
            {"marts/m.sql": HDR + "with overlaps as (select 1 as x) select o.x from overlaps as o"},
        )


def test_or_across_an_outer_join_is_rejected(tmp_path):
    """DuckDB plans an outer join with an OR over both sides as a quadratic nested loop."""
    body = (
        HDR
        + "select a.x, b.y from ws.stg_leo__employment as a left join ws.stg_leo__employment as b "
        "on b.edukey = a.edukey and (b.start_date <> a.start_date or b.end_date <> a.end_date)"
    )
    with pytest.raises(LoadError, match="LEFT JOIN b ON .*nested loop"):
        _load(tmp_path, {"marts/m.sql": body})
    # the same OR is fine in an inner join, and an OR over the joined table alone is pushed down
    _load(tmp_path, {"marts/m.sql": body.replace("left join", "inner join")})
    _load(
        tmp_path,
        {
            "marts/m.sql": HDR
            + "select a.x from ws.stg_leo__employment as a left join ws.stg_leo__employment as b "
            "on b.edukey = a.edukey and (b.start_date is null or b.end_date is null)"
        },
    )


def test_reference_csv_with_setting_overrides(tmp_path):
    """ref_match_quality is its CSV (the diagnostics' registry) with setting match_quality applied;
    the loader reads the copy of the project it loads, the settings validate against the same
    file."""
    import csv

    from leo_assets.settings import MATCH_QUALITY_FILE, match_quality_registry

    sql = make_project(tmp_path, OK, with_reference=True)
    plain = load_project(sql, make_settings()).models["ref_match_quality"]
    columns = [c for c, _t, _d in plain.seed_columns]
    with open(MATCH_QUALITY_FILE, newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == columns
    rows = {r[0]: dict(zip(columns, r, strict=True)) for r in plain.seed_rows}
    assert list(rows) == list(match_quality_registry())
    assert rows["PL-1"]["threshold_warn"] == 0.03 and rows["PL-1"]["threshold_error"] == 0.1
    assert rows["PL-5"]["gap_warn"] == 0.05 and rows["PL-8"]["min_n"] == 500
    assert rows["EM-3"]["threshold_warn"] is None and rows["CD-4"]["max_severity"] == "error"
    settings = make_settings(
        match_quality={"PL-1": {"warn": 0.05, "error": None}, "CD-4": {"severity": "warn"}}
    )
    model = load_project(sql, settings).models["ref_match_quality"]
    changed = {r[0]: dict(zip(columns, r, strict=True)) for r in model.seed_rows}
    assert changed["PL-1"] == {**rows["PL-1"], "threshold_warn": 0.05, "threshold_error": None}
    assert changed["CD-4"] == {**rows["CD-4"], "max_severity": "warn"}
    assert {k: v for k, v in changed.items() if k not in ("PL-1", "CD-4")} == {
        k: v for k, v in rows.items() if k not in ("PL-1", "CD-4")
    }
    assert model.code_version != plain.code_version


def test_parsed_trees_are_shared_and_nothing_changes_them():
    """The loader keeps the cached parse of each file as ``SqlModel.tree`` (no copy per load):
    compiling every model and check for every engine, the lint rules and the output specs read
    the trees and must leave them as parsed; a second load hands out the same objects."""
    from leo_assets.outputs import output_specs
    from leo_assets.sqlproject import compile as compile_module
    from leo_assets.sqlproject import loader
    from leo_assets.sqlproject.compile import compile_check, compile_select
    from leo_assets.sqlproject.loader import lint_findings
    from leo_assets_tests.helpers import REAL_SQL

    compile_module._COMPILED.clear()  # compile and lint for real, not from an earlier test
    loader._LINT_SEEN.clear()
    settings = make_settings()
    project = load_project(REAL_SQL, settings)
    trees = {m.name: m.tree for m in project.models.values() if m.tree is not None}
    checks = [c for m in project.models.values() for c in m.singular_checks]
    trees |= {f"{c.model}__{c.name}": c.tree for c in checks}
    assert len(trees) > 80 and checks  # the real project: every model and check is read
    before = {name: repr(tree) for name, tree in trees.items()}
    for dialect in ("duckdb", "postgres"):
        for model in project.models.values():
            if model.tree is not None:
                compile_select(project, model, dialect)
        for check in checks:
            compile_check(project, check, dialect)
    lint_findings(project.models)
    output_specs(project)
    assert {name: repr(tree) for name, tree in trees.items()} == before
    again = load_project(REAL_SQL, settings)
    assert all(again.models[name].tree is trees[name] for name in again.models if name in trees)


def test_compiled_sql_is_reused_only_under_the_same_settings(tmp_path):
    """Compiled SQL is kept per (settings, source declarations, text, dialect, overrides): a
    setting the SQL reads, the workspace schema or a declaration changes it at once; where the
    workspace and the source files are (a URL, a folder) does not, so builds share it."""
    from leo_assets.sqlproject.compile import compile_select
    from leo_assets_tests.helpers import REAL_SQL

    def compiled(sql_dir=REAL_SQL, model="int_spells__merged", **values):
        project = load_project(sql_dir, make_settings(**values))
        return project.compile_key, compile_select(project, project.models[model], "duckdb")

    key, sql = compiled()
    assert "2023-03-31" not in sql
    key_date, sql_date = compiled(reference_date="2023-03-31")
    assert key_date != key and "2023-03-31" in sql_date
    key_schema, sql_schema = compiled(workspace_schema="elsewhere")
    assert key_schema != key and '"elsewhere"' in sql_schema and '"elsewhere"' not in sql
    assert compiled() == (key, sql)  # the first settings again: the first SQL
    moved = compiled(
        workspace_url=f"duckdb:///{tmp_path / 'other.duckdb'}", source_dir=str(tmp_path / "s")
    )
    assert moved == (key, sql)
    # a source declaration: another view name in a copy of the project
    copy = tmp_path / "sql"
    shutil.copytree(REAL_SQL, copy)
    sources = copy / "_sources.yml"
    text = sources.read_text(encoding="utf-8")
    assert 'view: "ks4_{year}"' in text
    sources.write_text(text.replace('view: "ks4_{year}"', 'view: "ks4x_{year}"'), encoding="utf-8")
    key_decl, sql_decl = compiled(copy, "stg_npd__ks4")
    assert key_decl != key and "ks4x_2014" in sql_decl
    assert "ks4x_2014" not in compiled(model="stg_npd__ks4")[1]
