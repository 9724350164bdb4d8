"""Bad input named, never absorbed (issue 13): declared types verified, settings checked against
the data, quoted paths, and generate's refusal to overwrite what it did not write."""

import datetime as dt

import pytest

from leo_assets.settings import SettingsError, load_settings
from leo_assets.synthetic import GeneratorConfig, generate
from leo_assets.synthetic.generator import MARKER_FILE, GenerateRefused
from leo_assets.synthetic.tamper import retype_column, update_rows
from leo_assets_tests.helpers import build_selection, employment_rows, settings_for, write_sources


@pytest.mark.parametrize(
    "text, named",
    [
        ("reference_date: 2021-02-30\n", "reference_date"),
        ("reference_date: 2021-13-01\n", "reference_date"),
        ("ks4_cohorts: [2014, 1850]\n", "ks4_cohorts"),
    ],
)
def test_impossible_setting_values_fail_naming_the_key(tmp_path, text, named):
    path = tmp_path / "settings.yml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=named):
        load_settings(path, env={})
    with pytest.raises(SettingsError, match="reference_date"):
        load_settings(tmp_path / "none.yml", env={"LEO_REFERENCE_DATE": "2021-02-30"})


def test_text_in_a_date_column_fails_naming_view_column_and_types(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, employment_rows("A", "B", "C"))
    retype_column(settings, "employment", "leo_employment", "startdate", "VARCHAR(20)")
    update_rows(
        settings, "employment", "leo_employment", "startdate = 'not a date'", "edukey = 'B'"
    )
    with pytest.raises(AssertionError) as failed:
        build_selection(settings, ["stg_leo__employment"])
    message = str(failed.value)
    assert "LEO_i2" in message and "leo_employment" in message and "startdate" in message
    assert "declared date" in message and ("VARCHAR" in message or "character varying" in message)
    assert "1 of 3 non-blank values cannot be read as date" in message


def test_a_cohort_no_ks4_view_holds_fails_naming_the_years_held(tmp_path):
    settings = settings_for(tmp_path, ks4_cohorts=[2014, 2016])
    ks4 = {"ks4_2014": [{"ks4_pupilmatchingrefanonymous": "P1", "ks4_laestab_anon": "S1"}]}
    write_sources(settings, ks4)
    with pytest.raises(AssertionError, match=r"'ks4_cohorts': 2016 has no KS4 rows.*hold 2014"):
        build_selection(settings, ["stg_npd__ks4"])


def test_source_dir_with_quotes_is_attached(tmp_path):
    root = tmp_path / 'it\'s a "folder"'
    settings = settings_for(root)
    write_sources(settings, employment_rows("A"))
    result = build_selection(settings, ["stg_leo__employment"])
    assert result.success


def test_generate_refuses_a_folder_it_did_not_make(tmp_path):
    settings = settings_for(tmp_path, ks4_cohorts=[2014])
    folder = settings.source_dir_path()
    folder.mkdir(parents=True)
    (folder / "NPD_i2_real_extract.duckdb").write_text("not ours")
    config = GeneratorConfig(pupils_per_cohort=5, seed=1, show_progress=False)
    with pytest.raises(GenerateRefused, match="did not write.*NPD_i2_real_extract"):
        generate(settings, config)
    assert not (folder / "NPD_i2.duckdb").exists()
    generate(settings, config, force=True)  # told to
    assert (folder / MARKER_FILE).exists()
    generate(settings, config)  # its own folder: no --force needed
    assert (folder / "NPD_i2_real_extract.duckdb").read_text() == "not ours"


def test_reference_date_after_the_data_is_a_recorded_warning(tmp_path):
    from leo_assets.build import run_build
    from leo_assets.definitions import build_definitions

    generated = settings_for(tmp_path, ks4_cohorts=[2014])  # data to 2021-07-31
    generate(generated, GeneratorConfig(pupils_per_cohort=5, seed=1, show_progress=False))
    settings = settings_for(tmp_path, ks4_cohorts=[2014], reference_date=dt.date(2035, 1, 1))
    defs = build_definitions(settings)
    import dagster as dg

    keys = {k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "source"}
    summary = run_build(defs, keys, dg.DagsterInstance.ephemeral())
    lines = summary.row_accounting()
    assert any(
        "'reference_date': 2035-01-01 is after the last date any source holds" in l for l in lines
    )
