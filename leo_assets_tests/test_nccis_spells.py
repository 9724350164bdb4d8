"""NCCIS spells' checks on the hand-built returns of ``sql/marts/nccis_spells.cases.yml``.

The rows in and out are cases in that file (run by test_model_cases.py); what stays here are the
outcomes of the checks, which are not rows of a model.
"""

import datetime as dt

from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "nccis_spells.cases.yml"


def test_nccis_spells_checks(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, reference_date=dt.date(2017, 8, 31))
    write_sources(settings, all_source_rows(CASES, settings))
    result = build_selection(settings, ["nccis_spells"])
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    failing = {
        name: checks[("int_nccis__months", name)].metadata["failing_rows"].value
        for name in (
            "duplicate_returns",
            "unmapped_activity_codes",
            "conflicting_activities",
            "implausible_activity_start",
        )
    }
    assert failing == {
        "duplicate_returns": 2,
        "unmapped_activity_codes": 1,
        "conflicting_activities": 1,
        "implausible_activity_start": 5,
    }
    # warns, does not block
    assert checks[("int_nccis__months", "unmapped_activity_codes")].passed is False
    assert checks[("nccis_spells", "grain_unique")].passed is True
    assert checks[("nccis_spells", "end_within_last_return_month")].passed is True
