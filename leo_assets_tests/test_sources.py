"""Source declarations: year-split expansion, per-year columns as data, absent and missing views."""

import datetime as dt

import pytest

from leo_assets.resources import SourceViewError, WorkspaceDatabase
from leo_assets.settings import make_settings
from leo_assets.sqlproject.sources import SourceDeclarationError, load_catalog
from leo_assets_tests.helpers import REAL_SQL, settings_for, write_sources


def test_every_source_and_view_is_declared():
    catalog = load_catalog(REAL_SQL, make_settings())
    assert set(catalog.decls) >= {
        "school_census",
        "ks4",
        "nccis",
        "ilr_learners",
        "ilr_aims",
        "ilr_lars",
        "hesa",
        "pmr_lookup",
        "edukey_lookup",
        "education_records_lookup",
        "employment",
        "earnings",
        "self_assessment",
        "benefits",
    }
    views = {v.view for v in catalog.all_views()}
    assert (
        "spring_census_2014" in views and "summer_census_2020" not in views
    )  # no Summer 2020 census
    assert {"hesa_2005", "hesa_2020", "ks4_2014", "leo_employment", "learners", "aims"} <= views


def test_per_year_columns_are_data():
    catalog = load_catalog(REAL_SQL, make_settings())
    by_view = {v.view: v for v in catalog.all_views()}
    spring08 = {stem for _p, stem, _d in by_view["spring_census_2008"].columns}
    spring09 = {physical for physical, _s, _d in by_view["spring_census_2009"].columns}
    assert "onroll" not in spring08 and "onroll_spr09" in spring09
    assert {p for p, _s, _d in by_view["hesa_2007"].columns} >= {"he_dateleft"}
    assert "he_enddate" not in {p for p, _s, _d in by_view["hesa_2007"].columns}
    assert "he_xhecos_1" in {p for p, _s, _d in by_view["hesa_2020"].columns}
    assert "he_xjacs01_1" not in {p for p, _s, _d in by_view["hesa_2020"].columns}
    union = catalog.relation("hesa", "duckdb").sql("duckdb")
    assert 'CAST(NULL AS DATE) AS "he_enddate"' in union and '2020 AS "hesa_year"' in union


def test_settings_narrow_years_and_absent_views():
    s = make_settings(source_years={"hesa.hesa": "2015-2016"}, absent_views=["leo_self_assessment"])
    catalog = load_catalog(REAL_SQL, s)
    assert [v.view for v in catalog.views("hesa")] == ["hesa_2015", "hesa_2016"]
    assert catalog.views("self_assessment") == []
    assert "absent per setting 'absent_views'" in catalog.skipped("self_assessment")[0]
    empty = catalog.relation("self_assessment", "tsql").sql("tsql")
    assert "WHERE 1 = 0" in empty and "CAST(NULL AS INTEGER) AS [taxyear]" in empty


def test_years_outside_the_form_are_an_error():
    with pytest.raises(SourceDeclarationError, match="source_years.hesa.hesa"):
        load_catalog(REAL_SQL, make_settings(source_years={"hesa.hesa": "2001-2005"}))
    with pytest.raises(SourceDeclarationError, match="not a part"):
        load_catalog(REAL_SQL, make_settings(source_years={"hesa.students": "2015"}))


def test_missing_view_column_and_optional_column(tmp_path):
    s = settings_for(tmp_path)
    catalog = write_sources(
        s,
        skip_views={"ks4_2013"},
        drop_columns={
            "spring_census_2014": {"gender_spr14"},
            "education_records_lookup": {"source"},
        },
    )
    db = WorkspaceDatabase.from_settings(s)
    with pytest.raises(SourceViewError, match=r"NPD_i2\.synthetic\.ks4_2013 does not exist"):
        db.verify_sources(catalog, "ks4")
    with pytest.raises(SourceViewError, match="spring_census_2014 has no column gender_spr14"):
        db.verify_sources(catalog, "school_census")
    missing, warnings = db.verify_sources(catalog, "education_records_lookup")
    assert missing == {("education_records_lookup", "source")}
    assert "optional column source is missing" in warnings[0]
    db.dispose()


def test_fingerprint_moves_with_content(tmp_path):
    s = settings_for(tmp_path)
    row = {
        "edukey": "E1",
        "startdate": dt.date(2015, 4, 6),
        "enddate": dt.date(2016, 1, 1),
        "uncertainstartdate": True,
        "uncertainenddate": False,
    }
    catalog = write_sources(s, {"leo_employment": [row]})
    db = WorkspaceDatabase.from_settings(s)
    first = db.fingerprint(catalog, "employment")
    assert first == db.fingerprint(catalog, "employment") and first[0] == 1
    db.dispose()
    write_sources(s, {"leo_employment": [dict(row, enddate=dt.date(2016, 1, 2))]})
    db = WorkspaceDatabase.from_settings(s)
    assert db.fingerprint(catalog, "employment")[1] != first[1]
    db.dispose()
