"""Benefit spells' checks on the hand-built claims of ``sql/marts/benefit_spells.cases.yml``.

The rows in and out of employment_spells, benefit_spells and earnings are cases in
``sql/marts/<model>.cases.yml`` (run by test_model_cases.py); what stays here are the outcomes
of the checks, which are not rows of a model.
"""

from leo_assets_tests.helpers import REAL_SQL, build_selection, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "benefit_spells.cases.yml"


def test_benefit_spells_checks(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, all_source_rows(CASES, settings))
    result = build_selection(settings, ["benefit_spells"])
    checks = {
        (c.asset_key.path[-1], c.check_name): c.passed for c in result.get_asset_check_evaluations()
    }
    assert checks[("benefit_spells", "unknown_benefit_type")] is False  # warns, does not block
    assert checks[("benefit_spells", "grain_unique")] is True
