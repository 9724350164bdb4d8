"""Running builds outside the UI: selections, the stale closure, and a summary of the result.

The command line and the tests use these; the UI reaches the same assets through Dagster.
Runs are recorded in the Dagster instance of ``$DAGSTER_HOME`` (``dagster_home/`` by default),
so a build from the command line shows in the UI as any other run.
"""

import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from tabulate import tabulate

from leo_assets.settings import PROJECT_DIR
from leo_assets.staleness import stale_status


def project_instance(project_dir: Path = PROJECT_DIR) -> dg.DagsterInstance:
    """The persistent Dagster instance of the project (``$DAGSTER_HOME`` or ``dagster_home/``)."""
    home = Path(os.environ.get("DAGSTER_HOME") or project_dir / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    shipped = PROJECT_DIR / "dagster_home" / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and shipped.exists():
        shutil.copy(shipped, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def all_asset_keys(defs: dg.Definitions) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())


def resolve_selection(defs: dg.Definitions, selection: list[str]) -> set[dg.AssetKey]:
    """Names or keys, with dbt-style ``+name`` (and upstream) and ``name+`` (and downstream).

    An empty selection means every asset, sources included.
    """
    graph = defs.resolve_asset_graph()
    keys = all_asset_keys(defs)
    if not selection:
        return set(keys)
    by_name: dict[str, dg.AssetKey] = {}
    for key in keys:
        by_name[key.to_user_string()] = key
        by_name.setdefault(key.path[-1], key)
    chosen: set[dg.AssetKey] = set()
    for item in selection:
        up, down = item.startswith("+"), item.endswith("+")
        name = item.strip("+")
        if name not in by_name:
            raise KeyError(f"no asset named {name!r}; see 'leo-assets list'")
        key = by_name[name]
        chosen.add(key)
        if up:
            chosen |= _walk(graph, key, "parent_keys")
        if down:
            chosen |= _walk(graph, key, "child_keys")
    return chosen


def _walk(graph, key: dg.AssetKey, attr: str) -> set[dg.AssetKey]:
    out: set[dg.AssetKey] = set()
    stack = [key]
    while stack:
        for nxt in getattr(graph.get(stack.pop()), attr):
            if nxt not in out:
                out.add(nxt)
                stack.append(nxt)
    return out


def stale_closure(defs: dg.Definitions, instance: dg.DagsterInstance) -> set[dg.AssetKey]:
    """Assets whose own code or direct inputs changed (or that were never built), plus everything
    downstream.

    Dagster reports staleness one level at a time (a child turns stale only after its parent is
    rebuilt), so the roots are the assets Dagster calls stale or missing, and the closure adds
    their descendants.
    """
    graph = defs.resolve_asset_graph()
    roots = set()
    for key in graph.materializable_asset_keys:
        status, _causes = stale_status(defs, instance, key)
        if status != "FRESH":
            roots.add(key)
    closure = set(roots)
    for key in roots:
        closure |= _walk(graph, key, "child_keys")
    return closure


# what a check's result means, the same words in the command line, the summary and the README
PASSED, WARNING, ERROR, BLOCKING = "passed", "warning", "error", "blocking error"
NOTE = "recorded"  # a source observation's warning: not a check, listed apart


def check_outcome(passed: bool, severity: str, blocking: bool | None) -> str:
    """One word for a check result: passed, warning (past warn), error (past error), blocking error.

    Dagster records ``passed`` and a ``severity`` (WARN or ERROR) that only matters when the check
    did not pass; ``blocking`` checks stop the asset (or its downstream) when they fail at ERROR.
    """
    if passed:
        return PASSED
    if severity != "ERROR":
        return WARNING
    return BLOCKING if blocking else ERROR


@dataclass
class CheckLine:
    asset: str
    check: str
    outcome: str  # passed / warning / error / blocking error
    detail: str


@dataclass
class BuildSummary:
    success: bool
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # key, status, rows
    checks: list[CheckLine] = field(default_factory=list)
    seconds: float = 0.0
    log_file: Path | None = None

    def failed_error_checks(self) -> list[CheckLine]:
        """Failures that fail the build: blocking checks and failed steps."""
        return [c for c in self.checks if c.outcome == BLOCKING]

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.checks if c.outcome == outcome)

    def source_notes(self) -> list[CheckLine]:
        """What the source observations recorded (e.g. an optional view absent, read as empty)."""
        return [c for c in self.checks if c.outcome == NOTE]

    def row_accounting(self) -> list[str]:
        """One line per staging model that removed duplicates or set aside / changed rows."""
        return [
            f"warning: {c.detail}"
            for c in self.checks
            if (c.check in ("source_duplicates", "row_issues") and c.outcome == WARNING)
            or c.outcome == NOTE
        ]

    def table(self) -> str:
        """Every asset and every check (the full record; the command line prints :meth:`tally`)."""
        parts = [tabulate(self.assets, headers=["asset", "status", "rows"], tablefmt="github")]
        accounting = self.row_accounting()
        if accounting:
            parts.append(
                "Warnings: sources, and rows staging removed, set aside or changed (counts):\n"
                + "\n".join(accounting)
            )
        if self.checks:
            parts.append(
                tabulate(
                    [(c.asset, c.check, c.outcome, c.detail) for c in self.checks],
                    headers=["asset", "check", "outcome", "detail"],
                    tablefmt="github",
                )
            )
        return "\n\n".join(parts)

    def tally(self, full_table: Path | None = None, limit: int = 8) -> str:
        """One screen: counts, blocking failures named first, then errors, then warnings."""
        built = sum(1 for a in self.assets if a[1] == "built")
        observed = sum(1 for a in self.assets if a[1] == "observed")
        not_built = [a[0] for a in self.assets if a[1] not in ("built", "observed")]
        minutes, seconds = divmod(round(self.seconds), 60)
        lines = [
            f"Assets: {built} built, {observed} sources observed"
            + (f", {len(not_built)} NOT built" if not_built else "")
            + f" ({minutes} min {seconds:02d} s)",
            (
                f"Checks: {self.count(PASSED)} passed, {self.count(WARNING)} warnings, "
                f"{self.count(ERROR)} errors (non-blocking), "
                f"{self.count(BLOCKING)} blocking failures"
            ),
        ]

        def section(title: str, rows: list[CheckLine], n: int) -> None:
            if not rows:
                return
            lines.append(f"\n{title} ({len(rows)}):")
            for c in rows[:n]:
                detail = c.detail.split(": ", 1)[
                    -1
                ]  # the check's own name or title is already shown
                lines.append(f"  {c.asset.split('/')[-1]} {c.check}: {_short(detail, 180)}")
            if len(rows) > n:
                lines.append(f"  ... and {len(rows) - n} more")

        section("BLOCKING failures (the previous table was kept)", self.failed_error_checks(), 20)
        if not_built:
            lines.append(f"\nNot built ({len(not_built)}, upstream failed or skipped):")
            lines.append("  " + _short(", ".join(not_built), 300))
        section(
            "Errors (past the error threshold; the build went on)",
            [c for c in self.checks if c.outcome == ERROR],
            limit,
        )
        section(
            "Warnings (past the warn threshold)",
            [c for c in self.checks if c.outcome == WARNING],
            limit,
        )
        section("Recorded by the source observations", self.source_notes(), 3)
        lines.append("")
        if full_table is not None:
            lines.append(f"Every asset and check: {full_table}")
        if self.log_file is not None:
            lines.append(f"Dagster's log of the run: {self.log_file}")
        lines.append(
            "Next: leo-assets ui, then http://127.0.0.1:3000/asset-groups~group:%22marts%22/ "
            "(the marts, their checks, columns and pictures; README: what the colours mean)"
        )
        lines.append(
            "      leo-assets export-outputs (the disclosure-safe tables for output checking)"
        )
        return "\n".join(lines)


def _short(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


class _Progress(logging.Handler):
    """Dagster's log records of a run -> a progress bar of assets built (and a debug log file)."""

    def __init__(self, bar) -> None:
        super().__init__(logging.DEBUG)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.bar.set_postfix_str(event.step_key or "", refresh=True)
        elif kind in ("ASSET_MATERIALIZATION", "ASSET_OBSERVATION"):
            self.bar.update(1)
        elif kind == "STEP_FAILURE":
            self.bar.write(f"  failed: {event.step_key}")


def _logger_def(handlers: list[logging.Handler]) -> dg.LoggerDefinition:
    # Dagster may create the logger more than once in a run: the handlers are made once, outside
    @dg.logger(description="leo-assets command line: debug log to a file, progress bar on stderr")
    def leo_cli(_init_context) -> logging.Logger:
        log = logging.getLogger(f"leo_assets.run.{id(handlers)}")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.handlers[:] = handlers
        return log

    return leo_cli


def run_build(
    defs: dg.Definitions,
    keys: set[dg.AssetKey],
    instance: dg.DagsterInstance,
    progress: bool = False,
    log_file: Path | None = None,
) -> BuildSummary:
    """Materialise (or observe) ``keys`` and their checks in one in-process run.

    ``progress``: a progress bar of assets on stderr; ``log_file``: Dagster's event log of the
    run (DEBUG and up) goes there instead of the console.
    """
    from tqdm import tqdm

    job = defs.resolve_job_def("build_all")
    bar = tqdm(total=len(keys), desc="build", unit="asset", disable=not progress, file=sys.stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    run_config = None
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.write_text("", encoding="utf-8")
        # append mode: Dagster closes its loggers' handlers between phases; "a" reopens, "w" not
        handlers.append(logging.FileHandler(log_file, mode="a", encoding="utf-8", delay=True))
        handlers[-1].setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    if progress:
        handlers.append(_Progress(bar))
    if handlers:
        job = job.with_logger_defs({"leo_cli": _logger_def(handlers)})
        run_config = {"loggers": {"leo_cli": {}}}  # instead of Dagster's console logger
    started = time.monotonic()
    try:
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
            raise_on_error=False,
        )
    finally:
        bar.close()
        for handler in handlers:
            handler.close()
    summary = BuildSummary(
        success=result.success, seconds=time.monotonic() - started, log_file=log_file
    )
    materialized = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        rows = mat.metadata.get("dagster/row_count")
        materialized[mat.asset_key] = str(rows.value) if rows is not None else ""
    observed = set()
    source_warnings: list[CheckLine] = []
    for e in result.get_asset_observation_events():
        observation = e.asset_observation_data.asset_observation
        observed.add(observation.asset_key)
        recorded = observation.metadata.get("warnings")
        for text in (recorded.value if recorded is not None else None) or []:
            row = CheckLine(observation.asset_key.to_user_string(), "source", NOTE, text)
            if row not in source_warnings:
                source_warnings.append(row)
    for key in sorted(keys, key=lambda k: k.to_user_string()):
        if key in materialized:
            summary.assets.append((key.to_user_string(), "built", materialized[key]))
        elif key in observed:
            summary.assets.append((key.to_user_string(), "observed", ""))
        else:
            summary.assets.append((key.to_user_string(), "FAILED or skipped", ""))
    summary.checks.extend(source_warnings)
    for ev in result.get_asset_check_evaluations():
        summary.checks.append(
            CheckLine(
                ev.asset_key.to_user_string(),
                ev.check_name,
                check_outcome(ev.passed, ev.severity.value, ev.blocking),
                ev.description or "",
            )
        )
    for event in result.all_events:
        if event.is_step_failure:
            err = event.step_failure_data.error
            message = (
                event.step_failure_data.user_failure_data.description
                if event.step_failure_data.user_failure_data
                else (err.message if err else "")
            )
            summary.checks.append(
                CheckLine(
                    event.step_key or "", "step failed", BLOCKING, (message or "").strip()[:300]
                )
            )
    return summary
