"""The bad-input matrix of issue 13: each bad input tried on a synthetic extract, its outcome
classified from what the build did, and ``docs/reliability.md`` written from the results.

    PYTHONPATH=$PWD .venv/bin/python scripts/reliability_matrix.py --write

One small extract (DuckDB, :data:`PUPILS` pupils, KS4 cohort :data:`COHORT`) is generated and
built once: everything ``employment_spells`` reads (:data:`CLEAN_TARGET`), sources observed. The
extract and that workspace are kept as the *clean* copy. Every case restores the clean copy
into one working folder (same paths, so one set of Dagster definitions serves every case with
the default settings), applies its bad input (``leo_assets.synthetic.tamper``), builds only the
assets it needs, and is classified by what it observed:

- **named error**: the build (or the settings) failed and the message names every word the
  case lists (database, view, column, setting); a failure that names less is an *unnamed error*;
- **recorded warning**: the build succeeded, a recorded warning holds exactly the counts the
  case injected (as a change from the clean build) or the sentence the case looks for, and the
  tables the case names equal what they must be (the clean build's, or the clean build's with
  the bad rows removed);
- **unaffected**: the build succeeded and every table it rebuilt equals the clean build's;
- **silently wrong**: anything else (tables differ and nothing counted or named the cause).

Row cases change three single rows of ``leo_employment`` (picked by ``rowid``: ordinary rows,
each with a start and end no other row shares, so that no change can make two rows one).
With a protection removed its case ends in *silently wrong* or *unnamed error*, not its
expected outcome, and ``leo_assets_tests/test_reliability_matrix.py`` fails.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from leo_assets.build import resolve_selection
from leo_assets.cli import main as cli_main
from leo_assets.definitions import build_definitions
from leo_assets.resources import WorkspaceDatabase, fingerprint_sql
from leo_assets.settings import PROJECT_DIR, Settings, SettingsError, load_settings, make_settings
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets.synthetic.generator import GenerateRefused
from leo_assets.synthetic.shuffle import shuffle_source_rows
from leo_assets.synthetic.tamper import (
    duplicate_rows,
    retype_column,
    source_connection,
    source_digest,
    update_rows,
)
from leo_assets_tests.helpers import readable_text

DOC = PROJECT_DIR / "docs" / "reliability.md"
COMMAND = "PYTHONPATH=$PWD .venv/bin/python scripts/reliability_matrix.py --write"
COHORT = 2014
PUPILS = 120
SEED = 13
ROWS = 3  # single rows of leo_employment each row case changes
CLEAN_TARGET = "employment_spells"
STG = "stg_leo__employment"
EMP = "leo_employment"
# the tables a row case rebuilds on the clean workspace (with the employment source observed)
EMP_CHAIN = [STG, "int_spells__merged", "employment_spells"]
EMP_TABLES = ["int_spells__merged", "employment_spells"]

NAMED, WARNED, UNAFFECTED = "named error", "recorded warning", "unaffected"
SILENT, UNNAMED = "silently wrong", "unnamed error"
OUTCOMES = (NAMED, WARNED, UNAFFECTED, SILENT, UNNAMED)


@dataclass
class Built:
    """What one build left: its failure text (None when it succeeded), the integer metadata of
    every check (``asset.check.key``), the rows each observed source holds, the recorded source
    warnings, the assets it materialised and the fingerprint of every workspace table after it."""

    error: str | None
    counts: dict[str, int] = field(default_factory=dict)
    source_rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)
    tables: dict[str, tuple] = field(default_factory=dict)


@dataclass
class Outcome:
    case: str
    bad_input: str
    expected: str
    outcome: str = ""
    evidence: str = ""
    # figures
    tables_checked: int = 0
    tables_intact: int = 0
    rows_differing: int | None = None
    secrets_found: int | None = None


class Matrix:
    """The clean extract and workspace, restored into one working folder for every case."""

    def __init__(self, root: Path, pupils: int = PUPILS, seed: int = SEED) -> None:
        self.root = root
        self.work = root / "work"
        self.clean_copy = root / "clean"
        self.base = self.settings(self.work)
        generate(
            self.base, GeneratorConfig(pupils_per_cohort=pupils, seed=seed, show_progress=False)
        )
        self.generated_digest = source_digest(self.base)
        self.source_writes = 0
        self.builds = 0
        self.defs = build_definitions(self.base)
        self.graph = self.defs.resolve_asset_graph()
        self.clean_keys = resolve_selection(self.defs, [f"+{CLEAN_TARGET}"])
        self.clean_build = self.build(self.clean_keys)
        if self.clean_build.error:
            raise RuntimeError(f"the clean build failed: {self.clean_build.error}")
        shutil.copytree(self.work, self.clean_copy)
        self.rowids = self._ordinary_rows()
        # the employment tables as they must be when staging sets the chosen rows aside
        with source_connection(self.base, "leo") as run:
            run(f"DELETE FROM {{schema}}.{EMP} WHERE {self.where()}")
        self.without_rows = self.build(self.keys(EMP_CHAIN))
        self.restore()

    # ------------------------------------------------------------ set-up
    @staticmethod
    def settings(folder: Path, **extra) -> Settings:
        return make_settings(
            workspace_url=f"duckdb:///{folder / 'ws.duckdb'}",
            source_dir=extra.pop("source_dir", str(folder / "sources")),
            ks4_cohorts=extra.pop("ks4_cohorts", [COHORT]),
            **extra,
        )

    def restore(self) -> None:
        """The working folder as the clean build left it (sources and workspace)."""
        shutil.rmtree(self.work)
        shutil.copytree(self.clean_copy, self.work)

    def _ordinary_rows(self) -> list[int]:
        """:data:`ROWS` rows of leo_employment that staging uses, each with a start and end no
        other row shares (so blanking its EduKey or moving a date cannot make it a duplicate)."""
        with source_connection(self.base, "leo") as run:
            rows = run(
                f"SELECT rowid FROM {{schema}}.{EMP} AS t WHERE rtrim(edukey) <> '' "
                "AND startdate > DATE '1901-01-01' AND startdate < DATE '2020-01-01' "
                "AND enddate > startdate AND enddate < DATE '9000-01-01' "
                f"AND (SELECT COUNT(*) FROM {{schema}}.{EMP} AS u "
                "WHERE u.startdate = t.startdate AND u.enddate = t.enddate) = 1 "
                f"ORDER BY rowid LIMIT {ROWS}"
            )
        if len(rows) != ROWS:
            raise RuntimeError(f"only {len(rows)} ordinary employment rows to change")
        return [int(r[0]) for r in rows]

    def where(self) -> str:
        return f"rowid IN ({', '.join(map(str, self.rowids))})"

    def keys(self, names: list[str], defs: dg.Definitions | None = None) -> set[dg.AssetKey]:
        """The models ``names`` and the sources they read directly (observed first)."""
        defs = defs or self.defs
        graph = defs.resolve_asset_graph()
        chosen = resolve_selection(defs, names)
        for key in list(chosen):
            chosen |= {p for p in graph.get(key).parent_keys if p.path[0] == "source"}
        return chosen

    # ------------------------------------------------------------ building
    def build(
        self,
        keys: set[dg.AssetKey],
        defs: dg.Definitions | None = None,
        settings: Settings | None = None,
    ) -> Built:
        """Build ``keys`` in one in-process run; sources digested before and after (a build must
        write nothing to a source)."""
        defs, settings = defs or self.defs, settings or self.base
        before = file_digest(settings)
        with contextlib.redirect_stderr(io.StringIO()):
            result = defs.resolve_job_def("build_all").execute_in_process(
                instance=dg.DagsterInstance.ephemeral(),
                asset_selection=sorted(keys, key=str),
                raise_on_error=False,
            )
        self.builds += 1
        self.source_writes += int(file_digest(settings) != before)
        error = None
        if not result.success:
            failures = [e.step_failure_data for e in result.all_events if e.is_step_failure]
            error = " | ".join(
                f.user_failure_data.description if f.user_failure_data else f.error.message
                for f in failures
            )
        built = Built(error)
        for e in result.get_asset_check_evaluations():
            for k, v in e.metadata.items():
                if isinstance(v.value, int) and not isinstance(v.value, bool):
                    built.counts[f"{e.asset_key.path[-1]}.{e.check_name}.{k}"] = v.value
        for e in result.get_asset_observation_events():
            observation = e.asset_observation_data.asset_observation
            rows = observation.metadata.get("dagster/row_count")
            if rows is not None:
                built.source_rows[observation.asset_key.path[-1]] = int(rows.value)
            recorded = observation.metadata.get("warnings")
            built.notes += list((recorded.value if recorded is not None else None) or [])
        built.materialized = sorted(
            e.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()
        )
        built.tables = fingerprints(settings)
        return built

    def counted(self, built: Built, key: str) -> int:
        """How many more rows the build counted under ``key`` than the clean build."""
        return built.counts.get(key, 0) - self.clean_build.counts.get(key, 0)


def file_digest(settings: Settings) -> str:
    """A digest of every file of the source folder, names and bytes (a build opens sources
    read-only: not a byte may change)."""
    digest = hashlib.sha256()
    folder = settings.source_dir_path()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprints(settings: Settings) -> dict[str, tuple]:
    """Row count and content hash of every table (not view) of the workspace."""
    db = WorkspaceDatabase.from_settings(settings)
    try:
        names = sorted(
            r[0]
            for r in db.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                f"'{db.workspace_schema}' AND table_catalog = current_database() "
                "AND table_type = 'BASE TABLE'"
            )
        )
        return {
            n: tuple(db.rows(fingerprint_sql(db.dialect, db.target(n).sql(db.dialect)))[0])
            for n in names
        }
    finally:
        db.dispose()


def differing_rows(a: Settings, b: Settings) -> tuple[int, int]:
    """(tables compared, rows of ``a``'s workspace tables not in ``b``'s and the reverse) by
    EXCEPT ALL; a table only one side holds counts all its rows."""
    con = duckdb.connect(str(Path(a.url().database)), read_only=True)
    try:
        literal = "'" + str(Path(b.url().database)).replace("'", "''") + "'"
        con.execute(f"ATTACH {literal} AS other (READ_ONLY)")
        schema = a.workspace_schema

        def tables(catalog: str) -> set[str]:
            return {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_catalog = ? AND table_type = 'BASE TABLE'",
                    [schema, catalog],
                ).fetchall()
            }

        mine = tables(con.execute("SELECT current_database()").fetchone()[0])
        theirs = tables("other")
        n = 0
        for name in sorted(mine | theirs):
            x, y = f'"{schema}"."{name}"', f'other."{schema}"."{name}"'
            if name not in mine or name not in theirs:
                n += con.execute(f"SELECT COUNT(*) FROM {y if name in theirs else x}").fetchone()[0]
                continue
            for p, q in ((x, y), (y, x)):
                sql = f"SELECT COUNT(*) FROM (FROM {p} EXCEPT ALL FROM {q})"
                n += con.execute(sql).fetchone()[0]
        return len(mine | theirs), n
    finally:
        con.close()


_HIDE: list[str] = []  # the matrix's temporary folder: shown as <tmp> (the text is deterministic)


def _short(text: str, width: int = 200) -> str:
    for folder in _HIDE:
        text = text.replace(folder, "<tmp>")
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _kv(d: dict[str, int]) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]} {v}" for k, v in sorted(d.items())) or "nothing"


def named(built: Built, words: list[str]) -> tuple[str, str]:
    """A failed build: named when its message holds every word of ``words``."""
    if built.error is None:
        return SILENT, "the build succeeded"
    missing = [w for w in words if w not in built.error]
    if missing:
        return UNNAMED, f"does not name {missing}: " + _short(built.error)
    return NAMED, _short(built.error)


def unchanged(m: Matrix, built: Built, tables: list[str]) -> list[str]:
    return [t for t in tables if built.tables.get(t) != m.clean_build.tables.get(t)]


# ---------------------------------------------------------------- cases


def _set_aside_case(set_sql: str, reason: str) -> Callable[[Matrix], tuple[str, str]]:
    """Three single rows changed so that staging must set them aside with ``reason``: the
    reason's count grows by exactly three, and the employment tables equal the clean build's
    with those rows deleted (the bad rows reach no derived table)."""

    def run(m: Matrix) -> tuple[str, str]:
        n = update_rows(m.base, "employment", EMP, set_sql, m.where())
        built = m.build(m.keys(EMP_CHAIN))
        if built.error is not None:
            return named(built, ["unexpected"])
        key = f"{STG}.row_issues.rows_{reason}"
        counted = m.counted(built, key)
        differ = [t for t in EMP_TABLES if built.tables.get(t) != m.without_rows.tables.get(t)]
        if counted != n:
            return SILENT, f"{n} rows changed, rows_{reason} grew by {counted}"
        if differ:
            return SILENT, f"rows_{reason} {counted}, but {', '.join(differ)} still use the rows"
        return WARNED, (
            f"rows_{reason} +{counted} (of {n} rows changed); {', '.join(EMP_TABLES)} equal the "
            "clean build's with those rows deleted"
        )

    return run


def case_duplicate_rows(m: Matrix) -> tuple[str, str]:
    """Every row of every source view twice: every staging view counts exactly its source's
    rows as exact duplicates, and no derived table changes."""
    added = duplicate_rows(m.base)
    built = m.build(m.clean_keys)
    if built.error is not None:
        return named(built, ["unexpected"])
    wrong, staging = [], 0
    for key in sorted(m.clean_keys, key=str):
        if key.path[0] != "staging":
            continue
        sources = sorted(p.path[-1] for p in m.graph.get(key).parent_keys if p.path[0] == "source")
        for source in sources:
            check = "source_duplicates" if len(sources) == 1 else f"source_duplicates_{source}"
            counted = m.counted(built, f"{key.path[-1]}.{check}.rows_exact_duplicate")
            staging += 1
            if counted != m.clean_build.source_rows[source]:
                wrong.append(f"{key.path[-1]} {counted}")
    changed = unchanged(m, built, sorted(m.clean_build.tables))
    if changed or wrong:
        return SILENT, f"counts off: {wrong}; tables changed: {changed}"
    return WARNED, (
        f"{added} rows added; each of the {staging} staging reads counted exactly its source's "
        f"rows as exact duplicates; all {len(built.tables)} tables equal the clean build's"
    )


def case_key_duplicates(m: Matrix) -> tuple[str, str]:
    """Three rows repeated with the other uncertain-end flag: same declared key, another row."""
    with source_connection(m.base, "leo") as run:
        run(
            f"INSERT INTO {{schema}}.{EMP} (edukey, startdate, enddate, uncertainstartdate, "
            "uncertainenddate) SELECT edukey, startdate, enddate, uncertainstartdate, "
            f"NOT COALESCE(uncertainenddate, FALSE) FROM {{schema}}.{EMP} WHERE {m.where()}"
        )
    built = m.build(m.keys(EMP_CHAIN))
    if built.error is not None:
        return named(built, ["unexpected"])
    counted = m.counted(built, f"{STG}.source_duplicates.rows_key_duplicate")
    exact = m.counted(built, f"{STG}.source_duplicates.rows_exact_duplicate")
    if counted != ROWS or exact != 0:
        return SILENT, f"{ROWS} rows added, rows_key_duplicate +{counted}, exact +{exact}"
    return WARNED, f"rows_key_duplicate +{counted} (of {ROWS} rows added)"


def case_text_in_date_column(m: Matrix) -> tuple[str, str]:
    retype_column(m.base, "employment", EMP, "startdate", "VARCHAR(20)")
    update_rows(m.base, "employment", EMP, "startdate = 'not a date'", f"rowid = {m.rowids[0]}")
    built = m.build(m.keys([STG]))
    return named(
        built, ["LEO_i2", EMP, "startdate", "declared date", "1 of", "cannot be read as date"]
    )


def _settings_file_case(text: str, key: str) -> Callable[[Matrix], tuple[str, str]]:
    def run(m: Matrix) -> tuple[str, str]:
        path = m.root / "cases" / f"settings_{key}_{len(text)}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        try:
            load_settings(path, env={})
        except SettingsError as err:
            return (NAMED if key in str(err) else UNNAMED), _short(str(err))
        except Exception as err:  # a crash is an outcome
            return UNNAMED, _short(f"{type(err).__name__}: {err}")
        return SILENT, "accepted"

    return run


def case_reference_after_data(m: Matrix) -> tuple[str, str]:
    """Every source observed (the warning needs every dated source seen)."""
    import datetime as dt

    s = m.settings(m.work, reference_date=dt.date(2035, 1, 1))
    defs = build_definitions(s)
    built = m.build(
        {k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "source"},
        defs,
        s,
    )
    if built.error is not None:
        return named(built, ["reference_date"])
    said = [n for n in built.notes if "'reference_date': 2035-01-01 is after the last date" in n]
    if said:
        return WARNED, _short(said[0])
    return SILENT, "built with no word on the reference date"


def case_cohort_without_ks4(m: Matrix) -> tuple[str, str]:
    s = m.settings(m.work, ks4_cohorts=[COHORT, COHORT + 3])
    defs = build_definitions(s)
    built = m.build(m.keys(["stg_npd__ks4"], defs), defs, s)
    return named(built, ["'ks4_cohorts'", str(COHORT + 3), f"hold {COHORT}"])


def case_source_dir_quote(m: Matrix) -> tuple[str, str]:
    folder = m.root / 'it\'s a "folder"'
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(m.work / "sources", folder)
    s = m.settings(m.work, source_dir=str(folder))
    defs = build_definitions(s)
    built = m.build(m.keys(EMP_CHAIN, defs), defs, s)
    if built.error is not None:
        return named(built, ["unexpected"])
    changed = unchanged(m, built, EMP_TABLES)
    if changed:
        return SILENT, f"tables changed: {changed}"
    return (
        UNAFFECTED,
        f"built from the quoted folder; {', '.join(EMP_TABLES)} equal the clean build's",
    )


def case_shuffled(m: Matrix, o: Outcome) -> None:
    shuffled = shuffle_source_rows(m.base, seed=7)
    built = m.build(m.clean_keys)
    if built.error is not None:
        o.outcome, o.evidence = named(built, ["unexpected"])
        return
    tables, o.rows_differing = differing_rows(m.base, m.settings(m.clean_copy))
    changed = unchanged(m, built, sorted(m.clean_build.tables))
    o.outcome = UNAFFECTED if not changed and o.rows_differing == 0 else SILENT
    o.evidence = (
        f"{len(shuffled)} source views rewritten in another row order; {o.rows_differing} rows "
        f"differ in the {tables} tables rebuilt (EXCEPT ALL both ways)"
    )


def case_failed_build(m: Matrix, o: Outcome) -> None:
    """A date column turned to text after the clean build, then the employment models rebuilt
    without observing the source first (as ``leo-assets build <model>`` does): the staging view
    itself must fail naming the column, and every table of the clean build must still be there,
    unchanged."""
    retype_column(m.base, "employment", EMP, "enddate", "VARCHAR(20)")
    update_rows(m.base, "employment", EMP, "enddate = '31/12/2016'", f"rowid = {m.rowids[0]}")
    built = m.build(resolve_selection(m.defs, EMP_CHAIN))
    o.tables_checked = len(m.clean_build.tables)
    o.tables_intact = o.tables_checked - len(unchanged(m, built, sorted(m.clean_build.tables)))
    o.outcome, text = named(built, ["LEO_i2", EMP, "enddate", "declared date"])
    if o.outcome == NAMED and o.tables_intact != o.tables_checked:
        o.outcome = SILENT
    o.evidence = (
        f"{', '.join(t for t in EMP_CHAIN if t not in built.materialized)} not built; "
        f"{o.tables_intact} of {o.tables_checked} tables intact; {text}"
    )


def case_killed_build(m: Matrix, o: Outcome) -> None:
    """The clean selection rebuilt in a subprocess, killed (SIGKILL) as soon as it reports its
    first table swapped in: every table is still there and equals the clean build's."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    child = subprocess.Popen(
        [sys.executable, __file__, "--killable-build", str(m.work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=PROJECT_DIR,
        text=True,
    )
    killed = False
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("materialized ") and line.split()[1] in m.clean_build.tables:
            os.kill(child.pid, signal.SIGKILL)
            killed = True
            break
    child.wait()
    after = fingerprints(m.base)
    o.tables_checked = len(m.clean_build.tables)
    o.tables_intact = sum(1 for k, v in m.clean_build.tables.items() if after.get(k) == v)
    extra = sorted(set(after) - set(m.clean_build.tables))
    if not killed:
        o.outcome, o.evidence = SILENT, "the build ended before it could be killed"
        return
    ok = o.tables_intact == o.tables_checked and not extra
    o.outcome = UNAFFECTED if ok else SILENT
    o.evidence = (
        f"killed right after its first table was swapped in; {o.tables_intact} of "
        f"{o.tables_checked} tables present and equal to the clean build's; "
        f"{len(extra)} left-over tables"
    )


def killable_build(folder: Path) -> int:
    """The child of :func:`case_killed_build`: the clean selection rebuilt in ``folder``, a line
    ``materialized <name>`` on stdout as each asset is materialised (after its table is swapped
    in)."""
    import logging

    class Report(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
            if event is not None and event.event_type_value == "ASSET_MATERIALIZATION":
                print(f"materialized {event.asset_key.path[-1]}", flush=True)

    handler = Report(logging.DEBUG)

    @dg.logger
    def report(_init_context) -> logging.Logger:
        log = logging.getLogger("reliability_matrix.killable")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.handlers[:] = [handler]
        return log

    settings = Matrix.settings(folder)
    defs = build_definitions(settings)
    keys = resolve_selection(defs, [f"+{CLEAN_TARGET}"])
    job = defs.resolve_job_def("build_all").with_logger_defs({"report": report})
    result = job.execute_in_process(
        run_config={"loggers": {"report": {}}},
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=sorted(keys, key=str),
        raise_on_error=False,
    )
    print("finished", flush=True)
    return 0 if result.success else 1


def case_generate_into_folder(m: Matrix) -> tuple[str, str]:
    s = m.settings(m.root / "cases" / "generate_refused")
    folder = s.source_dir_path()
    folder.mkdir(parents=True)
    (folder / "NPD_i2_real_extract.duckdb").write_text("not ours")
    try:
        generate(s, GeneratorConfig(pupils_per_cohort=5, seed=1, show_progress=False))
    except GenerateRefused as err:
        kept = (folder / "NPD_i2_real_extract.duckdb").read_text() == "not ours"
        ok = "NPD_i2_real_extract" in str(err) and kept
        return (NAMED if ok else UNNAMED), _short(str(err))
    return SILENT, "generate wrote into a folder it did not make"


CANARY = "Kanary7x9"
ODBC = (
    "DRIVER%3D%7BODBC+Driver+18+for+SQL+Server%7D%3BSERVER%3D127.0.0.1%2C1%3BDATABASE%3Dws"
    "%3BUID%3Danalyst%3B{attr}%3D{secret}%3BEncrypt%3Dno"
)
SECRET_URLS = {
    "password_field": f"postgresql+psycopg://analyst:{CANARY}1@127.0.0.1:1/ws",
    "odbc_pwd": "mssql+pyodbc:///?odbc_connect=" + ODBC.format(attr="PWD", secret=CANARY + "4"),
}


def _secret_case(form: str) -> Callable[[Matrix, Outcome], None]:
    """``leo-assets build`` with a canary secret in the URL and the connection failing: the
    output and every file Dagster wrote (run and event storage, compute logs) are searched."""

    def run(m: Matrix, o: Outcome) -> None:
        folder = m.root / "cases" / f"secret_{form}"
        home = folder / "dagster_home"
        home.mkdir(parents=True)
        (folder / "none.yml").write_text("{}\n")
        env = {
            "DAGSTER_HOME": str(home),
            "LEO_WORKSPACE_URL": SECRET_URLS[form],
            "LEO_SOURCE_DIR": str(folder / "sources"),
            "LEO_SETTINGS_FILE": str(folder / "none.yml"),
        }
        saved = {k: os.environ.get(k) for k in env}
        out = io.StringIO()
        try:
            os.environ.update(env)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cli_main(["build", STG])
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        files = [p for p in sorted(home.rglob("*")) if p.is_file()]
        written = out.getvalue() + "".join(readable_text(p) for p in files)
        o.secrets_found = written.count(CANARY)
        if o.secrets_found:
            o.outcome, o.evidence = SILENT, f"the secret is written {o.secrets_found} times"
        elif code == 0 or "FAILED" not in out.getvalue():
            o.outcome, o.evidence = UNNAMED, "the build did not report the failed connection"
        elif not any(p.suffix == ".db" for p in files):
            o.outcome, o.evidence = UNNAMED, "Dagster wrote no storage to search"
        else:
            o.outcome = NAMED
            o.evidence = (
                "the failed connection is reported; the secret is found 0 times in the output "
                "and in Dagster's storage and logs"
            )

    return run


@dataclass(frozen=True)
class Case:
    name: str
    bad_input: str
    expected: str
    run: Callable  # (Matrix) -> (outcome, evidence), or (Matrix, Outcome) -> None
    fills: bool = False  # run fills the Outcome (figures) itself
    restores: bool = True  # starts from the clean copy


def _one(name: str, bad: str, expected: str, run: Callable, **kw) -> Case:
    return Case(name, bad, expected, run, **kw)


CASES = [
    _one("duplicate_rows", "every row of every source view twice", WARNED, case_duplicate_rows),
    _one(
        "key_duplicates",
        f"{ROWS} employment rows repeated with the other uncertain-end flag (same declared key)",
        WARNED,
        case_key_duplicates,
    ),
    _one(
        "end_before_start",
        f"{ROWS} employment rows ending 30 days before they start",
        WARNED,
        _set_aside_case("enddate = startdate - 30", "end_before_start"),
    ),
    _one(
        "blank_identifier",
        f"{ROWS} employment rows with a blank EduKey",
        WARNED,
        _set_aside_case("edukey = ''", "blank_identifier"),
    ),
    _one(
        "sentinel_1900_end",
        f"{ROWS} employment rows ending 1900-01-01 (unknown, never an open spell)",
        WARNED,
        _set_aside_case("enddate = DATE '1900-01-01'", "sentinel_date"),
    ),
    _one(
        "sentinel_9999_start",
        f"{ROWS} employment rows starting 9999-12-31",
        WARNED,
        _set_aside_case("startdate = DATE '9999-12-31'", "sentinel_date"),
    ),
    _one(
        "start_after_reference",
        f"{ROWS} employment rows starting 2030-04-06, after the reference date",
        WARNED,
        _set_aside_case("startdate = DATE '2030-04-06'", "date_out_of_range"),
    ),
    _one(
        "text_in_date_column",
        "leo_employment.startdate held as text, one value not a date",
        NAMED,
        case_text_in_date_column,
    ),
    _one(
        "impossible_reference_date",
        "reference_date: 2021-02-30",
        NAMED,
        _settings_file_case("reference_date: 2021-02-30\n", "reference_date"),
        restores=False,
    ),
    _one(
        "month_13_reference_date",
        "reference_date: 2021-13-01",
        NAMED,
        _settings_file_case("reference_date: 2021-13-01\n", "reference_date"),
        restores=False,
    ),
    _one(
        "cohort_out_of_range",
        "ks4_cohorts: [2014, 1850]",
        NAMED,
        _settings_file_case("ks4_cohorts: [2014, 1850]\n", "ks4_cohorts"),
        restores=False,
    ),
    _one(
        "reference_after_data",
        "reference_date 2035-01-01, years after the data",
        WARNED,
        case_reference_after_data,
    ),
    _one(
        "cohort_without_ks4",
        f"ks4_cohorts holds {COHORT + 3}, which no KS4 view holds",
        NAMED,
        case_cohort_without_ks4,
    ),
    _one(
        "secret_password_field",
        "a password in the URL's password field, connection failing",
        NAMED,
        _secret_case("password_field"),
        fills=True,
        restores=False,
    ),
    _one(
        "secret_odbc_pwd",
        "a password in odbc_connect PWD=, connection failing",
        NAMED,
        _secret_case("odbc_pwd"),
        fills=True,
        restores=False,
    ),
    _one(
        "source_dir_quote",
        "a source_dir whose name holds ' and \"",
        UNAFFECTED,
        case_source_dir_quote,
    ),
    _one(
        "generate_non_empty",
        "generate into a folder holding a file it did not write",
        NAMED,
        case_generate_into_folder,
        restores=False,
    ),
    _one(
        "shuffled_rows",
        "every source view's rows in another physical order",
        UNAFFECTED,
        case_shuffled,
        fills=True,
    ),
    _one(
        "failed_build",
        "a rebuild failing (leo_employment.enddate turned to text after a good build)",
        NAMED,
        case_failed_build,
        fills=True,
    ),
    _one(
        "killed_build",
        "a rebuild killed with SIGKILL midway (right after its first table is swapped in)",
        UNAFFECTED,
        case_killed_build,
        fills=True,
    ),
]


@dataclass
class Results:
    outcomes: list[Outcome]
    pupils: int
    source_writes: int
    builds: int


def run_matrix(root: Path, pupils: int = PUPILS, only: list[str] | None = None) -> Results:
    _HIDE[:] = [str(root)]
    started = time.monotonic()
    m = Matrix(root, pupils=pupils)
    print(f"clean build ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    outcomes = []
    dirty = False
    for case in CASES:
        if only and case.name not in only:
            continue
        o = Outcome(case.name, case.bad_input, case.expected)
        if case.restores and dirty:
            m.restore()
        dirty = dirty or case.restores
        started = time.monotonic()
        if case.fills:
            case.run(m, o)
        else:
            o.outcome, o.evidence = case.run(m)
        outcomes.append(o)
        seconds = time.monotonic() - started
        print(
            f"{o.case} ({seconds:.0f} s): {o.outcome} ({o.evidence})", file=sys.stderr, flush=True
        )
    # the generated sources, as the clean copy kept them, were never written to
    writes = m.source_writes + int(source_digest(m.settings(m.clean_copy)) != m.generated_digest)
    return Results(outcomes, pupils, writes, m.builds)


def sentinel_rule() -> list[str]:
    """The one sentinel-date rule (docs/decisions.md row 7 points here), as its reference table
    states it, and the cases above that try it."""
    import csv

    path = PROJECT_DIR / "sql" / "reference" / "ref_sentinel_dates.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        ranges = list(csv.DictReader(fh))
    lines = [
        "## Sentinel dates",
        "",
        "One rule for every source, as data in `sql/reference/ref_sentinel_dates.csv` (staging",
        "follows it; `test_source_grain.py` checks that every staging literal is one of its",
        "bounds). Cases `sentinel_1900_end` and `sentinel_9999_start` above try it.",
        "",
        "| dates | meaning | rule |",
        "|---|---|---|",
    ]
    for r in ranges:
        lines.append(f"| {r['first_date']} to {r['last_date']} | {r['meaning']} | {r['rule']} |")
    return lines


def render(results: Results) -> str:
    rows = results.outcomes
    silent = sum(o.outcome == SILENT for o in rows)
    unnamed = sum(o.outcome == UNNAMED for o in rows)
    unexpected = sum(o.outcome != o.expected for o in rows)
    checked = sum(o.tables_checked for o in rows)
    intact = sum(o.tables_intact for o in rows)
    differing = sum(o.rows_differing for o in rows if o.rows_differing is not None)
    secrets = sum(o.secrets_found for o in rows if o.secrets_found is not None)
    secret_cases = sum(o.secrets_found is not None for o in rows)
    writes = results.source_writes
    tally = {k: sum(o.outcome == k for o in rows) for k in (NAMED, WARNED, UNAFFECTED)}
    lines = [
        "# Reliability: the bad-input matrix",
        "",
        "Written by `scripts/reliability_matrix.py`; do not edit by hand. Regenerate with",
        "",
        f"    {COMMAND}",
        "",
        "`leo_assets_tests/test_reliability_matrix.py` runs the matrix in `make test` and fails",
        "when a case's outcome is not its expected one or when this file differs from what the",
        "script writes now.",
        "",
        "Issue 13: every bad input must end in a named error, a recorded warning with counts, or",
        "leave every derived table unchanged; none may be silently wrong. The matrix generates one",
        f"synthetic extract ({results.pupils} pupils, KS4 cohort {COHORT}, seed {SEED}, DuckDB)",
        f"and builds everything `{CLEAN_TARGET}` reads (sources observed), the *clean build*.",
        "Each case starts from a copy of that extract and workspace, applies its bad input",
        "(`leo_assets/synthetic/tamper.py`, `shuffle.py`), builds only what it needs (a row case:",
        f"the employment source observed, then `{'`, `'.join(EMP_CHAIN)}`),",
        "and is classified from what the build did, never from what the case assumes:",
        "",
        "- **named error**: the build or the settings failed and the message names every word the",
        "  case lists (database, view, column, setting, the years held);",
        "- **recorded warning**: the build succeeded, and a check or source observation recorded",
        "  exactly the rows injected (as a change from the clean build) or the sentence the case",
        "  looks for; a row case must also leave the employment tables equal to the clean build's",
        f"  with its {ROWS} rows deleted (the bad rows reach no derived table);",
        "- **unaffected**: the build succeeded and every table it rebuilt equals the clean",
        "  build's;",
        "- **silently wrong**: anything else (tables differ, or counts do not match the injected",
        "  rows); an **unnamed error** fails without naming the cause.",
        "",
        f"Row cases change {ROWS} single rows of `leo_employment`, picked by `rowid`: rows staging",
        "uses, each with a start and end no other row shares (so no change makes two rows one).",
        "",
        "## Figures",
        "",
        "| figure | value |",
        "|---|---|",
        f"| cases tried | {len(rows)} |",
        f"| named errors | {tally[NAMED]} |",
        f"| recorded warnings with counts | {tally[WARNED]} |",
        f"| unaffected | {tally[UNAFFECTED]} |",
        f"| silently wrong results (must be 0) | {silent} |",
        f"| unnamed errors (must be 0) | {unnamed} |",
        f"| outcomes other than expected (must be 0) | {unexpected} |",
        f"| tables intact after injected failures (failed, killed build) | {intact} of {checked} |",
        f"| rows differing after shuffling the sources (must be 0) | {differing} |",
        f"| source writes (must be 0; digests before and after each build) | {writes} |",
        f"| secrets found (must be 0; {secret_cases} canary forms here) | {secrets} |",
        "",
        "## Cases",
        "",
        "| case | bad input | expected | outcome | evidence |",
        "|---|---|---|---|---|",
    ]
    for o in rows:
        evidence = o.evidence.replace("|", "\\|")
        lines.append(f"| {o.case} | {o.bad_input} | {o.expected} | {o.outcome} | {evidence} |")
    lines += ["", *sentinel_rule()]
    lines += [
        "",
        "## Covered elsewhere",
        "",
        "- The shuffle on PostgreSQL as well as DuckDB, over the whole graph, the `_safe` outputs",
        "  and the export folder byte for byte, and a no-op SQL edit:",
        "  `leo_assets_tests/test_determinism.py`.",
        "- Six forms of a planted secret (password field, `password=` and secret-named query",
        "  parameters, `odbc_connect` `PWD=` and `Password=`, `LEO_WORKSPACE_PASSWORD`):",
        "  `leo_assets_tests/test_resources.py`; two of them are re-run here.",
        "- Row accounting on hand-made rows (each reason once) and duplicated sources on",
        "  PostgreSQL: `leo_assets_tests/test_source_grain.py`, `test_bad_input.py`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write docs/{DOC.name}")
    parser.add_argument("--pupils", type=int, default=PUPILS)
    parser.add_argument("--only", nargs="*", help="run only these cases (nothing is written)")
    parser.add_argument("--killable-build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.killable_build:
        return killable_build(args.killable_build)
    with tempfile.TemporaryDirectory(prefix="reliability_") as tmp:
        results = run_matrix(Path(tmp), pupils=args.pupils, only=args.only)
    text = render(results)
    if args.write and not args.only:
        DOC.write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(o.outcome == o.expected for o in results.outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
