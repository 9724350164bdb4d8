"""Benchmark the synthetic LEO generator and the full build at several sizes (issue #8).

    .venv/bin/python -m benchmarks.run                       # the full suite (DuckDB and
    PostgreSQL)
    .venv/bin/python -m benchmarks.run --quick               # 10,000 pupils on each engine
    .venv/bin/python -m benchmarks.run --sizes 10000 3x100000 --pg-sizes ""

A size is ``PUPILS`` (one KS4 cohort, 2014) or ``NxPUPILS`` (N cohorts ending 2014, PUPILS each).
For every case three steps run, each in a fresh subprocess whose resident memory (the process and
all its children) is sampled with psutil and also read from ``getrusage`` at its end:

* ``generate``: synthetic LEO into DuckDB files (or PostgreSQL schemas);
* ``scan``: one plain scan of every physical source view, ``SELECT COUNT(*), SUM(hash(row))``,
  the floor any build has to pay, then (``copy_seconds``) one copy of each into a temporary table;
* ``build``: the ``build_all`` job in process (observe the sources, build every asset, run every
  check), with each Dagster step's duration and each asset's ``build_seconds`` metadata.

Results are merged by case into ``benchmarks/results.json`` and ``docs/benchmarks.md`` is rewritten
from it (``benchmarks/notes.md``, the hand-written analysis, is appended). PostgreSQL cases need a
server URL (``--pg-url``, else ``$LEO_BENCH_PG_URL`` or ``$LEO_TEST_PG_URL``); each case creates its
own database on it and drops it afterwards. The PostgreSQL server's own memory is not included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_RESULTS = BENCH_DIR / "results.json"
DEFAULT_DOC = PROJECT_DIR / "docs" / "benchmarks.md"
DEFAULT_WORKDIR = PROJECT_DIR / "data" / "benchmarks"
NOTES = BENCH_DIR / "notes.md"
DEFAULT_SIZES = ["10000", "50000", "100000", "600000", "3x100000"]
DEFAULT_PG_SIZES = ["10000", "50000"]
QUICK_SIZES = ["10000"]
QUICK_PG_SIZES = ["10000"]
LAST_COHORT = 2014
SEED = 20261122
SAMPLE_SECONDS = 0.1


# what a build runs: a case's figures can only be set beside another's measured on the same code
CODE_DIRS = ("sql", "leo_assets")
CODE_SUFFIXES = {".sql", ".yml", ".csv", ".py"}


def code_version(root: Path = PROJECT_DIR) -> str:
    """A fingerprint of the SQL project and the package that generate and build (file names and
    contents, in sorted order): two cases with the same fingerprint ran the same code, whatever
    was committed. Recorded with every case; the table of targets refuses to compare two cases
    whose fingerprints differ."""
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    engine: str  # duckdb | postgres
    pupils: int  # per cohort
    cohorts: int
    last_cohort: int = LAST_COHORT  # the cohorts are the last `cohorts` KS4 years up to this one

    @property
    def name(self) -> str:
        return f"{self.engine}-{self.cohorts}x{self.pupils}"

    @property
    def total_pupils(self) -> int:
        return self.pupils * self.cohorts

    @property
    def ks4_cohorts(self) -> list[int]:
        return list(range(self.last_cohort - self.cohorts + 1, self.last_cohort + 1))

    @classmethod
    def parse(cls, engine: str, spec: str) -> Case:
        spec = spec.strip().lower().replace("_", "").replace(",", "")
        n, _, pupils = spec.rpartition("x")
        return cls(engine, int(pupils), int(n or 1))


def _settings(case: Case, workdir: Path, pg_url: str | None):
    from leo_assets.settings import make_settings

    url = pg_url if case.engine == "postgres" else f"duckdb:///{workdir / 'workspace.duckdb'}"
    return make_settings(
        workspace_url=url, source_dir=str(workdir / "sources"), ks4_cohorts=case.ks4_cohorts
    )


# -------------------------------------------------------------------------- steps (in a subprocess)
def step_generate(case: Case, workdir: Path, pg_url: str | None) -> dict[str, Any]:
    from leo_assets.synthetic import GeneratorConfig, generate

    settings = _settings(case, workdir, pg_url)
    config = GeneratorConfig(
        pupils_per_cohort=case.pupils, cohorts=case.ks4_cohorts, seed=SEED, show_progress=False
    )
    started = time.perf_counter()
    summary = generate(settings, config, target_url=pg_url if case.engine == "postgres" else None)
    return {
        "seconds": time.perf_counter() - started,
        "source_rows": sum(summary.rows.values()),
        "truth_rows": sum(summary.truth_rows.values()),
        "views": len(summary.rows),
    }


def step_scan(case: Case, workdir: Path, pg_url: str | None) -> dict[str, Any]:
    from leo_assets.resources import WorkspaceDatabase, fingerprint_sql
    from leo_assets.sqlproject.sources import load_catalog

    settings = _settings(case, workdir, pg_url)
    db = WorkspaceDatabase.from_settings(settings)
    catalog = load_catalog(PROJECT_DIR / "sql", settings)
    db.scalar("SELECT 1")  # open the connection (and attach the DuckDB files) outside the timing
    views, rows = {}, 0
    started = time.perf_counter()
    for pv in catalog.all_views():
        relation = catalog.view_table(pv, db.dialect).sql(dialect=db.dialect)
        t0 = time.perf_counter()
        count, _digest = db.rows(fingerprint_sql(db.dialect, relation))[0]
        views[pv.view] = {"rows": int(count), "seconds": round(time.perf_counter() - t0, 4)}
        rows += int(count)
    seconds = time.perf_counter() - started
    # the copy floor: read every source row and write it once into a temporary table (a build
    # writes more rows than the sources hold, so this is a floor for reading plus writing)
    copy_started = time.perf_counter()
    for pv in catalog.all_views():
        relation = catalog.view_table(pv, db.dialect).sql(dialect=db.dialect)
        db.execute(
            [
                f"CREATE TEMPORARY TABLE bench_copy AS SELECT * FROM {relation}",
                "DROP TABLE bench_copy",
            ]
        )
    copy_seconds = time.perf_counter() - copy_started
    db.dispose()
    return {"seconds": seconds, "copy_seconds": copy_seconds, "rows": rows, "views": views}


def step_floor(case: Case, workdir: Path, pg_url: str | None) -> dict[str, Any]:
    """The write half of the true floor: every table the build wrote, copied once into a temporary
    table (read once, written once). With the scan (every source row read once) it is what no
    build can beat: the build reads at least its sources and writes at least its tables."""
    from leo_assets.resources import WorkspaceDatabase
    from leo_assets.sqlproject.loader import load_project

    settings = _settings(case, workdir, pg_url)
    project = load_project(PROJECT_DIR / "sql", settings)
    db = WorkspaceDatabase.from_settings(settings)
    db.scalar("SELECT 1")
    tables: dict[str, dict[str, Any]] = {}
    not_built: list[str] = []
    started = time.perf_counter()
    for name in project.order:
        model = project.models[name]
        if model.materialize != "table" or model.is_seed:
            continue
        if db.relation_kind(name) != "table":
            # a failed build wrote no table for this model or those after it: the case is
            # recorded as failed, with the floor of what the build did write
            not_built.append(f"{model.layer}/{name}")
            continue
        target = db.target(name).sql(db.dialect)
        t0 = time.perf_counter()
        db.execute(
            [
                f"CREATE TEMPORARY TABLE bench_floor AS SELECT * FROM {target}",
                "DROP TABLE bench_floor",
            ]
        )
        key = f"{model.layer}/{name}"
        tables[key] = {"seconds": round(time.perf_counter() - t0, 4)}
    seconds = time.perf_counter() - started
    db.dispose()
    return {"seconds": seconds, "tables": tables, "not_built": not_built}


def step_build(case: Case, workdir: Path, pg_url: str | None) -> dict[str, Any]:
    import dagster as dg

    from leo_assets.build import resolve_selection
    from leo_assets.definitions import build_definitions

    settings = _settings(case, workdir, pg_url)
    defs = build_definitions(settings, sql_dir=PROJECT_DIR / "sql", project_dir=PROJECT_DIR)
    keys = resolve_selection(defs, [])
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("build_all")
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
        raise_on_error=False,
    )
    seconds = time.perf_counter() - started

    step_start: dict[str, float] = {}
    steps: dict[str, dict[str, Any]] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            step_start[entry.step_key] = entry.timestamp
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
        ):
            steps[entry.step_key] = {
                "seconds": round(
                    entry.timestamp - step_start.get(entry.step_key, entry.timestamp), 3
                ),
                "status": "success"
                if event.event_type == dg.DagsterEventType.STEP_SUCCESS
                else "failure",
            }
    assets: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        meta = mat.metadata
        name = mat.asset_key.to_user_string()
        assets[name] = {
            "step": event.step_key,
            "step_seconds": steps.get(event.step_key, {}).get("seconds"),
            "build_seconds": float(meta["build_seconds"].value)
            if "build_seconds" in meta
            else None,
            "rows": int(meta["dagster/row_count"].value) if "dagster/row_count" in meta else None,
            "materialized_as": meta["materialized_as"].value if "materialized_as" in meta else None,
        }
    observed = sorted(
        {
            e.asset_observation_data.asset_observation.asset_key.to_user_string()
            for e in result.get_asset_observation_events()
        }
    )
    checks = [
        {
            "asset": ev.asset_key.to_user_string(),
            "check": ev.check_name,
            "severity": ev.severity.value,
            "passed": bool(ev.passed),
        }
        for ev in result.get_asset_check_evaluations()
    ]
    failures = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            message = (
                data.user_failure_data.description
                if data.user_failure_data
                else (data.error.message if data.error else "")
            )
            failures.append({"step": event.step_key, "message": (message or "").strip()[:500]})
    return {
        "seconds": seconds,
        "success": bool(result.success),
        "steps": steps,
        "assets": assets,
        "observed_sources": observed,
        "asset_list": sorted(k.to_user_string() for k in keys),
        "checks": {"total": len(checks), "failed": [c for c in checks if not c["passed"]]},
        "failures": failures,
    }


STEPS = {
    "generate": step_generate,
    "scan": step_scan,
    "build": step_build,
    "floor": step_floor,
}


def _child_main(step: str, case_file: Path, result_file: Path) -> None:
    spec = json.loads(case_file.read_text())
    case = Case(
        spec["engine"], spec["pupils"], spec["cohorts"], spec.get("last_cohort", LAST_COHORT)
    )
    out = STEPS[step](case, Path(spec["workdir"]), spec.get("pg_url"))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["maxrss_self_mb"] = max(usage.ru_maxrss, children.ru_maxrss) / 1024
    out["cpu_seconds"] = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    result_file.write_text(json.dumps(out, indent=1, default=str))


# --------------------------------------------------------------------------- parent: run and sample
def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_step(
    step: str, case: Case, workdir: Path, pg_url: str | None, timeout: float | None = None
) -> dict[str, Any]:
    """Run one step in a fresh interpreter, sampling its memory; return its result with wall time
    and peak RSS."""
    import psutil

    case_file = workdir / f"{step}.case.json"
    result_file = workdir / f"{step}.result.json"
    result_file.unlink(missing_ok=True)
    case_file.write_text(json.dumps({**asdict(case), "workdir": str(workdir), "pg_url": pg_url}))
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(workdir / "dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--step",
        step,
        "--case-file",
        str(case_file),
        "--result-file",
        str(result_file),
    ]
    log = open(workdir / f"{step}.log", "w")  # noqa: SIM115 (closed after the child exits)
    busy0 = _busy_cpu_seconds()
    started = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(proc))
        if timeout and time.perf_counter() - started > timeout:
            child.kill()
            break
        time.sleep(SAMPLE_SECONDS)
    code = child.wait()
    wall = time.perf_counter() - started
    busy = _busy_cpu_seconds() - busy0
    log.close()
    if code != 0 or not result_file.exists():
        tail = (workdir / f"{step}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{case.name}: step {step} failed (exit {code}):\n{tail}")
    out = json.loads(result_file.read_text())
    out["wall_seconds"] = round(wall, 3)
    out["peak_rss_mb"] = round(max(peak / 2**20, out.get("maxrss_self_mb", 0)), 1)
    out["cpu_seconds"] = round(out.get("cpu_seconds", 0.0), 2)
    # cores kept busy by other processes meanwhile: the timings are inflated when this is high
    out["other_load_cores"] = round(max(0.0, busy - out["cpu_seconds"]) / max(wall, 1e-6), 2)
    return out


def generate_alone(case: Case, workdir: Path, log=print) -> list[dict[str, Any]]:
    """Each cohort of a several-cohort case generated on its own (in a scratch folder, deleted
    after): its seconds and peak. The cohorts differ in size (an earlier cohort has more years
    of follow-up, so more rows), so the peak of generating them together is judged against the
    largest of these, not against one cohort of another year."""
    alone = []
    for cohort in case.ks4_cohorts:
        single = Case(case.engine, case.pupils, 1, last_cohort=cohort)
        folder = workdir / f"alone-{cohort}"
        folder.mkdir()
        try:
            result = run_step("generate", single, folder, None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        log(
            f"[{case.name}] generate {cohort} alone: {result['wall_seconds']:.1f} s wall, "
            f"{result['peak_rss_mb']:.0f} MB peak"
        )
        alone.append(
            {
                "cohort": cohort,
                "seconds": result["seconds"],
                "peak_rss_mb": result["peak_rss_mb"],
            }
        )
    return alone


def _busy_cpu_seconds() -> float:
    import psutil

    t = psutil.cpu_times()
    return (
        t.user
        + t.system
        + getattr(t, "nice", 0.0)
        + getattr(t, "irq", 0.0)
        + getattr(t, "softirq", 0.0)
    )


def _pg_database(admin_url: str, name: str, create: bool) -> str:
    """Create (or drop) database ``name`` on the server of ``admin_url``; return its URL."""
    import sqlalchemy as sa

    url = sa.engine.make_url(admin_url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def run_case(
    case: Case, root: Path, pg_admin_url: str | None, log=print, keep: bool = False
) -> dict[str, Any]:
    workdir = root / case.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db_name = f"leo_bench_{case.cohorts}x{case.pupils}"
    pg_url = _pg_database(pg_admin_url, db_name, create=True) if case.engine == "postgres" else None
    # the build reads each SQL file when it materialises the asset: an edit during the case would
    # run, and a fingerprint taken once would hide it
    started_on = code_version()
    try:
        out: dict[str, Any] = {
            "case": case.name,
            "engine": case.engine,
            "pupils_per_cohort": case.pupils,
            "cohorts": case.cohorts,
            "ks4_cohorts": case.ks4_cohorts,
            "pupils": case.total_pupils,
        }
        for step in ("generate", "scan", "build", "floor"):
            log(f"[{case.name}] {step} ...")
            out[step] = run_step(step, case, workdir, pg_url)
            log(
                f"[{case.name}] {step}: {out[step]['wall_seconds']:.1f} s wall, "
                f"{out[step]['cpu_seconds']:.0f} s CPU, "
                f"{out[step]['peak_rss_mb']:.0f} MB peak, other load "
                f"{out[step]['other_load_cores']:.1f} cores"
            )
        if case.cohorts > 1 and case.engine == "duckdb":
            out["generate_alone"] = generate_alone(case, workdir, log)
        out["build_over_scan"] = round(
            out["build"]["seconds"] / max(out["scan"]["seconds"], 1e-6), 2
        )
        out["build_over_copy"] = round(
            out["build"]["seconds"] / max(out["scan"]["copy_seconds"], 1e-6), 2
        )
        # the true floor: every source row read once (scan) plus every written row written once
        out["floor_seconds"] = round(out["scan"]["seconds"] + out["floor"]["seconds"], 3)
        out["build_over_floor"] = round(
            out["build"]["seconds"] / max(out["floor_seconds"], 1e-6), 2
        )
        out["measured_at"] = dt.datetime.now().isoformat(timespec="seconds")
        ended_on = code_version()
        out["code_version"] = started_on
        if ended_on != started_on:
            # never the same as another case's: the table of targets compares it with nothing
            out["code_version"] = f"changed during the case: {started_on} -> {ended_on}"
            log(f"[{case.name}] the code changed during the case: compared with no other case")
        return out
    finally:
        if not keep:
            if pg_url:
                _pg_database(pg_admin_url, db_name, create=False)
            for path in (
                workdir / "sources",
                workdir / "workspace.duckdb",
                workdir / "workspace.duckdb.wal",
            ):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


# ----------------------------------------------------------- the per-step budget (#18)
# a step is over budget when it takes BUDGET_FACTOR times its time in the case's previous
# measurement and BUDGET_MIN_SECONDS more: the two regressions of 6 December (95 s and 8 minutes
# in one step each) would have shown the day they landed
BUDGET_FACTOR = 1.5
BUDGET_MIN_SECONDS = 2.0


def over_budget(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps of ``current`` over their budget from ``previous`` (the same case measured before),
    slowest growth first; steps new since then have no budget yet."""
    if not previous:
        return []
    before = previous.get("build", {}).get("steps", {})
    found = []
    for step, now in current["build"]["steps"].items():
        if step not in before:
            continue
        was, is_ = before[step]["seconds"], now["seconds"]
        if is_ > BUDGET_FACTOR * was and is_ - was > BUDGET_MIN_SECONDS:
            found.append({"step": step, "before": was, "now": is_})
    return sorted(found, key=lambda s: (-(s["now"] - s["before"]), s["step"]))


# ------------------------------------------------------------ the test suite (#18, item 5)
_DURATION = re.compile(r"^\s*([0-9.]+)s (setup|call|teardown)\s+(\S+)\s*$")
_OUTCOME = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def parse_pytest_output(text: str) -> dict[str, Any]:
    """The outcome counts and the ``--durations`` table of a pytest run's output."""
    slowest = []
    for line in text.splitlines():
        found = _DURATION.match(line)
        if found:
            seconds, phase, test = found.groups()
            slowest.append({"seconds": float(seconds), "phase": phase, "test": test})
    summary = [line for line in text.splitlines() if re.search(r" in [0-9.]+s", line)]
    counts: dict[str, int] = {}
    for n, outcome in _OUTCOME.findall(summary[-1] if summary else ""):
        counts["errors" if outcome.startswith("error") else outcome] = int(n)
    return {"counts": counts, "slowest": slowest}


def run_test_suite(workdir: Path, log=print) -> dict[str, Any]:
    """``make test``'s pytest, as CI runs it: on a fresh clone of the committed HEAD (the working
    tree's uncommitted changes are not measured), one pytest-xdist worker per core, a throwaway
    PostgreSQL (scripts/with_postgres.sh), no pytest cache (so sqlfluff parses everything)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        check=True,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    ).stdout.strip()
    clone = workdir / "test_suite_clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(PROJECT_DIR), str(clone)], check=True)
    env = dict(os.environ, PYTHONPATH=str(clone), CI="true")
    env.pop("LEO_TEST_PG_URL", None)
    bin_dir = Path(sys.executable).parent
    cmd = [
        "scripts/with_postgres.sh",
        str(bin_dir / "pytest"),
        "-n",
        "auto",
        "--dist",
        "loadfile",
        "--no-loadscope-reorder",
        "--durations=10",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    # make test's own first step: the system packages the suite needs (pyodbc's libodbc, ...)
    subprocess.run(["scripts/system_packages.sh", "test"], check=True, cwd=clone)
    log(f"test suite: {' '.join(cmd)} on a clone of {commit} (about 15-20 minutes)")
    busy0 = _busy_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run(cmd, check=False, cwd=clone, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    busy = _busy_cpu_seconds() - busy0
    output = done.stdout + done.stderr
    (workdir / "test_suite.log").write_text(output, encoding="utf-8")
    shutil.rmtree(clone, ignore_errors=True)
    return {
        "commit": commit,
        "command": " ".join(["pytest", *cmd[2:]]),
        "exit_code": done.returncode,
        "wall_seconds": round(wall, 1),
        "busy_cores": round(busy / wall, 2) if wall else None,
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        **parse_pytest_output(output),
    }


def render_test_suite(suite: dict[str, Any]) -> list[str]:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(suite["counts"].items()))
    met = "met" if suite["wall_seconds"] <= 600 and suite["exit_code"] == 0 else "not met"
    lines = [
        "## The test suite (issue 18, item 5)",
        "",
        (
            f"`{suite['command']}` (what `make test` runs after ruff) on a fresh clone of "
            f"{suite['commit']}, measured {suite['measured_at']}: {counts} in "
            f"{suite['wall_seconds']:,.0f} s of wall time (exit code {suite['exit_code']}); the "
            f"machine's cores were {suite['busy_cores']} busy on average (2 = both, all of it the "
            f"suite's own when nothing else ran). Target <= 600 s: **{met}**. Re-run with "
            "`.venv/bin/python -m benchmarks.run --test-suite` (runs no benchmark case)."
        ),
        "",
        "The ten slowest test phases, as `--durations=10` printed them:",
        "",
        "| seconds | phase | test |",
        "|--:|---|---|",
    ]
    lines += [
        f"| {d['seconds']:.1f} | {d['phase']} | {d['test'].removeprefix('leo_assets_tests/')} |"
        for d in suite["slowest"]
    ]
    return lines + [""]


# ---------------------------------------------------------------------------- machine
def machine_info(pg_admin_url: str | None) -> dict[str, Any]:
    import duckdb
    import psutil
    import sqlglot

    info = {
        "cpu_cores_logical": psutil.cpu_count(logical=True),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "sqlglot": sqlglot.__version__,
        "dagster": _version("dagster"),
        "postgresql": None,
    }
    if pg_admin_url:
        try:
            import sqlalchemy as sa

            engine = sa.create_engine(pg_admin_url)
            with engine.connect() as conn:
                info["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar()
            engine.dispose()
        except Exception as exc:
            info["postgresql"] = f"unavailable ({type(exc).__name__})"
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    from importlib.metadata import version

    try:
        return version(package)
    except Exception:
        return "unknown"


# ---------------------------------------------------------------------------- report
TARGETS = {
    "generate_seconds": 300,
    "build_seconds": 300,
    "peak_rss_mb": 8 * 1024,
    "build_over_scan": 10.0,
    "growth_exponent": 1.1,
}


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _fmt_load(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _fmt_mb(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _growth(cases: list[dict[str, Any]], metric) -> list[tuple[str, float]]:
    """Exponent b of time ~ pupils^b between consecutive one-cohort DuckDB sizes."""
    ones = sorted(
        (c for c in cases if c["engine"] == "duckdb" and c["cohorts"] == 1),
        key=lambda c: c["pupils"],
    )
    out = []
    for a, b in itertools.pairwise(ones):
        ta, tb = metric(a), metric(b)
        if ta and tb and b["pupils"] > a["pupils"]:
            out.append(
                (
                    f"{a['pupils']:,} -> {b['pupils']:,}",
                    math.log(tb / ta) / math.log(b["pupils"] / a["pupils"]),
                )
            )
    return out


def render_markdown(results: dict[str, Any]) -> str:
    cases = sorted(
        results["cases"].values(),
        key=lambda c: (c["engine"] != "duckdb", c["pupils"], c["cohorts"]),
    )
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        (
            "Generated by the benchmark runner (issue #8); do not edit the figures by hand. Re-run "
            "with:"
        ),
        "",
        "```bash",
        results.get("command") or ".venv/bin/python -m benchmarks.run",
        "```",
        "",
        (
            "(`--quick`: 10,000 pupils on each engine; `--sizes 10000 3x100000` and `--pg-sizes "
            "10000` choose the cases;"
        ),
        (
            "results are merged by case into `benchmarks/results.json` and this page is rewritten "
            "from it.)"
        ),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m.get('cpu_model')}: {m.get('cpu_cores_logical')} logical cores |",
        f"| RAM | {m.get('ram_gib')} GiB |",
        f"| OS | {m.get('os')} |",
        f"| Python | {m.get('python')} |",
        f"| DuckDB | {m.get('duckdb')} |",
        f"| PostgreSQL | {m.get('postgresql') or 'not run'} |",
        f"| Dagster / sqlglot | {m.get('dagster')} / {m.get('sqlglot')} |",
        f"| last run | {results.get('updated_at')} |",
        "",
        "## What is measured",
        "",
        (
            "Per case (pupils per KS4 cohort x cohorts, ending with KS4 2014), three steps, each "
            "in a fresh Python"
        ),
        (
            "process: **generate** (synthetic LEO written to DuckDB files or PostgreSQL schemas), "
            "**scan** (one"
        ),
        (
            "`SELECT COUNT(*), SUM(hash(row))` over every physical source view: the floor any "
            "build pays; and,"
        ),
        (
            "timed separately as *copy*, one `CREATE TEMPORARY TABLE AS SELECT *` of every view: "
            "the floor for reading"
        ),
        "the sources and writing as many rows once) and",
        (
            "**build** (Dagster's `build_all` job in process: observe every source, build every "
            "asset, run every"
        ),
        (
            "check). *Wall* is the process's wall time including Python and Dagster start-up; "
            "*build* and *scan* are"
        ),
        (
            "the timed sections inside it. *Peak* is the peak resident memory of the process and "
            "its children"
        ),
        (
            "(psutil, sampled every 0.1 s, and `getrusage` maxrss). On PostgreSQL the server's own "
            "memory is not"
        ),
        (
            "included. *Build / scan* and *build / copy* are build seconds over scan and copy "
            "seconds; *floor s* is the scan plus one copy of every table the build wrote (the "
            "true floor: every source row read once, every written row written once) and "
            "*build / floor* the build over it; *rows written* is"
        ),
        (
            "the sum of the rows of every table the build wrote. *CPU s* is the user + system time "
            "of the"
        ),
        (
            "build process. *Other load* is the number of cores other processes on the machine "
            "kept busy meanwhile"
        ),
        (
            "(system CPU time minus the step's own, over its wall time): with 2 cores, a value "
            "near 1 means the step"
        ),
        "ran on about one core and its wall time is inflated accordingly.",
        (
            "A case of several cohorts also generates each of its cohorts alone (their peaks are "
            "named in the table of targets): the cohorts differ in size, so the peak of "
            "generating them together is judged against the largest of them alone."
        ),
        "",
        "## Summary",
        "",
        (
            "Results are merged by case: a case keeps the figures of the last run that measured it "
            "(the *measured* column), so rows of different days can stand side by side. Each case "
            "records a fingerprint of the code it ran (`sql/` and `leo_assets/`); a target that "
            "sets two cases side by side reads *not comparable* when they ran different code."
        ),
        "",
        (
            "| case | pupils | source rows | rows written | generate s | generate peak MB | scan s "
            "| copy s | build s"
            " | build wall s | build CPU s | build peak MB | build / scan | build / copy | floor s"
            " | build / floor | other load gen / build | assets"
            " | checks (failed) | ok | measured |"
        ),
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for c in cases:
        g, s, b = c["generate"], c["scan"], c["build"]
        written = sum(
            a["rows"] or 0 for a in b["assets"].values() if a.get("materialized_as") == "table"
        )
        copy = s.get("copy_seconds")
        over_copy = f"{c['build_over_copy']:.1f}" if "build_over_copy" in c else "-"
        floor_cells = (
            f"{_fmt_s(c['floor_seconds'])} | {c['build_over_floor']:.1f}"
            if "build_over_floor" in c
            else "- | -"
        )
        lines.append(
            f"| {c['case']} | {c['pupils']:,} | {s['rows']:,} | {written:,} | "
            f"{_fmt_s(g['seconds'])} | {_fmt_mb(g['peak_rss_mb'])}"
            f" | {_fmt_s(s['seconds'])} | {_fmt_s(copy) if copy is not None else '-'} | "
            f"{_fmt_s(b['seconds'])}"
            f" | {_fmt_s(b['wall_seconds'])} | {_fmt_s(b.get('cpu_seconds'))}"
            f" | {_fmt_mb(b['peak_rss_mb'])} | {c['build_over_scan']:.1f}"
            f" | {over_copy} | {floor_cells}"
            f" | {_fmt_load(g.get('other_load_cores'))} / {_fmt_load(b.get('other_load_cores'))}"
            f" | {len(b['assets'])} | {b['checks']['total']} ({len(b['checks']['failed'])})"
            f" | {'yes' if b['success'] else 'NO'} | {c['measured_at'][:10]} |"
        )
    lines += ["", "## Targets of issue 8 (600,000 pupils in one cohort, DuckDB)", ""]
    big = results["cases"].get("duckdb-1x600000")
    growth = _growth(cases, lambda c: c["build"]["seconds"])
    if big:
        rows = [
            (
                "generate < 5 min",
                _fmt_s(big["generate"]["seconds"]) + " s",
                big["generate"]["seconds"] < TARGETS["generate_seconds"],
            ),
            (
                "build < 5 min (every asset and check)",
                _fmt_s(big["build"]["seconds"]) + " s",
                big["build"]["seconds"] < TARGETS["build_seconds"] and big["build"]["success"],
            ),
            (
                "generate peak < 8 GB",
                _fmt_mb(big["generate"]["peak_rss_mb"]) + " MB",
                big["generate"]["peak_rss_mb"] < TARGETS["peak_rss_mb"],
            ),
            (
                "build peak < 8 GB",
                _fmt_mb(big["build"]["peak_rss_mb"]) + " MB",
                big["build"]["peak_rss_mb"] < TARGETS["peak_rss_mb"],
            ),
            (
                "build <= 10x plain scan",
                f"{big['build_over_scan']:.1f}x",
                big["build_over_scan"] <= TARGETS["build_over_scan"],
            ),
        ]
        cpu_growth = [
            (label, e)
            for label, e in _growth(cases, lambda c: c["build"].get("cpu_seconds"))
            if label.endswith("600,000")
        ]
        if cpu_growth:
            # CPU time, not wall time: other processes on the machine inflate wall times unevenly
            shown = cpu_growth[0][1]
            rows.append(
                (
                    (
                        "build time grows no faster than linearly (CPU-time exponent, "
                        f"{cpu_growth[0][0]})"
                    ),
                    f"{shown:.2f}",
                    shown <= TARGETS["growth_exponent"],
                )
            )
        lines += ["| target | measured | met |", "|---|--:|---|"]
        lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in rows]
    else:
        lines.append("(the 600,000-pupil case has not been run yet)")
    lines += ["", *render_scale_targets(results)]
    if growth:
        gen_growth = dict(_growth(cases, lambda c: c["generate"]["seconds"]))
        scan_growth = dict(_growth(cases, lambda c: c["scan"]["seconds"]))
        lines += [
            "",
            "## Growth with pupils (one cohort, DuckDB)",
            "",
            (
                "Exponent b in time ~ pupils^b between consecutive sizes (1 = linear; fixed "
                "start-up costs pull it"
            ),
            (
                "below 1 at small sizes). Wall times are inflated unevenly by other load (see the "
                "summary), so the"
            ),
            "build's CPU time is the fairer measure of growth.",
            "",
            "| sizes | generate | scan | build | build CPU time |",
            "|---|--:|--:|--:|--:|",
        ]
        cpu_growth = dict(_growth(cases, lambda c: c["build"].get("cpu_seconds")))
        for label, e in growth:
            lines.append(
                f"| {label} | {gen_growth.get(label, float('nan')):.2f} | "
                f"{scan_growth.get(label, float('nan')):.2f}"
                f" | {e:.2f} | {cpu_growth.get(label, float('nan')):.2f} |"
            )
    pg = [c for c in cases if c["engine"] == "postgres"]
    if pg:
        lines += [
            "",
            "## PostgreSQL against DuckDB at the same size",
            "",
            (
                "| pupils | PG generate s | PG scan s | PG build s | DuckDB build s | PG / DuckDB "
                "build | PG build / scan |"
            ),
            "|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for c in pg:
            d = results["cases"].get(f"duckdb-{c['cohorts']}x{c['pupils_per_cohort']}")
            ratio = f"{c['build']['seconds'] / d['build']['seconds']:.1f}" if d else "-"
            lines.append(
                f"| {c['pupils']:,} | {_fmt_s(c['generate']['seconds'])} | "
                f"{_fmt_s(c['scan']['seconds'])}"
                f" | {_fmt_s(c['build']['seconds'])} | "
                f"{_fmt_s(d['build']['seconds']) if d else '-'} | {ratio}"
                f" | {c['build_over_scan']:.1f} |"
            )
    floored = [c for c in cases if "floor" in c]
    if floored:
        ref = max(floored, key=lambda c: (c["engine"] == "duckdb", c["pupils"]))
        tables = ref["floor"]["tables"]
        built = ref["build"]["assets"]
        rows = sorted(
            (
                (name, built[name]["build_seconds"], copy["seconds"])
                for name, copy in tables.items()
                if name in built and built[name].get("build_seconds") is not None
            ),
            key=lambda r: (-r[1], r[0]),
        )
        lines += [
            "",
            f"## Build against its floor, per table ({ref['case']})",
            "",
            (
                "The true floor of a build is every source row read once (*scan*) plus every row "
                "it writes written once"
            ),
            (
                "(*floor write*: each built table copied once into a temporary table, in the same "
                "run). Per table: the"
            ),
            "model's build seconds (its SELECT and write, before its checks) over that copy.",
            "",
            "| table | build s | floor write s | build / floor write |",
            "|---|--:|--:|--:|",
        ]
        for name, build_s, copy_s in rows[:25]:
            lines.append(
                f"| {name} | {_fmt_s(build_s)} | {_fmt_s(copy_s)} | "
                f"{build_s / max(copy_s, 1e-6):.1f} |"
            )
    # per step
    order = [c for c in cases if c["engine"] == "duckdb"] + pg
    if order:
        ref = max(order, key=lambda c: (c["engine"] == "duckdb", c["pupils"]))
        names = sorted(ref["build"]["steps"], key=lambda s: -ref["build"]["steps"][s]["seconds"])
        for c in order:
            names += [s for s in c["build"]["steps"] if s not in names]
        lines += [
            "",
            "## Per Dagster step (seconds)",
            "",
            (
                "Every step of the build (an asset with its blocking checks, a set of warn checks, "
                "or the source"
            ),
            (
                f"observation), sorted by the {ref['case']} case; the share is of the sum of step "
                "times there."
            ),
            "",
            "| step | " + " | ".join(c["case"] for c in order) + f" | share of {ref['case']} |",
            "|---|" + "--:|" * (len(order) + 1),
        ]
        total_ref = sum(v["seconds"] for v in ref["build"]["steps"].values()) or 1
        for name in names:
            cells = [_fmt_s(c["build"]["steps"].get(name, {}).get("seconds")) for c in order]
            share = ref["build"]["steps"].get(name, {}).get("seconds", 0) / total_ref
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {share:.1%} |")
        lines += [
            "",
            "## Assets built",
            "",
            (
                f"{len(ref['build']['asset_list'])} assets (sources included) were loaded by "
                f"`build_definitions` for the {ref['case']} run:"
            ),
            "",
            ", ".join(f"`{a}`" for a in ref["build"]["asset_list"]),
            "",
        ]
        failed = [(c["case"], f) for c in order for f in c["build"]["checks"]["failed"]]
        if failed:
            lines += ["Checks that failed (all sizes):", ""]
            lines += [
                f"* {case}: `{f['asset']}` {f['check']} ({f['severity']})" for case, f in failed
            ]
            lines.append("")
    lines += ["", *render_budget(cases)]
    if results.get("test_suite"):
        lines += ["", *render_test_suite(results["test_suite"])]
    if NOTES.exists():
        lines += ["", NOTES.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


# issue 18's targets: England scale on DuckDB, several cohorts, the row store, the suite
SCALE_TARGETS = {
    "build_seconds": 150,
    "peak_rss_mb": 6 * 1024,
    "build_over_floor": 5.0,
    "cohorts_peak_rss_mb": 12 * 1024,
    # generate streams cohort by cohort: three cohorts peak as their largest does. The cohorts
    # differ (2012 has two more years of outcomes than 2014), so the three-cohort peak is
    # compared with each of its cohorts generated alone (generate_alone), not with 2014's
    "generate_peak_ratio": 1.10,
    "growth_exponent": 1.05,
    "pg_over_duckdb": 3.0,
    "suite_seconds": 600,
}


def _step_name(step: str) -> str:
    for layer in ("reference__", "staging__", "intermediate__", "marts__", "outputs__"):
        step = step.removeprefix(layer)
    return step


def _top_steps(case: dict[str, Any], n: int = 3) -> str:
    steps = case["build"]["steps"]
    top = sorted(steps, key=lambda s: -steps[s]["seconds"])[:n]
    return "; ".join(f"{_step_name(s)} {_fmt_s(steps[s]['seconds'])} s" for s in top)


def _fastest_growing(small: dict[str, Any], large: dict[str, Any], size, n: int = 3) -> str:
    """The steps whose time grew most beyond linear from ``small`` to ``large``: each step's
    seconds in the large case beside its small-case seconds scaled by the size ratio."""
    ratio = size(large) / size(small)
    before, after = small["build"]["steps"], large["build"]["steps"]
    excess = {s: after[s]["seconds"] - before[s]["seconds"] * ratio for s in after if s in before}
    top = [s for s in sorted(excess, key=lambda s: (-excess[s], s)) if excess[s] > 0][:n]
    return "above linear: " + "; ".join(
        f"{_step_name(s)} {_fmt_s(after[s]['seconds'])} s "
        f"(linear {_fmt_s(before[s]['seconds'] * ratio)} s)"
        for s in top
    )


def _exponent(a: dict[str, Any] | None, b: dict[str, Any] | None, size) -> float | None:
    if not a or not b or size(b) <= size(a):
        return None
    return math.log(b["build"]["seconds"] / a["build"]["seconds"]) / math.log(size(b) / size(a))


def _same_code(*cases: dict[str, Any] | None) -> bool:
    """Whether cases set side by side ran the same code. Cases measured before the runner
    recorded ``code_version`` are taken as they are (their dates say when); a fingerprinted case
    is never compared with one of other or unknown code."""
    return len({c.get("code_version") for c in cases if c}) <= 1


def render_scale_targets(results: dict[str, Any]) -> list[str]:
    """Issue 18's targets, each met, missed (with the steps its time goes to) or not run."""
    cases, t = results["cases"], SCALE_TARGETS
    one, three = cases.get("duckdb-1x600000"), cases.get("duckdb-3x600000")
    rows: list[tuple[str, str, bool | None, str]] = []

    def row(label, case, value, fmt, limit, where="", compared=()):
        if case is None or value is None:
            rows.append((label, "not run", None, ""))
        elif not _same_code(*compared):
            dates = " and ".join(c.get("measured_at", "?")[:16].replace("T", " ") for c in compared)
            note = f"not comparable: measured on different code ({dates}); run both again"
            rows.append((label, f"({fmt(value)})", None, note))
        else:
            rows.append((label, fmt(value), value <= limit, where))

    seconds = (lambda v: f"{_fmt_s(v)} s", lambda v: f"{_fmt_mb(v)} MB", lambda v: f"{v:.2f}x")
    row(
        "DuckDB 600,000: build <= 150 s",
        one,
        one and one["build"]["seconds"],
        seconds[0],
        t["build_seconds"],
        one and _top_steps(one),
    )
    row(
        "DuckDB 600,000: build peak <= 6 GB",
        one,
        one and one["build"]["peak_rss_mb"],
        seconds[1],
        t["peak_rss_mb"],
    )
    row(
        "DuckDB 600,000: build / floor <= 5x",
        one,
        one and one.get("build_over_floor"),
        seconds[2],
        t["build_over_floor"],
        "see *Build against its floor, per table*",
    )
    row(
        "DuckDB 3 x 600,000: build peak <= 12 GB",
        three,
        three and three["build"]["peak_rss_mb"],
        seconds[1],
        t["cohorts_peak_rss_mb"],
    )
    alone = three and three.get("generate_alone")
    row(
        "DuckDB 3 x 600,000: generate peak / its largest cohort's alone <= 1.10",
        three,
        alone and three["generate"]["peak_rss_mb"] / max(a["peak_rss_mb"] for a in alone),
        lambda v: f"{v:.2f}",
        t["generate_peak_ratio"],
        alone
        and "alone: " + "; ".join(f"{a['cohort']} {_fmt_mb(a['peak_rss_mb'])} MB" for a in alone),
    )
    row(
        "DuckDB 1 -> 3 cohorts of 600,000: growth exponent <= 1.05",
        three,
        _exponent(one, three, lambda c: c["pupils"]),
        lambda v: f"{v:.2f}",
        t["growth_exponent"],
        one and three and _fastest_growing(one, three, lambda c: c["pupils"]),
        compared=(one, three),
    )
    pg10, pg100 = cases.get("postgres-1x10000"), cases.get("postgres-1x100000")
    dk100 = cases.get("duckdb-1x100000")
    row(
        "PostgreSQL / DuckDB at 100,000 <= 3x",
        pg100 and dk100,
        pg100 and dk100 and pg100["build"]["seconds"] / dk100["build"]["seconds"],
        seconds[2],
        t["pg_over_duckdb"],
        pg100 and _top_steps(pg100),
        compared=(pg100, dk100),
    )
    row(
        "PostgreSQL 10,000 -> 100,000: growth exponent <= 1.05",
        pg100,
        _exponent(pg10, pg100, lambda c: c["pupils"]),
        lambda v: f"{v:.2f}",
        t["growth_exponent"],
        pg10 and pg100 and _fastest_growing(pg10, pg100, lambda c: c["pupils"]),
        compared=(pg10, pg100),
    )
    suite = results.get("test_suite")
    row(
        "make test <= 10 min",
        suite,
        suite and suite["wall_seconds"],
        seconds[0],
        t["suite_seconds"],
        "see *The test suite*",
    )
    lines = [
        "## Targets of issue 18 (England scale, several cohorts, the row store)",
        "",
        "| target | measured | met | where the time goes (largest steps) |",
        "|---|--:|---|---|",
    ]
    for label, value, ok, where in rows:
        met = "-" if ok is None else "yes" if ok else "**no**"
        lines.append(f"| {label} | {value} | {met} | {where if ok is not True else ''} |")
    return lines


def render_budget(cases: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Over budget",
        "",
        (
            f"A step is over budget when it took more than {BUDGET_FACTOR}x its time in the same "
            f"case's previous measurement and {BUDGET_MIN_SECONDS:.0f} s more; the runner then "
            "exits with status 1."
        ),
        "",
    ]
    over = [(c, s) for c in cases for s in c.get("over_budget") or []]
    if not over:
        compared = [c["case"] for c in cases if c.get("budget_from")]
        return [
            *lines,
            (
                f"None in the last measurement of {', '.join(compared)}."
                if compared
                else "No case has a previous measurement to compare with."
            ),
        ]
    lines += ["| case | step | seconds | before | measured before |", "|---|---|--:|--:|---|"]
    lines += [
        f"| {c['case']} | {s['step']} | {_fmt_s(s['now'])} | {_fmt_s(s['before'])} | "
        f"{c['budget_from']} |"
        for c, s in over
    ]
    return lines


# ---------------------------------------------------------------------------- entry point
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--sizes",
        nargs="*",
        default=None,
        help=f"DuckDB sizes: PUPILS or NxPUPILS (default: {' '.join(DEFAULT_SIZES)})",
    )
    p.add_argument(
        "--pg-sizes",
        nargs="*",
        default=None,
        help=f"PostgreSQL sizes (default: {' '.join(DEFAULT_PG_SIZES)}; '' for none)",
    )
    p.add_argument("--quick", action="store_true", help="10,000 pupils on each engine")
    p.add_argument(
        "--pg-url",
        default=None,
        help="PostgreSQL server URL (a database is created per case and dropped)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="scratch folder (sources, workspaces, step logs)",
    )
    p.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="results JSON, merged by case"
    )
    p.add_argument(
        "--doc", type=Path, default=DEFAULT_DOC, help="markdown page written from the results"
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep each case's sources and workspace (and PostgreSQL database)",
    )
    p.add_argument(
        "--render-only",
        action="store_true",
        help="only rewrite the markdown page from the results JSON",
    )
    p.add_argument("--fresh", action="store_true", help="drop previous results instead of merging")
    p.add_argument(
        "--test-suite",
        action="store_true",
        help="time the test suite as CI runs it (a fresh clone of HEAD) instead of the cases",
    )
    p.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    p.add_argument("--case-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None, log=print) -> dict[str, Any]:
    args = parse_args(argv)
    if args.step:
        _child_main(args.step, args.case_file, args.result_file)
        return {}
    if args.render_only:
        results = json.loads(args.results.read_text())
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(render_markdown(results), encoding="utf-8")
        log(f"report: {args.doc}")
        return results
    if args.test_suite:
        results = json.loads(args.results.read_text()) if args.results.exists() else {"cases": {}}
        args.workdir.mkdir(parents=True, exist_ok=True)
        results["test_suite"] = run_test_suite(args.workdir, log=log)
        args.results.write_text(json.dumps(results, indent=1, sort_keys=True, default=str))
        args.doc.write_text(render_markdown(results), encoding="utf-8")
        log(f"results: {args.results}\nreport: {args.doc}")
        return results
    sizes = args.sizes if args.sizes is not None else (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    pg_sizes = (
        args.pg_sizes
        if args.pg_sizes is not None
        else (QUICK_PG_SIZES if args.quick else DEFAULT_PG_SIZES)
    )
    pg_url = args.pg_url or os.environ.get("LEO_BENCH_PG_URL") or os.environ.get("LEO_TEST_PG_URL")
    cases = [Case.parse("duckdb", s) for s in sizes if s.strip()]
    pg_cases = [Case.parse("postgres", s) for s in pg_sizes if s.strip()]
    if pg_cases and not pg_url:
        log(
            "no PostgreSQL URL (--pg-url, LEO_BENCH_PG_URL or LEO_TEST_PG_URL): PostgreSQL cases "
            "skipped"
        )
        pg_cases = []
    results: dict[str, Any] = {"cases": {}}
    if args.results.exists() and not args.fresh:
        results = json.loads(args.results.read_text())
    results["machine"] = machine_info(pg_url if pg_cases else None) | (
        {"postgresql": results.get("machine", {}).get("postgresql")} if not pg_cases else {}
    )
    shown = ["--sizes", *sizes] if args.sizes is not None else []
    if args.pg_sizes is not None:
        shown += ["--pg-sizes", *(pg_sizes or ['""'])]
    results["command"] = " ".join(
        [".venv/bin/python -m benchmarks.run", *(["--quick"] if args.quick else []), *shown]
    )
    args.workdir.mkdir(parents=True, exist_ok=True)
    over: list[str] = []
    for case in cases + pg_cases:
        previous = results["cases"].get(case.name)
        out = run_case(case, args.workdir, pg_url, log=log, keep=args.keep)
        out["over_budget"] = over_budget(previous, out)
        out["budget_from"] = previous.get("measured_at") if previous else None
        for s in out["over_budget"]:
            over.append(
                f"[{case.name}] {s['step']}: {s['now']:.1f} s, was {s['before']:.1f} s "
                f"({out['budget_from']})"
            )
            log(f"OVER BUDGET {over[-1]}")
        results["cases"][case.name] = out
        results["updated_at"] = dt.datetime.now().isoformat(timespec="seconds")
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1, sort_keys=True, default=str))
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(render_markdown(results), encoding="utf-8")
    log(f"results: {args.results}\nreport: {args.doc}")
    if over:
        log(
            f"{len(over)} step(s) over budget ({BUDGET_FACTOR}x their previous time and "
            f"{BUDGET_MIN_SECONDS:.0f} s more): see 'Over budget' in {args.doc}"
        )
        results["exit_status"] = 1
    return results


if __name__ == "__main__":
    sys.exit(main().get("exit_status", 0))
