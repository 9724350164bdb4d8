"""Activity, monthly metrics, sequences and DfE-style destinations on hand-built people.

The KS4 cohort is 2014 (Year 11 in 2013/14); destination year 1 is August 2014 to July 2015,
its sustained measures look at October 2014 to March 2015.
"""

import datetime as dt

import pytest

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import build_selection, settings_for, write_sources

D = dt.date


def _ks4(pmr):
    return {
        "ks4_pupilmatchingrefanonymous": pmr,
        "ks4_acadyr": "2013/2014",
        "ks4_laestab_anon": "S1",
        "ks4_endks": 1,
        "ks4_natres": 1,
        "ks4_gender": "F",
        "ks4_yearofbirth": 1998,
        "ks4_monthofbirth": 3,
    }


def _aim(recordid, start, end, programme_type=-1, aim="50012345", status=2):
    year = start.year + (1 if start.month >= 8 else 0)
    return {
        "external_id": recordid * 10,
        "academicyear": f"{year - 1}/{year}",
        "recordid": recordid,
        "ukprn_anon": 7,
        "learning_aim_id": aim,
        "programme_type": programme_type,
        "start_date": start,
        "end_date": end,
        "end_date_expected": end,
        "compstatus": status,
        "outcome": 1,
        "notional_level_v2": 2,
    }


def _people():
    rows = {"ks4_2014": [_ks4(p) for p in ("PA", "PB", "PC", "PD", "PE")]}
    rows["learner_ae_id_to_pmr_lookup"] = [
        {"ae_id": i, "pupilmatchingrefanonymous": p}
        for i, p in enumerate(("PA", "PB", "PC", "PD"), start=1)
    ]
    rows["learner_ae_id_to_edukey_lookup"] = [
        {"ae_id": 2, "edukey": "EB"},
        {"ae_id": 4, "edukey": "ED"},
    ]
    rows["education_records_lookup"] = [
        {"ae_id": 1, "recordid": 11, "source": "ILR"},
        {"ae_id": 3, "recordid": 33, "source": "ILR"},
    ]
    rows["learners"] = [
        {"external_id": 110, "recordid": 11, "academicyear": "2014/2015"},
        {"external_id": 330, "recordid": 33, "academicyear": "2014/2015"},
    ]
    rows["aims"] = [
        _aim(11, D(2014, 10, 1), D(2015, 3, 31)),  # PA: FE from October to March only
        _aim(
            33, D(2014, 8, 1), D(2015, 1, 31), programme_type=3, aim="ZPROG001"
        ),  # PC: six months' apprenticeship
    ]
    rows["leo_employment"] = [
        {
            "edukey": "EB",
            "startdate": D(2014, 11, 1),
            "enddate": D(2015, 3, 31),
            "uncertainstartdate": False,
            "uncertainenddate": False,
        }
    ]  # PB: 5 of 6 months
    rows["leo_benefit"] = [
        {
            "edukey": "ED",
            "benefit_type": "JSA",
            "startdate": D(2014, 11, 1),
            "enddate": D(2015, 1, 31),
            "out_of_work_benefit": 1,
        }
    ]  # PD: benefits only; PE: never recorded
    return rows


@pytest.fixture(scope="module")
def built(module_backend):
    backend, pg, root = module_backend
    settings = settings_for(root, backend, pg, ks4_cohorts=[2014], months_after_ks4=24)
    write_sources(settings, _people())
    build_selection(
        settings,
        [
            "destinations",
            "metrics_monthly",
            "metrics_annual",
            "transitions",
            "transition_sequence_yearly",
        ],
    )
    db = WorkspaceDatabase.from_settings(settings)
    yield db
    db.dispose()


def test_destinations_follow_the_dfe_rules(built):
    rows = built.rows(
        "SELECT c.pmr, d.destination, d.education_type, d.not_sustained_type, d.education_months, d.employment_months, "
        'd.longest_apprenticeship_months FROM "leo_assets"."destinations" AS d '
        'JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = d.person_id WHERE d.destination_year = 1 ORDER BY c.pmr'
    )
    assert rows == [
        ("PA", "education", "fe", None, 6, 0, 0),
        ("PB", "employment", None, None, 0, 5, 0),
        ("PC", "apprenticeship", None, None, 0, 0, 6),
        ("PD", "not_sustained", None, "out_of_work_benefit", 0, 0, 0),
        ("PE", "not_captured", None, None, 0, 0, 0),
    ]
    later = built.rows(
        'SELECT destination_year, destination, COUNT(*) FROM "leo_assets"."destinations" '
        "WHERE destination_year > 1 GROUP BY destination_year, destination ORDER BY destination_year"
    )
    assert later == [(3, "not_captured", 5), (5, "not_captured", 5)]


def test_monthly_metrics_sequence_and_transitions(built):
    months = built.rows(
        'SELECT m.month_index, m.month_start_date, m.days_employment FROM "leo_assets"."metrics_monthly" AS m '
        'JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = m.person_id WHERE c.pmr = \'PB\' AND m.month_index <= 8 '
        "ORDER BY m.month_index"
    )
    assert months == [
        (1, D(2014, 9, 1), 0),
        (2, D(2014, 10, 1), 0),
        (3, D(2014, 11, 1), 30),
        (4, D(2014, 12, 1), 31),
        (5, D(2015, 1, 1), 31),
        (6, D(2015, 2, 1), 28),
        (7, D(2015, 3, 1), 31),
        (8, D(2015, 4, 1), 0),
    ]
    assert built.rows('SELECT COUNT(*), MAX(month_index) FROM "leo_assets"."metrics_monthly"') == [
        (5 * 24, 24)
    ]
    sequence = built.rows(
        'SELECT s.month_index, s.state FROM "leo_assets"."transition_sequence" AS s JOIN "leo_assets"."ks4_cohort" AS c '
        "ON c.person_id = s.person_id WHERE c.pmr = 'PC' AND s.month_index <= 6 ORDER BY s.month_index"
    )
    assert [state for _i, state in sequence] == ["apprenticeship"] * 5 + ["not_captured"]
    transitions = built.rows(
        'SELECT c.pmr, t.month_index, t.from_state, t.to_state, t.months_in_from_state FROM "leo_assets"."transitions" AS t '
        'JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = t.person_id ORDER BY c.pmr, t.month_index'
    )
    assert transitions == [
        ("PA", 2, "not_captured", "fe", 1),
        ("PA", 8, "fe", "not_captured", 6),
        ("PB", 3, "not_captured", "employment", 2),
        ("PB", 8, "employment", "not_captured", 5),
        ("PC", 6, "apprenticeship", "not_captured", 5),
        ("PD", 3, "not_captured", "out_of_work_benefit", 2),
        ("PD", 6, "out_of_work_benefit", "not_captured", 3),
    ]


def test_annual_metrics(built):
    rows = built.rows(
        "SELECT a.year, a.basis, a.days_employment, a.longest_employment_spell_days, a.is_continuously_employed "
        'FROM "leo_assets"."metrics_annual" AS a JOIN "leo_assets"."ks4_cohort" AS c ON c.person_id = a.person_id '
        "WHERE c.pmr = 'PB' ORDER BY a.basis, a.year"
    )
    assert rows == [
        (2015, "academic", 151, 151, 0),
        (2016, "academic", 0, 0, 0),
        (2015, "tax", 151, 151, 0),
        (2016, "tax", 0, 0, 0),
    ]


@pytest.mark.parametrize("by, suffix", [("month", "csv"), ("year", "parquet")])
def test_wide_sequence_export(built, by, suffix, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from leo_assets.exports import export_sequences
    from leo_assets.sqlproject.loader import load_project
    from leo_assets_tests.helpers import REAL_SQL

    settings = settings_for(tmp_path, ks4_cohorts=[2014], months_after_ks4=24)
    out = tmp_path / f"sequences.{suffix}"
    assert export_sequences(load_project(REAL_SQL, settings), built, out, by=by, chunk_rows=2) == 5
    table = pq.read_table(out) if suffix == "parquet" else pacsv.read_csv(out)
    rows = {r["person_id"]: r for r in table.to_pylist()}
    assert len(rows) == 5 and "sex" in table.column_names
    if by == "month":
        assert table.column_names[-1] == "m024"
        pb = next(r for r in rows.values() if r["m003"] == "employment")
        assert [pb[f"m{i:03d}"] for i in range(1, 9)] == ["not_captured"] * 2 + [
            "employment"
        ] * 5 + ["not_captured"]
    else:
        assert table.column_names[-2:] == ["y01", "y02"]
        # the most frequent monthly state; a tie (PA: six months of FE, six of nothing) goes to the hierarchy
        assert sorted(r["y01"] for r in rows.values()) == ["fe"] + ["not_captured"] * 4


def test_report_lists_derived_destination_rates_beside_published(module_backend, built):
    from leo_assets.cli import derived_destination_rates

    backend, pg, root = module_backend
    rows = {
        measure: (derived, published, n)
        for measure, derived, published, n in derived_destination_rates(
            settings_for(root, backend, pg, ks4_cohorts=[2014], months_after_ks4=24)
        )
    }
    assert rows["sustained (year 1)"] == (0.6, 0.941, 5)  # PA, PB, PC sustained; PD, PE not
    assert rows["not_captured (year 1)"] == (0.2, 0.01, 5)
