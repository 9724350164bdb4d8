"""Who is in a cohort (issue 16): cohort_definition ks4 (pupils with an end-of-KS4 record) and
census_on_roll (Year 11's academic birth cohort on roll in a named School Census), on hand-built
pupils, on DuckDB and PostgreSQL. Cohort 2014 (Year 11 in 2013/14): its academic birth cohort
was born 1 September 1997 to 31 August 1998.

PA: end-of-KS4 record in 2014, no census record (an independent-school-like pupil).
PB: end-of-KS4 record and on roll in the spring census of 2014, born March 1998.
PC: on roll in the spring census of 2014, born August 1998 (the cohort's last month), no KS4 record.
PD: on roll in the spring census of 2014 but born August 1996 (two years older): not the cohort.
PE: spring census of 2014 not on roll (onroll 0), born September 1997 (the first month).
PF: on roll in the spring census of 2014 with no month of birth: cannot be placed, left out and
counted by the warn check census_birth_unknown.
"""

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import SettingsError, make_settings
from leo_assets_tests.helpers import (
    build_selection,
    census_row,
    rows_by_view,
    settings_for,
    write_sources,
)


def _sources():
    rows = rows_by_view(
        census_row("PB", 2014, "spring", "S1", gender="B", yearofbirth=1998, monthofbirth=3),
        census_row("PC", 2014, "spring", "S1", gender="G", yearofbirth=1998, monthofbirth=8),
        census_row("PD", 2014, "spring", "S2", yearofbirth=1996, monthofbirth=8),
        census_row("PE", 2014, "spring", "S2", yearofbirth=1997, monthofbirth=9, onroll=False),
        census_row("PF", 2014, "spring", "S2", yearofbirth=1998, monthofbirth=None),
    )
    ks4 = {"ks4_acadyr": "2013/2014", "ks4_laestab_anon": "S1", "ks4_endks": 1, "ks4_natres": 1}
    rows["ks4_2014"] = [
        dict(ks4, ks4_pupilmatchingrefanonymous="PA", ks4_gender="M", ks4_level2_em_ptq=1),
        dict(ks4, ks4_pupilmatchingrefanonymous="PB", ks4_gender="M", ks4_level2_em_ptq=0),
    ]
    return rows


COLUMNS = "pmr, ks4_year, has_ks4_record, n_ks4_records, sex, has_good_pass_em, cohort_definition"


def test_cohort_definitions(tmp_path, backend_url):
    backend, pg = backend_url
    by_ks4 = settings_for(tmp_path, backend, pg, ks4_cohorts=[2014])
    write_sources(by_ks4, _sources())
    by_census = settings_for(
        tmp_path,
        backend,
        pg,
        ks4_cohorts=[2014],
        cohort_definition="census_on_roll",
        workspace_schema="leo_census",
    )
    tables, unplaced = {}, {}
    for settings in (by_ks4, by_census):
        result = build_selection(settings, ["ks4_cohort"])
        check = next(
            c
            for c in result.get_asset_check_evaluations()
            if c.check_name == "census_birth_unknown"
        )
        unplaced[settings.cohort_definition] = check.metadata["failing_rows"].value
        db = WorkspaceDatabase.from_settings(settings)
        tables[settings.cohort_definition] = db.rows(
            f'SELECT {COLUMNS} FROM "{settings.workspace_schema}"."ks4_cohort" ORDER BY pmr'
        )
        db.dispose()
    assert tables["ks4"] == [
        ("PA", 2014, 1, 1, "M", 1, "ks4"),
        ("PB", 2014, 1, 1, "M", 0, "ks4"),
    ]
    assert tables["census_on_roll"] == [
        ("PB", 2014, 1, 1, "M", 0, "census_on_roll"),
        ("PC", 2014, 0, 0, "F", None, "census_on_roll"),  # no KS4 record: no attainment
    ]
    # PF's record is counted, not silently dropped (and only under census_on_roll)
    assert unplaced == {"ks4": 0, "census_on_roll": 1}


def test_cohort_settings_are_validated():
    with pytest.raises(SettingsError, match="setting 'cohort_definition': 'birth' is not one of"):
        make_settings(cohort_definition="birth")
    with pytest.raises(SettingsError, match="setting 'cohort_census': 'january' is not one of"):
        make_settings(cohort_census="january")
