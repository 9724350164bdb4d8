"""The command line: compiled SQL, the SSMS script, builds with a summary and an exit code."""

import pytest

from leo_assets.cli import main
from leo_assets_tests.helpers import employment_rows, settings_for, write_sources


@pytest.fixture
def project_env(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    settings_file = tmp_path / "leo_settings.yml"
    settings_file.write_text(
        f"workspace_url: 'duckdb:///{tmp_path / 'ws.duckdb'}'\nsource_dir: "
        f"'{tmp_path / 'sources'}'\n"
    )
    monkeypatch.setenv("LEO_SETTINGS_FILE", str(settings_file))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return settings


def test_sql_prints_each_dialect(project_env, capsys):
    assert main(["sql", "person_lookup", "--dialect", "tsql"]) == 0
    assert "from [leo_assets].[person_identifier] as identifiers" in capsys.readouterr().out
    assert main(["sql", "stg_leo__employment", "--dialect", "postgres"]) == 0
    assert '"LEO_i2"."leo_employment"' in capsys.readouterr().out
    assert main(["sql", "no_such_table"]) == 2


def test_render_writes_a_script(project_env, tmp_path):
    out = tmp_path / "build.sql"
    assert main(["render", "-o", str(out)]) == 0
    script = out.read_text()
    assert script.index("[person_identifier__new]") < script.index("[person_lookup__new]")


def test_build_selection_and_exit_codes(project_env, capsys):
    write_sources(project_env, employment_rows("A"))
    assert main(["build", "+person_lookup"]) == 0
    out = capsys.readouterr().out
    assert "| marts/person_lookup" in out and "Build succeeded" in out
    assert main(["build", "--stale"]) == 0  # the assets never built are missing: built now
    assert "| marts/ks4_cohort" in capsys.readouterr().out
    assert main(["build", "--stale"]) == 0
    assert "Nothing is stale" in capsys.readouterr().out
    write_sources(project_env, employment_rows("A"), skip_views={"leo_employment"})
    assert main(["build", "+person_lookup"]) == 1
    captured = capsys.readouterr()
    assert "leo_employment does not exist" in captured.out and "Build FAILED" in captured.err


def test_bad_settings_exit_2(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("ks4_cohorts: [1850]\n")
    monkeypatch.setenv("LEO_SETTINGS_FILE", str(bad))
    assert main(["list"]) == 2
    assert "ks4_cohorts" in capsys.readouterr().err
