"""Every ``sql/**/<model>.cases.yml`` case, built on DuckDB and PostgreSQL, rows compared exactly.

The cases of a file with equal settings share one build (``model_cases.build_group``); a case
owns the model's rows whose key column is one of its ``keys``. Run one model's cases with
``pytest leo_assets_tests/test_model_cases.py -k fe_spells``.
"""

import pytest

from leo_assets_tests.model_cases import (
    build_group,
    diff,
    discover,
    expected_rows,
    groups,
    load_case_file,
    normalise,
    project,
    settings_key,
)

# every model's cases built on two engines: started first (conftest.py)
pytestmark = pytest.mark.slow

FILES = {p.name[: -len(".cases.yml")]: load_case_file(p) for p in discover()}
PARAMS = [
    pytest.param(stem, case.name, id=f"{stem}::{case.name}")
    for stem, case_file in FILES.items()
    for case in case_file.cases
]


@pytest.fixture(scope="module")
def built(module_backend):
    """Build results per (file, settings), made on first use, once per engine."""
    backend, pg_url, root = module_backend
    cache: dict[tuple[str, str], tuple] = {}

    def get(stem: str, key: str):
        if (stem, key) not in cache:
            case_file = FILES[stem]
            cases = groups(case_file)[key]
            folder = root / f"{stem}-{len(cache)}"
            folder.mkdir()
            cache[(stem, key)] = build_group(case_file, cases, folder, backend, pg_url)
        return cache[(stem, key)]

    return get


def test_case_files_load():
    """Every case file loads and its groups have no key owned twice."""
    assert FILES, "no *.cases.yml under sql/"
    for case_file in FILES.values():
        groups(case_file)


@pytest.mark.parametrize(("stem", "name"), PARAMS)
def test_model_case(stem, name, built):
    case_file = FILES[stem]
    case = next(c for c in case_file.cases if c.name == name)
    rows, queries = built(stem, settings_key(case.settings))
    keys = [normalise(k) for k in case.keys]
    got = project(case_file, case, [row[1:] for row in rows if row[0] in keys])
    want = expected_rows(case.expect)
    columns = case.columns or case_file.columns
    assert got == want, diff(case_file.rel, name, case_file.model, columns, want, got)
    for i, query in enumerate(case.queries):
        want_q = expected_rows(query["rows"])
        got_q = queries[(name, i)]
        assert got_q == want_q, diff(case_file.rel, name, query["sql"], None, want_q, got_q)


@pytest.mark.parametrize("stem", sorted(FILES))
def test_no_rows_without_a_case(stem, built):
    """A row of the model that no case owns is a case the file forgot (or a broken rule)."""
    case_file = FILES[stem]
    for key, cases in groups(case_file).items():
        rows, _ = built(stem, key)
        owned = {repr(normalise(k)) for c in cases for k in c.keys}
        stray = [row for row in rows if repr(row[0]) not in owned]
        assert not stray, diff(case_file.rel, "(no case)", case_file.model, None, [], stray)
