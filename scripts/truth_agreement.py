"""Monthly-state agreement with the synthetic truth, as leo_assets_tests/test_truth.py measures
it (seed 11, two cohorts of 700 pupils, raised fault rates), printed rather than asserted, with
the most frequent disagreements (derived state, true state) at ages 16-18 and later:

    PYTHONPATH=$PWD .venv/bin/python scripts/truth_agreement.py [setting=value ...]

Settings given as arguments (e.g. fe_participation=any_aim) override the defaults, so a rule's
effect is the difference between two runs. The build goes to a temporary folder.
"""

import sys
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import yaml

from leo_assets_tests import test_truth


def main(argv: list[str]) -> None:
    overrides = {}
    for arg in argv:
        key, _, value = arg.partition("=")
        overrides[key] = yaml.safe_load(value)
    settings_for = test_truth.settings_for
    test_truth.settings_for = lambda root, **kw: settings_for(root, **overrides, **kw)
    root = Path(tempfile.mkdtemp(prefix="truth_agreement_"))
    settings = test_truth._build(root)
    con = duckdb.connect()
    con.execute(f"ATTACH '{root / 'ws.duckdb'}' AS ws (READ_ONLY)")
    truth_db = settings.source_dir_path() / "leo_truth.duckdb"
    con.execute(f"ATTACH '{truth_db}' AS tr (READ_ONLY)")
    con.execute("""
        CREATE TEMP TABLE cohort_map AS
        SELECT k.person_id AS our_id, k.ks4_year, truth.person_id AS true_id
        FROM ws.leo_assets.ks4_cohort AS k
        JOIN tr.truth.truth_identifier AS truth
          ON truth.id_type = 'pmr' AND truth.id_value = k.pmr""")
    rows = test_truth._truth_monthly_states(con, settings)
    early = [ours == truth for month, ours, truth in rows if month <= 24]
    later = [ours == truth for month, ours, truth in rows if month > 24]
    print(f"settings {overrides or 'defaults'}; build in {root}")
    print(f"ages 16-18 (months 1-24): {sum(early) / len(early):.4f} of {len(early)} months")
    print(f"later (months 25+):       {sum(later) / len(later):.4f} of {len(later)} months")
    for label, in_period in (("ages 16-18", lambda m: m <= 24), ("later", lambda m: m > 24)):
        wrong = Counter(
            (ours, truth) for month, ours, truth in rows if ours != truth and in_period(month)
        )
        print(f"most frequent disagreements at {label} (derived, true):", wrong.most_common(10))


if __name__ == "__main__":
    main(sys.argv[1:])
