"""Headline rates of a synthetic run beside published targets (peers.md section 2 and 4).

Rates come from the TRUTH (truth_person, truth_activity_spell, truth_earnings, truth_fault_rate)
and, for a DuckDB run whose source files sit next to the truth file, also from the generated
views (the way a pipeline would see them: through PMRs, lookups and source codes).

Destination rules (DfE KS4 / longer-term destination measures, simplified to the truth):
destination year y after KS4 cohort C runs 1 Aug (C+y-1) - 31 Jul (C+y); "sustained education"
= education in each of the six months October-March; "sustained employment" = employment or
self-employment in at least 5 of those 6 months; "sustained apprenticeship" = an apprenticeship
covering at least 183 days (six consecutive months) of the year; a mix of education and
employment in all six months counts as sustained (reported with employment). Otherwise a person
with any education, employment, training, benefit, NEET or custody record in the year is "not
sustained", and one with none is "activity not captured".
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pyarrow as pa

from leo_assets.settings import PROJECT_DIR, Settings
from leo_assets.sqlproject.sources import load_catalog

from .config import GenerationSummary, GeneratorConfig, RateRow, truth_path
from .generator import simulate_truth
from .writer import TRUTH_SCHEMA_DUCKDB, TRUTH_SCHEMA_POSTGRES

# measure -> (target, tolerance, note)
TARGETS: dict[str, tuple[float, float, str]] = {
    "ks4_destination_overall_sustained": (
        0.94,
        0.02,
        "KS4 destinations, year after KS4 (DfE ~94%)",
    ),
    "ks4_destination_education": (0.865, 0.03, "DfE 86-89%"),
    "ks4_destination_fe": (0.37, 0.04, "FE college (DfE 37%)"),
    "ks4_destination_school_sixth_form": (0.37, 0.04, "school sixth form (DfE 37%)"),
    "ks4_destination_sixth_form_college": (0.11, 0.03, "sixth-form college (DfE 11%)"),
    "ks4_destination_apprenticeship": (0.04, 0.015, "DfE 4%"),
    "ks4_destination_employment": (0.03, 0.015, "DfE 3%"),
    "ks4_destination_not_sustained": (0.05, 0.02, "DfE 5%"),
    "ks4_destination_not_captured": (0.01, 0.01, "DfE 1%"),
    "sustained_destination_year_1": (0.941, 0.025, "longer-term destinations, 1 year (94.1%)"),
    "sustained_destination_year_3": (0.824, 0.035, "longer-term destinations, 3 years (82.4%)"),
    "sustained_destination_year_5": (0.795, 0.035, "longer-term destinations, 5 years (79.5%)"),
    "he_entry_by_age_19": (0.43, 0.04, "HE entry by academic age 19 (peers: 40-45%)"),
    "neet_or_not_known_16_17": (0.06, 0.015, "NEET or not known at 16-17, Dec-Feb average (5-7%)"),
    "leo_link_rate": (0.975, 0.02, "pupils with an ae_id (>95%)"),
    "leo_link_rate_wbri": (0.99, 0.01, "White British (ECHILD: 0.99)"),
    "leo_link_rate_non_wbri": (0.94, 0.03, "other ethnicities (ECHILD: U(0.90, 0.975))"),
    "share_fsm": (0.14, 0.02, "FSM at KS4"),
    "share_sen": (0.13, 0.02, "SEN at KS4"),
    "share_eal": (0.15, 0.02, "EAL"),
    "share_wbri": (0.75, 0.02, "White British"),
    "ks4_level2_em": (0.585, 0.03, "5+ A*-C incl. English and maths, cohorts to 2015"),
    "median_paye_earnings_age_18": (5000.0, 2500.0, "earners, tax year starting at age 18"),
    "median_paye_earnings_age_20": (9000.0, 3500.0, "age 20"),
    "median_paye_earnings_age_22": (13500.0, 4000.0, "age 22"),
    "median_paye_earnings_age_24": (18000.0, 5000.0, "age 24"),
}

_EDU = "('sixth_form', 'fe', 'he', 'traineeship')"

_DEST_PERSON_SQL = """
WITH p AS (SELECT person_id, cohort FROM {t}.truth_person),
yrs AS (
    SELECT p.person_id, p.cohort, y.y,
           make_date(p.cohort + y.y - 1, 8, 1) AS ws, make_date(p.cohort + y.y, 7, 31) AS we,
           make_date(p.cohort + y.y - 1, 10, 1) AS os
    FROM p CROSS JOIN (VALUES (1), (3), (5)) AS y(y)
    WHERE make_date(p.cohort + y.y, 3, 31) <= DATE '{ref}'
),
months AS (
    SELECT yrs.*, g.m, CAST(os + to_months(g.m) AS DATE) AS ms,
        CAST(os + to_months(g.m + 1) - INTERVAL 1 DAY AS DATE) AS me
    FROM yrs CROSS JOIN generate_series(0, 5) AS g(m)
),
s AS (
    SELECT person_id, activity_type, detail, start_date, end_date,
           CASE WHEN activity_type = 'sixth_form' THEN 'ssf'
                WHEN activity_type = 'fe' AND detail = 'sixth_form_college' THEN 'sfc'
                WHEN activity_type = 'fe' THEN 'fe'
                WHEN activity_type IN ('he', 'traineeship') THEN 'other_edu' END AS edu_kind
    FROM {t}.truth_activity_spell
),
mon AS (
    SELECT mo.person_id, mo.y, mo.m,
           max(CASE WHEN s.activity_type IN {edu} THEN 1 ELSE 0 END) AS edu,
           max(CASE WHEN s.activity_type IN ('employment', 'self_employment', 'apprenticeship')
               THEN 1 ELSE 0 END) AS emp
    FROM months mo JOIN s ON s.person_id = mo.person_id AND s.start_date <= mo.me
        AND s.end_date >= mo.ms
    GROUP BY 1, 2, 3
),
per AS (
    SELECT person_id, y, sum(edu) AS edu_m, sum(emp) AS emp_m, sum(greatest(edu, emp)) AS any_m
        FROM mon GROUP BY 1, 2
),
app AS (
    SELECT yrs.person_id, yrs.y,
           max(date_diff('day', greatest(s.start_date, yrs.ws), least(s.end_date, yrs.we)) + 1)
               AS app_days
    FROM yrs JOIN s ON s.person_id = yrs.person_id AND s.activity_type = 'apprenticeship'
         AND s.start_date <= yrs.we AND s.end_date >= yrs.ws
    GROUP BY 1, 2
),
captured AS (
    SELECT DISTINCT yrs.person_id, yrs.y
    FROM yrs JOIN s ON s.person_id = yrs.person_id AND s.start_date <= yrs.we
        AND s.end_date >= yrs.ws
         AND s.activity_type IN ('sixth_form', 'fe', 'he', 'traineeship', 'apprenticeship',
                                 'employment', 'self_employment', 'out_of_work_benefit', 'neet',
                                 'custody')
),
edu_kind AS (
    SELECT person_id, y, arg_max(edu_kind, days) AS kind FROM (
        SELECT yrs.person_id, yrs.y, s.edu_kind,
               sum(date_diff('day', greatest(s.start_date, yrs.os),
                             least(s.end_date,
                                   CAST(yrs.os + INTERVAL 6 MONTH - INTERVAL 1 DAY AS DATE))) + 1)
                   AS days
        FROM yrs JOIN s ON s.person_id = yrs.person_id AND s.edu_kind IS NOT NULL
             AND s.start_date <= CAST(yrs.os + INTERVAL 6 MONTH - INTERVAL 1 DAY AS DATE)
             AND s.end_date >= yrs.os
        GROUP BY 1, 2, 3) GROUP BY 1, 2
)
SELECT yrs.y, yrs.person_id,
       CASE WHEN coalesce(app.app_days, 0) >= 183 THEN 'apprenticeship'
            WHEN coalesce(per.edu_m, 0) = 6 THEN 'edu_' || coalesce(edu_kind.kind, 'other_edu')
            WHEN coalesce(per.emp_m, 0) >= 5 OR coalesce(per.any_m, 0) = 6 THEN 'employment'
            WHEN captured.person_id IS NOT NULL THEN 'not_sustained'
            ELSE 'not_captured' END AS destination
FROM yrs
LEFT JOIN per ON per.person_id = yrs.person_id AND per.y = yrs.y
LEFT JOIN app ON app.person_id = yrs.person_id AND app.y = yrs.y
LEFT JOIN captured ON captured.person_id = yrs.person_id AND captured.y = yrs.y
LEFT JOIN edu_kind ON edu_kind.person_id = yrs.person_id AND edu_kind.y = yrs.y
"""
_DESTINATIONS_SQL = (
    "SELECT y, destination, count(*) AS n FROM (" + _DEST_PERSON_SQL + ") GROUP BY 1, 2"
)

_HE_SQL = """
SELECT count(*) AS n, count(he.person_id) AS k FROM {t}.truth_person p
LEFT JOIN (SELECT DISTINCT s.person_id FROM {t}.truth_activity_spell s JOIN {t}.truth_person p2
    USING (person_id)
           WHERE s.activity_type = 'he' AND s.detail IN ('first_degree', 'other_undergraduate')
             AND s.start_date <= make_date(p2.cohort + 4, 8, 31)) he USING (person_id)
WHERE make_date(p.cohort + 4, 8, 31) <= DATE '{ref}'
"""

_NEET_SQL = """
WITH snaps AS (
    SELECT p.person_id, d.d
    FROM {t}.truth_person p CROSS JOIN (VALUES (1), (2)) AS y(y)
    CROSS JOIN LATERAL (SELECT make_date(p.cohort + y.y - 1, 12, 15) AS d UNION ALL
                        SELECT make_date(p.cohort + y.y, 1, 15)
                            UNION ALL SELECT make_date(p.cohort + y.y, 2, 15)) d
    WHERE d.d <= DATE '{ref}'
),
status AS (
    SELECT sn.person_id, sn.d,
           max(CASE WHEN s.activity_type = 'custody' THEN 1 ELSE 0 END) AS custody,
           max(CASE WHEN s.activity_type IN ('sixth_form', 'fe', 'he', 'traineeship',
                                             'apprenticeship', 'employment', 'self_employment')
                    THEN 1 ELSE 0 END) AS participating
    FROM snaps sn LEFT JOIN {t}.truth_activity_spell s
         ON s.person_id = sn.person_id AND s.start_date <= sn.d AND s.end_date >= sn.d
    GROUP BY 1, 2
)
SELECT count(*) AS n, sum(1 - participating) AS k FROM status WHERE custody = 0
"""

_SIMPLE_SQL = """
SELECT count(*) AS n, sum(CASE WHEN ae_id IS NOT NULL THEN 1 ELSE 0 END) AS linked,
       sum(CASE WHEN ethnicity = 'WBRI' THEN 1 ELSE 0 END) AS n_wbri,
       sum(CASE WHEN ethnicity = 'WBRI' AND ae_id IS NOT NULL THEN 1 ELSE 0 END) AS linked_wbri,
       sum(CASE WHEN fsm THEN 1 ELSE 0 END) AS fsm,
       sum(CASE WHEN sen <> 'N' THEN 1 ELSE 0 END) AS sen,
       sum(CASE WHEN eal THEN 1 ELSE 0 END) AS eal,
       sum(CASE WHEN cohort <= 2015 THEN 1 ELSE 0 END) AS n_l2,
       sum(CASE WHEN cohort <= 2015 AND level2_em THEN 1 ELSE 0 END) AS l2
FROM {t}.truth_person
"""

_EARN_SQL = """
SELECT age, count(*) AS n, median(paye_earnings) AS med FROM (
    SELECT e.paye_earnings,
           CAST(floor(date_diff('day', p.birth_date,
                                make_date(CAST(e.taxyear // 100 AS INTEGER), 4, 6)) / 365.25)
                AS INTEGER) AS age
    FROM {t}.truth_earnings e JOIN {t}.truth_person p USING (person_id) WHERE e.paye_earnings > 0)
WHERE age IN (18, 20, 22, 24) GROUP BY age
"""

_FAULT_SQL = """
SELECT fault_type, any_value(requested_rate) AS rate, sum(eligible) AS eligible, sum(injected)
    AS injected
FROM {t}.truth_fault_rate GROUP BY fault_type ORDER BY fault_type
"""


def _row(measure: str, source: str, k: float | None, n: int, value: float | None = None) -> RateRow:
    target, tol, note = TARGETS[measure]
    if value is None:
        value = (k / n) if n else None
    return RateRow(measure, source, value, target, tol, int(n), note)


def truth_rates(con: duckdb.DuckDBPyConnection, t: str, ref: dt.date) -> list[RateRow]:
    rows: list[RateRow] = []
    dest = con.execute(_DESTINATIONS_SQL.format(t=t, ref=ref.isoformat(), edu=_EDU)).fetchall()
    by: dict[int, dict[str, int]] = {}
    for y, d, n in dest:
        by.setdefault(int(y), {})[d] = int(n)
    if 1 in by:
        c = by[1]
        n = sum(c.values())
        edu = sum(v for k, v in c.items() if k.startswith("edu_"))
        sustained = edu + c.get("apprenticeship", 0) + c.get("employment", 0)
        rows += [
            _row("ks4_destination_overall_sustained", "truth", sustained, n),
            _row("ks4_destination_education", "truth", edu, n),
            _row("ks4_destination_fe", "truth", c.get("edu_fe", 0), n),
            _row("ks4_destination_school_sixth_form", "truth", c.get("edu_ssf", 0), n),
            _row("ks4_destination_sixth_form_college", "truth", c.get("edu_sfc", 0), n),
            _row("ks4_destination_apprenticeship", "truth", c.get("apprenticeship", 0), n),
            _row("ks4_destination_employment", "truth", c.get("employment", 0), n),
            _row("ks4_destination_not_sustained", "truth", c.get("not_sustained", 0), n),
            _row("ks4_destination_not_captured", "truth", c.get("not_captured", 0), n),
        ]
    for y in (1, 3, 5):
        if y in by:
            c = by[y]
            n = sum(c.values())
            k = sum(
                v
                for key, v in c.items()
                if key.startswith("edu_") or key in ("apprenticeship", "employment")
            )
            rows.append(_row(f"sustained_destination_year_{y}", "truth", k, n))
    n, k = con.execute(_HE_SQL.format(t=t, ref=ref.isoformat())).fetchone()
    if n:
        rows.append(_row("he_entry_by_age_19", "truth", k, n))
    n, k = con.execute(_NEET_SQL.format(t=t, ref=ref.isoformat())).fetchone()
    if n:
        rows.append(_row("neet_or_not_known_16_17", "truth", k, n))
    s = con.execute(_SIMPLE_SQL.format(t=t)).fetchone()
    n, linked, n_w, l_w, fsm, sen, eal, n_l2, l2 = (int(x or 0) for x in s)
    rows += [
        _row("leo_link_rate", "truth", linked, n),
        _row("leo_link_rate_wbri", "truth", l_w, n_w),
        _row("leo_link_rate_non_wbri", "truth", linked - l_w, n - n_w),
        _row("share_fsm", "truth", fsm, n),
        _row("share_sen", "truth", sen, n),
        _row("share_eal", "truth", eal, n),
    ]
    wbri = con.execute(
        f"SELECT count(*) FILTER (WHERE ethnicity = 'WBRI') FROM {t}.truth_person"
    ).fetchone()[0]
    rows.append(_row("share_wbri", "truth", wbri, n))
    if n_l2:
        rows.append(_row("ks4_level2_em", "truth", l2, n_l2))
    for age, cnt, med in sorted(con.execute(_EARN_SQL.format(t=t)).fetchall()):
        rows.append(_row(f"median_paye_earnings_age_{age}", "truth", None, cnt, float(med)))
    for ftype, rate, eligible, injected in con.execute(_FAULT_SQL.format(t=t)).fetchall():
        eligible = int(eligible or 0)
        expected = float(rate) * eligible
        sd = math.sqrt(max(eligible * float(rate) * (1 - float(rate)), 0.0))
        tol = (4 * sd + 1) / eligible if eligible else 0.0
        if not eligible:
            # nothing could receive the fault (e.g. one cohort: no cross-cohort over-match):
            # 0 injected of 0 expected is what was asked for, not a rate out of tolerance
            rows.append(
                RateRow(
                    f"fault_{ftype}",
                    "truth",
                    float(rate),
                    float(rate),
                    0.0,
                    0,
                    f"none eligible: injected {injected} of expected 0",
                )
            )
            continue
        rows.append(
            RateRow(
                f"fault_{ftype}",
                "truth",
                injected / eligible,
                float(rate),
                tol,
                eligible,
                f"injected {injected} of expected {expected:.1f}",
            )
        )
    return rows


# ------------------------------------------------------------------------------------ views


def view_rates(
    con: duckdb.DuckDBPyConnection, settings: Settings, cohorts: list[int], ref: dt.date
) -> list[RateRow]:
    """Rates from the generated DuckDB views (sources attached read-only as catalogs)."""
    catalog = load_catalog(PROJECT_DIR / "sql", settings)
    ks4 = [pv for pv in catalog.views("ks4") if pv.year in cohorts]
    if not ks4:
        return []

    def tbl(pv):
        return catalog.view_table(pv, "duckdb").sql("duckdb")

    ks4_union = " UNION ALL ".join(
        f"SELECT {pv.year} AS cohort, ks4_pupilmatchingrefanonymous AS pmr, "
        + (
            "ks4_level2_em"
            if pv.year <= 2013
            else "ks4_level2_em_ptq"
            if pv.year == 2014
            else "ks4_level2_em_ptq_ee"
        )
        + f" AS l2 FROM {tbl(pv)} WHERE ks4_natres = 1 AND ks4_pupilmatchingrefanonymous <> ''"
        for pv in ks4
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW ks4_main AS {ks4_union}")
    pmr_lookup = tbl(catalog.views("pmr_lookup")[0])
    rows: list[RateRow] = []
    n, k = con.execute(
        "SELECT count(*), count(l.pmr) FROM ks4_main k LEFT JOIN (SELECT DISTINCT "
        f"pupilmatchingrefanonymous AS pmr FROM {pmr_lookup}) l ON l.pmr = k.pmr"
    ).fetchone()
    rows.append(_row("leo_link_rate", "views", k, n))
    n, k = con.execute("SELECT count(*), sum(l2) FROM ks4_main WHERE cohort <= 2015").fetchone()
    if n:
        rows.append(_row("ks4_level2_em", "views", k, n))
    hesa = [pv for pv in catalog.views("hesa")]
    if hesa:
        he_union = " UNION ALL ".join(
            f"SELECT he_pupilmatchingrefanonymous AS pmr, he_comdate AS comdate FROM {tbl(pv)}"
            for pv in hesa
        )
        # the HESA PMR may be a pupil's other PMR: go through the lookup's ae_id as well
        sql = f"""
        WITH k AS (SELECT * FROM ks4_main
                   WHERE make_date(cohort + 4, 8, 31) <= DATE '{ref.isoformat()}'),
        ids AS (SELECT k.cohort, k.pmr AS ks4_pmr, coalesce(l2.pupilmatchingrefanonymous, k.pmr)
            AS pmr
                FROM k LEFT JOIN {pmr_lookup} l1 ON l1.pupilmatchingrefanonymous = k.pmr
                LEFT JOIN {pmr_lookup} l2 ON l2.ae_id = l1.ae_id),
        he AS (SELECT DISTINCT ids.ks4_pmr FROM ids JOIN ({he_union}) h ON h.pmr = ids.pmr
               WHERE h.comdate <= make_date(ids.cohort + 4, 8, 31))
        SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM he)"""
        n, k = con.execute(sql).fetchone()
        if n:
            rows.append(_row("he_entry_by_age_19", "views", k, n))
    nccis = catalog.views("nccis")
    if nccis:
        sql = f"""
        WITH r AS (
            SELECT k.cohort, CAST(right(n.nccis_acadyr, 4) AS INTEGER) AS ay, n.nccis_monthno AS m,
                n.nccis_current_activity_code AS code
            FROM {tbl(nccis[0])} n JOIN ks4_main k ON k.pmr = n.nccis_pupilmatchingrefanonymous
            WHERE n.nccis_monthno IN (12, 1, 2) AND coalesce(n.nccis_cohort_status, '') <> 'M')
        SELECT count(*), sum(CASE WHEN code IN (510, 520, 540, 610, 615, 616, 619, 620, 630, 640,
            650, 660, 670, 680, 810, 820, 830) THEN 1 ELSE 0 END)
        FROM r WHERE ay - cohort IN (1, 2) AND code NOT IN (130, 290, 710)"""
        n, k = con.execute(sql).fetchone()
        if n:
            rows.append(_row("neet_or_not_known_16_17", "views", k, n))
    return rows


# ------------------------------------------------------------------------------------ entry point
def rate_report(
    settings: Settings,
    config_or_truth_location: GeneratorConfig | GenerationSummary | str | Path | None = None,
) -> list[RateRow]:
    """Rates from the truth (and views where available) beside their targets.

    ``config_or_truth_location``: a :class:`GeneratorConfig` (the truth is simulated in memory,
    nothing is written); a :class:`GenerationSummary` or None (the run's truth: DuckDB file or
    PostgreSQL schema); a path to ``leo_truth.duckdb``; or a ``postgresql+psycopg://`` URL.
    """
    arg = config_or_truth_location
    if isinstance(arg, GeneratorConfig):
        tables = simulate_truth(settings, arg)
        con = _quiet(duckdb.connect())
        con.execute("CREATE SCHEMA t")
        for name, tbl in tables.items():
            con.register(f"_{name}", tbl)
            con.execute(f"CREATE VIEW t.{name} AS SELECT * FROM _{name}")
        try:
            return truth_rates(con, "t", settings.reference_date)
        finally:
            con.close()
    if isinstance(arg, GenerationSummary):
        location = arg.paths["truth"]
        if arg.target != "duckdb":
            return _postgres_report(settings, arg.target)
        arg = Path(location)
    if arg is None:
        arg = truth_path(settings)
    if isinstance(arg, str) and arg.startswith("postgresql"):
        return _postgres_report(settings, arg)
    path = Path(arg)
    con = _quiet(duckdb.connect())
    try:
        con.execute(f"ATTACH {_sql_literal(path)} AS leo_truth (READ_ONLY)")
        t = f"leo_truth.{TRUTH_SCHEMA_DUCKDB}"
        ref, cohorts = con.execute(f"SELECT reference_date, cohorts FROM {t}.truth_run").fetchone()
        rows = truth_rates(con, t, ref)
        attached = _attach_sources(con, settings, path.parent)
        if attached:
            rows += view_rates(con, settings, json.loads(cohorts), ref)
        return rows
    finally:
        con.close()


def _sql_literal(path: Path) -> str:
    """A path as a quoted SQL string literal (a folder name may hold a quote)."""
    return "'" + str(path).replace("'", "''") + "'"


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET enable_progress_bar = false")
    return con


def _attach_sources(con, settings: Settings, folder: Path) -> bool:
    dbs = sorted(set(settings.source_databases.values()))
    files = [folder / f"{db}.duckdb" for db in dbs]
    if not all(f.exists() for f in files):
        return False
    for db, f in zip(dbs, files):
        con.execute(f'ATTACH {_sql_literal(f)} AS "{db}" (READ_ONLY)')
    return True


def _postgres_report(settings: Settings, url: str) -> list[RateRow]:
    """Read the truth tables the report needs from PostgreSQL into DuckDB, then compute."""
    import io

    import psycopg
    import pyarrow.csv as pcsv
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    con = _quiet(duckdb.connect())
    con.execute("CREATE SCHEMA t")
    try:
        with psycopg.connect(conninfo) as pg:
            for name in (
                "truth_run",
                "truth_person",
                "truth_activity_spell",
                "truth_earnings",
                "truth_fault_rate",
            ):
                buf = io.BytesIO()
                with pg.cursor().copy(
                    f'COPY "{TRUTH_SCHEMA_POSTGRES}"."{name}" TO STDOUT '
                    "WITH (FORMAT csv, HEADER true)"
                ) as cp:
                    for chunk in cp:
                        buf.write(chunk)
                buf.seek(0)
                tbl: pa.Table = pcsv.read_csv(buf)
                con.register(f"_{name}", tbl)
                con.execute(f"CREATE TABLE t.{name} AS SELECT * FROM _{name}")
        con.execute(
            "CREATE OR REPLACE TABLE t.truth_person AS SELECT * REPLACE (CAST(birth_date AS DATE) "
            "AS birth_date) FROM t.truth_person"
        )
        ref = con.execute("SELECT CAST(reference_date AS DATE) FROM t.truth_run").fetchone()[0]
        return truth_rates(con, "t", ref)
    finally:
        con.close()


def format_report(rows: list[RateRow]) -> str:
    """A plain-text table: measure, source, value, target +/- tolerance, n, ok."""
    lines = [
        f"{'measure':<40} {'source':<6} {'value':>10} {'target':>10} {'tol':>8} {'n':>9}  ok  note"
    ]
    lines.append("-" * len(lines[0]))
    for r in rows:
        money = r.target > 100
        fmt = (lambda v: f"{v:,.0f}") if money else (lambda v: f"{v:.4f}")
        value = fmt(r.value) if r.value is not None else "-"
        lines.append(
            f"{r.measure:<40} {r.source:<6} {value:>10} {fmt(r.target):>10} "
            f"{fmt(r.tolerance):>8} {r.n:>9}  "
            f"{'yes' if r.ok else 'NO ':<3} {r.note}"
        )
    bad = sum(1 for r in rows if not r.ok)
    lines.append(f"{len(rows) - bad} of {len(rows)} within tolerance")
    return "\n".join(lines)
