"""Calibrate the match-quality diagnostics against the synthetic generator's injected faults.

    .venv/bin/python scripts/match_quality_calibration.py [--pupils 500] [--rates 0,0.02,0.06]
    [--cohorts 2010,2014] [--seed 20261122]

For each rate, synthetic LEO (two KS4 cohorts four years apart by default, --pupils each) is
generated with every fault type at that rate, built on DuckDB in a temporary folder up to
match_quality_summary, and each diagnostic's estimate is set beside the injected rate of the fault
types it targets, with recall (share of the injected faults of a type flagged) and precision
(share of flagged persons involved in any injected fault). overmatch_cohort merges people of the
later cohort into people of the earliest, so it needs two cohorts. Prints two markdown tables
(docs/match_quality.md holds their output): every diagnostic's estimate at each rate, and recall
and precision per diagnostic and target fault at each non-zero rate.
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leo_assets.calibration import calibrate
from leo_assets.settings import match_quality_registry
from leo_assets.synthetic import FaultRates, GeneratorConfig, generate
from leo_assets_tests.helpers import build_selection, settings_for


def _pct(value) -> str:
    if value is None:
        return "-"
    if 0 < value < 0.001:
        return f"{value:.3%}"
    return f"{value:.1%}"


def run(pupils: int, rates: list[float], cohorts: list[int], seed: int) -> str:
    by_rate: dict[float, list[dict]] = {}
    for rate in rates:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            faults = FaultRates(**{name: rate for name in FaultRates.model_fields})
            settings = settings_for(root, ks4_cohorts=cohorts)
            started = time.time()
            generate(
                settings,
                GeneratorConfig(
                    pupils_per_cohort=pupils,
                    cohorts=cohorts,
                    seed=seed,
                    faults=faults,
                    show_progress=False,
                ),
            )
            build_selection(settings, ["match_quality_summary"])
            by_rate[rate] = calibrate(
                str(root / "ws.duckdb"),
                str(settings.source_dir_path() / "leo_truth.duckdb"),
                settings.workspace_schema,
            )
            print(f"rate {rate}: {time.time() - started:.0f} s", file=sys.stderr)
    first = by_rate[rates[0]]
    registry = match_quality_registry()
    order = list(dict.fromkeys(r["diagnostic"] for r in first))
    lines = [
        "| diagnostic | unit (denominator) | "
        + " | ".join(f"estimate at {r:g} (flagged / denominator)" for r in rates)
        + " |",
        "|---|---|" + "---|" * len(rates),
    ]
    for diag in order:
        cells = []
        for rate in rates:
            r = next(x for x in by_rate[rate] if x["diagnostic"] == diag)
            cells.append(f"{_pct(r['estimate'])} ({r['numerator']} / {r['denominator']})")
        lines.append(f"| {diag} | {registry[diag]['unit']} | " + " | ".join(cells) + " |")
    faulty = [r for r in rates if r > 0]
    lines += [
        "",
        "| diagnostic | target fault | "
        + " | ".join(
            f"at {r:g}: injected rate | recall (detected / injected) | precision (of flagged)"
            for r in faulty
        )
        + " |",
        "|---|---|" + "---|---|---|" * len(faulty),
    ]
    for row in first:
        if row["target_fault"] is None:
            continue
        cells = []
        for rate in faulty:
            r = next(
                x
                for x in by_rate[rate]
                if x["diagnostic"] == row["diagnostic"] and x["target_fault"] == row["target_fault"]
            )
            cells.append(
                f"{_pct(r['injected_rate'])} | {_pct(r['recall'])} ({r['detected_faults']} / "
                f"{r['injected_faults']}) | "
                f"{_pct(r['precision'])} ({r['flagged']})"
            )
        lines.append(f"| {row['diagnostic']} | {row['target_fault']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pupils", type=int, default=500, help="pupils per cohort")
    p.add_argument("--rates", default="0,0.02,0.06")
    p.add_argument("--cohorts", default="2010,2014")
    p.add_argument("--seed", type=int, default=20261122)
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("dagster").setLevel(logging.ERROR)
    print(
        run(
            args.pupils,
            [float(x) for x in args.rates.split(",")],
            [int(c) for c in args.cohorts.split(",")],
            args.seed,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
