"""Running builds outside the UI: selections, the stale closure, and a summary of the result.

The command line and the tests use these; the UI reaches the same assets through Dagster.
Runs are recorded in the Dagster instance of ``$DAGSTER_HOME`` (``dagster_home/`` by default),
so a build from the command line shows in the UI as any other run.
"""

import os
import shutil
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


@dataclass
class BuildSummary:
    success: bool
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # key, status, rows
    checks: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # asset, check, severity, result, detail

    def failed_error_checks(self) -> list[tuple[str, str, str, str, str]]:
        return [c for c in self.checks if c[2] == "ERROR" and c[3] == "FAILED"]

    def row_accounting(self) -> list[str]:
        """One line per staging view that removed duplicates or set aside / changed rows."""
        return [
            f"warning: {detail}"
            for _asset, check, _severity, result, detail in self.checks
            if (check in ("source_duplicates", "row_issues") and result == "FAILED")
            or (check == "source" and result == "recorded")
        ]

    def table(self) -> str:
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
                    self.checks,
                    headers=["asset", "check", "severity", "result", "detail"],
                    tablefmt="github",
                )
            )
        return "\n\n".join(parts)


def run_build(
    defs: dg.Definitions, keys: set[dg.AssetKey], instance: dg.DagsterInstance
) -> BuildSummary:
    """Materialise (or observe) ``keys`` and their checks in one in-process run."""
    job = defs.resolve_job_def("build_all")
    result = job.execute_in_process(
        instance=instance,
        asset_selection=sorted(keys, key=lambda k: k.to_user_string()),
        raise_on_error=False,
    )
    summary = BuildSummary(success=result.success)
    materialized = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        rows = mat.metadata.get("dagster/row_count")
        materialized[mat.asset_key] = str(rows.value) if rows is not None else ""
    observed = set()
    source_warnings: list[tuple[str, str, str, str, str]] = []
    for e in result.get_asset_observation_events():
        observation = e.asset_observation_data.asset_observation
        observed.add(observation.asset_key)
        recorded = observation.metadata.get("warnings")
        for text in (recorded.value if recorded is not None else None) or []:
            row = (observation.asset_key.to_user_string(), "source", "WARN", "recorded", text)
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
        detail = ev.description or ""
        # a non-blocking check escalated to ERROR (match-quality diagnostics) does not fail the
        # build
        severity = (
            ev.severity.value
            if ev.blocking is not False or ev.severity.value != "ERROR"
            else "ERROR (non-blocking)"
        )
        summary.checks.append(
            (
                ev.asset_key.to_user_string(),
                ev.check_name,
                severity,
                "passed" if ev.passed else "FAILED",
                detail,
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
                (
                    event.step_key or "",
                    "step failed",
                    "ERROR",
                    "FAILED",
                    (message or "").strip()[:300],
                )
            )
    return summary
