"""Issue 13's bad-input matrix (``scripts/reliability_matrix.py``) run once: every case ends in
its expected outcome, nothing is silently wrong, and ``docs/reliability.md`` is what the script
writes now (so the document stays true)."""

import importlib.util
import sys

import pytest

from leo_assets.settings import PROJECT_DIR

# the whole bad-input matrix: started first (conftest.py)
pytestmark = pytest.mark.slow

SCRIPT = PROJECT_DIR / "scripts" / "reliability_matrix.py"


def _script():
    name = "reliability_matrix"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    rm = _script()
    return rm, rm.run_matrix(tmp_path_factory.mktemp("reliability"))


def test_every_case_ends_in_its_expected_outcome(matrix):
    rm, results = matrix
    assert [o.case for o in results.outcomes] == [c.name for c in rm.CASES]
    wrong = {o.case: (o.expected, o.outcome, o.evidence) for o in results.outcomes}
    wrong = {k: v for k, v in wrong.items() if v[0] != v[1]}
    assert wrong == {}
    assert {o.expected for o in results.outcomes} <= {rm.NAMED, rm.WARNED, rm.UNAFFECTED}


def test_nothing_silent_no_rows_differ_no_writes_no_secrets(matrix):
    rm, results = matrix
    outcomes = results.outcomes
    assert sum(o.outcome in (rm.SILENT, rm.UNNAMED) for o in outcomes) == 0
    shuffled = [o for o in outcomes if o.rows_differing is not None]
    assert len(shuffled) == 1 and shuffled[0].rows_differing == 0
    assert results.source_writes == 0
    secrets = [o.secrets_found for o in outcomes if o.secrets_found is not None]
    assert len(secrets) == 2 and sum(secrets) == 0
    checked = sum(o.tables_checked for o in outcomes)
    assert checked > 20 and sum(o.tables_intact for o in outcomes) == checked


def test_docs_reliability_is_what_the_script_writes(matrix):
    rm, results = matrix
    assert rm.DOC.read_text(encoding="utf-8") == rm.render(results), (
        f"docs/reliability.md is out of date: {rm.COMMAND}"
    )
