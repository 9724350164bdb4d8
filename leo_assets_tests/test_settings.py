"""Settings: defaults, the file, environment overrides, and errors that name the setting."""

import datetime as dt

import pytest

from leo_assets.settings import PROJECT_DIR, SettingsError, load_settings, make_settings


def test_shipped_file_equals_defaults():
    assert load_settings(PROJECT_DIR / "leo_settings.yml", env={}) == make_settings()


@pytest.mark.parametrize(
    "values, named",
    [
        ({"workspace_schema": "leo; drop table x"}, "workspace_schema"),
        ({"project_schema": ""}, "project_schema"),
        ({"source_databases": {"npd": "NPD_i2"}}, "source_databases"),
        (
            {"source_databases": {"npd": "NPD i2", "lilr": "L", "hesa": "H", "leo": "L2"}},
            "source_databases.npd",
        ),
        ({"ks4_cohorts": [1990]}, "ks4_cohorts"),
        ({"ks4_cohorts": []}, "ks4_cohorts"),
        ({"reference_date": "31/07/2021"}, "reference_date"),
        ({"workspace_url": "sqlite:///x.db"}, "workspace_url"),
        (
            {"source_years": {"school_census.spring": "2006-20x"}},
            "source_years.school_census.spring",
        ),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_bad_values_name_the_setting(values, named):
    with pytest.raises(SettingsError) as err:
        make_settings(**values)
    assert named in str(err.value)


def test_environment_overrides(tmp_path):
    env = {
        "LEO_WORKSPACE_SCHEMA": "research",
        "LEO_REFERENCE_DATE": "2020-03-31",
        "LEO_KS4_COHORTS": "2015, 2014",
        "LEO_PROJECT_SCHEMA": "2000123",
    }
    s = load_settings(tmp_path / "none.yml", env=env)
    assert s.workspace_schema == "research"
    assert s.reference_date == dt.date(2020, 3, 31)
    assert s.ks4_cohorts == [2014, 2015]
    assert s.project_schema == "2000123"


def test_settings_file_named_by_env_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="LEO_SETTINGS_FILE"):
        load_settings(env={"LEO_SETTINGS_FILE": str(tmp_path / "missing.yml")})


def test_password_is_never_shown(tmp_path):
    s = make_settings(workspace_url="postgresql+psycopg://analyst:s3cret-pw@db.example:5432/ws")
    assert "s3cret-pw" not in repr(s) and "s3cret-pw" not in str(s.model_dump())
    assert "s3cret-pw" not in s.redacted_url()
    assert s.url().password == "s3cret-pw"
    with pytest.raises(SettingsError) as err:
        make_settings(
            workspace_url="postgresql+psycopg://analyst:s3cret-pw@db.example:5432/ws",
            ks4_cohorts=[1],
        )
    assert "s3cret-pw" not in str(err.value)


def test_password_from_environment(monkeypatch):
    monkeypatch.setenv("LEO_WORKSPACE_PASSWORD", "from-env")
    s = make_settings(workspace_url="postgresql+psycopg://analyst@db.example/ws")
    assert s.url().password == "from-env"
    assert "from-env" not in s.redacted_url()
