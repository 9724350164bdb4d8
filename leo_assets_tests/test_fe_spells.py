"""FE spells' checks on the hand-built ILR aims of ``sql/marts/fe_spells.cases.yml``.

The rows in and out are cases in that file (run by test_model_cases.py); what stays here are the
outcomes of the checks, which are not rows of a model.
"""

import datetime as dt

from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "fe_spells.cases.yml"


def test_fe_spells_checks(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=dt.date(2021, 7, 31))
    write_sources(settings, all_source_rows(CASES, settings))
    result = build_selection(settings, ["fe_spells"])
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    unlinked = checks[("int_fe__aim_records", "unlinked_ilr_records")]
    # 1 of 18 records: under the 10% warning threshold
    assert unlinked.metadata["failing_rows"].value == 1
    assert checks[("fe_spells", "grain_unique")].passed is True
    assert checks[("fe_spells", "start_date_le_end_date")].passed is True
