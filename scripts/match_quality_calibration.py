"""Calibrate the match-quality diagnostics against the synthetic generator's injected faults.

    .venv/bin/python scripts/match_quality_calibration.py [--pupils 500] [--rates 0,0.02,0.06] [--seed 20261122]

For each rate, synthetic LEO (one KS4 cohort, 2014) is generated with every fault type at that
rate, built on DuckDB in a temporary folder up to match_quality_summary, and each diagnostic's
estimate is set beside the injected rate of the fault type it targets, with recall (share of the
injected faults flagged) and precision (share of flagged units belonging to a person involved in
any injected fault). Prints a markdown table (docs/match_quality.md holds its output).
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leo_assets.diagnostics import calibrate
from leo_assets.synthetic import FaultRates, GeneratorConfig, generate
from leo_assets_tests.helpers import build_selection, settings_for


def _fmt(value, pct=True):
    if value is None:
        return "-"
    return f"{value:.1%}" if pct else str(value)


def run(pupils: int, rates: list[float], seed: int) -> str:
    lines = ["| fault rate | diagnostic | target fault | injected rate | estimate | flagged / denominator | faults detected | recall | precision |",
             "|---|---|---|---|---|---|---|---|---|"]
    for rate in rates:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            faults = FaultRates(**{name: rate for name in FaultRates.model_fields})
            settings = settings_for(root, ks4_cohorts=[2014])
            started = time.time()
            generate(settings, GeneratorConfig(pupils_per_cohort=pupils, cohorts=[2014], seed=seed, faults=faults, show_progress=False))
            build_selection(settings, ["match_quality_summary"])
            rows = calibrate(str(root / "ws.duckdb"), str(settings.source_dir_path() / "leo_truth.duckdb"), settings.workspace_schema)
            print(f"rate {rate}: {time.time() - started:.0f} s", file=sys.stderr)
        for r in rows:
            lines.append(
                f"| {rate:g} | {r['diagnostic']} | {r['target_faults']} | {_fmt(r['injected_rate'])} | {_fmt(r['estimate'])} | "
                f"{r['numerator']} / {r['denominator']} | {r['detected_faults']} / {r['injected_faults']} | "
                f"{_fmt(r['recall'])} | {_fmt(r['precision'])} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pupils", type=int, default=500)
    p.add_argument("--rates", default="0,0.02,0.06")
    p.add_argument("--seed", type=int, default=20261122)
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    import logging
    logging.getLogger("dagster").setLevel(logging.ERROR)
    print(run(args.pupils, [float(x) for x in args.rates.split(",")], args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
