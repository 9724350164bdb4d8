"""SQL Server's text semantics emulated: padded, mixed-case source text gives the same marts.

The SRS collation compares case-insensitively and ignores trailing blanks, and LEO's char(n)
identifiers and codes arrive padded; DuckDB and PostgreSQL see 'ab', 'AB' and 'ab  ' as three
values. ``GeneratorConfig(srs_text=True)`` writes the same synthetic people with every declared
id and code padded and every code in mixed case; staging reads those columns through their
declared normalisation (``text:`` in ``sql/_sources.yml``), so every mart must come out
identical to the plain variant's: the same multiset of rows (EXCEPT ALL both ways, empty).
"""

from collections import Counter

import pyarrow as pa
import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.loader import load_project
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets.synthetic.generator import srs_text
from leo_assets_tests.conftest import fresh_pg_database
from leo_assets_tests.helpers import REAL_SQL, build_tables, settings_for

LAYERS = ("reference", "staging", "intermediate", "marts")


def test_the_variant_pads_and_mixes_case_as_declared():
    project = load_project(REAL_SQL, settings_for(__import__("pathlib").Path("/tmp")))
    pv = project.catalog.views("school_census")[0]
    stems = {stem: physical for physical, stem, _ in pv.columns}
    table = pa.table(
        {
            stems["gender"]: ["M", "F", "F", None],
            stems["pupilmatchingrefanonymous"]: ["A1", "B2", "C3", "D4"],
            stems["ncyearactual"]: ["R", "X", "11", "R"],
        }
    )
    out = srs_text(pv, table)
    assert out[stems["gender"]].to_pylist() == ["M", "f", "F", None]  # char(1): nothing to pad
    assert out[stems["pupilmatchingrefanonymous"]].to_pylist() == ["A1 ", "B2  ", "C3", "D4 "]
    assert out[stems["ncyearactual"]].to_pylist() == ["R ", "x", "11", "R "]  # varchar(2) cap


def _build(settings, padded: bool) -> dict[str, Counter]:
    project = load_project(REAL_SQL, settings)
    db = WorkspaceDatabase.from_settings(settings)
    marts = {}
    try:
        # the variant is what it claims to be: padded ids and codes, codes in more than one case
        # (values that fill a varchar(n) stay as they are, as in SQL Server: EduKeys and PMRs)
        n_padded = n_mixed = 0
        for pv in project.catalog.all_views():
            cols = [physical for physical, _, decl in pv.columns if decl.text]
            if not cols:
                continue
            counts = ", ".join(
                f"COUNT(CASE WHEN {c} <> RTRIM({c}) THEN 1 END), "
                f"COUNT(CASE WHEN {c} <> UPPER({c}) THEN 1 END)"
                for c in cols
            )
            row = db.rows(
                f"SELECT {counts} FROM {project.catalog.view_table(pv, db.dialect).sql(db.dialect)}"
            )[0]
            n_padded += sum(int(v) for v in row[0::2])
            n_mixed += sum(int(v) for v in row[1::2])
        assert (n_padded > 1000, n_mixed > 1000) == (padded, padded), (n_padded, n_mixed)
        db.dispose()  # build_tables connects on its own
        names = [n for n in project.order if project.models[n].layer in LAYERS]
        build_tables(settings, names)
        for name in names:
            if project.models[name].layer == "marts":
                table = db.target(name).sql(db.dialect)
                marts[name] = Counter(tuple(r) for r in db.rows(f"SELECT * FROM {table}"))
    finally:
        db.engine.dispose()
    return marts


@pytest.mark.slow
def test_padded_mixed_case_sources_build_identical_marts(tmp_path, backend):
    urls = []
    cleanups = []
    for _ in range(2):
        if backend == "postgres":
            gen = fresh_pg_database()
            urls.append(next(gen))
            cleanups.append(gen)
        else:
            urls.append(None)
    try:
        results = []
        for variant, url in zip((False, True), urls):
            root = tmp_path / ("srs" if variant else "plain")
            settings = settings_for(root, backend, url, ks4_cohorts=[2014])
            config = GeneratorConfig(
                pupils_per_cohort=150,
                cohorts=[2014],
                seed=11,
                show_progress=False,
                srs_text=variant,
            )
            generate(settings, config, target_url=url)
            results.append(_build(settings, variant))
        plain, padded = results
        assert set(plain) == set(padded) and len(plain) >= 15
        differ = {
            name: (
                sum((plain[name] - padded[name]).values()),
                sum((padded[name] - plain[name]).values()),
            )
            for name in plain
            if plain[name] != padded[name]
        }
        assert not differ, f"marts differ (rows only in plain, only in padded): {differ}"
        assert sum(sum(c.values()) for c in plain.values()) > 1000
    finally:
        for gen in cleanups:
            for _ in gen:
                pass
