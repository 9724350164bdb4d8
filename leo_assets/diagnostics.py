"""Match-quality diagnostics (derivations.md 26.4): registry, thresholds, and the Dagster checks.

LEO's person matching was done in government and cannot be redone; these diagnostics say, per
cohort, how far to trust it. The numbers are computed in SQL, in three files of the project:

* ``sql/intermediate/quality/int_quality__*.sql``: per person, the modal birth year/month and sexes
  of their census and KS4 records (approximate birth date = the 15th of the modal month); per
  person and record-consistency diagnostic (CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2,
  BE-4, ER-4), the records examined and offending (``int_quality__person_checks``); the
  record-level diagnostics' counts
  (``int_quality__record_counts``: BE-3, BE-5, SP-1, SP-2, HE-4, EM-3, NC-1, NC-2); the
  measurements of the person diagnostics (``int_quality__person_measures``), of PL-5
  (``int_quality__link_measures``) and of PL-7 by year, PL-8 and PL-10
  (``int_quality__linkage_record_counts``);
* ``sql/marts/match_flags.sql``: one row per person and flag tripped, with the evidence, so that
  analyses can exclude or weight flagged people;
* ``sql/marts/match_quality_summary.sql``: every diagnostic's numerator, denominator, rate,
  thresholds and status, overall and per KS4 cohort (PL-5 also per subgroup, PL-7 per HESA year,
  PL-8 per academic year, the record-level diagnostics by table, benefit code, HESA or tax year),
  in one table; the person diagnostics of ``int_quality__person_checks`` also as a flagged-event
  share (measure ``flagged_events``).

The registry (ids, families, assets, check names, what is counted, default thresholds and
severities) is reference data, ``sql/reference/ref_match_quality.csv``: the loader makes it table
``ref_match_quality`` with setting ``match_quality`` applied (validated in
:mod:`leo_assets.settings`), so the status in the summary table is the status the checks report,
and changing a threshold changes the table's code version. :data:`DIAGNOSTICS` is the same file.

Each diagnostic is one non-blocking Dagster asset check on the asset it concerns (PL-1 on
``person_lookup``, CD-1 on ``school_spells``...), evaluated by one multi-asset check that reads
``match_quality_summary`` once (an additional dependency: in a run that builds the summary, the
checks run after it). A check warns above ``warn`` and escalates to ERROR severity above
``error``; it never blocks a build (a linkage problem is for the researcher to weigh, not a
reason to keep yesterday's table). Metadata: counts, rates and thresholds only, overall and per
cohort; never an identifier or a personal attribute.

Settings (``match_quality`` in ``leo_settings.yml``), by diagnostic id, each key optional::

    match_quality:
      PL-1: {warn: 0.05, error: 0.12}
      PL-5: {warn: 0.85, gap_warn: 0.08, min_n: 50}
      CD-4: {severity: warn}           # never escalate to ERROR

``warn``/``error``: rate thresholds (for PL-5, a *minimum* link rate; for PL-8, the largest
tolerated
change of the unlinked share from one academic year to the next); ``error: null`` = never
ERROR; report diagnostics (BE-3, HE-4, EM-3) have no default thresholds: their rates are reported
(status ``report``) until a ``warn`` threshold is set; ``severity``: ``error`` (default) or ``warn``
(the highest severity the check may reach);
PL-5 only: ``gap_warn`` (largest tolerated gap between a subgroup's and its cohort's link rate)
and ``min_n`` (smallest subgroup whose gap is judged); PL-8: ``min_n`` (smallest academic year,
in ILR learner records, whose change from the previous year is judged; both years must reach it).
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg
from sqlalchemy import text

from leo_assets.assets import model_key
from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import match_quality_registry

SUMMARY_MODEL = "match_quality_summary"


@dataclass(frozen=True)
class Diagnostic:
    id: str
    asset: str  # the model the check is attached to
    name: str  # check name (Dagster identifier)
    title: str
    unit: str  # what the denominator counts
    direction: str  # max: a high rate is bad; min: a low rate is bad
    warn: float | None  # default thresholds (setting match_quality may override them)
    error: float | None
    signal: str  # what a hit suggests
    family: str
    judged_on: str  # rate, or change (of the rate from the previous academic year: PL-8)

    @property
    def check_name(self) -> str:
        return self.name


DIAGNOSTICS: tuple[Diagnostic, ...] = tuple(
    Diagnostic(
        id=row["diagnostic_id"],
        asset=row["asset"],
        name=row["check_name"],
        title=row["title"],
        unit=row["unit"],
        direction=row["direction"],
        warn=row["threshold_warn"],
        error=row["threshold_error"],
        signal=row["signal"],
        family=row["family"],
        judged_on=row["judged_on"],
    )
    for row in match_quality_registry().values()
)
BY_ID = {d.id: d for d in DIAGNOSTICS}


# ------------------------------------------------------------------------------------------- checks
STATUS_ORDER = {"no_data": 0, "report": 0, "ok": 0, "warn": 1, "error": 2}
SUMMARY_COLUMNS = (
    "diagnostic_id",
    "measure",
    "ks4_year",
    "subgroup",
    "subgroup_value",
    "numerator",
    "denominator",
    "rate",
    "gap_from_cohort",
    "threshold_warn",
    "threshold_error",
    "status",
)


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return round(float(value), 6)


_SCOPE_COLUMNS = (
    (
        "status",
        "string",
        "ok, warn or error against the thresholds (report: not judged; no_data: empty)",
    ),
    ("measure", "string", "what is counted"),
    ("ks4_year", "string", "KS4 cohort, or all"),
    ("subgroup", "string", "breakdown, or all"),
    ("subgroup_value", "string", "value of the breakdown"),
    ("numerator", "int", "flagged (or linked) units"),
    ("denominator", "int", "units examined"),
    ("rate", "float", "numerator / denominator"),
    ("gap_from_cohort", "float", "subgroup rate minus its cohort's rate (PL-5)"),
)


def _table(rows: list[dict[str, Any]]) -> dg.TableMetadataValue:
    """The summary's rows of one diagnostic as a Dagster table, the worst scopes first."""
    ordered = sorted(rows, key=lambda r: -STATUS_ORDER.get(r["status"], 0))
    records = [
        dg.TableRecord(
            {
                c: (
                    None
                    if r[c] is None
                    else _num(r[c])
                    if t == "float"
                    else int(r[c])
                    if t == "int"
                    else str(r[c])
                )
                for c, t, _ in _SCOPE_COLUMNS
            }
        )
        for r in ordered
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(c, t, description=d) for c, t, d in _SCOPE_COLUMNS]
    )
    return dg.MetadataValue.table(records, schema)


def _scope(row: dict[str, Any]) -> str:
    parts = []
    if row["ks4_year"] != "all":
        parts.append(f"KS4 cohort {row['ks4_year']}")
    if row["subgroup"] != "all":
        parts.append(f"{row['subgroup']} {row['subgroup_value']}")
    if row["measure"] not in ("flagged", "leo_link"):
        parts.append(f"measure {row['measure']}")
    return ", ".join(parts) or "overall"


def _threshold_words(diag: Diagnostic, row: dict[str, Any], level: str) -> str:
    value = row.get(f"threshold_{level}")
    if value is None:
        return f"past its {level} threshold"
    if diag.judged_on == "change":
        return f"changed by more than the {level} threshold {float(value):.2%}"
    side = "below" if diag.direction == "min" else "above"
    return f"{side} the {level} threshold {float(value):.2%}"


def evaluate(diag: Diagnostic, rows: list[dict[str, Any]]) -> tuple[bool, str, dict[str, Any], str]:
    """(passed, severity 'warn'/'error', metadata, description) of one diagnostic from its rows.

    Every scope (overall, each cohort, each subgroup) is judged against the thresholds: the
    diagnostic passes when every scope is within them, is a warning when the worst scope is past
    ``warn`` and an error when past ``error`` (``severity: warn`` caps it at a warning). The
    description says which, in words, naming the worst scope.
    """
    headline = [r for r in rows if r["measure"] == "flagged" or r["measure"] == "leo_link"]
    overall = next((r for r in headline if r["ks4_year"] == "all" and r["subgroup"] == "all"), None)
    worst = max((STATUS_ORDER.get(r["status"], 0) for r in rows), default=0)
    md: dict[str, Any] = {}
    if overall is not None:
        md.update(
            {
                "numerator": int(overall["numerator"]),
                "denominator": int(overall["denominator"]),
                "rate": _num(overall["rate"]) if overall["rate"] is not None else 0.0,
                "threshold_warn": _num(overall["threshold_warn"]),
                "threshold_error": _num(overall["threshold_error"]),
                "status": overall["status"],
            }
        )
    for r in headline:
        if r["ks4_year"] != "all" and r["subgroup"] == "all":
            md[f"rate_{r['ks4_year']}"] = _num(r["rate"]) if r["rate"] is not None else 0.0
            md[f"numerator_{r['ks4_year']}"] = int(r["numerator"])
            md[f"denominator_{r['ks4_year']}"] = int(r["denominator"])
    md["unit"] = diag.unit
    md["direction"] = (
        "rate must stay at or above the thresholds"
        if diag.direction == "min"
        else "rate must stay at or below the thresholds"
    )
    if diag.judged_on == "change":
        md["direction"] = (
            "rate reported; its change from the previous year must stay within the thresholds"
        )
    elif overall is not None and overall["threshold_warn"] is None:
        md["direction"] = "rate reported, not judged (no warn threshold set)"
    md["by_scope"] = _table(rows)
    md = {k: v for k, v in md.items() if v is not None}
    severity = "error" if worst == 2 else "warn"
    passed = worst == 0
    if overall is None:
        return passed, severity, md, f"{diag.id} {diag.title}: no rows in {SUMMARY_MODEL}"
    rate = float(overall["rate"] or 0)
    description = (
        f"{diag.id} {diag.title}: {int(overall['numerator'])} of {int(overall['denominator'])} "
        f"{diag.unit} ({rate:.2%})"
    )
    if overall["status"] == "report":
        description += "; reported, not judged (no threshold set)"
    if passed:
        if overall["status"] != "report":
            description += "; every scope within the thresholds: passed"
        return passed, severity, md, description
    level = "error" if worst == 2 else "warn"
    offending = [r for r in rows if STATUS_ORDER.get(r["status"], 0) == worst]
    first = offending[0]
    first_rate = "" if first["rate"] is None else f" at {float(first['rate']):.2%}"
    if first is overall:
        where = f"overall{first_rate}, {_threshold_words(diag, first, level)}"
    else:
        where = f"{_scope(first)}{first_rate}, {_threshold_words(diag, first, level)}"
        if overall["status"] in ("ok", "report"):
            where += " (overall within)"
    more = f", and {len(offending) - 1} more scope(s)" if len(offending) > 1 else ""
    verdict = "ERROR" if worst == 2 else "WARNING"
    description += f"; {verdict}: {where}{more} (table by_scope)"
    return passed, severity, md, description


def read_summary(db, project=None) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``match_quality_summary`` grouped by diagnostic id."""
    table = db.target(SUMMARY_MODEL).sql(db.dialect)
    q = '"' if db.dialect != "tsql" else ""
    cols = ", ".join(f"{q}{c}{q}" if q else f"[{c}]" for c in SUMMARY_COLUMNS)
    with db.connect() as conn:
        result = conn.execute(text(f"SELECT {cols} FROM {table}"))
        rows = [dict(zip(SUMMARY_COLUMNS, row)) for row in result.fetchall()]
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(
        rows,
        key=lambda r: (
            r["diagnostic_id"],
            r["measure"],
            r["ks4_year"],
            r["subgroup"],
            r["subgroup_value"],
        ),
    ):
        out.setdefault(row["diagnostic_id"], []).append(row)
    return out


def build_diagnostic_checks(project):
    """One multi-asset check evaluating every diagnostic on the asset it concerns (None without the
    summary)."""
    if SUMMARY_MODEL not in project.models:
        return None
    summary_key = model_key(project.models[SUMMARY_MODEL])
    present = [d for d in DIAGNOSTICS if d.asset in project.models]
    specs = {
        d.id: dg.AssetCheckSpec(
            name=d.check_name,
            asset=model_key(project.models[d.asset]),
            blocking=False,
            additional_deps=[summary_key],
            description=(
                f"{d.id} (derivations 26.4): {d.title}. Signal: {d.signal}. From {SUMMARY_MODEL}."
            ),
        )
        for d in present
    }

    @dg.multi_asset_check(
        name="match_quality_diagnostics", specs=list(specs.values()), can_subset=True
    )
    def _diagnostics(context: dg.AssetCheckExecutionContext, workspace: WorkspaceDatabase):
        # a run that builds a table but not the summary (e.g. `build +ks4_cohort`) selects these
        # checks too: without a summary they yield no result (Skipped in the UI), not a failure
        summary = read_summary(workspace) if workspace.relation_kind(SUMMARY_MODEL) else None
        for diag in present:
            spec = specs[diag.id]
            key = dg.AssetCheckKey(spec.asset_key, spec.name)
            if key not in context.selected_asset_check_keys:
                continue
            if summary is None:
                # no result: Dagster shows the check as Skipped (grey), not as a warning
                context.log.info(
                    f"{diag.id} not evaluated: {SUMMARY_MODEL} has not been built "
                    "(build it to diagnose)"
                )
                continue
            passed, severity, md, description = evaluate(diag, summary.get(diag.id, []))
            yield dg.AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=passed,
                severity=dg.AssetCheckSeverity.ERROR
                if severity == "error"
                else dg.AssetCheckSeverity.WARN,
                metadata=md,
                description=description,
            )

    return _diagnostics
