"""Orchestration: one cohort at a time, people -> life courses -> identifiers -> views and truth."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from tqdm.auto import tqdm

from leo_assets.settings import PROJECT_DIR, Settings
from leo_assets.sqlproject.sources import SourceCatalog, load_catalog, sql_type

from .config import GenerationSummary, GeneratorConfig
from .lifecourse import Life, simulate_life
from .linkage import Identity, PartnerCohort, plan_identity
from .needs import make_needs
from .population import Persons, Universe, build_universe, make_persons
from .truth import (
    TRUTH_COLUMNS,
    TRUTH_SORT,
    earnings_table,
    fault_tables,
    identifier_table,
    person_table,
    record_truth_columns,
    spell_table,
)
from .util import day
from .views import (
    BLANKABLE,
    NATURAL_KEYS,
    Ctx,
    cohort_views,
    ilr_views,
    lars_table,
    make_ctx,
    school_strings,
)
from .views_more import characteristic_truth, more_views
from .writer import (
    TRUTH_FILE,
    TRUTH_SCHEMA_POSTGRES,
    DuckDBSink,
    PostgresSink,
    Sink,
    view_columns,
)

GENERATOR_VERSION = "1"
FIRST_COHORT = 2002
PERSON_BLOCK = 10_000_000


def cohort_index(cohort: int) -> int:
    """Identifier block of a cohort: independent of which other cohorts are generated."""
    return cohort - FIRST_COHORT


@dataclass
class CohortData:
    persons: Persons
    life: Life
    ident: Identity
    ctx: Ctx


def iter_cohorts(
    settings: Settings,
    config: GeneratorConfig,
    catalog: SourceCatalog,
    universe: Universe,
    school_str: pa.Array,
) -> Iterator[CohortData]:
    ref = day(settings.reference_date)
    cohorts = config.resolved_cohorts(settings)
    partner = None
    if config.faults.overmatch_cohort > 0 and len(cohorts) > 1:
        # over-matches across cohorts: victims of every later cohort are merged into persons of
        # the earliest
        first = cohorts[0]
        first_persons = make_persons(
            config.seed,
            universe,
            first,
            config.pupils_per_cohort,
            cohort_index(first) * PERSON_BLOCK,
        )
        partner = PartnerCohort(first, cohort_index(first), first_persons.linked, first_persons.pid)
    for cohort in cohorts:
        ci = cohort_index(cohort)
        persons = make_persons(
            config.seed, universe, cohort, config.pupils_per_cohort, ci * PERSON_BLOCK
        )
        needs = make_needs(config.seed, universe, persons)
        life = simulate_life(config.seed, universe, persons, ref, needs)
        ident = plan_identity(
            config.seed,
            persons,
            ci,
            config.faults,
            partner if partner is not None and cohort != partner.cohort else None,
        )
        ctx = make_ctx(
            config.seed,
            catalog,
            cohort,
            ci,
            persons,
            life,
            ident,
            universe,
            ref,
            config.quirk_scale,
            school_str,
        )
        ctx.needs = needs
        yield CohortData(persons, life, ident, ctx)
        # drop this cohort before simulating the next: the generator's peak is one cohort's
        del persons, needs, life, ident, ctx


def _physical_key(catalog: SourceCatalog, pv) -> tuple[str, str]:
    return catalog.physical_database(pv.database), pv.view


def _sort_keys(source: str, pv) -> list[str]:
    stems = {stem: physical for physical, stem, _ in pv.columns}
    return [stems[s] for s in NATURAL_KEYS.get(source, ()) if s in stems]


def _record_sort(source: str) -> list[str]:
    """Record truth is for joining: kept in the (deterministic) order it is generated, unsorted."""
    return []


MARKER_FILE = ".leo-assets-synthetic"


class GenerateRefused(RuntimeError):
    """``generate`` would overwrite data it did not write."""

    user_error = True  # the command line prints the message, not a traceback


def refuse_foreign_target(settings: Settings, catalog, target_url: str | None) -> None:
    """Refuse to write where generate did not write before.

    DuckDB: the source folder must be new, empty, hold the marker file generate leaves, or hold
    only the files generate writes. PostgreSQL: each source schema that exists must be one
    generate made (the truth schema exists beside it).
    """
    if target_url:
        engine = sa.create_engine(target_url)
        try:
            with engine.connect() as conn:
                schemas = {
                    r[0]
                    for r in conn.execute(
                        sa.text("SELECT schema_name FROM information_schema.schemata")
                    )
                }
        finally:
            engine.dispose()
        ours = sorted(set(settings.source_databases.values()) & schemas)
        if ours and TRUTH_SCHEMA_POSTGRES not in schemas:
            raise GenerateRefused(
                f"generate refuses to replace schemas {', '.join(ours)}: they were not written by "
                "leo-assets generate (no truth schema beside them). Pass --force to overwrite."
            )
        return
    folder = settings.source_dir_path()
    if not folder.exists() or (folder / MARKER_FILE).exists():
        return
    ours = {f"{db}.duckdb" for db in settings.source_databases.values()} | {TRUTH_FILE}
    foreign = sorted(
        f.name
        for f in folder.iterdir()
        if f.name.removesuffix(".wal") not in ours and not f.name.startswith(".synthetic-tmp-")
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise GenerateRefused(
            f"generate refuses to write into {folder}: it holds files leo-assets generate did not "
            f"write ({shown}). Choose an empty folder (setting source_dir) or pass --force."
        )


def generate(
    settings: Settings,
    config: GeneratorConfig | None = None,
    target_url: str | None = None,
    sql_dir: Path | None = None,
    force: bool = False,
) -> GenerationSummary:
    """Write every declared source view and the truth; re-running replaces the previous output.

    ``target_url`` None writes DuckDB files under ``settings.source_dir_path()``; a
    ``postgresql+psycopg://`` URL writes schemas on that server. A folder (or schemas) holding
    anything generate did not write is refused (:func:`refuse_foreign_target`) unless ``force``.
    """
    config = config or GeneratorConfig()
    t0 = time.perf_counter()
    catalog = load_catalog(sql_dir or PROJECT_DIR / "sql", settings)
    if not force:
        refuse_foreign_target(settings, catalog, target_url)
    cohorts = config.resolved_cohorts(settings)
    sink: Sink
    if target_url:
        sink = PostgresSink(target_url, settings, catalog)
        dialect, target = "postgres", sink.redacted
    else:
        sink = DuckDBSink(settings, catalog)
        dialect, target = "duckdb", "duckdb"
    rows: dict[str, int] = {}
    truth_rows: dict[str, int] = {}
    faults: dict[str, int] = {}
    universe = build_universe(config.seed)
    school_str = school_strings(universe)
    seen_blank: dict[str, set] = {}
    bar = tqdm(
        total=len(cohorts) * 3 + 1,  # per cohort: generated, views, truth; then writing
        desc="synthetic LEO",
        unit="step",
        disable=not config.show_progress,
    )

    def put_truth(name: str, table: pa.Table, columns=None, order=None) -> None:
        cols = columns or [(c, t) for c, t in TRUTH_COLUMNS[name]]
        cols = [
            (c, "DOUBLE PRECISION" if (dialect == "postgres" and t == "DOUBLE") else t)
            for c, t in cols
        ]
        sink.append(
            ("truth", name),
            cols,
            table,
            order if order is not None else TRUTH_SORT.get(name, [c for c, _ in cols]),
        )
        truth_rows[name] = truth_rows.get(name, 0) + table.num_rows

    try:
        put_truth(
            "truth_run",
            pa.table(
                {
                    "config": [config.fingerprint(settings)],
                    "seed": pa.array([config.seed], pa.int64()),
                    "reference_date": pa.array([settings.reference_date], pa.date32()),
                    "cohorts": [json.dumps(cohorts)],
                    "pupils_per_cohort": pa.array([config.pupils_per_cohort], pa.int64()),
                    "generator_version": [GENERATOR_VERSION],
                }
            ),
        )
        for data in _with_progress(
            iter_cohorts(settings, config, catalog, universe, school_str), bar
        ):
            ctx = data.ctx
            bar.set_postfix_str(f"cohort {ctx.cohort}: views")
            for source, pv, table, truth in itertools.chain(cohort_views(ctx), more_views(ctx)):
                if source in BLANKABLE:
                    table, truth = _drop_repeated_blank_keys(source, pv, table, truth, seen_blank)
                if config.srs_text:
                    table = srs_text(pv, table)
                key = _physical_key(catalog, pv)
                sink.append(key, view_columns(pv, dialect), table, _sort_keys(source, pv))
                rows[f"{key[0]}.{key[1]}"] = rows.get(f"{key[0]}.{key[1]}", 0) + table.num_rows
                if truth is not None:
                    name = f"truth_record_{source}"
                    put_truth(
                        name,
                        truth,
                        record_truth_columns(catalog, source, lambda t: sql_type(t, dialect)),
                        _record_sort(source),
                    )
            bar.update(1)
            bar.set_postfix_str(f"cohort {ctx.cohort}: truth")
            put_truth("truth_person", person_table(data.persons, data.ident, universe, school_str))
            put_truth("truth_identifier", identifier_table(ctx))
            ftab, rtab = fault_tables(ctx, config.faults.as_dict())
            put_truth("truth_fault", ftab)
            put_truth("truth_fault_rate", rtab)
            for name, injected in zip(
                rtab.column("fault_type").to_pylist(), rtab.column("injected").to_pylist()
            ):
                faults[name] = faults.get(name, 0) + int(injected)
            put_truth("truth_activity_spell", spell_table(data.persons, data.life))
            put_truth("truth_earnings", earnings_table(data.persons, data.life))
            put_truth("truth_characteristic", characteristic_truth(ctx))
            bar.update(1)
            # release the cohort (and its last view) before the next is simulated, and what the
            # sink's engine caches of it: generate's peak is one cohort's, however many there are
            del data, ctx, table, truth, ftab, rtab
            sink.release()
        for source, pv, table, _ in lars_table(catalog, day(settings.reference_date)):
            if config.srs_text:
                table = srs_text(pv, table)
            key = _physical_key(catalog, pv)
            sink.append(
                key, view_columns(pv, dialect), table, [c for c, _ in view_columns(pv, dialect)]
            )
            rows[f"{key[0]}.{key[1]}"] = table.num_rows
        # every declared view exists, also those nobody is in
        for pv in catalog.all_views():
            key = _physical_key(catalog, pv)
            sink.ensure(key, view_columns(pv, dialect))
            rows.setdefault(f"{key[0]}.{key[1]}", 0)
        for source in NATURAL_KEYS:
            if catalog.views(source):
                name = f"truth_record_{source}"
                sink.ensure(
                    ("truth", name),
                    record_truth_columns(catalog, source, lambda t: sql_type(t, dialect)),
                )
                truth_rows.setdefault(name, 0)
        for name, cols in TRUTH_COLUMNS.items():
            sink.ensure(
                ("truth", name),
                [
                    (c, "DOUBLE PRECISION" if (dialect == "postgres" and t == "DOUBLE") else t)
                    for c, t in cols
                ],
            )
            truth_rows.setdefault(name, 0)
        bar.set_postfix_str("writing")
        sink.finish()
        if not target_url:
            (settings.source_dir_path() / MARKER_FILE).write_text(
                "written by leo-assets generate: it may replace this folder's contents\n",
                encoding="utf-8",
            )
        bar.update(1)
    except BaseException:
        sink.abort()
        raise
    finally:
        bar.close()
    return GenerationSummary(
        target=target,
        rows=dict(sorted(rows.items())),
        truth_rows=dict(sorted(truth_rows.items())),
        seconds=time.perf_counter() - t0,
        paths=dict(sink.location),
        persons=config.pupils_per_cohort * len(cohorts),
        faults=dict(sorted(faults.items())),
        reference_date=settings.reference_date,
    )


def _drop_repeated_blank_keys(
    source: str, pv, table: pa.Table, truth: pa.Table, seen: dict[str, set]
):
    """A row with a blank identifier whose natural key an earlier cohort's row already has is
    dropped (with its truth row), so that every natural key maps to exactly one person."""
    import numpy as np
    import pyarrow.compute as pc

    stems = {stem: physical for physical, stem, _ in pv.columns}
    blank = np.asarray(pc.equal(table[stems[BLANKABLE[source]]], "").fill_null(False))
    if not blank.any():
        return table, truth
    idx = np.flatnonzero(blank)
    cols = [
        table[stems[k]].take(pa.array(idx)).to_pylist() for k in NATURAL_KEYS[source] if k in stems
    ]
    done = seen.setdefault(pv.view, set())
    drop = []
    for i, key in zip(idx, zip(*cols)):
        if key in done:
            drop.append(i)
        else:
            done.add(key)
    if not drop:
        return table, truth
    keep = np.ones(table.num_rows, bool)
    keep[drop] = False
    mask = pa.array(keep)
    return table.filter(mask), truth.filter(mask)


def srs_text(pv, table: pa.Table) -> pa.Table:
    """Text as an SRS database holds it (``GeneratorConfig.srs_text``).

    Every column ``_sources.yml`` declares ``text: id`` or ``text: code``: a ``char(n)`` value is
    right-padded to n, a ``varchar(n)`` value gets 0, 1 or 2 trailing blanks (row by row, never
    beyond n); a code is written upper, lower and capitalised in turn. SQL Server's default SRS
    collation treats all of these as the value itself; staging must too, on every engine.
    """
    import re

    import numpy as np
    import pyarrow.compute as pc

    rows = np.arange(table.num_rows)
    for physical, _stem, decl in pv.columns:
        if decl.text is None or physical not in table.column_names:
            continue
        col = table[physical].combine_chunks()
        m = re.search(r"\((\d+)\)", decl.type)
        width = int(m.group(1)) if m else None
        if decl.text == "code":
            turn = pa.array(rows % 3)
            col = pc.if_else(
                pc.equal(turn, 1),
                pc.utf8_lower(col),
                pc.if_else(pc.equal(turn, 2), pc.utf8_capitalize(col), col),
            )
        if decl.type.lower().startswith(("char", "nchar")) and width:
            col = pc.utf8_rpad(col, width=width, padding=" ")
        else:
            pad = pa.array(np.array(["", " ", "  "])[(rows + 1) % 3])
            room = pc.less_equal(pc.add(pc.utf8_length(col), pc.utf8_length(pad)), width or 1 << 30)
            col = pc.if_else(room, pc.binary_join_element_wise(col, pad, ""), col)
        table = table.set_column(table.column_names.index(physical), physical, col)
    return table


def _with_progress(it: Iterator[CohortData], bar) -> Iterator[CohortData]:
    for item in it:
        bar.update(1)
        yield item
        del item  # not held while the next cohort is simulated


def simulate_truth(
    settings: Settings, config: GeneratorConfig, sql_dir: Path | None = None
) -> dict[str, pa.Table]:
    """The truth tables a run would write (person, spells, earnings, faults), in memory, without
    the views.

    Identifier and fault tables that depend on the ILR records are built too (the ILR rows are
    generated and discarded)."""
    catalog = load_catalog(sql_dir or PROJECT_DIR / "sql", settings)
    universe = build_universe(config.seed)
    school_str = school_strings(universe)
    out: dict[str, list[pa.Table]] = {}
    for data in iter_cohorts(settings, config, catalog, universe, school_str):
        for _ in ilr_views(data.ctx):
            pass
        ftab, rtab = fault_tables(data.ctx, config.faults.as_dict())
        for name, tbl in (
            ("truth_person", person_table(data.persons, data.ident, universe, school_str)),
            ("truth_activity_spell", spell_table(data.persons, data.life)),
            ("truth_earnings", earnings_table(data.persons, data.life)),
            ("truth_fault", ftab),
            ("truth_fault_rate", rtab),
        ):
            out.setdefault(name, []).append(tbl)
    tables = {k: pa.concat_tables(v) for k, v in out.items()}
    tables["truth_run"] = pa.table(
        {
            "reference_date": pa.array([settings.reference_date], pa.date32()),
            "cohorts": [json.dumps(config.resolved_cohorts(settings))],
        }
    )
    return tables


def reference_date_of(tables: dict[str, pa.Table]) -> dt.date:
    return tables["truth_run"].column("reference_date")[0].as_py()
