"""The outputs layer end to end: out_* tables on DuckDB and PostgreSQL, their disclosure-safe
versions, the blocking check stopping a disclosive output, and the export on synthetic data."""

import json

import dagster as dg
import pandas as pd
import pytest
import yaml

from leo_assets import disclosure
from leo_assets.cli import main
from leo_assets.outputs import CHECK_NAME, output_specs, read_frame
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import make_settings
from leo_assets.sqlproject.loader import load_project
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets_tests.helpers import (
    REAL_SQL,
    build_safe_tables,
    build_selection,
    build_tables,
    settings_for,
    write_sources,
)
from leo_assets_tests.model_cases import all_source_rows

# synthetic builds of the safe outputs: started first (conftest.py)
pytestmark = pytest.mark.slow

SPECS = output_specs(load_project(REAL_SQL, make_settings()))  # from the out_*.sql headers
SAFE = [spec.safe_name for spec in SPECS.values()]


# --------------------------------------------------------------- a hand-built case, both engines
@pytest.fixture(scope="module")
def small(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, ks4_cohorts=[2014], months_after_ks4=24)
    # the hand-built people of destinations' cases (PA..PE: one destination each)
    people = all_source_rows(REAL_SQL / "marts" / "destinations.cases.yml", settings)
    write_sources(settings, people)
    # the tables as their assets make them, then the safe outputs in a Dagster run: their
    # materialisations' metadata and their blocking checks' evaluations are what is tested
    build_tables(settings, [spec.name for spec in SPECS.values()])
    result = build_selection(settings, SAFE, upstream=False)
    db = WorkspaceDatabase.from_settings(settings)
    yield db, result
    db.dispose()


def test_outputs_count_the_hand_built_people(small):
    db, _result = small
    raw = read_frame(db, "out_destinations")
    year1 = raw[(raw["destination_year"] == 1) & (raw["breakdown"] == "all")].set_index(
        "destination"
    )["n_people"]
    assert year1.to_dict() == {
        "apprenticeship": 1,
        "education": 1,
        "employment": 1,
        "combination": 0,
        "sustained": 3,
        "not_sustained": 1,
        "not_captured": 1,
        "all": 5,
    }
    by_sex = raw[
        (raw["destination_year"] == 1) & (raw["breakdown"] == "sex") & (raw["destination"] == "all")
    ]
    assert dict(zip(by_sex["group_value"], by_sex["n_people"])) == {"F": 5, "all": 5}
    # breakdowns from characteristics: no CIN or CLA record is 'no'; no absence record 'unknown'
    year1_all = raw[(raw["destination_year"] == 1) & (raw["destination"] == "all")]
    groups = {
        breakdown: dict(zip(part["group_value"], part["n_people"]))
        for breakdown, part in year1_all.groupby("breakdown")
    }
    assert groups["cin"] == groups["looked_after"] == groups["ap_or_pru"] == {"no": 5, "all": 5}
    assert groups["persistent_absence"] == {"unknown": 5, "all": 5}
    states = read_frame(db, "out_state_distribution")
    first = states[states["month_index"] == 1].set_index("state")["n_people"]
    assert first["all"] == 5 and first.drop("all").sum() == 5
    quality = read_frame(db, "out_match_quality")
    link = quality[(quality["diagnostic_id"] == "PL-5") & (quality["measure"] == "leo_link")].iloc[
        0
    ]
    assert (int(link["n_flagged"]), int(link["n_units"])) == (4, 5)


def test_every_safe_output_has_a_column_schema_and_its_pictures(small):
    _db, result = small
    seen = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.path[-1] in SAFE:
            seen[mat.asset_key.path[-1]] = mat.metadata
    assert set(seen) == set(SAFE)
    for spec in SPECS.values():
        metadata = seen[spec.safe_name]
        schema = metadata["dagster/column_schema"].value
        columns = {c.name: c for c in schema.columns}
        assert set(spec.published_columns()) <= set(columns), spec.safe_name
        assert all(columns[c].description for c in spec.published_columns()), spec.safe_name
    # a picture for each output where one helps (five people: every count suppressed, so a
    # picture may be empty and left out; its key is then absent, never a broken image)
    for name, metadata in seen.items():
        for key, value in metadata.items():
            if key.startswith("picture_"):
                assert "data:image/png;base64," in value.value, (name, key)


def test_five_people_publish_nothing_and_every_check_passes(small):
    db, result = small
    for spec in SPECS.values():
        safe = read_frame(db, spec.safe_name)
        assert len(safe) == len(read_frame(db, spec.name))
        assert safe[list(spec.counts)].isna().all().all(), spec.name  # every count under 10
        assert not set(spec.evidence_columns()) & set(safe.columns)
    evaluations = {
        (e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert all(evaluations[(name, CHECK_NAME)] for name in SAFE)


# -------------------------------------------------------------- synthetic data: export and block
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs_demo")
    settings = settings_for(root)
    generate(settings, GeneratorConfig(pupils_per_cohort=400, show_progress=False))
    # as the assets make them, not in a Dagster run (the exports read tables only)
    build_tables(settings, [spec.name for spec in SPECS.values()])
    build_safe_tables(settings)
    settings_file = root / "leo_settings.yml"
    settings_file.write_text(
        yaml.safe_dump(
            {
                "workspace_url": f"duckdb:///{root / 'ws.duckdb'}",
                "source_dir": str(root / "sources"),
            }
        )
    )
    return settings, settings_file, root


def test_export_writes_tables_pictures_and_report(demo, capsys):
    from matplotlib import image

    _settings, settings_file, root = demo
    folder = root / "export"
    assert main(["--settings", str(settings_file), "export-outputs", str(folder)]) == 0
    assert "output_checking_report.md" in capsys.readouterr().out
    for spec in SPECS.values():
        csv = pd.read_csv(folder / "tables" / f"{spec.name}.csv", dtype=str)
        assert list(csv.columns) == [c for c in spec.published_columns() if c not in spec.keep]
        assert "person_id" not in csv.columns
        counts = csv[list(spec.counts)].stack()
        published = counts[counts != "c"].astype(int)
        assert (published % 5 == 0).all() and (published >= 10).all(), spec.name
    plots = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert plots == [
        "destination_flows.png",
        "destinations.png",
        "earnings_by_age.png",
        "match_quality.png",
        "sequence_index_synthetic.png",
        "state_distribution.png",
        "top_sequences.png",
    ]
    for png in (folder / "plots").glob("*.png"):
        pixels = image.imread(png)
        # large enough to read at a glance: 850-1250 px wide at 100 dpi, legends in the picture
        assert pixels.shape[0] > 400 and pixels.shape[1] > 800, png.name
        assert png.stat().st_size < 400_000, png.name
        assert pixels.std() > 0.05, png.name  # not blank
    earnings = pd.read_csv(folder / "tables" / "out_earnings_by_age.csv", dtype=str)
    medians = earnings["p50_earnings_gbp_real"][earnings["p50_earnings_gbp_real"] != "c"].astype(
        int
    )
    assert (
        len(medians) >= 5
        and (medians % 100 == 0).all()
        and medians.is_monotonic_increasing is not None
    )
    report = (folder / "output_checking_report.md").read_text()
    for spec in SPECS.values():
        assert f"`{spec.name}`" in report
    assert (
        "below 10 are suppressed" in report and "nearest 5" in report and "nearest £100" in report
    )
    assert "secondary suppression" in report
    # every picture's provenance is stated exactly: no "or" hedging between two sources
    assert "or from synthetic data" not in report
    assert "`plots/destinations.png`: drawn from the disclosure-safe out_destinations_safe" in (
        report
    )
    assert "`plots/sequence_index_synthetic.png`: the monthly states of 200 individuals" in report
    acro_results = json.loads((folder / "acro" / "results.json").read_text())
    files = {f["name"] for out in acro_results["results"].values() for f in out["files"]}
    assert "out_destinations.csv" in files and "state_distribution.png" in files


def test_real_data_never_exports_the_individual_picture(demo):
    from leo_assets.outputs import export_outputs
    from leo_assets.sqlproject.loader import load_project

    settings, _file, root = demo
    real = settings.model_copy(
        update={"disclosure": {"sequence_index_sample": 50}, "project_schema": "p1234"}
    )
    db = WorkspaceDatabase.from_settings(real)
    try:
        exported = export_outputs(load_project(REAL_SQL, real), db, root / "export_real")
    finally:
        db.dispose()
    withheld = [name for table in exported for name in table.withheld]
    assert withheld == ["sequence_index_synthetic.png"]
    assert not (root / "export_real" / "plots" / "sequence_index_synthetic.png").exists()
    assert "was NOT exported" in (root / "export_real" / "output_checking_report.md").read_text()


def test_a_disclosive_output_is_blocked_and_the_run_fails(demo, monkeypatch):
    from leo_assets.definitions import build_definitions

    settings, _file, _root = demo
    db = WorkspaceDatabase.from_settings(settings)
    before = read_frame(db, "out_top_sequences_safe")
    db.dispose()

    def no_protection(raw, spec, rules):  # publishes the raw counts: what the check must stop
        table = raw[[c for c in spec.published_columns() if c in raw.columns]].copy()
        for share in spec.shares:
            table[share.name] = disclosure.compute_share(table, spec, share, rules)
        return disclosure.Protected(table, {})

    monkeypatch.setattr(disclosure, "protect", no_protection)
    defs = build_definitions(settings)
    key = dg.AssetKey(["outputs", "out_top_sequences_safe"])
    result = defs.resolve_job_def("build_all").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), asset_selection=[key], raise_on_error=False
    )
    assert not result.success
    checks = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME]
    assert (
        len(checks) == 1
        and not checks[0].passed
        and checks[0].severity == dg.AssetCheckSeverity.ERROR
    )
    assert "below_threshold" in (checks[0].description or "")
    db = WorkspaceDatabase.from_settings(settings)
    try:
        after = read_frame(db, "out_top_sequences_safe")
        assert db.relation_kind("out_top_sequences_safe__new") is None
    finally:
        db.dispose()
    pd.testing.assert_frame_equal(before, after)  # the previous safe table is kept


# ------------------------------------------------- a new output is one SQL file (no Python)
NEW_MART = """
/* ---
description: One row per KS4 cohort x sex, the number of cohort members (a test mart).
grain: [ks4_year, sex]
--- */
select
    cohort.ks4_year,  -- KS4 cohort
    coalesce(cohort.sex, 'unknown') as sex,  -- sex, unknown when missing
    cast(count(*) as int) as n_people  -- cohort members
from ws.ks4_cohort as cohort
group by cohort.ks4_year, coalesce(cohort.sex, 'unknown')
"""

NEW_OUTPUT = """
/* ---
description: One row per KS4 cohort x sex (and 'all'), the number of cohort members (a test output).
grain: [ks4_year, sex]
disclosure:
  title: Cohort members by sex
  counts: [n_people]
  relations:
    - margin: {dimension: sex, total: all}
  shares:
    - {name: pct_of_cohort, count: n_people, dimension: sex, total: all}
--- */
select sizes.ks4_year, sizes.sex, sizes.n_people  -- cohort members
from ws.cohort_sizes as sizes
union all
select sizes.ks4_year, 'all', cast(sum(sizes.n_people) as int)
from ws.cohort_sizes as sizes
group by sizes.ks4_year
"""


def _copy_project(tmp_path):
    import shutil

    sql = tmp_path / "sql"
    shutil.copytree(REAL_SQL, sql)
    return sql


def test_a_new_output_and_a_new_mart_are_one_sql_file_each(tmp_path):
    """In a copy of sql/: a new mart and a new out_* file load into the definitions with their
    _safe twin, protected as the header says; no Python is touched."""
    from leo_assets.definitions import build_definitions

    sql = _copy_project(tmp_path)
    (sql / "marts" / "cohort_sizes.sql").write_text(NEW_MART.lstrip(), encoding="utf-8")
    (sql / "outputs" / "out_cohort_sizes.sql").write_text(NEW_OUTPUT.lstrip(), encoding="utf-8")
    settings = settings_for(tmp_path)
    defs = build_definitions(settings, sql_dir=sql)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "marts/cohort_sizes",
        "outputs/out_cohort_sizes",
        "outputs/out_cohort_sizes_safe",
    } <= keys
    safe = defs.resolve_assets_def(dg.AssetKey(["outputs", "out_cohort_sizes_safe"]))
    assert CHECK_NAME in {spec.name for spec in safe.check_specs}
    spec = output_specs(load_project(sql, settings))["out_cohort_sizes"]
    assert spec == disclosure.TableSpec(
        name="out_cohort_sizes",
        title="Cohort members by sex",
        dims=("ks4_year", "sex"),
        counts=("n_people",),
        relations=(disclosure.Margin("sex", "all"),),
        shares=(disclosure.Share("pct_of_cohort", "n_people", "sex", "all"),),
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # an unknown key of a relation
            "- margin: {dimension: group_value, total: all}",
            "- margin: {dimensoin: group_value, total: all}",
            r"disclosure\.relations\.2\.margin\.dimensoin: Extra inputs are not permitted",
        ),
        (  # a column the SELECT does not have
            "  keep: [sort_order]\n",
            "  keep: [sort_ordre]\n",
            r"disclosure\.keep\.0: no column 'sort_ordre' in the SELECT",
        ),
        (  # a reference column that does not exist
            "where: {is_sustained: 1}",
            "where: {is_sustaned: 1}",
            (
                r"disclosure\.relations\.1\.margin\.parts: "
                r"ref_destinations has no column 'is_sustaned'"
            ),
        ),
        (  # a share whose count is not a count
            "{name: pct_of_group, count: n_people,",
            "{name: pct_of_group, count: sort_order,",
            r"disclosure: Value error, share pct_of_group: count 'sort_order' is not in counts",
        ),
        (  # dimensions that are not the grain
            "  keep: [sort_order]\n",
            "  keep: [sort_order]\n  dimensions: [ks4_year, destination]\n",
            r"disclosure\.dimensions: .* must be the grain",
        ),
        (  # no disclosure block at all
            "disclosure:\n  title: Destinations",
            "not_disclosure:\n  title: Destinations",
            r"header: .*not_disclosure",
        ),
    ],
)
def test_a_bad_disclosure_block_fails_the_load_naming_file_and_key(tmp_path, old, new, message):
    from leo_assets.definitions import build_definitions
    from leo_assets.sqlproject.header import LoadError

    sql = _copy_project(tmp_path)
    path = sql / "outputs" / "out_destinations.sql"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LoadError, match=r"^outputs/out_destinations\.sql:1: header: ") as info:
        build_definitions(settings_for(tmp_path), sql_dir=sql)
    assert info.match(message)


def test_an_output_without_a_disclosure_block_fails_the_load(tmp_path):
    from leo_assets.definitions import build_definitions
    from leo_assets.sqlproject.header import LoadError

    sql = _copy_project(tmp_path)
    (sql / "marts" / "cohort_sizes.sql").write_text(NEW_MART.lstrip(), encoding="utf-8")
    bare = NEW_OUTPUT.split("disclosure:")[0] + "--- */" + NEW_OUTPUT.split("--- */")[1]
    (sql / "outputs" / "out_cohort_sizes.sql").write_text(bare.lstrip(), encoding="utf-8")
    with pytest.raises(
        LoadError, match=r"^outputs/out_cohort_sizes\.sql:1: header: disclosure: missing"
    ):
        build_definitions(settings_for(tmp_path), sql_dir=sql)
    # and a disclosure block on a mart protects nothing: an error too
    (sql / "outputs" / "out_cohort_sizes.sql").unlink()
    mart = NEW_OUTPUT.replace("from ws.cohort_sizes", "from ws.ks4_cohort")
    (sql / "marts" / "cohort_sizes.sql").write_text(mart.lstrip(), encoding="utf-8")
    with pytest.raises(LoadError, match=r"^marts/cohort_sizes\.sql:1: header: disclosure: only"):
        build_definitions(settings_for(tmp_path), sql_dir=sql)


def test_read_only_export_after_the_ssms_script_gives_the_same_files(demo, monkeypatch):
    """The SSMS script builds out_* but not their _safe tables: export-outputs --read-only protects
    them in memory, writes nothing to the database, and exports the very same tables."""
    from leo_assets.outputs import export_outputs

    settings, _settings_file, root = demo
    project = load_project(REAL_SQL, settings)
    db = WorkspaceDatabase.from_settings(settings)
    try:
        usual = export_outputs(project, db, root / "export_usual")

        def refuse(*args, **kwargs):
            raise AssertionError("the read-only export wrote to the database")

        monkeypatch.setattr(WorkspaceDatabase, "execute", refuse)
        monkeypatch.setattr(WorkspaceDatabase, "load_seed", refuse)
        read_only = export_outputs(project, db, root / "export_read_only", read_only=True)
    finally:
        db.dispose()
    assert [t.csv for t in read_only] == [t.csv for t in usual] and usual
    for table in usual:
        assert (root / "export_read_only" / table.csv).read_bytes() == (
            root / "export_usual" / table.csv
        ).read_bytes()
