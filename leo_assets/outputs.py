"""Disclosure-safe outputs: an ``out_*_safe`` asset per ``out_*`` table, their pictures, the export.

* Each ``sql/outputs/out_*.sql`` says in its header's ``disclosure:`` block which columns are
  keys, counts, percentages and magnitudes, and which additive relations join its cells (for
  secondary suppression); :func:`output_specs` turns the blocks into
  :class:`leo_assets.disclosure.TableSpec`, so a new output is one SQL file and no Python.
* ``out_<name>_safe`` (group ``outputs``) reads the small aggregate ``out_<name>`` table (never
  person-level rows), applies :func:`leo_assets.disclosure.protect`, writes the safe table into the
  workspace as ``<name>_safe__new``, re-verifies it there with :func:`leo_assets.disclosure.verify`
  (blocking check ``no_disclosive_cells``) and only then swaps it in. Its pictures are drawn from
  the safe table and shown in the asset's metadata.
* :func:`export_outputs` (``leo-assets export-outputs [FOLDER]``) re-verifies every safe table and
  writes CSV files, PNG pictures, an output-checking report and an ACRO session for clearance.
"""

import base64
import hashlib
import io
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlglot import exp

from leo_assets import disclosure
from leo_assets.assets import STALE_CLOSURE, model_key
from leo_assets.disclosure import (
    DisclosureRules,
    Linked,
    Magnitude,
    Margin,
    RowSum,
    Share,
    TableSpec,
    primary_reasons,
    rules_for,
    sequence_sample_size,
    to_csv_frame,
    verify,
)
from leo_assets.resources import BlockingChecksFailed, BuildError, WorkspaceDatabase, redact
from leo_assets.settings import Settings
from leo_assets.sqlproject.header import LoadError
from leo_assets.sqlproject.loader import SqlModel, SqlProject

MAX_AGGREGATE_ROWS = 200_000  # an out_* table is an aggregate: anything bigger is refused
CHECK_NAME = "no_disclosive_cells"
SDC_CODE_VERSION = "1"


# ------------------------------------------------------------------------ specs from headers
def _output_columns(model: SqlModel) -> list[str] | None:
    """The columns of a model's final SELECT (None when it selects ``*``)."""
    select = model.tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    if not isinstance(select, exp.Select):
        return None
    names = [p.alias_or_name for p in select.expressions]
    return (
        None if "*" in names or any(isinstance(p, exp.Star) for p in select.expressions) else names
    )


def table_spec(project: SqlProject, model: SqlModel) -> TableSpec:
    """The :class:`TableSpec` of an ``out_*`` model from its header's ``disclosure:`` block.

    Errors name the file and the key (``disclosure.relations.0.margin.dimension``): a missing
    block, dimensions that are not the grain, a column the SELECT does not have, a reference table
    or column that does not exist.
    """
    rel = model.path.relative_to(project.sql_dir).as_posix()
    decl = model.header.disclosure
    if decl is None:
        raise LoadError(
            f"{rel}:1: header: disclosure: missing: an outputs model declares how "
            f"{model.name}_safe is protected (dimensions, counts, relations...; docs/outputs.md)"
        )

    def fail(key: str, problem: str) -> LoadError:
        return LoadError(f"{rel}:1: header: disclosure.{key}: {problem}")

    grain = list(model.header.grain)
    dims = list(decl.dimensions) or grain
    if not grain or sorted(dims) != sorted(grain):
        raise fail("dimensions", f"{dims} must be the grain {grain} (the keys of a cell)")
    columns = _output_columns(model)

    def column(key: str, name: str | None) -> None:
        if name is not None and columns is not None and name not in columns:
            raise fail(key, f"no column {name!r} in the SELECT (columns: {', '.join(columns)})")

    for key in ("counts", "labels", "keep"):
        for i, name in enumerate(getattr(decl, key)):
            column(f"{key}.{i}", name)

    def reference_values(key: str, ref) -> tuple[str, ...]:
        seed = project.models.get(ref.reference)
        if seed is None or not seed.is_seed:
            raise fail(f"{key}.reference", f"no reference table {ref.reference!r} (sql/reference/)")
        names = [c for c, _t, _d in seed.seed_columns]
        for name in [ref.column, *ref.where]:
            if name not in names:
                raise fail(key, f"{ref.reference} has no column {name!r} ({', '.join(names)})")
        rows = [dict(zip(names, row)) for row in seed.seed_rows]
        return tuple(
            str(r[ref.column])
            for r in rows
            if all(str(r[k]) == str(v) for k, v in ref.where.items())
        )

    relations: list[Any] = []
    for i, rd in enumerate(decl.relations):
        if rd.margin:
            m, key = rd.margin, f"relations.{i}.margin"
            column(f"{key}.dimension", m.dimension)
            for j, b in enumerate(m.by):
                column(f"{key}.by.{j}", b)
            parts = m.parts
            if parts is not None and not isinstance(parts, list):
                parts = reference_values(f"{key}.parts", parts)
            relations.append(
                Margin(
                    m.dimension,
                    m.total,
                    by=tuple(m.by),
                    parts=None if parts is None else tuple(str(p) for p in parts),
                )
            )
        elif rd.linked:
            lk, key = rd.linked, f"relations.{i}.linked"
            column(f"{key}.dimension", lk.dimension)
            for j, b in enumerate(lk.by):
                column(f"{key}.by.{j}", b)
            for w in lk.where:
                column(f"{key}.where.{w}", w)
            relations.append(Linked(lk.dimension, by=tuple(lk.by), where=dict(lk.where)))
        elif rd.row_sum:
            relations.append(RowSum(rd.row_sum.total, tuple(rd.row_sum.parts)))
    shares = []
    for i, sh in enumerate(decl.shares):
        column(f"shares.{i}.dimension", sh.dimension)
        shares.append(Share(sh.name, sh.count, sh.dimension, sh.total, sh.denominator))
    magnitude = None
    if decl.magnitude:
        mg = decl.magnitude
        for key in ("n", "total", "negatives"):
            column(f"magnitude.{key}", getattr(mg, key))
        for key in ("stats", "tops"):
            for j, name in enumerate(getattr(mg, key)):
                column(f"magnitude.{key}.{j}", name)
        magnitude = Magnitude(
            tuple(mg.stats), n=mg.n, total=mg.total, tops=tuple(mg.tops), negatives=mg.negatives
        )
    return TableSpec(
        name=model.name,
        title=decl.title,
        dims=tuple(dims),
        counts=tuple(decl.counts),
        relations=tuple(relations),
        shares=tuple(shares),
        magnitude=magnitude,
        labels=tuple(decl.labels),
        keep=tuple(decl.keep),
    )


def output_specs(project: SqlProject) -> dict[str, TableSpec]:
    """The disclosure spec of every ``out_*`` model, by name (sorted); a ``disclosure:`` block on
    a model of another layer is an error (it would protect nothing)."""
    specs: dict[str, TableSpec] = {}
    for name in sorted(project.models):
        model = project.models[name]
        if model.layer == "outputs":
            specs[name] = table_spec(project, model)
        elif model.header.disclosure is not None:
            rel = model.path.relative_to(project.sql_dir).as_posix()
            raise LoadError(
                f"{rel}:1: header: disclosure: only outputs models (sql/outputs/out_*.sql) are "
                f"protected; this is a {model.layer} model"
            )
    return specs


# ------------------------------------------------------------------------------ database io
def read_frame(
    db: WorkspaceDatabase,
    name: str,
    order_by: Sequence[str] | None = None,
    max_rows: int = MAX_AGGREGATE_ROWS,
) -> pd.DataFrame:
    """A small workspace table as a DataFrame, its rows ordered by ``order_by`` (default: every
    column, left to right), so that nothing downstream sees the engine's arbitrary row order.
    Refuses a table bigger than an aggregate should be."""
    table = db.target(name).sql(db.dialect)
    n = int(db.scalar(f"SELECT COUNT(*) FROM {table}"))
    if n > max_rows:
        raise BuildError(
            f"{name} has {n} rows: more than an aggregate output may have ({max_rows}); "
            "person-level data stay in the database"
        )
    with db.connect() as conn:
        if not order_by:
            order_by = list(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())
        order = ", ".join(exp.to_identifier(c, quoted=True).sql(db.dialect) for c in order_by)
        result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for col in frame.columns:
        if (
            frame[col].dtype == object
            and frame[col].map(lambda v: v is None or not isinstance(v, str)).all()
        ):
            converted = pd.to_numeric(frame[col], errors="coerce")
            if converted.notna().sum() == frame[col].notna().sum():
                frame[col] = converted
    return frame


def _column_type(frame: pd.DataFrame, col: str, spec: TableSpec) -> str:
    if col in spec.counts:
        return "int"
    if col in {s.name for s in spec.shares}:
        return "decimal(9, 3)"
    if spec.magnitude and col in spec.magnitude.stats:
        return "decimal(14, 2)"
    values = frame[col].dropna()
    if len(values) and pd.api.types.is_numeric_dtype(values) and (values == values.round()).all():
        return "int"
    return "varchar(400)"


def _cell(value: Any, typ: str) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if typ == "int":
        return round(float(value))
    if typ.startswith("decimal"):
        return float(value)
    return str(value)


def write_safe_table(
    db: WorkspaceDatabase, spec: TableSpec, safe: pd.DataFrame, gate
) -> dict[str, Any]:
    columns = [(c, _column_type(safe, c, spec), "") for c in safe.columns]
    rows = [
        tuple(_cell(v, t) for v, (_c, t, _d) in zip(row, columns))
        for row in safe.itertuples(index=False)
    ]
    return db.load_seed(spec.safe_name, columns, rows, gate)


# ------------------------------------------------------------------------------- pictures
@dataclass
class Picture:
    filename: str
    title: str
    png: bytes
    exportable: bool = True
    note: str = ""
    drawn_from: str = ""  # where the picture's data come from, for the output-checking report

    def markdown(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        note = f"\n\n*{self.note}*" if self.note else ""
        return f"**{self.title}**{note}\n\n![{self.title}](data:image/png;base64,{data})"


STATE_COLOURS = {
    "school": "#1f77b4",
    "fe": "#aec7e8",
    "he": "#9467bd",
    "apprenticeship": "#2ca02c",
    "traineeship": "#98df8a",
    "employment": "#ff7f0e",
    "self_employment": "#ffbb78",
    "out_of_work_benefit": "#d62728",
    "disability_carer_benefit": "#e377c2",
    "in_work_benefit": "#ff9896",
    "neet": "#8c564b",
    "neet_active": "#8c564b",
    "neet_inactive": "#c49c94",
    "custody": "#000000",
    "not_captured": "#c7c7c7",
    "education": "#1f77b4",
    "combination": "#17becf",
    "not_sustained": "#d62728",
    "censored": "#ffffff",
}


def _png(fig) -> bytes:
    """The figure as PNG at a fixed resolution, with no software or date stamp (same input, same
    bytes)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=PICTURE_DPI, bbox_inches="tight", metadata={"Software": None}
    )
    plt.close(fig)
    return buf.getvalue()


PICTURE_DPI = 100


def _legend_below(fig, handles, labels, ncol: int = 5) -> None:
    """One legend for the figure, below the plots, in readable type."""
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(ncol, max(1, len(labels))),
        fontsize=11,
        frameon=False,
    )


def _figure(width: float = 7.0, height: float = 4.0, ncols: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width, height), squeeze=False)


def plot_state_distribution(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    cohorts = sorted(safe["ks4_year"].dropna().unique())[-3:]
    if not cohorts:
        return []
    fig, axes = _figure(max(10.0, 4.6 * len(cohorts)), 5.0, len(cohorts))
    states = (
        safe[safe["state"] != "all"].sort_values("sort_order")["state"].drop_duplicates().tolist()
    )
    for ax, cohort in zip(axes[0], cohorts):
        part = safe[(safe["ks4_year"] == cohort) & (safe["state"] != "all")]
        wide = (
            part.pivot_table(index="month_index", columns="state", values="n_people", aggfunc="sum")
            .reindex(columns=states)
            .fillna(0)
        )
        shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
        ax.stackplot(
            shares.index / 12.0,
            shares.T.to_numpy(),
            labels=states,
            colors=[STATE_COLOURS.get(s, "#7f7f7f") for s in states],
            linewidth=0,
        )
        ax.set_title(f"KS4 {int(cohort)}", fontsize=12)
        ax.set_xlabel("years after KS4", fontsize=11)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=10)
    axes[0][0].set_ylabel("share of cohort", fontsize=11)
    handles, labels = axes[0][-1].get_legend_handles_labels()
    _legend_below(fig, handles, labels, ncol=6)
    fig.suptitle(
        "Monthly state distribution (rounded counts; suppressed cells left out)", fontsize=12
    )
    return [Picture("state_distribution.png", "State distribution by month", _png(fig))]


def plot_flows(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    from matplotlib.patches import Polygon, Rectangle

    have_both = safe.groupby("ks4_year")["from_year"].nunique()
    cohorts = sorted(have_both[have_both >= 2].index) or sorted(have_both.index)
    if not cohorts:
        return []
    cohort = cohorts[0]
    part = safe[safe["ks4_year"] == cohort]
    fig, axes = _figure(11.0, 6.0)
    ax = axes[0][0]
    years = sorted(set(part["from_year"]) | set(part["to_year"]))
    xpos = {y: i * 3.0 for i, y in enumerate(years)}
    width = 0.35

    def node_sizes(year):
        if year in set(part["from_year"]):
            rows = part[
                (part["from_year"] == year)
                & (part["to_destination"] == "all")
                & (part["from_destination"] != "all")
            ]
            return rows.set_index("from_destination")["n_people"].fillna(0)
        rows = part[
            (part["to_year"] == year)
            & (part["from_destination"] == "all")
            & (part["to_destination"] != "all")
        ]
        return rows.set_index("to_destination")["n_people"].fillna(0)

    # the destinations in display order (the table's sort_order, from ref_destinations)
    destinations = (
        part[(part["to_destination"] == "all") & (part["from_destination"] != "all")]
        .sort_values("sort_order")["from_destination"]
        .drop_duplicates()
        .tolist()
    )
    layout: dict[tuple[int, str], list[float]] = {}
    for year in years:
        sizes = node_sizes(year).reindex(destinations).fillna(0)
        total = sizes.sum() or 1.0
        bottom = 0.0
        for dest, n in sizes.items():
            h = n / total
            layout[(year, dest)] = [
                bottom,
                bottom + h,
                bottom,
                bottom,
            ]  # top, bottom, out-cursor, in-cursor
            ax.add_patch(
                Rectangle(
                    (xpos[year] - width / 2, 1 - bottom - h),
                    width,
                    h,
                    color=STATE_COLOURS.get(dest, "#7f7f7f"),
                    lw=0,
                )
            )
            bottom += h + 0.0
        layout[(year, "__total")] = [total]
    for _i, row in (
        part[(part["from_destination"] != "all") & (part["to_destination"] != "all")]
        .sort_values("sort_order")
        .iterrows()
    ):
        n = row["n_people"]
        if pd.isna(n) or n <= 0:
            continue
        a, b = (row["from_year"], row["from_destination"]), (row["to_year"], row["to_destination"])
        if a not in layout or b not in layout:
            continue
        ha = n / layout[(row["from_year"], "__total")][0]
        hb = n / layout[(row["to_year"], "__total")][0]
        y0 = layout[a][2]
        y1 = layout[b][3]
        layout[a][2] += ha
        layout[b][3] += hb
        x0, x1 = xpos[row["from_year"]] + width / 2, xpos[row["to_year"]] - width / 2
        xs = np.linspace(x0, x1, 20)
        t = (1 - np.cos(np.linspace(0, np.pi, 20))) / 2
        top = 1 - (y0 + (y1 - y0) * t)
        bot = 1 - (y0 + ha + (y1 + hb - y0 - ha) * t)
        poly = np.concatenate([np.column_stack([xs, top]), np.column_stack([xs[::-1], bot[::-1]])])
        ax.add_patch(
            Polygon(
                poly,
                closed=True,
                color=STATE_COLOURS.get(row["from_destination"], "#7f7f7f"),
                alpha=0.35,
                lw=0,
            )
        )
    ax.set_xlim(-1, xpos[years[-1]] + 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([xpos[y] for y in years], [f"year {int(y)}" for y in years], fontsize=11)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"KS4 {int(cohort)}: destinations 1, 3 and 5 years after KS4"
        " (rounded; suppressed flows left out)",
        fontsize=12,
        pad=12,
    )
    from matplotlib.patches import Patch

    _legend_below(
        fig,
        [Patch(color=STATE_COLOURS.get(d, "#7f7f7f")) for d in destinations],
        [d.replace("_", " ") for d in destinations],
        ncol=6,
    )
    return [
        Picture(
            "destination_flows.png", "Flows between destinations at 1, 3 and 5 years", _png(fig)
        )
    ]


def plot_top_sequences(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    shown = safe[
        (safe["sequence_rank"] >= 1) & (safe["sequence_rank"] <= 20) & safe["n_people"].notna()
    ]
    if shown.empty:
        return []
    cohort = min(shown["ks4_year"].unique())
    rows = shown[shown["ks4_year"] == cohort].sort_values("sequence_rank").head(10)
    fig, axes = _figure(10.0, 6.0)
    ax = axes[0][0]
    y = 0.0
    seen: dict[str, Any] = {}
    for _i, row in rows.iloc[::-1].iterrows():
        h = float(row["n_people"])
        for k, state in enumerate(str(row["sequence_states"]).split("-")):
            patch = ax.barh(
                y + h / 2,
                1,
                left=k,
                height=h,
                color=STATE_COLOURS.get(state, "#7f7f7f"),
                lw=0.3,
                edgecolor="white",
            )
            seen.setdefault(state, patch)
        y += h
    ax.set_xticks(np.arange(5) + 0.5, [f"year {k}" for k in range(1, 6)], fontsize=11)
    ax.set_ylabel("people (rounded)", fontsize=11)
    ax.tick_params(labelsize=10)
    _legend_below(fig, list(seen.values()), list(seen), ncol=5)
    ax.set_title(
        f"KS4 {int(cohort)}: the most common yearly sequences (height = rounded count)", fontsize=12
    )
    return [Picture("top_sequences.png", "Most common yearly sequences", _png(fig))]


def plot_earnings(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    data = safe.sort_values("age")
    if data["p50_earnings_gbp_real"].notna().sum() == 0:
        return []
    fig, axes = _figure(10.0, 5.5)
    ax = axes[0][0]
    ax.fill_between(
        data["age"],
        data["p10_earnings_gbp_real"],
        data["p90_earnings_gbp_real"],
        alpha=0.2,
        color="#1f77b4",
        label="10th-90th",
    )
    ax.fill_between(
        data["age"],
        data["p25_earnings_gbp_real"],
        data["p75_earnings_gbp_real"],
        alpha=0.35,
        color="#1f77b4",
        label="25th-75th",
    )
    ax.plot(
        data["age"],
        data["p50_earnings_gbp_real"],
        color="#1f77b4",
        marker="o",
        ms=3,
        label="median",
    )
    ax.plot(data["age"], data["mean_earnings_gbp_real"], color="#ff7f0e", ls="--", label="mean")
    ax.set_xlabel("age at the end of the tax year", fontsize=11)
    ax.set_ylabel("£ a year, real terms", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=10, frameon=False)
    ax.set_title(
        f"Earnings of those with earnings, by age (rounded to £{rules.round_earnings_to:d};"
        " suppressed cells left out)",
        fontsize=12,
    )
    return [Picture("earnings_by_age.png", "Earnings percentiles by age", _png(fig))]


def plot_match_quality(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    data = safe[(safe["diagnostic_id"] == "PL-5")].copy()
    if data.empty:
        return []
    data["ks4_year"] = data["ks4_year"].astype(str)
    measures = [
        m
        for m in ("leo_link", "paye", "benefits", "ilr", "hesa", "nccis")
        if m in set(data["measure"])
    ]
    cohorts = sorted(data["ks4_year"].unique())
    fig, axes = _figure(10.0, 5.5)
    ax = axes[0][0]
    width = 0.8 / max(1, len(cohorts))
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
    for k, cohort in enumerate(cohorts):
        rows = data[data["ks4_year"] == cohort].set_index("measure").reindex(measures)
        xs = np.arange(len(measures)) + (k - (len(cohorts) - 1) / 2) * width
        ax.bar(
            xs,
            rows["pct_flagged"].fillna(0),
            width=width,
            label=f"KS4 {cohort}",
            color=colours[k % len(colours)],
        )
        for x, pct in zip(xs, rows["pct_flagged"]):
            if pd.isna(pct):
                ax.text(x, 1, "c", ha="center", fontsize=10)
    ax.set_xticks(np.arange(len(measures)), [m.replace("_", " ") for m in measures], fontsize=11)
    ax.set_ylim(0, 110)
    ax.set_ylabel("% of KS4 pupils", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.legend(fontsize=10, frameon=False, ncol=len(cohorts))
    ax.set_title(
        "Match quality (PL-5): pupils linked to LEO and with a record, by cohort (rounded counts)",
        fontsize=12,
    )
    return [Picture("match_quality.png", "Match-quality rates by cohort", _png(fig))]


def plot_sequence_index(
    db: WorkspaceDatabase, settings: Settings, rules: DisclosureRules
) -> list[Picture]:
    """Individual monthly trajectories of a pseudo-random sample: synthetic data only for export."""
    size = sequence_sample_size(settings, rules)
    if size <= 0:
        return []
    ws = db.target("transition_sequence").sql(db.dialect)
    cohort = db.target("ks4_cohort").sql(db.dialect)
    order = (
        "(CAST(person_id AS BIGINT) * CAST(2654435761 AS BIGINT)) % CAST(4294967296 AS BIGINT),"
        " person_id"
    )
    top = f"SELECT TOP {size} person_id" if db.dialect == "tsql" else "SELECT person_id"
    limit = "" if db.dialect == "tsql" else f" LIMIT {size}"
    sample_sql = f"{top} FROM {cohort} ORDER BY {order}{limit}"
    sql = (
        f"SELECT seq.person_id, seq.month_index, seq.state FROM {ws} AS seq "
        f"WHERE seq.person_id IN (SELECT person_id FROM ({sample_sql}) AS sampled)"
    )
    if db.dialect == "tsql":
        sql = (
            f"SELECT seq.person_id, seq.month_index, seq.state FROM {ws} AS seq "
            f"INNER JOIN ({sample_sql}) AS sampled ON sampled.person_id = seq.person_id"
        )
    rows = db.rows(sql + " ORDER BY seq.person_id, seq.month_index")
    if not rows:
        return []
    frame = pd.DataFrame(rows, columns=["person_id", "month_index", "state"])
    wide = frame.pivot(index="person_id", columns="month_index", values="state")
    wide = wide.sort_values(list(wide.columns)[: min(24, wide.shape[1])], na_position="last")
    states = sorted(set(frame["state"]))
    codes = {s: i for i, s in enumerate(states)}
    grid = wide.apply(lambda col: col.map(codes)).to_numpy(dtype=float)
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fig, axes = _figure(10.0, 6.5)
    ax = axes[0][0]
    ax.imshow(
        grid,
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap([STATE_COLOURS.get(s, "#7f7f7f") for s in states]),
        vmin=-0.5,
        vmax=len(states) - 0.5,
        extent=(0.5 / 12, (wide.shape[1] + 0.5) / 12, wide.shape[0], 0),
    )
    ax.set_xlabel("years after KS4", fontsize=11)
    ax.set_ylabel(f"{wide.shape[0]} people (sample)", fontsize=11)
    ax.tick_params(labelsize=10)
    _legend_below(fig, [Patch(color=STATE_COLOURS.get(s, "#7f7f7f")) for s in states], states, 6)
    synthetic = settings.project_schema == "synthetic"
    ax.set_title(
        "Sequence index plot: monthly states of a sample"
        + (" (SYNTHETIC DATA)" if synthetic else " (NOT FOR EXPORT)"),
        fontsize=12,
    )
    note = (
        ""
        if synthetic
        else (
            "Individual-level picture: shown here inside the secure environment only;"
            " never exported."
        )
    )
    return [
        Picture(
            "sequence_index_synthetic.png",
            "Sequence index plot of a sample",
            _png(fig),
            exportable=synthetic,
            note=note,
            drawn_from=(
                f"the monthly states of {wide.shape[0]} individuals, a pseudo-random sample of "
                f"{'synthetic' if synthetic else 'REAL'} people from transition_sequence (not from "
                "the safe table: an individual-level picture, exported only on synthetic data)"
            ),
        )
    ]


def plot_destinations(safe: pd.DataFrame, rules: DisclosureRules) -> list[Picture]:
    """Whole-cohort destinations 1, 3 and 5 years after KS4: one stacked bar per cohort and year."""
    whole = safe[
        (safe["breakdown"] == "all")
        & (safe["group_value"] == "all")
        & ~safe["destination"].isin(["all", "sustained"])
    ]
    if whole.empty or whole["n_people"].notna().sum() == 0:
        return []
    order = whole.sort_values(["sort_order", "destination"])["destination"].drop_duplicates()
    destinations = order.tolist()
    bars = sorted({(int(c), int(y)) for c, y in zip(whole["ks4_year"], whole["destination_year"])})
    wide = (
        whole.assign(n=pd.to_numeric(whole["n_people"], errors="coerce"))
        .pivot_table(
            index=["ks4_year", "destination_year"], columns="destination", values="n", aggfunc="sum"
        )
        .reindex(columns=destinations)
        .fillna(0)
    )
    wide.index = [(int(c), int(y)) for c, y in wide.index]
    wide = wide.reindex(bars).fillna(0)
    shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).fillna(0) * 100
    fig, axes = _figure(10.0, max(4.5, 0.45 * len(bars) + 2.0))
    ax = axes[0][0]
    ys = np.arange(len(bars))[::-1]
    left = np.zeros(len(bars))
    handles = []
    for dest in destinations:
        width = shares[dest].to_numpy()
        handles.append(
            ax.barh(ys, width, left=left, color=STATE_COLOURS.get(dest, "#7f7f7f"), height=0.8)
        )
        left += width
    ax.set_yticks(ys, [f"KS4 {c}, year {y}" for c, y in bars], fontsize=10)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the cohort (from rounded counts; suppressed cells left out)", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.set_title("Destinations 1, 3 and 5 years after KS4, whole cohort", fontsize=12)
    _legend_below(fig, handles, [d.replace("_", " ") for d in destinations], ncol=5)
    return [Picture("destinations.png", "Destinations by cohort and year", _png(fig))]


PICTURES: dict[str, Callable[[pd.DataFrame, DisclosureRules], list[Picture]]] = {
    "out_destinations": plot_destinations,
    "out_state_distribution": plot_state_distribution,
    "out_destination_flows": plot_flows,
    "out_top_sequences": plot_top_sequences,
    "out_earnings_by_age": plot_earnings,
    "out_match_quality": plot_match_quality,
}


def pictures_for(
    spec: TableSpec,
    safe: pd.DataFrame,
    db: WorkspaceDatabase,
    settings: Settings,
    rules: DisclosureRules,
) -> list[Picture]:
    pics = PICTURES[spec.name](safe, rules) if spec.name in PICTURES else []
    if spec.name == "out_top_sequences":
        pics += plot_sequence_index(db, settings, rules)
    return pics


# ------------------------------------------------------------------------------ the assets
def suppression_summary(
    safe: pd.DataFrame, raw: pd.DataFrame, spec: TableSpec, rules: DisclosureRules
) -> dict[str, dict[str, int]]:
    """{column: {reason: cells}} for the suppressed cells of a safe table (primary reason, else
    secondary)."""
    primary = primary_reasons(raw, spec, rules)
    keys = list(spec.dims)
    joined = (
        raw.reset_index(drop=True)[keys]
        .astype(str)
        .merge(
            safe.assign(__pos=range(len(safe))).astype({k: str for k in keys}), on=keys, how="left"
        )
    )
    out: dict[str, dict[str, int]] = {}
    columns = list(spec.counts) + (list(spec.magnitude.stats) if spec.magnitude else [])
    for col in columns:
        for i, v in pd.to_numeric(joined[col], errors="coerce").items():
            if pd.isna(v):
                why = primary.get((int(i), col), "secondary")
                out.setdefault(col, {}).setdefault(why, 0)
                out[col][why] += 1
    return out


def materialize_safe(
    spec: TableSpec, db: WorkspaceDatabase, settings: Settings
) -> tuple[dict[str, Any], disclosure.Verification, list[Picture]]:
    """Protect ``spec.name`` into ``spec.safe_name``, gated by the blocking re-verification."""
    rules = rules_for(settings)
    raw = read_frame(db, spec.name, spec.dims)
    protected = disclosure.protect(raw, spec, rules)
    outcome: list[disclosure.Verification] = []

    def gate(new_name: str) -> None:
        written = read_frame(db, new_name, spec.dims)
        result = verify(written, raw, spec, rules)
        outcome.append(result)
        if not result.passed:
            raise BlockingChecksFailed(
                f"{spec.safe_name}: blocking check {CHECK_NAME} failed, previous table kept: "
                f"{result.summary()}",
                [result],
            )

    info = write_safe_table(db, spec, protected.table, gate)
    safe = read_frame(db, spec.safe_name, spec.dims)
    pictures = pictures_for(spec, safe, db, settings, rules)
    summary = suppression_summary(safe, raw, spec, rules)
    cells = sum(
        len(safe)
        for _ in list(spec.counts) + (list(spec.magnitude.stats) if spec.magnitude else [])
    )
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(len(safe)),
        "dagster/table_name": dg.MetadataValue.text(f"{db.workspace_schema}.{spec.safe_name}"),
        "dagster/column_schema": dg.MetadataValue.table_schema(safe_column_schema(db, spec)),
        "sdc_rules": dg.MetadataValue.md("\n".join(f"* **{r}**: {d}" for r, d in rules.describe())),
        "suppressed_cells": dg.MetadataValue.json(summary),
        "published_cells": dg.MetadataValue.int(outcome[-1].cells if outcome else 0),
        "statistic_cells": dg.MetadataValue.int(cells),
        "build_seconds": dg.MetadataValue.float(info["seconds"]),
        "preview": dg.MetadataValue.md(
            to_csv_frame(safe, spec, rules).head(20).to_markdown(index=False)
        ),
    }
    for pic in pictures:
        metadata[f"picture_{Path(pic.filename).stem}"] = dg.MetadataValue.md(pic.markdown())
    return metadata, outcome[-1], pictures


def _safe_column_role(spec: TableSpec, name: str) -> str | None:
    """What a safe table's column is, in words, from its protection spec."""
    shares = {sh.name: sh for sh in spec.shares}
    stats = set(spec.magnitude.stats) if spec.magnitude else set()
    if name in spec.dims:
        return "key (part of the table's grain)"
    if name in spec.counts:
        return "count, rounded; NULL where suppressed"
    if name in shares:
        return f"percentage computed from the rounded {shares[name].count}; NULL where suppressed"
    if name in stats:
        return "amount, rounded; NULL where suppressed"
    if name in spec.labels:
        return "label, blank when every count of the row is suppressed"
    if name in spec.keep:
        return "published as in the raw table"
    return None


def safe_column_schema(db: WorkspaceDatabase, spec: TableSpec) -> dg.TableSchema:
    """The safe table's columns as written, each with its role in the disclosure control."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=str(typ), description=_safe_column_role(spec, name))
            for name, typ in db.columns(spec.safe_name)
        ]
    )


def _code_version(spec: TableSpec, settings: Settings, model_version: str) -> str:
    blob = json.dumps(
        [
            SDC_CODE_VERSION,
            repr(spec),
            rules_for(settings).model_dump(),
            model_version,
            settings.project_schema,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_safe_asset(
    project: SqlProject, spec: TableSpec, backend: str, settings: Settings
) -> dg.AssetsDefinition:
    model = project.models[spec.name]
    key = dg.AssetKey(["outputs", spec.safe_name])
    rules = rules_for(settings)

    @dg.asset(
        key=key,
        description=(
            f"{spec.title}: the disclosure-safe version of {spec.name}, the table to export. "
            f"Rules: minimum count {rules.min_cell_count}, counts rounded to "
            f"{rules.round_counts_to}, earnings to £{rules.round_earnings_to}, N-K ({rules.nk_n}, "
            f"{rules.nk_k}), p% {rules.p_ratio}, secondary suppression against totals "
            "(leo_assets/disclosure.py). Suppressed cells are NULL."
        ),
        group_name="outputs",
        code_version=_code_version(spec, settings, model.code_version),
        deps=[model_key(model)],
        kinds={"python", backend},
        tags={"layer": "outputs"},
        check_specs=[
            dg.AssetCheckSpec(
                name=CHECK_NAME,
                asset=key,
                blocking=True,
                description=(
                    "Re-verifies every SDC rule on the written safe table against the raw counts: "
                    "no published cell breaks a primary rule, every count and amount is rounded, "
                    "no suppressed cell is recoverable from published totals, no evidence column "
                    "is published."
                ),
            )
        ],
        automation_condition=STALE_CLOSURE,
    )
    def _asset(context: dg.AssetExecutionContext, workspace: WorkspaceDatabase):
        try:
            metadata, result, _pictures = materialize_safe(spec, workspace, settings)
        except BlockingChecksFailed as exc:
            for res in exc.outcomes:
                yield dg.AssetCheckResult(
                    check_name=CHECK_NAME,
                    passed=False,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=res.summary(),
                    metadata={"problems": len(res.problems)},
                )
            raise dg.Failure(description=redact(str(exc))) from None
        except BuildError as exc:
            raise dg.Failure(description=redact(str(exc))) from None
        yield dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(
                    check_name=CHECK_NAME,
                    passed=True,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=result.summary(),
                    metadata={"published_cells": result.cells},
                )
            ],
        )

    return _asset


def build_output_assets(project: SqlProject, backend: str) -> list[dg.AssetsDefinition]:
    """One ``out_*_safe`` asset per ``out_*`` model, protected as its header's ``disclosure:``
    block says; a missing or bad block fails the load naming the file and the key."""
    settings = project.settings
    rules_for(settings)  # a bad disclosure setting fails here, naming disclosure.<key>
    return [
        build_safe_asset(project, spec, backend, settings)
        for spec in output_specs(project).values()
    ]


# ------------------------------------------------------------------------------- the export
class ExportRefused(RuntimeError):
    """A safe table is missing or fails re-verification: nothing is exported."""


@dataclass
class ExportedTable:
    spec: TableSpec
    rows: int
    published: int
    suppressed: dict[str, dict[str, int]]
    csv: str
    pictures: list[str]
    withheld: list[str]
    drawn_from: dict[str, str] = field(default_factory=dict)  # picture path: its data's source


REASON_TEXT = {
    "below_threshold": "below the minimum count (or fewer contributors than the minimum)",
    "zero": "a zero count (zeros are disclosive)",
    "dominance_nk": "dominated by its largest contributors (N-K rule)",
    "p_ratio": "p% rule (the largest contributor could be estimated too closely)",
    "secondary": "secondary suppression (protects a suppressed cell from recovery through totals)",
    "not_computed": "no value (no contributors)",
    "missing": "no value",
}


def export_outputs(
    project: SqlProject, db: WorkspaceDatabase, folder: Path, read_only: bool = False
) -> list[ExportedTable]:
    """Write every safe output (CSV), its pictures (PNG), ``output_checking_report.md`` and an ACRO
    session (``acro/``) to ``folder``. Every table is re-verified first; any failure exports
    nothing.

    ``read_only``: the route for a workspace built by the SSMS script (``leo-assets render``),
    which builds the ``out_*`` aggregates but not their ``_safe`` tables: each is protected here,
    in memory, by the same disclosure control the ``_safe`` asset applies, and nothing is
    written to the database (a read-only login suffices).
    """
    settings = project.settings
    rules = rules_for(settings)
    specs = list(output_specs(project).values())
    checked = []
    for spec in specs:
        if read_only:
            if not db.relation_kind(spec.name):
                raise ExportRefused(
                    f"{spec.name} has not been built: run the SSMS script (leo-assets render) first"
                )
            raw = read_frame(db, spec.name, spec.dims)
            safe = disclosure.protect(raw, spec, rules).table
            checked.append((spec, raw, safe, verify(safe, raw, spec, rules)))
            if not checked[-1][3].passed:
                raise ExportRefused(
                    f"{spec.name}: the protected table fails output checking, nothing exported: "
                    f"{checked[-1][3].summary()}"
                )
            continue
        if not db.relation_kind(spec.safe_name):
            raise ExportRefused(
                f"{spec.safe_name} has not been built: "
                f"run 'leo-assets build {spec.safe_name}' first"
            )
        raw = read_frame(db, spec.name, spec.dims)
        safe = read_frame(db, spec.safe_name, spec.dims)
        result = verify(safe, raw, spec, rules)
        if not result.passed:
            raise ExportRefused(
                f"{spec.safe_name} fails output checking, nothing exported: {result.summary()} "
                "(rebuild it: the rules or the data changed since it was built)"
            )
        checked.append((spec, raw, safe, result))
    folder = Path(folder)
    for sub in ("tables", "plots", "acro"):
        if (folder / sub).exists():
            shutil.rmtree(folder / sub)
        if sub != "acro":
            (folder / sub).mkdir(parents=True, exist_ok=True)
    exported: list[ExportedTable] = []
    for spec, raw, safe, result in checked:
        csv_path = folder / "tables" / f"{spec.name}.csv"
        order = list(spec.dims[:-1]) + list(spec.keep) + list(spec.dims[-1:])
        ordered = safe.sort_values(order).drop(columns=list(spec.keep))
        to_csv_frame(ordered, spec, rules).to_csv(csv_path, index=False)
        shown, withheld, drawn_from = [], [], {}
        for pic in pictures_for(spec, safe, db, settings, rules):
            if pic.exportable:
                (folder / "plots" / pic.filename).write_bytes(pic.png)
                shown.append(f"plots/{pic.filename}")
                drawn_from[f"plots/{pic.filename}"] = pic.drawn_from or (
                    f"drawn from the disclosure-safe {spec.safe_name} only "
                    "(its rounded values; suppressed cells left out)"
                )
            else:
                withheld.append(pic.filename)
        exported.append(
            ExportedTable(
                spec,
                len(safe),
                result.cells,
                suppression_summary(safe, raw, spec, rules),
                f"tables/{csv_path.name}",
                shown,
                withheld,
                drawn_from,
            )
        )
    (folder / "output_checking_report.md").write_text(
        report_markdown(exported, settings, rules), encoding="utf-8"
    )
    write_acro_session(folder, exported, rules)
    return exported


def write_acro_session(folder: Path, exported: list[ExportedTable], rules: DisclosureRules) -> None:
    """An ACRO session listing every file with its SDC note (``acro/results.json``), for SACRO
    viewers."""
    import logging

    import acro

    logging.getLogger("acro").setLevel(logging.WARNING)
    session = acro.ACRO(suppress=True)
    for table in exported:
        note = (
            f"{table.spec.title}. Aggregate table protected by leo-assets: "
            + "; ".join(f"{r}: {d}" for r, d in rules.describe())
            + ". Suppressed cells: "
            + (json.dumps(table.suppressed) if table.suppressed else "none")
            + "."
        )
        session.custom_output(str(folder / table.csv), note)
        for pic in table.pictures:
            session.custom_output(
                str(folder / pic), f"Picture {table.drawn_from.get(pic, '')}.".replace(" .", ".")
            )
    session.custom_output(
        str(folder / "output_checking_report.md"),
        "What rules were applied and what was suppressed.",
    )
    session.finalise(str(folder / "acro"), "json")


def report_markdown(
    exported: list[ExportedTable], settings: Settings, rules: DisclosureRules
) -> str:
    cohorts = ", ".join(map(str, settings.ks4_cohorts))
    lines = [
        "# Output-checking report",
        "",
        (
            "Produced by `leo-assets export-outputs` (project schema "
            f"`{settings.project_schema}`, KS4 cohorts {cohorts}, reference date "
            f"{settings.reference_date.isoformat()})."
        ),
        "",
        (
            "Every table below is an aggregate of the LEO derived tables built in the workspace "
            "database; no person-level row left the database to make it. Each was protected by the "
            "rules below, written to the workspace as `out_*_safe`, re-verified there by the "
            f"blocking check `{CHECK_NAME}`, and re-verified again against the raw aggregate "
            "before this export."
        ),
        "",
        "## Rules applied",
        "",
        "| rule | as applied |",
        "|---|---|",
    ]
    lines += [f"| {r} | {d} |" for r, d in rules.describe()]
    lines += [
        "",
        (
            "Cell rules (threshold, zeros, N-K dominance, p%) are ACRO's "
            f"(`acro.sdcchecks.SDCChecks`, ACRO {_acro_version()}) with the thresholds above; "
            "rounding and secondary suppression are leo-assets' (`leo_assets/disclosure.py`). The "
            "folder `acro/` holds an ACRO session (`results.json`) listing every file."
        ),
        "",
        (
            "Linked tables: tables made from the same people share cells (e.g. the destination "
            "margins of the flows and the 'all' breakdown of the destinations). A shared cell has "
            "the same value in both, so the same primary suppression; secondary suppression is per "
            "table, and every published count is rounded, so no exact value can be recovered by "
            "differencing across tables. Please check differencing between these tables and any "
            "other output of the project."
        ),
        "",
        "## Tables",
        "",
    ]
    for table in exported:
        lines += [
            f"### `{table.spec.name}`: {table.spec.title}",
            "",
            f"File `{table.csv}`: {table.rows} rows, {table.published} published statistic cells.",
            "",
        ]
        if table.suppressed:
            lines += ["| column | reason | cells suppressed |", "|---|---|---|"]
            for col, reasons in sorted(table.suppressed.items()):
                for why, n in sorted(reasons.items()):
                    lines.append(f"| {col} | {REASON_TEXT.get(why, why)} | {n} |")
        else:
            lines.append("No cell needed suppression.")
        lines.append("")
        if table.spec.shares:
            lines.append(
                "Percentages: "
                + ", ".join(f"`{s.name}`" for s in table.spec.shares)
                + " are computed from the rounded counts; suppressed with their numerator or"
                " denominator."
            )
            lines.append("")
        for pic in table.pictures:
            lines.append(f"Picture `{pic}`: {table.drawn_from.get(pic, 'source not recorded')}.")
        for name in table.withheld:
            lines.append(f"Picture `{name}` was NOT exported: it shows individuals from real data.")
        lines.append("")
    return "\n".join(lines)


def _acro_version() -> str:
    try:
        from acro.version import __version__

        return __version__
    except Exception:  # pragma: no cover
        return "?"
