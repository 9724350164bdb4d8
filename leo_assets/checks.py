"""Data tests run against the workspace: counts, rate, threshold and a sample of failing keys.

The checks' SQL comes from :mod:`leo_assets.sqlproject.check_sql`. A result carries counts, the
rate, the threshold and, for at most ten failing rows, the model's grain columns: never earnings
or any other personal attribute.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.check_sql import CheckSpec, compile_spec
from leo_assets.sqlproject.loader import SqlProject

SAMPLE_ROWS = 10


@dataclass
class CheckOutcome:
    spec: CheckSpec
    passed: bool
    failing: int
    total: int
    sample: list[dict[str, Any]]
    sql: str
    counts: dict[str, int] = field(default_factory=dict)  # failing rows per reason

    @property
    def rate(self) -> float:
        return self.failing / self.total if self.total else 0.0

    def metadata(self) -> dict[str, Any]:
        md: dict[str, Any] = {
            "failing_rows": self.failing,
            "denominator_rows": self.total,
            "failing_rate": round(self.rate, 6),
            "threshold": (
                f"rate <= {self.spec.max_failing_rate}"
                if self.spec.max_failing_rate is not None
                else f"failing rows <= {self.spec.max_failing_rows}"
            ),
        }
        for reason, n in self.counts.items():
            md[f"rows_{reason}"] = n
        if self.sample:
            cols = list(self.sample[0])
            lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in self.sample]
            md["failing_keys_sample"] = "\n".join(lines)
        return md

    def summary(self) -> str:
        text = (
            f"{self.spec.model}.{self.spec.name}: {self.failing} failing of {self.total} rows "
            f"({self.rate:.2%})"
        )
        if self.counts:
            text += ": " + ", ".join(f"{reason} {n}" for reason, n in self.counts.items())
        return text


def _run_duplicates(project: SqlProject, db: WorkspaceDatabase, spec: CheckSpec) -> CheckOutcome:
    missing, _warnings = db.verify_sources(project.catalog, spec.duplicates_of)
    sql = project.catalog.duplicate_counts(spec.duplicates_of, db.dialect, missing)
    delivered, distinct, kept = (int(v) for v in db.rows(sql)[0])
    resolved_by = project.catalog.decls[spec.duplicates_of].key_resolved_by
    if resolved_by:
        # the rows repeating a key stay for the model that chooses among them: reported, not removed
        counts = {
            "exact_duplicate": delivered - distinct,
            f"key_duplicate_left_for_{resolved_by}": distinct - kept,
        }
        failing = delivered - distinct
    else:
        counts = {"exact_duplicate": delivered - distinct, "key_duplicate": distinct - kept}
        failing = delivered - kept
    return CheckOutcome(spec, failing <= spec.max_failing_rows, failing, delivered, [], sql, counts)


def run_check(
    project: SqlProject,
    db: WorkspaceDatabase,
    spec: CheckSpec,
    table_name: str | None = None,
    totals: dict[str, int] | None = None,
) -> CheckOutcome:
    """Count the failing rows of a check (optionally against a not-yet-swapped table).

    ``totals`` keeps each table's row count between the checks of one model (a caller passes the
    same dict to all of them): a model built as a view re-reads its sources at every count.
    """
    if spec.duplicates_of:
        return _run_duplicates(project, db, spec)
    dialect = db.dialect
    failing_sql = compile_spec(project, spec, dialect, table_name)
    table = db.target(table_name or spec.model).sql(dialect)
    counts: dict[str, int] = {}
    if spec.count_by:
        # the failing rows counted per reason: their sum is the failing count (one read, not two)
        column = f'"{spec.count_by}"' if dialect != "tsql" else f"[{spec.count_by}]"
        counts = {
            str(reason): int(n)
            for reason, n in db.rows(
                f"SELECT {column}, COUNT(*) FROM ({failing_sql}) AS failing_rows "
                f"GROUP BY {column} ORDER BY {column}"
            )
        }
        failing = sum(counts.values())
    else:
        failing = int(db.scalar(f"SELECT COUNT(*) FROM ({failing_sql}) AS failing_rows"))
    if totals is not None and table in totals:
        total = totals[table]
    else:
        total = int(db.scalar(f"SELECT COUNT(*) FROM {table}"))
        if totals is not None:
            totals[table] = total
    sample: list[dict[str, Any]] = []
    if failing and spec.key_columns:
        with db.connect() as conn:
            names = list(
                conn.execute(
                    text(f"SELECT * FROM ({failing_sql}) AS failing_rows WHERE 1 = 0")
                ).keys()
            )
            keys = [k for k in spec.key_columns if k in names]
            if keys:
                quoted = ", ".join(f'"{k}"' if dialect != "tsql" else f"[{k}]" for k in keys)
                result = conn.execute(
                    text(f"SELECT {quoted} FROM ({failing_sql}) AS failing_rows ORDER BY {quoted}")
                )
                sample = [dict(zip(keys, row)) for row in result.fetchmany(SAMPLE_ROWS)]
    if spec.max_failing_rate is not None:
        passed = (failing / total if total else 0.0) <= spec.max_failing_rate
    else:
        passed = failing <= spec.max_failing_rows
    return CheckOutcome(spec, passed, failing, total, sample, failing_sql, counts)
