"""Calibration of the match-quality diagnostics against the synthetic generator's truth.

Reads a DuckDB build of synthetic LEO beside the generator's truth database (SQL that reads the
truth, so it sits above the Dagster wiring, with the tools, not in :mod:`leo_assets.diagnostics`).
Used by ``scripts/match_quality_calibration.py`` (docs/match_quality.md holds its output) and by
the match-quality tests.
"""

from typing import Any

import duckdb

from leo_assets.settings import match_quality_registry

# The injected fault types of the synthetic generator each diagnostic is meant to detect
# (docs/match_quality.md); the calibration reports recall per diagnostic and target fault. PL-5
# counts KS4 pupils *not* linked. overmatch_cohort (two people of different cohorts resolved as one
# ae_id) is the only fault that gives impossible ages: the within-cohort over-matches
# (overmatch_pmr, overmatch_edukey) join people of the same age. Diagnostics without a target (CD-6,
# the record-level and report diagnostics) are calibrated on their fault-free rate only; PL-8 counts
# ILR learner records, not persons, so its rise with unlinked_recordid is read from its estimate.
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
    JOIN tr.truth.truth_identifier AS truth ON truth.id_type = ids.identifier_type AND
    truth.id_value = ids.identifier_value
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
    SELECT flagged.flag, flagged.our_id, max(CASE WHEN involved.true_id IS NULL THEN 0 ELSE 1 END)
    AS is_faulty
    FROM flagged
    LEFT JOIN owners ON owners.our_id = flagged.our_id
    LEFT JOIN involved ON involved.true_id = owners.true_id
    GROUP BY flagged.flag, flagged.our_id)
SELECT 'recall' AS kind, faults.fault_type AS key, detected.flag AS flag, count(DISTINCT
faults.fault_id) AS n
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
    """Per diagnostic and target fault (one row with target_fault None for a diagnostic without
    one),
    on a DuckDB build of synthetic LEO: the summary's overall rate, the injected rate of the target
    fault, recall (share of those faults in which a person holding an identifier of the victim or
    partner is flagged) and precision (share of the diagnostic's flagged persons whose identifiers
    belong to a person involved in any injected fault)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{workspace_file}' AS ws (READ_ONLY)")
        con.execute(f"ATTACH '{truth_file}' AS tr (READ_ONLY)")
        facts = con.execute(_CALIBRATION_SQL.format(schema=schema)).fetchall()
        rates = dict(
            con.execute(
                "SELECT fault_type, CAST(sum(injected) AS DOUBLE) / nullif(sum(eligible), 0) FROM "
                "tr.truth.truth_fault_rate "
                "GROUP BY 1"
            ).fetchall()
        )
        summary = {
            (d, m): (n, den, r)
            for d, m, n, den, r in con.execute(
                "SELECT diagnostic_id, measure, numerator, denominator, CAST(rate AS DOUBLE) FROM "
                f"ws.{schema}.match_quality_summary "
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
    for diag_id in match_quality_registry():
        measure = "leo_link" if diag_id == "PL-5" else "flagged"
        num, den, rate = summary.get((diag_id, measure), (0, 0, None))
        if diag_id == "PL-5" and rate is not None:
            rate = 1.0 - rate  # share of pupils not linked
            num = den - num
        for target in TARGET_FAULTS.get(diag_id, (None,)):
            total = n_faults.get(target, 0) if target else 0
            hit = detected.get((diag_id, target), 0) if target else 0
            rows.append(
                {
                    "diagnostic": diag_id,
                    "target_fault": target,
                    "estimate": rate,
                    "numerator": num,
                    "denominator": den,
                    "injected_rate": (rates.get(target) or 0.0) if target else None,
                    "injected_faults": total,
                    "detected_faults": hit,
                    "recall": hit / total if total else None,
                    "flagged": flagged.get(diag_id, 0),
                    "precision": faulty.get(diag_id, 0) / flagged[diag_id]
                    if flagged.get(diag_id)
                    else None,
                }
            )
    return rows
