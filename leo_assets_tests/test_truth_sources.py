"""School sixth-form aims (PLAMS) in pathways and the census_on_roll cohort against the
generator's truth (issue 16), on fault-free synthetic data (every PMR resolves to its true
person), so each must be recovered for at least 99%. One small extract on DuckDB, built twice:
cohort_definition ks4 (pathways) and census_on_roll (ks4_cohort)."""

import duckdb
import pytest

from leo_assets.synthetic import FaultRates, GeneratorConfig, generate
from leo_assets.synthetic.util import census_date
from leo_assets.synthetic.views import AIMS
from leo_assets_tests.helpers import build_tables, settings_for

COHORT = 2013


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth_sources")
    settings = settings_for(root, ks4_cohorts=[COHORT])
    generate(
        settings,
        GeneratorConfig(
            pupils_per_cohort=300, seed=16, faults=FaultRates.none(), show_progress=False
        ),
    )
    build_tables(settings, ["pathways"])
    by_census = settings_for(
        root,
        ks4_cohorts=[COHORT],
        cohort_definition="census_on_roll",
        workspace_schema="leo_census",
    )
    build_tables(by_census, ["ks4_cohort"])
    con = duckdb.connect()
    con.execute(f"ATTACH '{root / 'ws.duckdb'}' AS ws (READ_ONLY)")
    con.execute(f"ATTACH '{settings.source_dir_path() / 'leo_truth.duckdb'}' AS tr (READ_ONLY)")
    # our person_id -> true person (fault-free: one to one)
    con.execute("""
        CREATE TEMP TABLE pairs AS
        SELECT DISTINCT ids.person_id AS our_id, truth.person_id AS true_id
        FROM ws.leo_assets.person_identifier AS ids
        JOIN tr.truth.truth_identifier AS truth
          ON truth.id_type = ids.identifier_type AND truth.id_value = ids.identifier_value
        WHERE ids.identifier_type = 'pmr'""")
    yield settings, con
    con.close()


def test_plams_learners_have_their_pathway(world):
    """Each census date inside a true school sixth-form spell of a person with PLAMS aims has a
    pathway of the programme's type: three A levels are type 12, a level-3 BTEC or diploma a
    level-3 type (14 BTEC/OCR, 17 full by size, 22 partial)."""
    _settings, con = world
    aims = ", ".join(f"('{ref}', '{title}')" for ref, _q, title, *_ in AIMS)
    found, expected, right_type = con.sql(f"""
        WITH plams AS (
            SELECT r.person_id AS true_id,
                   max(CASE WHEN aims.title LIKE 'GCE A%' THEN 1 ELSE 0 END) AS is_a_level
            FROM tr.truth.truth_record_plams AS r
            JOIN (VALUES {aims}) AS aims(learnaimref, title) ON aims.learnaimref = r.pl_qan_att
            GROUP BY 1),
        snapshots AS (SELECT DISTINCT snapshot_date FROM ws.leo_assets.pathways),
        truth AS (
            SELECT DISTINCT p.our_id, s.snapshot_date, plams.is_a_level
            FROM tr.truth.truth_activity_spell AS spell
            JOIN plams ON plams.true_id = spell.person_id
            JOIN pairs AS p ON p.true_id = spell.person_id
            JOIN snapshots AS s ON s.snapshot_date BETWEEN spell.start_date AND spell.end_date
            WHERE spell.activity_type = 'sixth_form')
        SELECT count(w.person_id), count(*),
               count(*) FILTER (WHERE CASE WHEN t.is_a_level = 1 THEN w.pathway_type_id = 12
                                           ELSE w.pathway_type_id IN (14, 17, 22) END)
        FROM truth AS t LEFT JOIN ws.leo_assets.pathways AS w
          ON w.person_id = t.our_id AND w.snapshot_date = t.snapshot_date""").fetchone()
    # measured at 600 pupils: 1450 of 1450 person-dates, all of the programme's type
    assert expected > 200, expected
    assert found / expected >= 0.99, (found, expected)
    assert right_type / expected >= 0.99, (right_type, expected)


def test_census_on_roll_recovers_the_true_cohort(world):
    """The cohort by census_on_roll is the true academic birth cohort on a school roll on the
    named (spring) census day."""
    _settings, con = world
    day = census_date("spring", COHORT).isoformat()
    truth = {
        t
        for (t,) in con.sql(f"""
        SELECT DISTINCT person.person_id FROM tr.truth.truth_person AS person
        JOIN tr.truth.truth_activity_spell AS spell ON spell.person_id = person.person_id
        WHERE person.birth_date BETWEEN DATE '{COHORT - 17}-09-01' AND DATE '{COHORT - 16}-08-31'
          AND spell.activity_type = 'school'
          AND DATE '{day}' BETWEEN spell.start_date AND spell.end_date""").fetchall()
    }
    ours = {
        t
        for (t,) in con.sql("""
        SELECT DISTINCT p.true_id FROM ws.leo_census.ks4_cohort AS k
        JOIN pairs AS p ON p.our_id = k.person_id""").fetchall()
    }
    # measured at 600 pupils: 597 of 599 true members found, no one else
    assert len(truth) > 250, len(truth)
    recall = len(truth & ours) / len(truth)
    precision = len(truth & ours) / len(ours)
    assert recall >= 0.99 and precision >= 0.99, (recall, precision, len(truth), len(ours))
