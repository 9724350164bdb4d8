import os
import uuid

import pytest
import sqlalchemy as sa

from leo_assets import resources


def fresh_pg_database():
    """Create an empty PostgreSQL database, yield its URL, drop it (skips when no server is set)."""
    base = os.environ.get("LEO_TEST_PG_URL")
    if not base:
        pytest.skip("LEO_TEST_PG_URL is not set (make test starts a throwaway server)")
    name = f"leo_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_collection_modifyitems(config, items):
    """Files with a ``slow`` test first, each file's tests kept together and in order.

    pytest-xdist hands whole files to the workers in this order (make test passes
    ``--no-loadscope-reorder``; by default it starts the files with the most tests first, which
    left the few-test, minute-long ones, such as the browser test, running alone at the end)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: order within kept


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test."""
    yield from fresh_pg_database()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def module_backend(request, tmp_path_factory):
    """(backend, pg url or None, a folder) shared by the tests of one module, once per engine."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "postgres":
        yield from ((request.param, url, root) for url in fresh_pg_database())
    else:
        yield request.param, None, root


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def backend_url(backend, tmp_path, request):
    """(backend, pg url or None)."""
    if backend == "postgres":
        return backend, request.getfixturevalue("pg_url")
    return backend, None


@pytest.fixture(autouse=True)
def _forget_passwords():
    yield
    resources._PASSWORDS.clear()
    resources._URLS.clear()
