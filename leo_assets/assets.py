"""The only asset factory: every SQL file (and reference table) becomes one Dagster asset.

* Asset key ``[layer, name]``; group = the layer (``staging``, ``marts``...); the sub-folder
  (``fe``, ``quality``...) is the tag ``domain``.
* ``code_version`` = hash of the normalised SQL, header, checks and the settings the file uses.
* Error-severity checks run on the new table *before* it is swapped in (blocking check specs of
  the asset); warn-severity checks are separate asset checks, re-runnable on their own.
* Sources are observable: an observation fingerprints every view of a source, so its data
  version moves exactly when its content does.
* Every SQL asset carries the ``stale_closure`` automation condition: after a SQL edit (and a
  reload) or a changed source, the ``rebuild_stale_assets`` sensor launches one run with the
  edited or changed assets and everything downstream of them, and nothing else.
"""

from typing import Any

import dagster as dg

from leo_assets.checks import CheckOutcome, run_check
from leo_assets.resources import (
    BlockingChecksFailed,
    BuildError,
    SourceViewError,
    WorkspaceDatabase,
    redact,
    type_family,
)
from leo_assets.settings import SettingsError
from leo_assets.sqlproject.check_sql import CheckSpec, check_specs
from leo_assets.sqlproject.compile import compile_select
from leo_assets.sqlproject.loader import SqlModel, SqlProject

SOURCE_PREFIX = "source"

STALE_CLOSURE = (
    (
        dg.AutomationCondition.code_version_changed() | dg.AutomationCondition.any_deps_updated()
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("stale_closure")


def model_key(model: SqlModel) -> dg.AssetKey:
    return dg.AssetKey([model.layer, model.name])


def source_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([SOURCE_PREFIX, source])


def describe_model(model: SqlModel) -> str:
    text = model.header.description
    if model.header.grain:
        text += f"\n\n**Grain:** {', '.join(model.header.grain)}"
    if model.source_deps:
        text += f"\n\n**Sources:** {', '.join(sorted(model.source_deps))}"
    return text


def _check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    severity = (
        dg.AssetCheckSeverity.ERROR
        if outcome.spec.severity == "error"
        else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(
        asset_key=None,
        check_name=outcome.spec.name,
        passed=outcome.passed,
        severity=severity,
        metadata=outcome.metadata(),
        description=outcome.summary(),
    )


def _column_schema(db: WorkspaceDatabase, model: SqlModel) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name, type=str(typ), description=model.column_descriptions.get(name)
            )
            for name, typ in db.columns(model.name)
        ]
    )


def materialize_model(
    project: SqlProject, model: SqlModel, db: WorkspaceDatabase, log: Any = None
) -> tuple[dict[str, Any], list[CheckOutcome]]:
    """Build one model into the workspace, gated by its error checks. Returns metadata and
    outcomes."""
    specs = check_specs(project, model)
    gate_specs = [s for s in specs if s.blocking]
    outcomes: list[CheckOutcome] = []
    warnings: list[str] = []
    missing_optional: set = set()
    for source in sorted(model.source_deps):
        missing, source_warnings = db.verify_sources(project.catalog, source.split(".", 1)[1])
        missing_optional |= missing
        warnings += source_warnings

    def gate(new_name: str) -> None:
        outcomes.clear()
        totals: dict[str, int] = {}
        for spec in gate_specs:
            outcomes.append(run_check(project, db, spec, new_name, totals))
        failed = [o for o in outcomes if not o.passed]
        if failed:
            raise BlockingChecksFailed(
                f"{model.name}: blocking check(s) failed, previous table kept: "
                + "; ".join(o.summary() for o in failed),
                list(outcomes),
            )

    if model.is_seed:
        info = db.load_seed(model.name, model.seed_columns, model.seed_rows, gate)
        sql_ran = f"-- {len(model.seed_rows)} rows of {model.path.name}"
    else:
        select_sql = compile_select(
            project, model, db.dialect, missing_optional=frozenset(missing_optional)
        )
        info = db.build_relation(
            model.name, select_sql, model.materialize, gate, model.header.indexes
        )
        sql_ran = ";\n".join(info["statements"])
    if log is not None:
        for w in warnings:
            log.warning(w)
    row_count = int(db.scalar(f"SELECT COUNT(*) FROM {db.target(model.name).sql(db.dialect)}"))
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "dagster/table_name": dg.MetadataValue.text(f"{db.workspace_schema}.{model.name}"),
        "dagster/column_schema": dg.MetadataValue.table_schema(_column_schema(db, model)),
        "materialized_as": dg.MetadataValue.text(
            model.materialize if not model.is_seed else "table"
        ),
        "build_seconds": dg.MetadataValue.float(info["seconds"]),
        "sql": dg.MetadataValue.md(f"```sql\n{sql_ran}\n```"),
        "sql_file": dg.MetadataValue.path(str(model.path.relative_to(project.sql_dir.parent))),
        "source_warnings": dg.MetadataValue.json(warnings),
    }
    return metadata, list(outcomes)


def build_model_asset(project: SqlProject, model: SqlModel, backend: str) -> dg.AssetsDefinition:
    key = model_key(model)
    gate_specs = [s for s in check_specs(project, model) if s.blocking]
    deps = [model_key(project.models[d]) for d in sorted(model.model_deps)]
    deps += [source_key(s.split(".", 1)[1]) for s in sorted(model.source_deps)]

    @dg.asset(
        key=key,
        description=describe_model(model),
        # a handful of groups, one per layer (sources, staging, intermediate, marts, outputs,
        # reference); the research domain (the sub-folder: fe, school, quality...) is a tag
        group_name=model.layer,
        code_version=model.code_version,
        deps=deps,
        kinds={"sql", backend},
        tags={"layer": model.layer}
        | ({"domain": model.group.split("_", 1)[1]} if "_" in model.group else {}),
        metadata={"grain": ", ".join(model.header.grain), "materialization": model.materialize},
        check_specs=[
            dg.AssetCheckSpec(name=s.name, asset=key, description=s.description, blocking=True)
            for s in gate_specs
        ],
        automation_condition=STALE_CLOSURE,
    )
    def _asset(context: dg.AssetExecutionContext, workspace: WorkspaceDatabase):
        try:
            metadata, outcomes = materialize_model(project, model, workspace, context.log)
        except BlockingChecksFailed as exc:
            # record every blocking check's result, then fail: the previous table stays in place
            for outcome in exc.outcomes:
                yield _check_result(outcome)
            raise dg.Failure(description=redact(str(exc))) from None
        except (BuildError, SourceViewError, SettingsError) as exc:
            raise dg.Failure(description=redact(str(exc))) from None
        yield dg.MaterializeResult(
            metadata=metadata, check_results=[_check_result(o) for o in outcomes]
        )

    return _asset


def build_warn_checks(project: SqlProject, model: SqlModel) -> dg.AssetChecksDefinition | None:
    specs: list[CheckSpec] = [s for s in check_specs(project, model) if not s.blocking]
    if not specs:
        return None
    key = model_key(model)

    @dg.multi_asset_check(
        name=f"{model.name}__warn_checks",
        specs=[
            dg.AssetCheckSpec(name=s.name, asset=key, description=s.description, blocking=False)
            for s in specs
        ],
        can_subset=True,
    )
    def _checks(context: dg.AssetCheckExecutionContext, workspace: WorkspaceDatabase):
        totals: dict[str, int] = {}  # the model's row count, counted once for all its checks
        for spec in specs:
            if dg.AssetCheckKey(key, spec.name) not in context.selected_asset_check_keys:
                continue
            outcome = run_check(project, workspace, spec, totals=totals)
            result = _check_result(outcome)
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=result.check_name,
                passed=result.passed,
                severity=result.severity,
                metadata=result.metadata,
                description=result.description,
            )

    return _checks


def _source_schema(decl) -> dg.TableSchema:
    """A source's logical columns (as the staging SQL reads them), declared in sql/sources/*.yml."""
    described = {c.name: c.description for c in decl.columns}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=str(typ), description=described.get(name) or None)
            for name, typ in decl.logical_columns()
        ]
    )


def reference_date_warning(reference: str, last_dates: dict[str, str]) -> str:
    latest = max(last_dates.values())
    years = f"{min(last_dates.values())[:4]}-{latest[:4]}"
    return (
        f"setting 'reference_date': {reference} is after the last date any source holds "
        f"({latest}; the sources end in {years}): open spells are censored at a date the data "
        "do not reach"
    )


def build_source_observer(project: SqlProject, backend: str) -> dg.AssetsDefinition:
    decls = project.catalog.decls
    specs = [
        dg.AssetSpec(
            source_key(name),
            group_name="sources",
            description=f"{decl.description}\n\n**Read as:** `{decl.reference}`; "
            f"{len(project.catalog.views(name))} physical view(s) under these settings.",
            kinds={backend},
            metadata={
                "views": ", ".join(v.view for v in project.catalog.views(name))[:2000],
                "dagster/column_schema": _source_schema(decl),
            },
        )
        for name, decl in sorted(decls.items())
    ]

    dated = {
        name
        for name, decl in decls.items()
        if project.catalog.views(name) and any(type_family(c.type) == "date" for c in decl.columns)
    }

    @dg.multi_observable_source_asset(specs=specs, name="observe_sources", can_subset=True)
    def observe_sources(context: dg.AssetExecutionContext, workspace: WorkspaceDatabase):
        observed = []
        for spec in specs:
            if spec.key not in context.selected_asset_keys:
                continue
            name = spec.key.path[-1]
            try:
                _missing, warnings = workspace.verify_sources(project.catalog, name)
                rows, digest = workspace.fingerprint(project.catalog, name)
                first, last = workspace.last_dates(project.catalog, name)
            except (BuildError, SourceViewError, SettingsError) as exc:
                raise dg.Failure(description=redact(str(exc))) from None
            observed.append((spec.key, name, rows, digest, warnings, first, last))
        # settings checked against the data, once every dated source has been seen: a reference
        # date after the last date any source holds is recorded as a warning on every source
        last_dates = {name: last for _k, name, *_rest, last in observed if last is not None}
        reference = project.catalog.settings.reference_date.isoformat()
        late = (
            reference_date_warning(reference, last_dates)
            if last_dates
            and dated <= {name for _k, name, *_rest in observed}
            and reference > max(last_dates.values())
            else None
        )
        for key, name, rows, digest, warnings, first, last in observed:
            if late and name in dated:
                warnings = [*warnings, late]
            for w in warnings:
                context.log.warning(w)
            yield dg.ObserveResult(
                asset_key=key,
                data_version=dg.DataVersion(digest),
                metadata={
                    "dagster/row_count": dg.MetadataValue.int(rows),
                    "views": dg.MetadataValue.int(len(project.catalog.views(name))),
                    "fingerprint": dg.MetadataValue.text(digest),
                    "warnings": dg.MetadataValue.json(warnings),
                    "first_date": dg.MetadataValue.text(first or ""),
                    "last_date": dg.MetadataValue.text(last or ""),
                },
            )

    return observe_sources
