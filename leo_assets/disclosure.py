"""Statistical disclosure control (SDC) of the ``outputs`` layer: the rules, their settings, and
the code that applies and re-verifies them on small aggregate tables.

Nothing leaves the ONS Secure Research Service unless it passes output checking. Every ``out_*``
table is protected by :func:`protect` (into ``out_*_safe``) and re-checked by :func:`verify`
(the blocking check ``no_disclosive_cells``) before anything is exported.

The rules and their defaults (setting ``disclosure``; a key overrides one default)
=================================================================================

====================== ======= ====================================================================
key                    default meaning
====================== ======= ====================================================================
min_cell_count         10      a count (numerator or denominator) below this is suppressed, and a
                               statistic (percentile, mean) of fewer contributors (ACRO
                               ``safe_threshold``; ONS "10 threshold rule")
zeros_are_disclosive   true    a zero count is suppressed too (ACRO ``zeros_are_disclosive``:
                               a zero can reveal that everyone in a group shares an attribute)
round_counts_to        5       published counts are rounded to the nearest multiple (ONS 10-5 rule,
                               DfE LEO publications); 1 = no rounding
round_earnings_to      100     published earnings (percentiles, means) are rounded to the nearest
                               multiple of pounds (DfE LEO publications)
percent_decimals       1       percentages are computed from the rounded counts and shown to this
                               many decimals (DfE: 0.1%)
nk_n                   2       N of the N-K dominance rule (ACRO ``safe_nk_n``), 1 to 5
nk_k                   0.90    a magnitude statistic is suppressed when its N largest contributors
                               make up this share of the total or more (ACRO ``safe_nk_k``)
p_ratio                0.10    p% rule: suppressed when the total minus the two largest
                               contributors is below this share of the largest (ACRO
                               ``safe_pratio_p``)
suppressed_marker      c       what a suppressed cell shows in exported CSV files (DfE uses c)
sequence_index_sample  null    people in the sequence index plot of individual trajectories:
                               null = 200 when ``project_schema`` is ``synthetic``, else 0 (none).
                               The plot shows individuals: it is exported only from synthetic data
====================== ======= ====================================================================

Secondary suppression is always on: after the primary rules, further cells are suppressed until
no suppressed count can be recovered exactly from the published counts through the table's
additive relations (row, column and breakdown totals; cells repeated across breakdowns). Each
relation with exactly one hidden cell gets a second (the smallest non-zero published part, else
the total), then an exact audit solves the linear system of the relations for the hidden cells
(a hidden cell is recoverable when it is fixed in every solution, i.e. its row in the null space
of the hidden cells' constraint matrix is zero) and adds complements until none is.

How ACRO is used
================

The cell rules are ACRO's (``acro.sdcchecks.SDCChecks``: ``check_min_threshold``,
``check_presence_of_zero``, ``check_nk_dominance``, ``check_ppercent_dominance``), run with the
risk appetite above on *evidence tables* (counts; for magnitudes the sum, the largest value, the
sums of the two and the N largest, the number of negative values) that the ``out_*`` SQL computes
in the database, so that person-level rows never come into Python (ACRO's ``crosstab`` and
``pivot_table`` need the microdata). ACRO gets the tables in a fixed order: :func:`protect` hands it
the table in :func:`canonical_order` (by the cells' dimension values), :func:`verify` the tables
as read, which ``leo_assets.outputs.read_frame`` orders by the dimensions. Rounding and secondary
suppression, which ACRO does not offer for tables built elsewhere, are ours. The export writes an
ACRO session (``finalise``) with every file as a custom output, for output checkers who use SACRO.
"""

from __future__ import annotations

import functools
import itertools
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from threadpoolctl import threadpool_limits

from leo_assets.settings import Settings, SettingsError


class DisclosureRules(BaseModel):
    """The SDC rules and thresholds (see the module docstring for their meaning)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_cell_count: int = Field(default=10, ge=1, le=1000)
    zeros_are_disclosive: bool = True
    round_counts_to: int = Field(default=5, ge=1, le=1000)
    round_earnings_to: int = Field(default=100, ge=1, le=100_000)
    percent_decimals: int = Field(default=1, ge=0, le=3)
    nk_n: int = Field(default=2, ge=1, le=5)
    nk_k: float = Field(default=0.90, gt=0, le=1)
    p_ratio: float = Field(default=0.10, ge=0, lt=1)
    suppressed_marker: str = Field(default="c", min_length=1, max_length=10)
    sequence_index_sample: int | None = Field(default=None, ge=0, le=2000)

    def risk_appetite(self) -> dict[str, Any]:
        """The rules in ACRO's configuration keys."""
        return {
            "safe_threshold": self.min_cell_count,
            "safe_dof_threshold": self.min_cell_count,
            "safe_nk_n": self.nk_n,
            "safe_nk_k": self.nk_k,
            "safe_pratio_p": self.p_ratio,
            "check_missing_values": False,
            "zeros_are_disclosive": self.zeros_are_disclosive,
        }

    def describe(self) -> list[tuple[str, str]]:
        """(rule, as applied) lines for reports."""
        zero = (
            "zero counts are suppressed too"
            if self.zeros_are_disclosive
            else "zero counts are published"
        )
        return [
            (
                "Minimum cell count",
                (
                    f"counts (numerators and denominators) below {self.min_cell_count} are "
                    f"suppressed; {zero}"
                ),
            ),
            (
                "Minimum contributors",
                f"percentiles and means of fewer than {self.min_cell_count} people are suppressed",
            ),
            (
                "Dominance (N-K)",
                (
                    f"a magnitude is suppressed when its {self.nk_n} largest contributors make up "
                    f"{self.nk_k:.0%} or more of the total"
                ),
            ),
            (
                "p% rule",
                (
                    "a magnitude is suppressed when the total less its two largest contributors "
                    f"is below {self.p_ratio:.0%} of the largest"
                ),
            ),
            (
                "Secondary suppression",
                (
                    "further cells are suppressed until no suppressed count can be recovered "
                    "exactly from published totals (audited by solving the tables' additive "
                    "relations)"
                ),
            ),
            (
                "Rounding of counts",
                f"published counts are rounded to the nearest {self.round_counts_to}",
            ),
            (
                "Rounding of earnings",
                f"published earnings are rounded to the nearest £{self.round_earnings_to}",
            ),
            (
                "Percentages",
                (
                    f"computed from the rounded counts, to {self.percent_decimals} decimal "
                    "place(s); suppressed when their numerator or denominator is suppressed"
                ),
            ),
            (
                "Suppressed cells",
                (
                    f"shown as '{self.suppressed_marker}' in the CSV files (NULL in the workspace "
                    "tables)"
                ),
            ),
        ]


def parse_rules(values: dict[str, Any] | None) -> DisclosureRules:
    """The rules from a ``disclosure`` settings mapping; errors name ``disclosure.<key>``.

    >>> parse_rules({"min_cell_count": 20}).min_cell_count
    20
    >>> parse_rules({"min_cel_count": 20})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leo_assets.settings.SettingsError: setting 'disclosure.min_cel_count': unknown key; known: ...
    """
    values = dict(values or {})
    known = list(DisclosureRules.model_fields)
    for key in values:
        if key not in known:
            raise SettingsError(
                f"setting 'disclosure.{key}': unknown key; known: {', '.join(known)}"
            )
    try:
        return DisclosureRules(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            problems.append(f"setting 'disclosure.{key}': {err.get('input')!r}: {err['msg']}")
        raise SettingsError("; ".join(problems)) from None


def rules_for(settings: Settings) -> DisclosureRules:
    return parse_rules(settings.disclosure)


def sequence_sample_size(settings: Settings, rules: DisclosureRules | None = None) -> int:
    rules = rules or rules_for(settings)
    if rules.sequence_index_sample is not None:
        return rules.sequence_index_sample
    return 200 if settings.project_schema == "synthetic" else 0


# ---------------------------------------------------------------------------------------- rules
def quiet_acro() -> None:
    """ACRO sets the root logger to INFO when imported and logs every check it runs (20 lines of
    ``INFO:acro:`` on stderr in an export): its loggers keep to warnings."""
    for name in ("acro", "acro:records", "acro:summary"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _acro_checks(rules: DisclosureRules):
    from acro.sdcchecks import SDCChecks  # heavy import (statsmodels): only when checking

    quiet_acro()
    return SDCChecks(rules.risk_appetite())


def _evidence(**tables: pd.DataFrame):
    from acro.sdcchecks import SDCEvidence

    return SDCEvidence(interim_tables=dict(tables))


_TABLE_MODEL = SimpleNamespace(model_type="table")


def count_primary(counts: pd.DataFrame, rules: DisclosureRules) -> pd.DataFrame:
    """Reason a count cell is primary-suppressed ('' = publishable): ACRO's threshold and zero
    checks."""
    checks = _acro_checks(rules)
    table = counts.astype(float)
    evidence = _evidence(count_table=table)
    _s, _m, low = checks.check_min_threshold("Crosstabs", evidence, _TABLE_MODEL)
    low = low.fillna(False).astype(bool)
    reasons = pd.DataFrame("", index=table.index, columns=table.columns)
    reasons = reasons.mask(low & (table > 0), "below_threshold")
    if rules.zeros_are_disclosive:
        _s, _m, zero = checks.check_presence_of_zero("Crosstabs", evidence, _TABLE_MODEL)
        reasons = reasons.mask(zero.fillna(False).astype(bool) & (table == 0), "zero")
    reasons = reasons.mask(table.isna(), "missing")
    return reasons


def magnitude_primary(
    n: pd.Series, total: pd.Series, tops: pd.DataFrame, negatives: pd.Series, rules: DisclosureRules
) -> pd.Series:
    """Reason a magnitude statistic is suppressed ('' = publishable), per row.

    ``n`` contributors, ``total`` their sum, ``tops`` their largest values (column k = the k-th
    largest), ``negatives`` how many are negative: ACRO's threshold, N-K and p% checks.
    """
    checks = _acro_checks(rules)
    frame = lambda s: pd.DataFrame({"value": pd.to_numeric(s, errors="coerce").astype(float)})
    tops = tops.apply(pd.to_numeric, errors="coerce").astype(float).fillna(0.0)
    evidence = _evidence(
        count_table=frame(n),
        sum=frame(total),
        max=frame(tops.iloc[:, 0]),
        top_2_sum=frame(tops.iloc[:, :2].sum(axis=1)),
        top_n_sum=frame(tops.iloc[:, : rules.nk_n].sum(axis=1)),
        num_negative=frame(negatives.fillna(0)),
    )
    _s, _m, low = checks.check_min_threshold("Mean", evidence, _TABLE_MODEL)
    _s, _m, nk = checks.check_nk_dominance("Mean", evidence, _TABLE_MODEL)
    _s, _m, pp = checks.check_ppercent_dominance("Mean", evidence, _TABLE_MODEL)
    reasons = pd.Series("", index=n.index, dtype=object)
    reasons[pp["value"].fillna(False).astype(bool).to_numpy()] = "p_ratio"
    reasons[nk["value"].fillna(False).astype(bool).to_numpy()] = "dominance_nk"
    reasons[(low["value"].fillna(False).astype(bool) | frame(n)["value"].isna()).to_numpy()] = (
        "below_threshold"
    )
    return reasons


def round_to(values: pd.Series, base: int) -> pd.Series:
    """Round half away from zero to a multiple of ``base`` (NaN stays NaN).

    >>> round_to(pd.Series([12, 13, 7.5, None]), 5).tolist()
    [10.0, 15.0, 10.0, nan]
    """
    x = pd.to_numeric(values, errors="coerce").astype(float)
    return np.sign(x) * np.floor(np.abs(x) / base + 0.5) * base


# ----------------------------------------------------------------------- secondary suppression
Cell = tuple[int, str]  # (row position, column); protect() numbers rows in canonical_order


@dataclass(frozen=True)
class Constraint:
    """``total`` equals the sum of ``parts`` (an equality of two cells is a one-part constraint)."""

    total: Cell
    parts: tuple[Cell, ...]

    @functools.cached_property
    def cells(self) -> tuple[Cell, ...]:  # read millions of times by secondary suppression
        return (self.total, *self.parts)


def _components(
    cells: list[Cell], constraints: list[Constraint]
) -> list[tuple[list[Cell], list[Constraint]]]:
    parent = {c: c for c in cells}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    involved = []
    for con in constraints:
        hidden = [c for c in con.cells if c in parent]
        if not hidden:
            continue
        involved.append((con, hidden))
        for other in hidden[1:]:
            a, b = find(hidden[0]), find(other)
            if a != b:
                parent[a] = b
    groups: dict[Cell, tuple[list[Cell], list[Constraint]]] = {}
    for c in cells:
        groups.setdefault(find(c), ([], []))[0].append(c)
    for con, hidden in involved:
        groups[find(hidden[0])][1].append(con)
    return list(groups.values())


class _Solver:
    """:func:`recoverable_cells` over one fixed list of constraints, for the many rounds of
    :func:`secondary_suppression`: the constraints each cell is in are indexed once, and each
    component's answer is kept, since a round hides one more cell and so changes one component
    (a component's constraints follow from its cells, so its cells are the key). The answers are
    those of a fresh computation: the same components, their constraints in the same order."""

    def __init__(self, constraints: list[Constraint]):
        self.constraints = constraints
        self.by_cell: dict[Cell, list[int]] = {}
        for k, con in enumerate(constraints):
            for c in dict.fromkeys(con.cells):
                self.by_cell.setdefault(c, []).append(k)
        self.fixed: dict[tuple[Cell, ...], list[Cell]] = {}

    def components(self, hidden: set[Cell]) -> list[tuple[list[Cell], list[Constraint]]]:
        touching = sorted({k for c in hidden for k in self.by_cell.get(c, ())})
        return _components(sorted(hidden), [self.constraints[k] for k in touching])

    def recoverable(self, hidden: set[Cell]) -> list[Cell]:
        out: list[Cell] = []
        # one BLAS thread: many small SVDs gain nothing from threads, and on a busy machine
        # threads that wait for each other made the same work fifty times slower (2.4 s -> 124 s)
        with threadpool_limits(limits=1, user_api="blas"):
            for cells, cons in self.components(hidden):
                key = tuple(cells)
                if key not in self.fixed:
                    self.fixed[key] = _component_fixed_cells(cells, cons)
                out += self.fixed[key]
        return sorted(out)


def recoverable_cells(hidden: set[Cell], constraints: list[Constraint]) -> list[Cell]:
    """Hidden cells whose value the published cells and the constraints fix exactly.

    Published cells are known; each constraint is one linear equation in the hidden cells. A
    hidden cell is fixed when its unit vector lies in the row space of the hidden cells' matrix,
    i.e. its row of the matrix's null-space basis is zero.
    """
    return _Solver(constraints).recoverable(hidden)


def _component_fixed_cells(cells: list[Cell], cons: list[Constraint]) -> list[Cell]:
    """The cells of one component (hidden cells joined by constraints) the constraints fix."""
    if not cons:
        return []
    index = {c: i for i, c in enumerate(cells)}
    matrix = np.zeros((len(cons), len(cells)))
    for r, con in enumerate(cons):
        if con.total in index:
            matrix[r, index[con.total]] += 1.0
        for part in con.parts:
            if part in index:
                matrix[r, index[part]] -= 1.0
    _u, sing, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((sing > 1e-9 * max(1.0, sing.max(initial=0.0))).sum())
    null = vt[rank:].T  # columns span the null space
    return [c for c, i in index.items() if null.shape[1] == 0 or np.abs(null[i]).max() < 1e-9]


def secondary_suppression(
    values: dict[Cell, float],
    hidden: set[Cell],
    constraints: list[Constraint],
    max_rounds: int = 10_000,
) -> set[Cell]:
    """Cells to suppress besides ``hidden`` so that no hidden cell is recoverable; returns them.

    Deterministic: relations are visited in list order and a complement is the part with the
    smallest non-zero value, ties broken by the cell ``(row, column)``. :func:`protect` numbers the
    rows in :func:`canonical_order` (by dimension values), so the choice never depends on the order
    the table was read in.
    """
    hidden = set(hidden)
    added: set[Cell] = set()
    solver = _Solver(constraints)

    def pick(con: Constraint, exclude: set[Cell]) -> Cell | None:
        parts = [c for c in con.parts if c not in hidden and c not in exclude]
        order = lambda c: (values.get(c, 0) == 0, values.get(c, 0), c)
        if parts:
            return min(parts, key=order)
        if con.total not in hidden and con.total not in exclude:
            return con.total
        return None

    for _ in range(max_rounds):
        changed = False
        for con in constraints:
            in_line = [c for c in con.cells if c in hidden]
            if len(in_line) == 1:
                chosen = pick(con, set())
                if chosen is not None:
                    hidden.add(chosen)
                    added.add(chosen)
                    changed = True
        if changed:
            continue
        exposed = solver.recoverable(hidden)
        if not exposed:
            return added
        for cell in exposed:
            for con in constraints:
                if cell in con.cells:
                    chosen = pick(con, set())
                    if chosen is not None:
                        hidden.add(chosen)
                        added.add(chosen)
                        changed = True
                        break
            if changed:
                break
        if (
            not changed
        ):  # every relation of an exposed cell is fully hidden: hide its whole component
            for cells, cons in solver.components(hidden):
                if exposed[0] in cells:
                    for con in cons:
                        for c in con.cells:
                            if c not in hidden:
                                hidden.add(c)
                                added.add(c)
            if not solver.recoverable(hidden):
                return added
    raise RuntimeError("secondary suppression did not converge")


# ----------------------------------------------------------------------------- table specs
@dataclass(frozen=True)
class Margin:
    """Within each group of ``by``, the row whose ``dim`` is ``total`` is the sum of the others."""

    dim: str
    total: str = "all"
    by: tuple[str, ...] = ()
    parts: tuple[str, ...] | None = None  # default: every other value of dim


@dataclass(frozen=True)
class Linked:
    """Rows that are the same count (e.g. a breakdown's 'all' group): equal across ``dim``."""

    dim: str
    by: tuple[str, ...]
    where: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowSum:
    """Within a row, count column ``total`` is the sum of ``parts``."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Share:
    """Percentage column: ``count`` over the same column of the row where ``dim`` is ``total``."""

    name: str
    count: str
    dim: str | None = None
    total: str = "all"
    denominator: str | None = None  # or: a count column of the same row


@dataclass(frozen=True)
class Magnitude:
    """Statistics of a magnitude (earnings) with the evidence columns the rules need."""

    stats: tuple[str, ...]
    n: str
    total: str
    tops: tuple[str, ...]
    negatives: str


@dataclass(frozen=True)
class TableSpec:
    """How one ``out_*`` table is protected: its keys, counts, relations, rates and magnitudes."""

    name: str
    dims: tuple[str, ...]
    counts: tuple[str, ...] = ()
    relations: tuple[Any, ...] = ()
    shares: tuple[Share, ...] = ()
    magnitude: Magnitude | None = None
    labels: tuple[str, ...] = ()  # blanked when every count of the row is suppressed
    keep: tuple[str, ...] = ()  # other publishable columns (display order...)
    title: str = ""

    @property
    def safe_name(self) -> str:
        return f"{self.name}_safe"

    def published_columns(self) -> list[str]:
        cols = list(self.dims) + list(self.labels) + list(self.keep) + list(self.counts)
        cols += [s.name for s in self.shares]
        if self.magnitude:
            cols += list(self.magnitude.stats)
        return cols

    def evidence_columns(self) -> list[str]:
        if not self.magnitude:
            return []
        m = self.magnitude
        return [m.total, *m.tops, m.negatives]


def build_constraints(df: pd.DataFrame, spec: TableSpec) -> list[Constraint]:
    """The additive relations between the count cells of ``df`` (positions are row numbers).

    The order of the list is part of the result (secondary suppression visits it in order): per
    relation, per count column, the groups in the order ``groupby(sort=False)`` meets them. The
    groups of a relation are found once and reused for each count column.
    """
    df = df.reset_index(drop=True)
    out: list[Constraint] = []
    for rel in spec.relations:
        if isinstance(rel, RowSum):
            for i in range(len(df)):
                out.append(Constraint((i, rel.total), tuple((i, p) for p in rel.parts)))
            continue
        # (total row, part rows) of each group, for the count columns alike
        lines: list[tuple[int, tuple[int, ...]]] = []
        if isinstance(rel, Margin):
            keys = [d for d in (rel.by or spec.dims) if d != rel.dim]
            values = df[rel.dim].astype(str)
            is_total = (values == str(rel.total)).to_numpy()
            is_part = (
                values.isin([str(p) for p in rel.parts]) if rel.parts is not None else ~is_total
            )
            is_part = np.asarray(is_part)
            groups = (
                [grp.index for _k, grp in df.groupby(keys, sort=False, dropna=False)]
                if keys
                else [df.index]
            )
            for rows in groups:
                totals = [int(r) for r in rows if is_total[r]]
                parts = tuple(int(r) for r in rows if is_part[r])
                if len(totals) == 1 and parts:
                    lines.append((totals[0], parts))
        elif isinstance(rel, Linked):
            sub = df
            for k, v in rel.where.items():
                sub = sub[sub[k].astype(str) == str(v)]
            for _k, grp in sub.groupby(list(rel.by), sort=False, dropna=False):
                for a, b in itertools.pairwise(grp.index):
                    lines.append((int(a), (int(b),)))
        for col in spec.counts:
            out.extend(Constraint((t, col), tuple((p, col) for p in parts)) for t, parts in lines)
    return out


# ------------------------------------------------------------------------- protect / verify
@dataclass
class Protected:
    """The safe table (suppressed = NaN/None) and why each suppressed cell was suppressed."""

    table: pd.DataFrame
    reasons: dict[Cell, str]

    def summary(self) -> dict[str, dict[str, int]]:
        """{column: {reason: cells}}."""
        out: dict[str, dict[str, int]] = {}
        for (_row, col), why in self.reasons.items():
            out.setdefault(col, {}).setdefault(why, 0)
            out[col][why] += 1
        return out


def primary_reasons(raw: pd.DataFrame, spec: TableSpec, rules: DisclosureRules) -> dict[Cell, str]:
    raw = raw.reset_index(drop=True)
    reasons: dict[Cell, str] = {}
    if spec.counts:
        count_reasons = count_primary(
            raw[list(spec.counts)].apply(pd.to_numeric, errors="coerce"), rules
        )
        for col in spec.counts:
            for i, why in count_reasons[col].items():
                if why:
                    reasons[(int(i), col)] = why
    if spec.magnitude:
        m = spec.magnitude
        why = magnitude_primary(
            pd.to_numeric(raw[m.n], errors="coerce"),
            pd.to_numeric(raw[m.total], errors="coerce"),
            raw[list(m.tops)],
            pd.to_numeric(raw[m.negatives], errors="coerce"),
            rules,
        )
        for i, w in why.items():
            if w:
                for stat in m.stats:
                    reasons[(int(i), stat)] = w
        for i in range(len(raw)):  # a statistic the SQL could not compute stays empty
            for stat in m.stats:
                if pd.isna(raw.at[i, stat]) and (i, stat) not in reasons:
                    reasons[(i, stat)] = "not_computed"
    return reasons


def canonical_order(df: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """Row positions of ``df`` sorted by the table's dimension values (its grain), then by every
    other published column: an order that depends on the cells' keys only, never on the order
    the rows were read in.

    Numbers sort as numbers, anything else as text; missing values last.

    >>> spec = TableSpec(name="out_t", dims=("g", "y"))
    >>> canonical_order(pd.DataFrame({"g": ["b", "a", "a"], "y": [1, 10, 9]}), spec).tolist()
    [2, 1, 0]
    """
    keys = list(spec.dims) + [
        c for c in spec.published_columns() if c in df.columns and c not in spec.dims
    ]

    def key(col: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(col):
            return col
        numeric = pd.to_numeric(col, errors="coerce")
        if numeric.notna().sum() == col.notna().sum():  # numbers read as objects (Decimal)
            return numeric
        return col.map(lambda v: None if v is None or v is pd.NA else str(v))

    frame = df.reset_index(drop=True)[keys].assign(__position=np.arange(len(df)))
    ordered = frame.sort_values(keys, key=key, kind="mergesort", na_position="last")
    return ordered["__position"].to_numpy()


def protect(raw: pd.DataFrame, spec: TableSpec, rules: DisclosureRules) -> Protected:
    """Apply every rule to the raw aggregate table ``raw`` and return the safe table.

    The result does not depend on the order of ``raw``'s rows: the rules run on the table in its
    :func:`canonical_order`, so secondary suppression meets the relations in the same order and
    breaks every tie (between parts of equal value) by the cells' dimension values.
    """
    raw = raw.reset_index(drop=True)
    order = canonical_order(raw, spec)
    canon = raw.iloc[order].reset_index(drop=True)
    found = primary_reasons(canon, spec, rules)
    if spec.counts:
        values = {(i, c): float(canon.at[i, c]) for i in range(len(canon)) for c in spec.counts}
        hidden = {cell for cell in found if cell[1] in spec.counts}
        for cell in secondary_suppression(values, hidden, build_constraints(canon, spec)):
            found.setdefault(cell, "secondary")
    # back to the positions of ``raw``, in canonical cell order
    reasons = {(int(order[i]), col): why for (i, col), why in sorted(found.items())}
    safe = raw[[c for c in spec.published_columns() if c in raw.columns]].copy()
    for col in spec.counts:
        safe[col] = safe[col].astype("float64")
    if spec.magnitude:
        for stat in spec.magnitude.stats:
            safe[stat] = pd.to_numeric(safe[stat], errors="coerce").astype("float64")
    for i, col in reasons:
        if col in safe.columns:
            safe.at[i, col] = np.nan
    for col in spec.counts:
        safe[col] = round_to(safe[col], rules.round_counts_to)
    if spec.magnitude:
        for stat in spec.magnitude.stats:
            safe[stat] = round_to(safe[stat], rules.round_earnings_to)
    if spec.labels and spec.counts:
        all_hidden = safe[list(spec.counts)].isna().all(axis=1)
        for label in spec.labels:
            safe[label] = safe[label].astype(object).where(~all_hidden, None)
    for share in spec.shares:
        safe[share.name] = compute_share(safe, spec, share, rules)
    return Protected(safe[spec.published_columns()], reasons)


def compute_share(
    safe: pd.DataFrame, spec: TableSpec, share: Share, rules: DisclosureRules
) -> pd.Series:
    num = pd.to_numeric(safe[share.count], errors="coerce")
    if share.denominator:
        den = pd.to_numeric(safe[share.denominator], errors="coerce")
    else:
        keys = [d for d in spec.dims if d != share.dim]
        totals = safe[safe[share.dim].astype(str) == share.total][keys + [share.count]].rename(
            columns={share.count: "__den"}
        )
        den = safe[keys].merge(totals, on=keys, how="left")["__den"]
        den.index = safe.index
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (100.0 * num / den.where(den > 0)).round(rules.percent_decimals)
    return pct


@dataclass
class Verification:
    passed: bool
    problems: list[str]
    cells: int

    def summary(self) -> str:
        if self.passed:
            return f"no disclosive cell among {self.cells} published cells"
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return (
            f"{len(self.problems)} disclosive cell(s) or problem(s): "
            + "; ".join(self.problems[:5])
            + more
        )


def verify(
    safe: pd.DataFrame, raw: pd.DataFrame, spec: TableSpec, rules: DisclosureRules
) -> Verification:
    """Re-check every rule on the table that will be exported, against the raw counts.

    Independent of :func:`protect`: it checks the published values, not how they were made.
    Problems name the rule and the cell's keys (never a raw value).
    """
    problems: list[str] = []
    allowed = set(spec.published_columns())
    extra = [c for c in safe.columns if c not in allowed]
    if extra:
        problems.append(f"columns not for publication: {', '.join(extra)}")
    missing = [c for c in spec.published_columns() if c not in safe.columns]
    if missing:
        return Verification(False, problems + [f"missing columns: {', '.join(missing)}"], 0)
    raw = raw.reset_index(drop=True)
    key = list(spec.dims)

    def norm(df: pd.DataFrame) -> pd.Series:
        if df.empty:
            return pd.Series([], dtype=object)
        return df[key].astype(str).agg("|".join, axis=1)

    raw_keys = norm(raw)
    safe = safe.copy()
    safe.index = norm(safe).to_numpy()
    if set(safe.index) != set(raw_keys) or safe.index.has_duplicates:
        problems.append("the rows differ from the raw table's (a row added, lost or repeated)")
        return Verification(False, problems, 0)
    safe = safe.loc[raw_keys.to_numpy()].reset_index(drop=True)
    where = lambda i: ", ".join(f"{k}={raw.at[i, k]}" for k in key)
    primary = primary_reasons(raw, spec, rules)
    published = 0
    for col in list(spec.counts) + (list(spec.magnitude.stats) if spec.magnitude else []):
        values = pd.to_numeric(safe[col], errors="coerce")
        base = rules.round_counts_to if col in spec.counts else rules.round_earnings_to
        for i, v in values.items():
            if pd.isna(v):
                continue
            published += 1
            if (int(i), col) in primary:
                problems.append(f"{col} at ({where(i)}): {primary[(int(i), col)]}")
            elif abs(v / base - round(v / base)) > 1e-9:
                problems.append(f"{col} at ({where(i)}): not rounded to {base}")
    if spec.counts:
        hidden = {
            (int(i), c)
            for c in spec.counts
            for i, v in pd.to_numeric(safe[c], errors="coerce").items()
            if pd.isna(v)
        }
        for i, c in recoverable_cells(hidden, build_constraints(raw, spec)):
            problems.append(f"{c} at ({where(i)}): recoverable from published totals")
        if spec.labels:
            all_hidden = safe[list(spec.counts)].isna().all(axis=1)
            for label in spec.labels:
                shown = safe[label].notna() & all_hidden
                for i in shown[shown].index:
                    problems.append(f"{label} at ({where(i)}): label of a suppressed row is shown")
    for share in spec.shares:
        pct = pd.to_numeric(safe[share.name], errors="coerce")
        expected = compute_share(safe, spec, share, rules)
        bad = pct.notna() & ~np.isclose(pct.fillna(0), expected.fillna(-1))
        for i in bad[bad].index:
            problems.append(f"{share.name} at ({where(i)}): not computed from the published counts")
    return Verification(not problems, problems, published)


def to_csv_frame(safe: pd.DataFrame, spec: TableSpec, rules: DisclosureRules) -> pd.DataFrame:
    """The safe table as exported: suppressed cells shown as the marker, counts as integers."""
    out = safe.copy()
    numeric = (
        list(spec.counts)
        + [s.name for s in spec.shares]
        + (list(spec.magnitude.stats) if spec.magnitude else [])
    )
    for col in numeric:
        vals = pd.to_numeric(out[col], errors="coerce")
        if col in spec.counts or (spec.magnitude and col in spec.magnitude.stats):
            text = vals.map(lambda v: "" if pd.isna(v) else str(int(round(v))))  # noqa: RUF046 (numpy floats)
        else:
            text = vals.map(lambda v: "" if pd.isna(v) else f"{v:.{rules.percent_decimals}f}")
        out[col] = text.where(vals.notna(), rules.suppressed_marker)
    for label in spec.labels:
        out[label] = out[label].where(out[label].notna(), rules.suppressed_marker)
    return out
