"""The command line: compiled SQL, the SSMS script, builds with a summary and an exit code."""

import re

import pytest

from leo_assets.cli import main
from leo_assets_tests.helpers import employment_rows, settings_for, write_sources

# command-line builds, one of every asset: started first (conftest.py)
pytestmark = pytest.mark.slow


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


def test_build_selection_and_exit_codes(project_env, capsys, tmp_path):
    write_sources(project_env, employment_rows("A"))
    assert main(["build", "+person_lookup", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Checks: " in out and "Build succeeded" in out
    full = (tmp_path / "dagster_home" / "logs" / "last_build_checks.md").read_text()
    assert "| marts/person_lookup" in full
    assert (
        main(["build", "--stale", "--full"]) == 0
    )  # the assets never built are missing: built now
    assert "| marts/ks4_cohort" in capsys.readouterr().out
    assert main(["build", "--stale"]) == 0
    assert "Nothing is stale" in capsys.readouterr().out
    write_sources(project_env, employment_rows("A"), skip_views={"leo_employment"})
    assert main(["build", "+person_lookup"]) == 1
    captured = capsys.readouterr()
    assert "BLOCKING failures" in captured.out and "leo_employment does not exist" in captured.out
    assert "Build FAILED" in captured.err


def test_build_output_fits_one_screen_and_ends_with_the_tally(project_env, capfd, tmp_path):
    """What a researcher reads: no Dagster log lines, no asset table, a tally at the end."""
    write_sources(project_env, employment_rows("A", "B"))
    assert main(["build", "+person_lookup"]) == 0
    captured = capfd.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) <= 40, captured.out
    assert lines[-1].startswith("Build succeeded"), captured.out
    tally = next(line for line in lines if line.startswith("Checks: "))
    assert re.fullmatch(
        r"Checks: \d+ passed, \d+ warnings, \d+ errors \(non-blocking\), 0 blocking failures", tally
    )
    assert "DEBUG" not in captured.out + captured.err and "INFO:" not in captured.err
    assert "BetaWarning" not in captured.err
    log = tmp_path / "dagster_home" / "logs" / "last_build.log"
    assert f"Dagster's log of the run: {log}" in captured.out
    assert "STEP_SUCCESS" in log.read_text() or "step_success" in log.read_text().lower()
    assert "build: 100%" in captured.err  # the progress bar, on stderr


def test_bad_settings_exit_2(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("ks4_cohorts: [1850]\n")
    monkeypatch.setenv("LEO_SETTINGS_FILE", str(bad))
    assert main(["list"]) == 2
    assert "ks4_cohorts" in capsys.readouterr().err


def test_list_shows_the_sources_and_the_safe_outputs(project_env, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines() if "|" in line]
    names = {row[1]: row[2] for row in rows if len(row) >= 3}
    assert {"out_destinations", "out_destinations_safe", "out_state_distribution_safe"} <= set(
        names
    )
    assert names["ks4"] == "source" and names["employment"] == "source"


def test_report_shows_cohort_shares_beside_published_figures(project_env, tmp_path, capsys):
    """The characteristics' shares of the cohort, each beside England's figure where one is
    published (sql/reference/ref_published_rates.csv), blank where none is: no figure guessed."""
    import duckdb

    from leo_assets.cli import CHARACTERISTIC_RATES, published_rates

    published = published_rates()
    for measure in CHARACTERISTIC_RATES:
        assert measure in published, measure
    for measure, (rate, source) in published.items():
        assert rate is None or (0 < rate < 1 and source), measure
    con = duckdb.connect(str(tmp_path / "ws.duckdb"))
    con.execute(f'CREATE SCHEMA "{project_env.workspace_schema}"')
    con.execute(f"""
        CREATE TABLE "{project_env.workspace_schema}".characteristics AS
        SELECT * FROM (VALUES
            (1, 1, 0, 1, 0, 1, 'support', 1, 1, 0, 1),
            (2, 0, 1, 0, 0, 0, 'none', 0, 0, 1, 1),
            (3, 0, 0, 0, 1, 0, 'ehcp', 0, 1, 0, 0),
            (4, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0))
        AS t(person_id, was_in_ap_ks4, was_in_pru_ks4, is_ever_cin, is_ever_looked_after,
             is_fsm_at_16, sen_status_at_16, is_persistent_absentee_ks4, is_ever_fsm,
             has_ks5_result, has_plams_aim)""")
    con.close()
    assert main(["report", "--simulate", "--pupils", "60", "--no-progress"]) == 0
    out = capsys.readouterr().out
    shares = out.split("shares of the cohort derived by the pipeline", 1)[1]
    ap_row = r"\| in AP or a PRU in KS4\s+\|\s+0\.500 \|\s+0\.040 \|\s+4 \|"
    assert re.search(ap_row, shares), shares
    assert re.search(r"\| SEN at 16\s+\|\s+0\.500 \|", shares), shares
    assert re.search(r"\| persistently absent in KS4\s+\|\s+0\.250 \|", shares), shares
    assert re.search(r"\| ever FSM\s+\|\s+0\.500 \|", shares), shares
    assert re.search(r"\| with a KS5 result\s+\|\s+0\.250 \|", shares), shares
    assert re.search(r"\| with a school sixth-form aim\s+\|\s+0\.500 \|", shares), shares


def test_report_warns_when_a_workspace_table_cannot_be_read(project_env, tmp_path, capsys):
    """A characteristics table built before a column existed: the report says which table it
    could not read and why, and still prints the rest, instead of leaving the rates out in
    silence."""
    import duckdb

    con = duckdb.connect(str(tmp_path / "ws.duckdb"))
    con.execute(f'CREATE SCHEMA "{project_env.workspace_schema}"')
    con.execute(
        f'CREATE TABLE "{project_env.workspace_schema}".characteristics AS '
        "SELECT 1 AS person_id, 0 AS was_in_ap_ks4"
    )
    con.close()
    assert main(["report", "--simulate", "--pupils", "60", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "shares of the cohort derived by the pipeline" not in captured.out
    assert "rates of a simulation" in captured.out
    warning = captured.err
    assert "workspace table characteristics could not be read" in warning, warning
    assert "was_in_pru_ks4" in warning, warning  # the missing column, from the engine's error
