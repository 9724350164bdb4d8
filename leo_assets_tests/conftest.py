import os
import uuid

import pytest
import sqlalchemy as sa

from leo_assets import resources


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database (skips when no server is configured)."""
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
