"""Match-quality diagnostics (derivations.md 26.4): registry, thresholds, and the Dagster checks.

LEO's person matching was done in government and cannot be redone; these diagnostics say, per
cohort, how far to trust it. The numbers are computed in SQL, in three files of the project:

* ``sql/intermediate/quality/int_quality__*.sql``: per person, the modal birth year/month and sexes
  of their census and KS4 records (approximate birth date = the 15th of the modal month); per
  person and record-consistency diagnostic (CD-2, CD-5, CD-6, IL-2, IL-4, IL-6, HE-2, HE-3, BE-2,
  BE-4, ER-4), the records examined and offending (``int_quality__person_checks``); the
  record-level diagnostics' counts
  (``int_quality__record_counts``: BE-3, BE-5, SP-1, SP-2, HE-4, EM-3, NC-1, NC-2);
* ``sql/marts/match_flags.sql``: one row per person and flag tripped, with the evidence, so that
  analyses can exclude or weight flagged people;
* ``sql/marts/match_quality_summary.sql``: every diagnostic's numerator, denominator, rate,
  thresholds and status, overall and per KS4 cohort (PL-5 also per subgroup, PL-7 per HESA year,
  PL-8 per academic year, the record-level diagnostics by table, benefit code, HESA or tax year),
  in one table; the person diagnostics of ``int_quality__person_checks`` also as a flagged-event
  share (measure ``flagged_events``).

Thresholds reach the SQL as the reference table ``ref_match_quality`` (``sql/reference/_reference.yml``,
``rows_from_setting: match_quality_thresholds``: a derived property of :class:`Settings` built from
:data:`DIAGNOSTICS` and the ``match_quality`` setting), so the status in the summary table is the
status the checks report, and changing a threshold changes the table's code version.

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

``warn``/``error``: rate thresholds (for PL-5, a *minimum* link rate; for PL-8, the largest tolerated
change of the unlinked share from one academic year to the next); ``error: null`` = never
ERROR; report diagnostics (BE-3, HE-4, EM-3) have no default thresholds: their rates are reported
(status ``report``) until a ``warn`` threshold is set; ``severity``: ``error`` (default) or ``warn`` (the highest severity the check may reach);
PL-5 only: ``gap_warn`` (largest tolerated gap between a subgroup's and its cohort's link rate)
and ``min_n`` (smallest subgroup whose gap is judged); PL-8: ``min_n`` (smallest academic year,
in ILR learner records, whose change from the previous year is judged; both years must reach it).
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg

SUMMARY_MODEL = "match_quality_summary"
SETTING = "match_quality"


@dataclass(frozen=True)
class Diagnostic:
    id: str
    asset: str  # the model the check is attached to
    name: str  # check name (Dagster identifier)
    title: str
    unit: str  # what the denominator counts
    direction: str  # max: a high rate is bad; min: a low rate is bad
    warn: float | None
    error: float | None
    signal: str  # what a hit suggests

    @property
    def check_name(self) -> str:
        return self.name


DIAGNOSTICS: tuple[Diagnostic, ...] = (
    Diagnostic(
        "PL-1",
        "person_lookup",
        "mq_pl_1_several_pmrs",
        "linked persons (ae_ids) with 2 or more PMRs",
        "linked persons",
        "max",
        0.03,
        0.10,
        "merged NPD records: a repaired split or an over-match",
    ),
    Diagnostic(
        "PL-2",
        "person_lookup",
        "mq_pl_2_several_edukeys",
        "linked persons (ae_ids) with 2 or more EduKeys",
        "linked persons",
        "max",
        0.01,
        0.05,
        "duplicate DWP/HMRC records or an over-match",
    ),
    Diagnostic(
        "PL-3",
        "person_identifier",
        "mq_pl_3_identifier_conflicts",
        "PMRs, EduKeys and ILR records linked to 2 or more ae_ids",
        "linked identifiers",
        "max",
        0.0,
        0.0,
        "identity conflict in LEO's lookups (hard: 0 expected)",
    ),
    Diagnostic(
        "PL-4",
        "person_lookup",
        "mq_pl_4_pmrs_disagree",
        "persons with 2+ PMRs whose PMRs' records disagree on sex or on birth year and month",
        "persons with 2+ PMRs with records",
        "max",
        0.05,
        0.15,
        "over-match of two pupils",
    ),
    Diagnostic(
        "PL-5",
        "ks4_cohort",
        "mq_pl_5_link_rates",
        "KS4 pupils linked to LEO (ae_id); also to PAYE, benefits, ILR, HESA and NCCIS, by subgroup",
        "KS4 pupils",
        "min",
        0.90,
        None,
        "non-matching and linkage bias",
    ),
    Diagnostic(
        "PL-6",
        "person_identifier",
        "mq_pl_6_orphan_edukeys",
        "EduKeys in outcome views absent from the EduKey lookup",
        "EduKeys in sources",
        "max",
        0.0,
        0.001,
        "orphan outcomes or a lookup version mismatch",
    ),
    Diagnostic(
        "PL-7",
        "he_spells",
        "mq_pl_7_he_only_persons",
        "persons with a HESA PMR who are neither linked to LEO nor in any School Census record (HE-only)",
        "persons with a HESA PMR",
        "max",
        0.05,
        None,
        "under-match of HESA PMRs, or independent-school pupils (never in the School Census)",
    ),
    Diagnostic(
        "PL-8",
        "fe_spells",
        "mq_pl_8_unlinked_ilr_records",
        "ILR learner records without an ae_id link, by academic year (reported; judged on the year-on-year change)",
        "ILR learner records",
        "max",
        0.03,
        None,
        "ILR under-matching; a jump between years, a change in matching or delivery",
    ),
    Diagnostic(
        "PL-10",
        "person_identifier",
        "mq_pl_10_recordid_conformity",
        "recordids with 2+ rows in education_records_lookup; also ILR learner recordids with a non-ILR lookup row",
        "recordids in education_records_lookup",
        "max",
        0.0,
        0.0,
        "false ILR links: recordid not unique, or ILR learners matched to another dataset's record (hard: 0)",
    ),
    Diagnostic(
        "PL-11",
        "person_lookup",
        "mq_pl_11_outcome_only_persons",
        "linked persons (ae_ids) with an EduKey but no PMR and no ILR record (not in 26.4)",
        "linked persons",
        "max",
        0.01,
        0.05,
        "under-match: one person split over two ae_ids, the second holding only outcomes",
    ),
    Diagnostic(
        "CD-1",
        "school_spells",
        "mq_cd_1_two_schools_at_once",
        "persons with overlapping single-registration spells at two schools (overlap over 183 days)",
        "persons with school spells",
        "max",
        0.001,
        0.005,
        "over-match or NPD duplicate",
    ),
    Diagnostic(
        "CD-2",
        "school_spells",
        "mq_cd_2_two_pmrs_in_one_term",
        "persons with main census records under 2 or more of their PMRs in one term at one school",
        "persons with census records",
        "max",
        0.002,
        None,
        "merged duplicate NPD records, or twins over-matched",
    ),
    Diagnostic(
        "CD-3",
        "person_lookup",
        "mq_cd_3_birth_year_conflict",
        "persons whose census/KS4 records give 2 or more academic years of birth",
        "persons with census or KS4 records",
        "max",
        0.005,
        None,
        "over-match or keying error",
    ),
    Diagnostic(
        "CD-4",
        "person_lookup",
        "mq_cd_4_sex_conflict",
        "persons recorded as both M and F",
        "persons with census or KS4 records",
        "max",
        0.005,
        None,
        "over-match (soft: sex can change)",
    ),
    Diagnostic(
        "CD-5",
        "school_spells",
        "mq_cd_5_nc_year_vs_age",
        "persons with a census NC year (1-13) more than a year from academic age - 4",
        "persons with numeric NC years and a birth date",
        "max",
        0.01,
        None,
        "mis-link (a year either way is a pupil held back or moved up)",
    ),
    Diagnostic(
        "CD-6",
        "school_spells",
        "mq_cd_6_impossible_census_age",
        "census records whose year and month of birth give no academic age, or one below 0 or above 25",
        "main census records",
        "max",
        0.0001,
        None,
        "keying error or mis-link (hard: every such person is listed in match_flags)",
    ),
    Diagnostic(
        "CO-1",
        "ks4_cohort",
        "mq_co_1_modal_cohort_share",
        "KS4 pupils whose modal cohort (academic year of birth + 16) holds under 80 % of their records",
        "KS4 pupils with census or KS4 records",
        "max",
        0.01,
        None,
        "over-match across cohorts",
    ),
    Diagnostic(
        "ER-1",
        "earnings",
        "mq_er_1_earnings_before_14",
        "persons with earnings in a tax year ending before age 14",
        "persons with earnings and a birth date",
        "max",
        0.001,
        0.01,
        "over-match",
    ),
    Diagnostic(
        "ER-4",
        "earnings",
        "mq_er_4_earnings_under_two_edukeys",
        "person tax years whose PAYE earnings come under 2 or more of the person's EduKeys",
        "person tax years with PAYE earnings",
        "max",
        0.005,
        None,
        "double counting, or an over-match",
    ),
    Diagnostic(
        "EM-1",
        "employment_spells",
        "mq_em_1_employment_before_14",
        "persons with an employment spell starting before age 14",
        "persons with employment and a birth date",
        "max",
        0.001,
        0.01,
        "over-match",
    ),
    Diagnostic(
        "EM-3",
        "employment_spells",
        "mq_em_3_uncertain_dates",
        "employment spells with a defaulted (uncertain) start or end; by tax year (reported)",
        "employment spells",
        "max",
        None,
        None,
        "default-date effects: 6 April starts, 5 April ends",
    ),
    Diagnostic(
        "BE-1",
        "benefit_spells",
        "mq_be_1_out_of_work_benefit_at_school_age",
        "persons with an out-of-work benefit starting before age 16",
        "persons with out-of-work benefits and a birth date",
        "max",
        0.0005,
        None,
        "over-match",
    ),
    Diagnostic(
        "BE-2",
        "benefit_spells",
        "mq_be_2_benefit_before_birth",
        "persons with a benefit spell starting before their month of birth",
        "persons with benefits and a birth date",
        "max",
        0.0,
        0.0,
        "over-match or keying error (hard: 0)",
    ),
    Diagnostic(
        "BE-3",
        "benefit_spells",
        "mq_be_3_source_flag_disagrees",
        "benefit spells whose source out-of-work flag disagrees with ref_benefit_types; by benefit code (reported)",
        "benefit spells with a classified code and a source flag",
        "max",
        None,
        None,
        "each disagreeing code needs a classification decision (derivations 27.5)",
    ),
    Diagnostic(
        "BE-4",
        "benefit_spells",
        "mq_be_4_out_of_work_benefit_at_school",
        "persons with an out-of-work benefit covering the census day of an on-roll census record at academic age 15 or below",
        "persons with out-of-work benefits and a birth date",
        "max",
        0.0005,
        None,
        "over-match",
    ),
    Diagnostic(
        "BE-5",
        "benefit_spells",
        "mq_be_5_unknown_benefit_codes",
        "benefit codes in the source absent from ref_benefit_types",
        "benefit codes in the source",
        "max",
        0.0,
        0.0,
        "a code the classification lacks: update ref_benefit_types (hard: 0)",
    ),
    Diagnostic(
        "IL-1",
        "fe_spells",
        "mq_il_1_fe_before_14",
        "persons with an FE aim starting before age 14",
        "persons with FE aims and a birth date",
        "max",
        0.005,
        None,
        "over-match",
    ),
    Diagnostic(
        "IL-2",
        "fe_spells",
        "mq_il_2_ilr_age_vs_census_age",
        "persons with an ILR learner record whose AcAge is more than a year from the census-derived academic age",
        "persons with ILR learner records and a birth date",
        "max",
        0.005,
        0.02,
        "over-match",
    ),
    Diagnostic(
        "IL-4",
        "fe_spells",
        "mq_il_4_more_than_3_providers",
        "persons with FE aims at more than 3 providers on one day",
        "persons with FE aims",
        "max",
        0.001,
        None,
        "over-match",
    ),
    Diagnostic(
        "IL-6",
        "fe_spells",
        "mq_il_6_fe_while_at_school",
        "persons with an FE aim covering the census day of an on-roll school registration at academic age 15 or below",
        "persons with FE aims and a birth date",
        "max",
        0.01,
        None,
        "soft over-match (schools buy some courses from colleges)",
    ),
    Diagnostic(
        "HE-1",
        "he_spells",
        "mq_he_1_he_before_16",
        "persons with an HE instance starting before age 16",
        "persons with HE instances and a birth date",
        "max",
        0.001,
        None,
        "over-match",
    ),
    Diagnostic(
        "HE-2",
        "he_spells",
        "mq_he_2_overlapping_full_time_he",
        "persons with two full-time HE instances overlapping by more than 30 days",
        "persons with full-time HE instances",
        "max",
        0.005,
        None,
        "over-match, or an instance reported twice",
    ),
    Diagnostic(
        "HE-3",
        "he_spells",
        "mq_he_3_full_time_he_at_school",
        "persons with full-time HE covering the census day of an on-roll census record at NC year 13 or below",
        "persons with full-time HE instances",
        "max",
        0.002,
        None,
        "over-match",
    ),
    Diagnostic(
        "HE-4",
        "he_spells",
        "mq_he_4_hesa_dates",
        "HESA records ending before they commence; also records without an end date; by HESA year (reported)",
        "HESA records with both dates",
        "max",
        None,
        None,
        "keying errors; open ends (D77)",
    ),
    Diagnostic(
        "NC-1",
        "nccis_spells",
        "mq_nc_1_unmapped_and_conflicting",
        "NCCIS returns with a code outside ref_nccis_activity; also person-months with conflicting categories",
        "non-duplicate NCCIS returns",
        "max",
        0.05,
        None,
        "code-list drift; conflicting returns",
    ),
    Diagnostic(
        "NC-2",
        "nccis_spells",
        "mq_nc_2_at_school_not_on_roll",
        "NCCIS person-months at school (110, 210) without an on-roll School Census record that term",
        "NCCIS person-months at school",
        "max",
        0.05,
        None,
        "NCCIS or census mis-link, or a gap in the census",
    ),
    Diagnostic(
        "SP-1",
        "activity_spells",
        "mq_sp_1_unmerged_spells",
        "spells overlapping or abutting an earlier spell of the same person and type after merging; by table",
        "spells of the merged spell tables",
        "max",
        0.0,
        0.0,
        "a merge defect (hard: 0)",
    ),
    Diagnostic(
        "SP-2",
        "metrics_monthly",
        "mq_sp_2_days_above_period",
        "person-months and person-years with an activity's days above the days of the period; by table",
        "person-months (metrics_monthly) and person-years (metrics_annual)",
        "max",
        0.0,
        0.0,
        "a clipping defect (hard: 0)",
    ),
)
BY_ID = {d.id: d for d in DIAGNOSTICS}
PL5_DEFAULTS = {"gap_warn": 0.05, "min_n": 30}
# judged on the change of the rate from the previous academic year (summary rows by subgroup academic_year),
# between two years of min_n records or more (below that, sampling noise alone exceeds a few points)
YEAR_ON_YEAR = ("PL-8",)
PL8_DEFAULTS = {"min_n": 500}
KEYS = {"warn", "error", "severity"}
SEVERITIES = ("warn", "error")


def _problem(msg: str) -> Exception:
    from leo_assets.settings import SettingsError

    return SettingsError(msg)


def _rate(value: Any, where: str, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _problem(
            f"setting '{where}': {value!r} is not a rate (a number from 0 to 1{', or null' if allow_none else ''})"
        )
    if not 0.0 <= float(value) <= 1.0:
        raise _problem(f"setting '{where}': {value!r} is not a rate between 0 and 1")
    return float(value)


def resolve(overrides: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Defaults merged with the ``match_quality`` setting; a bad id, key or value raises SettingsError."""
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise _problem(f"setting '{SETTING}': expected a mapping of diagnostic id to thresholds")
    out: dict[str, dict[str, Any]] = {}
    for diag in DIAGNOSTICS:
        out[diag.id] = {"warn": diag.warn, "error": diag.error, "severity": "error"}
        if diag.id == "PL-5":
            out[diag.id].update(PL5_DEFAULTS)
        if diag.id == "PL-8":
            out[diag.id].update(PL8_DEFAULTS)
    for key, body in overrides.items():
        where = f"{SETTING}.{key}"
        if key not in BY_ID:
            raise _problem(
                f"setting '{where}': unknown diagnostic {key!r}; known: {', '.join(BY_ID)}"
            )
        if not isinstance(body, dict):
            raise _problem(
                f"setting '{where}': expected a mapping such as {{warn: 0.03, error: 0.10}}, got {body!r}"
            )
        allowed = KEYS | (
            set(PL5_DEFAULTS) if key == "PL-5" else set(PL8_DEFAULTS) if key == "PL-8" else set()
        )
        for name, value in body.items():
            if name not in allowed:
                raise _problem(
                    f"setting '{where}.{name}': unknown key; known: {', '.join(sorted(allowed))}"
                )
            if name == "severity":
                if value not in SEVERITIES:
                    raise _problem(
                        f"setting '{where}.severity': {value!r} is not one of {', '.join(SEVERITIES)}"
                    )
                out[key]["severity"] = value
            elif name == "min_n":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise _problem(
                        f"setting '{where}.min_n': {value!r} is not a positive whole number"
                    )
                out[key]["min_n"] = value
            else:
                out[key][name] = _rate(value, f"{where}.{name}", allow_none=(name == "error"))
        resolved, diag = out[key], BY_ID[key]
        warn, error = resolved["warn"], resolved["error"]
        if warn is None and (diag.warn is not None or error is not None):
            raise _problem(f"setting '{where}.warn': a warn threshold is needed")
        if (
            error is not None
            and warn is not None
            and (
                (diag.direction == "max" and error < warn)
                or (diag.direction == "min" and error > warn)
            )
        ):
            side = "below" if diag.direction == "max" else "above"
            raise _problem(
                f"setting '{where}': error threshold {error} is {side} the warn threshold {warn}"
            )
    return out


def threshold_rows(overrides: dict[str, dict[str, Any]] | None) -> list[tuple[Any, ...]]:
    """Rows of ``ref_match_quality`` (see ``sql/reference/_reference.yml``)."""
    resolved = resolve(overrides)
    rows = []
    for diag in DIAGNOSTICS:
        r = resolved[diag.id]
        rows.append(
            (
                diag.id,
                diag.asset,
                diag.title,
                diag.unit,
                diag.direction,
                r["warn"],
                r["error"],
                r["severity"],
                r.get("gap_warn"),
                r.get("min_n"),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------- checks
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


def _table(rows: list[dict[str, Any]]) -> str:
    cols = [
        "measure",
        "ks4_year",
        "subgroup",
        "subgroup_value",
        "numerator",
        "denominator",
        "rate",
        "gap_from_cohort",
        "status",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                ""
                if r[c] is None
                else str(_num(r[c]) if c in ("rate", "gap_from_cohort") else r[c])
                for c in cols
            )
            + " |"
        )
    return "\n".join(lines)


def evaluate(diag: Diagnostic, rows: list[dict[str, Any]]) -> tuple[bool, str, dict[str, Any], str]:
    """(passed, severity 'warn'/'error', metadata, description) of one diagnostic from its summary rows."""
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
    if diag.id in YEAR_ON_YEAR:
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
        description = f"{diag.id} {diag.title}: no rows in {SUMMARY_MODEL}"
    else:
        rate = float(overall["rate"] or 0)
        description = (
            f"{diag.id} {diag.title}: {int(overall['numerator'])} of {int(overall['denominator'])} "
            f"{diag.unit} ({rate:.2%}); status {overall['status']}"
            + ("" if passed else f"; worst scope {['ok', 'warn', 'error'][worst]}")
        )
    return passed, severity, md, description


def read_summary(db, project=None) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``match_quality_summary`` grouped by diagnostic id."""
    from sqlalchemy import text

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
    """One multi-asset check evaluating every diagnostic on the asset it concerns (None without the summary)."""
    from leo_assets.assets import model_key
    from leo_assets.resources import WorkspaceDatabase

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
            description=f"{d.id} (derivations 26.4): {d.title}. Signal: {d.signal}. From {SUMMARY_MODEL}.",
        )
        for d in present
    }

    @dg.multi_asset_check(
        name="match_quality_diagnostics", specs=list(specs.values()), can_subset=True
    )
    def _diagnostics(context: dg.AssetCheckExecutionContext, workspace: WorkspaceDatabase):
        # a run that builds a table but not the summary (e.g. `build +ks4_cohort`) selects these checks
        # too: without a summary they report "not evaluated" instead of failing the run
        summary = read_summary(workspace) if workspace.relation_kind(SUMMARY_MODEL) else None
        for diag in present:
            spec = specs[diag.id]
            key = dg.AssetCheckKey(spec.asset_key, spec.name)
            if key not in context.selected_asset_check_keys:
                continue
            if summary is None:
                yield dg.AssetCheckResult(
                    asset_key=spec.asset_key,
                    check_name=spec.name,
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"status": "not evaluated"},
                    description=f"{diag.id} not evaluated: {SUMMARY_MODEL} has not been built (build it to diagnose)",
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


# ---------------------------------------------------------------------------------------- calibration
# The injected fault types of the synthetic generator each diagnostic is meant to detect
# (docs/match_quality.md); the calibration reports recall per diagnostic and target fault. PL-5
# counts KS4 pupils *not* linked. overmatch_cohort (two people of different cohorts resolved as
# one ae_id) is the only fault that gives impossible ages: the within-cohort over-matches
# (overmatch_pmr, overmatch_edukey) join people of the same age. Diagnostics without a target
# (CD-6, the record-level and report diagnostics) are calibrated on their fault-free rate only; PL-8
# counts ILR learner records, not persons, so its rise with unlinked_recordid is read from its estimate.
TARGET_FAULTS: dict[str, tuple[str, ...]] = {
    "PL-1": ("overmatch_pmr", "overmatch_cohort"),
    "PL-2": ("overmatch_edukey", "overmatch_cohort"),
    "PL-3": ("pmr_conflict",),
    "PL-4": ("overmatch_pmr", "overmatch_cohort"),
    "PL-5": ("unlinked_pmr",),
    "PL-6": ("orphan_edukey",),
    "PL-11": ("undermatch_edukey", "unlinked_pmr"),
    "CD-1": ("overmatch_pmr", "overmatch_cohort"),
    "CD-2": ("overmatch_pmr",),
    "CD-3": ("overmatch_pmr", "overmatch_cohort"),
    "CD-4": ("overmatch_pmr", "overmatch_cohort"),
    "CD-5": ("overmatch_cohort",),
    "CO-1": ("overmatch_pmr", "overmatch_cohort"),
    "ER-1": ("overmatch_edukey", "overmatch_cohort"),
    "EM-1": ("overmatch_edukey", "overmatch_cohort"),
    "BE-1": ("overmatch_edukey", "overmatch_cohort"),
    "BE-4": ("overmatch_cohort",),
    "ER-4": ("overmatch_cohort",),
    "IL-1": ("overmatch_pmr", "overmatch_cohort"),
    "IL-2": ("overmatch_cohort",),
    "IL-6": ("overmatch_cohort",),
    "HE-1": ("overmatch_pmr", "overmatch_cohort"),
    "HE-2": ("overmatch_pmr", "overmatch_cohort"),
    "HE-3": ("overmatch_cohort",),
}

_CALIBRATION_SQL = """
WITH owners AS (
    SELECT DISTINCT ids.person_id AS our_id, truth.person_id AS true_id
    FROM ws.{schema}.person_identifier AS ids
    JOIN tr.truth.truth_identifier AS truth ON truth.id_type = ids.identifier_type AND truth.id_value = ids.identifier_value
    WHERE ids.identifier_type IN ('pmr', 'edukey')),
flagged AS (
    SELECT person_id AS our_id, flag FROM ws.{schema}.match_flags
    UNION ALL
    SELECT person_id, 'PL-5' FROM ws.{schema}.ks4_cohort WHERE is_linked = 0),
involved AS (
    SELECT person_id AS true_id, fault_type FROM tr.truth.truth_fault
    UNION ALL
    SELECT other_person_id, fault_type FROM tr.truth.truth_fault WHERE other_person_id IS NOT NULL),
faults AS (
    SELECT fault_id, fault_type, person_id, other_person_id FROM tr.truth.truth_fault),
detected AS (
    SELECT DISTINCT faults.fault_id, flagged.flag
    FROM faults
    JOIN owners ON owners.true_id = faults.person_id OR owners.true_id = faults.other_person_id
    JOIN flagged ON flagged.our_id = owners.our_id),
flag_truth AS (
    SELECT flagged.flag, flagged.our_id, max(CASE WHEN involved.true_id IS NULL THEN 0 ELSE 1 END) AS is_faulty
    FROM flagged
    LEFT JOIN owners ON owners.our_id = flagged.our_id
    LEFT JOIN involved ON involved.true_id = owners.true_id
    GROUP BY flagged.flag, flagged.our_id)
SELECT 'recall' AS kind, faults.fault_type AS key, detected.flag AS flag, count(DISTINCT faults.fault_id) AS n
FROM faults LEFT JOIN detected ON detected.fault_id = faults.fault_id
GROUP BY 1, 2, 3
UNION ALL
SELECT 'faults', fault_type, NULL, count(*) FROM faults GROUP BY 1, 2, 3
UNION ALL
SELECT 'flagged', flag, NULL, count(*) FROM flag_truth GROUP BY 1, 2, 3
UNION ALL
SELECT 'flagged_faulty', flag, NULL, sum(is_faulty) FROM flag_truth GROUP BY 1, 2, 3
"""


def calibrate(
    workspace_file: str, truth_file: str, schema: str = "leo_assets"
) -> list[dict[str, Any]]:
    """Per diagnostic and target fault (one row with target_fault None for a diagnostic without one),
    on a DuckDB build of synthetic LEO: the summary's overall rate, the injected rate of the target
    fault, recall (share of those faults in which a person holding an identifier of the victim or
    partner is flagged) and precision (share of the diagnostic's flagged persons whose identifiers
    belong to a person involved in any injected fault)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{workspace_file}' AS ws (READ_ONLY)")
        con.execute(f"ATTACH '{truth_file}' AS tr (READ_ONLY)")
        facts = con.execute(_CALIBRATION_SQL.format(schema=schema)).fetchall()
        rates = dict(
            con.execute(
                "SELECT fault_type, CAST(sum(injected) AS DOUBLE) / nullif(sum(eligible), 0) FROM tr.truth.truth_fault_rate "
                "GROUP BY 1"
            ).fetchall()
        )
        summary = {
            (d, m): (n, den, r)
            for d, m, n, den, r in con.execute(
                f"SELECT diagnostic_id, measure, numerator, denominator, CAST(rate AS DOUBLE) FROM ws.{schema}.match_quality_summary "
                "WHERE ks4_year = 'all' AND subgroup = 'all'"
            ).fetchall()
        }
    finally:
        con.close()
    n_faults = {k: n for kind, k, _f, n in facts if kind == "faults"}
    detected: dict[tuple[str, str], int] = {}
    for kind, fault_type, flag, n in facts:
        if kind == "recall" and flag is not None:
            detected[(flag, fault_type)] = detected.get((flag, fault_type), 0) + n
    flagged = {k: n for kind, k, _f, n in facts if kind == "flagged"}
    faulty = {k: n for kind, k, _f, n in facts if kind == "flagged_faulty"}
    rows = []
    for diag in DIAGNOSTICS:
        measure = "leo_link" if diag.id == "PL-5" else "flagged"
        num, den, rate = summary.get((diag.id, measure), (0, 0, None))
        if diag.id == "PL-5" and rate is not None:
            rate = 1.0 - rate  # share of pupils not linked
            num = den - num
        for target in TARGET_FAULTS.get(diag.id, (None,)):
            total = n_faults.get(target, 0) if target else 0
            hit = detected.get((diag.id, target), 0) if target else 0
            rows.append(
                {
                    "diagnostic": diag.id,
                    "target_fault": target,
                    "estimate": rate,
                    "numerator": num,
                    "denominator": den,
                    "injected_rate": (rates.get(target) or 0.0) if target else None,
                    "injected_faults": total,
                    "detected_faults": hit,
                    "recall": hit / total if total else None,
                    "flagged": flagged.get(diag.id, 0),
                    "precision": faulty.get(diag.id, 0) / flagged[diag.id]
                    if flagged.get(diag.id)
                    else None,
                }
            )
    return rows
