"""Statistical disclosure control on small hand-built tables: each rule, rounding, secondary
suppression against recovery from totals, the re-verification, and the settings."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from leo_assets import disclosure
from leo_assets.disclosure import (
    Constraint,
    Linked,
    Magnitude,
    Margin,
    RowSum,
    Share,
    TableSpec,
    parse_rules,
    protect,
    recoverable_cells,
    round_to,
    rules_for,
    to_csv_frame,
    verify,
)
from leo_assets.settings import SettingsError, make_settings

RULES = parse_rules({})

# A 3 x 3 table of counts with its margins ('all'), in long format: region x outcome.
GRID = {
    ("north", "a"): 40,
    ("north", "b"): 4,
    ("north", "c"): 31,
    ("south", "a"): 22,
    ("south", "b"): 18,
    ("south", "c"): 27,
    ("west", "a"): 35,
    ("west", "b"): 26,
    ("west", "c"): 19,
}
CROSS = TableSpec(
    name="out_cross",
    dims=("region", "outcome"),
    counts=("n",),
    relations=(Margin("outcome", "all"), Margin("region", "all")),
    shares=(Share("pct", "n", dim="outcome", total="all"),),
)


def cross_table(grid=GRID) -> pd.DataFrame:
    regions = sorted({r for r, _ in grid})
    outcomes = sorted({o for _, o in grid})
    rows = [(r, o, grid[(r, o)]) for r in regions for o in outcomes]
    rows += [(r, "all", sum(grid[(r, o)] for o in outcomes)) for r in regions]
    rows += [("all", o, sum(grid[(r, o)] for r in regions)) for o in outcomes]
    rows += [("all", "all", sum(grid.values()))]
    return pd.DataFrame(rows, columns=["region", "outcome", "n"])


def cell(table: pd.DataFrame, region: str, outcome: str, col: str = "n"):
    return table[(table["region"] == region) & (table["outcome"] == outcome)][col].iloc[0]


# ----------------------------------------------------------------------------------- defaults
def test_defaults_are_acros_and_documented():
    import acro

    acro_defaults = yaml.safe_load((Path(acro.__file__).parent / "default.yaml").read_text())
    appetite = RULES.risk_appetite()
    for key in (
        "safe_threshold",
        "safe_nk_n",
        "safe_nk_k",
        "safe_pratio_p",
        "zeros_are_disclosive",
    ):
        assert appetite[key] == acro_defaults[key], key
    assert (RULES.round_counts_to, RULES.round_earnings_to, RULES.suppressed_marker) == (
        5,
        100,
        "c",
    )
    for key in disclosure.DisclosureRules.model_fields:
        assert key in disclosure.__doc__, f"disclosure.{key} is not documented"


def test_bad_key_or_value_names_the_setting():
    with pytest.raises(SettingsError, match=r"disclosure\.min_cel_count'.*unknown key"):
        parse_rules({"min_cel_count": 5})
    with pytest.raises(SettingsError, match=r"disclosure\.round_counts_to"):
        rules_for(make_settings(disclosure={"round_counts_to": 0}))
    with pytest.raises(SettingsError, match=r"disclosure\.nk_k"):
        parse_rules({"nk_k": "lots"})
    assert rules_for(make_settings(disclosure={"min_cell_count": 20})).min_cell_count == 20


# ----------------------------------------------------------------------------- primary rules
def test_threshold_and_zero_rules_suppress_and_counts_are_rounded():
    spec = TableSpec(name="out_t", dims=("g",), counts=("n",))
    raw = pd.DataFrame({"g": ["a", "b", "c", "d", "e"], "n": [3, 12, 0, 27, 10]})
    safe = protect(raw, spec, RULES)
    assert safe.table["n"].tolist()[:2] == [pytest.approx(np.nan, nan_ok=True), 10.0]
    assert np.isnan(safe.table["n"][2]) and safe.table["n"].tolist()[3:] == [25.0, 10.0]
    assert safe.reasons == {(0, "n"): "below_threshold", (2, "n"): "zero"}
    relaxed = protect(
        raw,
        spec,
        parse_rules({"zeros_are_disclosive": False, "min_cell_count": 3, "round_counts_to": 1}),
    )
    assert relaxed.table["n"].tolist() == [3.0, 12.0, 0.0, 27.0, 10.0]
    assert to_csv_frame(safe.table, spec, RULES)["n"].tolist() == ["c", "10", "c", "25", "10"]


def test_rounding_is_half_away_from_zero():
    assert round_to(pd.Series([12, 13, 17.5, 22.4999, 150]), 5).tolist() == [10, 15, 20, 20, 150]
    assert round_to(pd.Series([24_349.99, 24_350.0, 87.0]), 100).tolist() == [24_300, 24_400, 100]


EARN = TableSpec(
    name="out_e",
    dims=("age",),
    counts=("n",),
    magnitude=Magnitude(
        stats=("p50", "mean"), n="n", total="total", tops=("t1", "t2", "t3"), negatives="neg"
    ),
)


def earnings(n, total, tops, p50=15_000.0, neg=0):
    t = list(tops) + [None] * (3 - len(tops))
    return {
        "n": n,
        "total": total,
        "t1": t[0],
        "t2": t[1],
        "t3": t[2],
        "neg": neg,
        "p50": p50,
        "mean": total / n,
    }


def test_dominance_p_ratio_and_contributor_rules_suppress_magnitudes_and_earnings_are_rounded():
    raw = pd.DataFrame(
        [
            {"age": 20, **earnings(20, 400_000.0, [30_000, 29_000, 28_000])},  # safe
            {"age": 21, **earnings(12, 1_000_000.0, [700_000, 250_000, 5_000])},  # top 2 = 95%: N-K
            {
                "age": 22,
                **earnings(12, 1_000_000.0, [500_000, 470_000, 3_000]),
            },  # top 2 = 97%, rest 3% of largest: N-K
            {
                "age": 23,
                **earnings(15, 1_040_000.0, [600_000, 100_000, 50_000]),
            },  # top 2 = 67%; rest 57% of largest: safe
            {"age": 24, **earnings(30, 660_000.0, [600_000, 5_000, 2_000])},  # top2 91% -> N-K
            {"age": 25, **earnings(8, 200_000.0, [30_000, 29_000, 28_000])},  # too few contributors
        ]
    )
    raw.loc[4, "total"] = 650_000.0  # p% only: top 2 = 605k of 650k = 93% (N-K too) ...
    safe = protect(raw, EARN, RULES)
    reasons = {age: safe.reasons.get((i, "mean"), "") for i, age in enumerate(raw["age"])}
    assert reasons == {
        20: "",
        21: "dominance_nk",
        22: "dominance_nk",
        23: "",
        24: "dominance_nk",
        25: "below_threshold",
    }
    # the p% rule alone: N-K at k = 0.99 passes, the remainder (2.6k) is under 10% of the largest
    p_only = pd.DataFrame([{"age": 30, **earnings(11, 1_000_000.0, [500_000, 480_000, 2_000])}])
    p_safe = protect(p_only, EARN, parse_rules({"nk_k": 0.99}))
    assert p_safe.reasons[(0, "mean")] == "p_ratio" and np.isnan(p_safe.table["p50"][0])
    kept = safe.table.set_index("age")
    assert kept.loc[20, "mean"] == 20_000 and kept.loc[20, "p50"] == 15_000
    assert kept.loc[23, "mean"] == round(1_040_000 / 15, -2)
    assert kept[["p50", "mean"]].loc[[21, 22, 24, 25]].isna().all().all()
    assert (
        "t1" not in safe.table.columns and "total" not in safe.table.columns
    )  # evidence never published


# ----------------------------------------------------------------------- secondary suppression
def _brute_force_recoverable(table: pd.DataFrame) -> list[tuple[str, str]]:
    """Independently of the audit: hidden cells that are the only hidden value of their row or
    column (totals included), i.e. recoverable by one subtraction."""
    hidden = table[table["n"].isna()]
    lines = [table[table["region"] == r] for r in table["region"].unique()] + [
        table[table["outcome"] == o] for o in table["outcome"].unique()
    ]
    return [
        (h.region, h.outcome)
        for h in hidden.itertuples()
        for line in lines
        if len(line) > 1
        and line["n"].isna().sum() == 1
        and (line["region"] == h.region).any()
        and (line["outcome"] == h.outcome).any()
    ]


def test_secondary_suppression_holds_against_recovery_from_totals():
    raw = cross_table()
    safe = protect(raw, CROSS, RULES).table
    assert np.isnan(cell(safe, "north", "b"))  # primary: 4
    # every row and column (totals included) holding a hidden cell holds at least two
    assert _brute_force_recoverable(safe) == []
    hidden = safe["n"].isna().sum()
    assert hidden >= 4  # 4 hidden cells at least in a 2-D table with margins
    # no hidden cell is fixed by the published values: two different completions satisfy every total
    spec_constraints = disclosure.build_constraints(raw, CROSS)
    assert (
        recoverable_cells({(i, "n") for i in safe.index[safe["n"].isna()]}, spec_constraints) == []
    )
    # shares come from the rounded counts and are suppressed with them
    assert np.isnan(cell(safe, "north", "b", "pct"))
    north_a = cell(safe, "north", "a")
    assert cell(safe, "north", "a", "pct") == pytest.approx(
        round(100 * north_a / cell(safe, "north", "all"), 1)
    )
    assert verify(safe, raw, CROSS, RULES).passed


def test_audit_catches_what_the_one_per_line_rule_misses():
    # t = a + b + c, a = d (the same count in a linked table), d published: a is recoverable
    # although its line has two hidden cells... and b then from the line.
    cons = [Constraint((0, "n"), ((1, "n"), (2, "n"), (3, "n"))), Constraint((1, "n"), ((4, "n"),))]
    assert recoverable_cells({(1, "n"), (2, "n")}, cons) == [(1, "n"), (2, "n")]
    assert recoverable_cells({(1, "n"), (2, "n"), (4, "n"), (3, "n")}, cons) == []
    values = {(i, "n"): v for i, v in enumerate([60.0, 5.0, 30.0, 25.0, 5.0])}
    added = disclosure.secondary_suppression(values, {(1, "n")}, cons)
    assert recoverable_cells({(1, "n")} | added, cons) == []
    assert (4, "n") in added  # the linked copy of the small cell is hidden too


def test_breakdowns_share_their_total_row():
    # two breakdowns (sex, fsm) of one cohort, each with an 'all' group equal to the other's
    rows = []
    for breakdown, groups in (
        ("sex", {"F": (30, 3), "M": (40, 27)}),
        ("fsm", {"yes": (20, 10), "no": (50, 20)}),
    ):
        for group, (x, y) in groups.items():
            rows += [
                (breakdown, group, "x", x),
                (breakdown, group, "y", y),
                (breakdown, group, "all", x + y),
            ]
        rows += [
            (breakdown, "all", "x", 70),
            (breakdown, "all", "y", 30),
            (breakdown, "all", "all", 100),
        ]
    raw = pd.DataFrame(rows, columns=["breakdown", "group_value", "outcome", "n"])
    spec = TableSpec(
        name="out_b",
        dims=("breakdown", "group_value", "outcome"),
        counts=("n",),
        relations=(
            Margin("outcome", "all"),
            Margin("group_value", "all"),
            Linked("breakdown", by=("outcome",), where={"group_value": "all"}),
        ),
    )
    safe = protect(raw, spec, RULES).table
    hidden = set(
        safe[safe["n"].isna()][["breakdown", "group_value", "outcome"]].itertuples(
            index=False, name=None
        )
    )
    assert ("sex", "F", "y") in hidden and len(hidden) >= 4
    # a linked total hidden in one breakdown is hidden in the other as well
    for outcome in ("x", "y", "all"):
        assert (("sex", "all", outcome) in hidden) == (("fsm", "all", outcome) in hidden)
    assert verify(safe, raw, spec, RULES).passed


def test_row_sums_protect_a_small_complement():
    # 12 of 14 linked: 2 not linked is disclosive, and so is 14 - 12
    spec = TableSpec(
        name="out_m",
        dims=("year",),
        counts=("n_all", "n_yes", "n_no"),
        relations=(RowSum("n_all", ("n_yes", "n_no")),),
        shares=(Share("pct", "n_yes", denominator="n_all"),),
    )
    raw = pd.DataFrame(
        {"year": [2014, 2015], "n_all": [14, 200], "n_yes": [12, 150], "n_no": [2, 50]}
    )
    safe = protect(raw, spec, RULES).table
    assert safe.loc[0, ["n_yes", "n_no"]].isna().all() and np.isnan(safe.loc[0, "pct"])
    assert safe.loc[1].tolist() == [2015, 200.0, 150.0, 50.0, 75.0]


# ------------------------------------------------------------------------------- verification
def test_verify_finds_every_kind_of_disclosive_table():
    raw = cross_table()
    good = protect(raw, CROSS, RULES).table
    assert verify(good, raw, CROSS, RULES).passed

    unprotected = raw.assign(pct=100.0)
    result = verify(unprotected, raw, CROSS, RULES)
    assert not result.passed and any(
        "north" in p and "below_threshold" in p for p in result.problems
    )

    unrounded = good.copy()
    unrounded.loc[unrounded["n"] == unrounded["n"].max(), "n"] += 1
    assert any("not rounded" in p for p in verify(unrounded, raw, CROSS, RULES).problems)

    only_primary = raw.assign(pct=np.nan).astype({"n": float})
    only_primary.loc[
        (only_primary["region"] == "north") & (only_primary["outcome"] == "b"), "n"
    ] = np.nan
    only_primary["n"] = round_to(only_primary["n"], 5)
    problems = verify(only_primary, raw, CROSS, RULES).problems
    assert any("recoverable from published totals" in p for p in problems)

    leaking = good.assign(total=1.0)
    assert any(
        "columns not for publication: total" in p
        for p in verify(leaking, raw, CROSS, RULES).problems
    )
    assert any("rows differ" in p for p in verify(good.iloc[1:], raw, CROSS, RULES).problems)


def test_suppressed_labels_are_blanked():
    spec = TableSpec(
        name="out_s",
        dims=("rank",),
        labels=("sequence_states",),
        counts=("n",),
        relations=(Margin("rank", "0"),),
    )
    raw = pd.DataFrame(
        {
            "rank": [0, 1, 2, 3],
            "sequence_states": ["all", "fe-he", "custody-neet", "other"],
            "n": [100, 60, 3, 37],
        }
    )
    safe = protect(raw, spec, RULES).table
    assert safe.loc[2, "sequence_states"] is None and safe.loc[1, "sequence_states"] == "fe-he"
    shown = safe.copy()
    shown.loc[2, "sequence_states"] = "custody-neet"
    assert any("label of a suppressed row" in p for p in verify(shown, raw, spec, RULES).problems)


def test_many_random_tables_never_leave_a_recoverable_cell():
    rng = np.random.default_rng(7)
    for _ in range(15):
        grid = {
            (r, o): int(v)
            for (r, o), v in zip(
                itertools.product("pqrs", "abcd"), rng.choice([0, 2, 5, 9, 12, 30, 80], 16)
            )
        }
        raw = cross_table(grid)
        safe = protect(raw, CROSS, RULES).table
        result = verify(safe, raw, CROSS, RULES)
        assert result.passed, result.summary()


# ------------------------------------------------------------------------------- determinism
def test_protect_does_not_depend_on_the_row_order():
    """Ties between equal complements are broken by the cells' keys, not by row positions: any
    order of the same rows gives the same safe table (a table published twice cannot be
    differenced). Several equal candidates per relation make the choice a tie."""
    grid = {(r, o): 20 for r in ("north", "south", "west", "east") for o in "abcd"}
    grid[("north", "b")] = 4
    grid[("west", "d")] = 3
    raw = cross_table(grid)
    expected = protect(raw, CROSS, RULES).table.sort_values(["region", "outcome"])
    assert expected["n"].isna().sum() > 2  # secondary suppression chose among ties
    outcomes = set()
    rng = np.random.default_rng(5)
    for _ in range(12):
        shuffled = raw.sample(frac=1, random_state=int(rng.integers(1 << 30)))
        got = protect(shuffled, CROSS, RULES)
        table = got.table.sort_values(["region", "outcome"])
        pd.testing.assert_frame_equal(table.reset_index(drop=True), expected.reset_index(drop=True))
        # reasons point at the rows of the frame given
        for i, col in got.reasons:
            assert np.isnan(got.table.at[i, col])
        outcomes.add(tuple(table["n"].isna()))
    assert len(outcomes) == 1
