"""Employment spells, benefit spells and earnings on hand-built people, on DuckDB and PostgreSQL."""

import datetime as dt
from decimal import Decimal

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date


def _job(edukey, start, end, uncertain_start=False, uncertain_end=False):
    return {
        "edukey": edukey,
        "startdate": start,
        "enddate": end,
        "uncertainstartdate": uncertain_start,
        "uncertainenddate": uncertain_end,
    }


def _claim(edukey, code, start, end, flag):
    return {
        "edukey": edukey,
        "benefit_type": code,
        "startdate": start,
        "enddate": end,
        "out_of_work_benefit": flag,
    }


def _rows():
    return {
        "learner_ae_id_to_edukey_lookup": [
            {"ae_id": 1, "edukey": "E1"},
            {"ae_id": 1, "edukey": "E2"},
        ],
        "leo_employment": [
            _job("E1", D(2015, 4, 6), D(2015, 9, 30), uncertain_start=True),
            _job("E1", D(2015, 10, 1), D(2016, 3, 31)),  # abuts the first: merged
            _job(
                "E2", D(2016, 3, 1), D(2016, 6, 30), uncertain_end=True
            ),  # overlaps, under the second EduKey
            _job("E1", D(2016, 8, 1), D(9999, 12, 31)),  # ongoing: censored at the reference date
            _job("E1", D(2022, 1, 1), D(2022, 2, 1)),  # after the reference date: left out
            _job("E1", D(1900, 1, 1), D(2014, 1, 1)),  # no real start: left out
            _job("E3", D(2017, 4, 6), D(2017, 4, 6)),  # a one-day spell of an EduKey in no lookup
        ],
        "leo_benefit": [
            _claim("E1", "JSA", D(2016, 1, 1), D(2016, 2, 1), 1),
            _claim("E2", "JSA", D(2016, 2, 2), D(2016, 3, 1), 1),  # abuts, other EduKey: merged
            _claim("E1", "ESA", D(2016, 1, 15), D(2016, 1, 20), 1),  # another type: its own spell
            _claim(
                "E1", "AA", D(2017, 1, 1), D(9999, 12, 31), 1
            ),  # source says out of work; the mapping says not (a disability benefit)
            _claim("E1", "XYZ", D(2017, 1, 1), D(2017, 2, 1), None),  # unknown code
            _claim("E1", "DLA", D(2018, 1, 1), D(2018, 2, 1), None),  # no source flag: the mapping
            _claim("E1", "IS", D(2018, 3, 1), D(2018, 4, 1), 0),  # source: not out of work
            _claim("E1", "UAB", D(2018, 5, 1), D(2018, 6, 1), None),  # UC in work: the mapping
        ],
        "leo_earnings": [
            {"edukey": "E1", "taxyear": 201415, "earnings": 10000},
            {"edukey": "E2", "taxyear": 201415, "earnings": 5000},
            {"edukey": "E1", "taxyear": 201516, "earnings": 0},
            {"edukey": "E1", "taxyear": 202122, "earnings": 9000},  # ends after the reference date
        ],
        "leo_self_assessment": [
            {
                "edukey": "E1",
                "taxyear": 201415,
                "self_employed": 1,
                "earnings_self_employment": 2000,
            },
            {
                "edukey": "E3",
                "taxyear": 201718,
                "self_employed": 1,
                "earnings_self_employment": 800,
            },
        ],
    }


def test_outcome_tables(tmp_path, backend_url):
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg)
    write_sources(settings, _rows())
    result = build_selection(settings, ["employment_spells", "benefit_spells", "earnings"])
    db = WorkspaceDatabase.from_settings(settings)
    assert db.rows(
        "SELECT person_id, start_date, end_date, n_days, is_start_uncertain, is_end_uncertain, is_censored, n_source_spells, n_edukeys "
        'FROM "leo_assets"."employment_spells" ORDER BY person_id, start_date'
    ) == [
        (1, D(2015, 4, 6), D(2016, 6, 30), 452, 1, 1, 0, 3, 2),
        (1, D(2016, 8, 1), D(2021, 7, 31), 1826, 0, 0, 1, 1, 1),
        (2, D(2017, 4, 6), D(2017, 4, 6), 1, 0, 0, 0, 1, 1),
    ]
    assert db.rows(
        "SELECT benefit_type, is_out_of_work, source_out_of_work_flag, start_date, end_date, is_censored, n_edukeys "
        'FROM "leo_assets"."benefit_spells" ORDER BY start_date, benefit_type'
    ) == [
        ("JSA", 1, 1, D(2016, 1, 1), D(2016, 3, 1), 0, 2),
        ("ESA", 1, 1, D(2016, 1, 15), D(2016, 1, 20), 0, 1),
        ("AA", 1, 1, D(2017, 1, 1), D(2021, 7, 31), 1, 1),
        ("XYZ", None, None, D(2017, 1, 1), D(2017, 2, 1), 0, 1),
        ("DLA", 0, None, D(2018, 1, 1), D(2018, 2, 1), 0, 1),
        ("IS", 0, 0, D(2018, 3, 1), D(2018, 4, 1), 0, 1),
        ("UAB", 0, None, D(2018, 5, 1), D(2018, 6, 1), 0, 1),
    ]
    # rule 4 (docs/decisions.md): the source's own flag where the row has one, else the mapping;
    # disability and carer benefits are their own group, never in-work
    assert db.rows(
        'SELECT benefit_type, classified_by, benefit_group FROM "leo_assets"."benefit_spells" ORDER BY start_date, benefit_type'
    ) == [
        ("JSA", "source_flag", "out_of_work_benefit"),
        ("ESA", "source_flag", "out_of_work_benefit"),
        ("AA", "source_flag", "out_of_work_benefit"),
        ("XYZ", None, None),
        ("DLA", "mapping", "disability_carer_benefit"),
        ("IS", "source_flag", "in_work_benefit"),
        ("UAB", "mapping", "in_work_benefit"),
    ]
    assert db.rows(
        "SELECT person_id, tax_year, paye_gbp_nominal, self_employment_gbp_nominal, total_earnings_gbp_nominal, "
        'total_earnings_gbp_real, n_edukeys FROM "leo_assets"."earnings" ORDER BY person_id, tax_year'
    ) == [
        (
            1,
            2015,
            Decimal("15000.00"),
            Decimal("2000.00"),
            Decimal("17000.00"),
            Decimal("18989.00"),
            2,
        ),
        (1, 2016, Decimal("0.00"), None, Decimal("0.00"), Decimal("0.00"), 1),
        (2, 2018, None, Decimal("800.00"), Decimal("800.00"), Decimal("864.22"), 1),
    ]
    checks = {
        (c.asset_key.path[-1], c.check_name): c.passed for c in result.get_asset_check_evaluations()
    }
    assert checks[("benefit_spells", "unknown_benefit_type")] is False  # warns, does not block
    assert checks[("benefit_spells", "grain_unique")] is True
    db.dispose()


def test_benefits_by_the_mapping_alone(tmp_path, backend_url):
    """Setting benefit_classification: mapping ignores the source's flag (FFT's approach)."""
    backend, pg = backend_url
    settings = settings_for(tmp_path, backend, pg, benefit_classification="mapping")
    write_sources(settings, _rows())
    build_selection(settings, ["benefit_spells"])
    db = WorkspaceDatabase.from_settings(settings)
    assert db.rows(
        "SELECT benefit_type, is_out_of_work, classified_by, benefit_group "
        'FROM "leo_assets"."benefit_spells" ORDER BY start_date, benefit_type'
    ) == [
        ("JSA", 1, "mapping", "out_of_work_benefit"),
        ("ESA", 1, "mapping", "out_of_work_benefit"),
        ("AA", 0, "mapping", "disability_carer_benefit"),
        ("XYZ", None, None, None),
        ("DLA", 0, "mapping", "disability_carer_benefit"),
        ("IS", 1, "mapping", "out_of_work_benefit"),
        ("UAB", 0, "mapping", "in_work_benefit"),
    ]
    db.dispose()
