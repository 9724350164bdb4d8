"""The semantic lint of the portable subset (sql/README.md rules 2, 11 and 12): it catches what
SQL Server would do differently, lets the right way through, and its list of old findings only
shrinks."""

import pytest

from leo_assets.settings import make_settings
from leo_assets.sqlproject.ctes import reread_ctes
from leo_assets.sqlproject.dialects import parse_tsql, portability_problems
from leo_assets.sqlproject.header import LoadError
from leo_assets.sqlproject.loader import lint_findings, load_project
from leo_assets.sqlproject.ordering import load_known, ordering_problems, untyped_columns
from leo_assets_tests.helpers import REAL_SQL, make_project

GRAINS = {"spells": ["person_id", "start_date"], "people": ["person_id"]}


@pytest.mark.parametrize(
    "sql, flagged",
    [
        ("select cast(s.a as int) / s.b as x from t as s", True),
        ("select cast(s.a as decimal(18, 6)) / s.b as x from t as s", False),
        ("select (s.a + 0.5) / s.b as x from t as s", False),
        # a decimal cast inside a condition does not make the operand decimal
        (
            (
                "select s.a / case when cast(s.b as decimal(9, 2)) > 0 then 2 else 1 end as x"
                " from t as s"
            ),
            True,
        ),
        ("select s.a / case when s.b > 0 then 2.0 else 1 end as x from t as s", False),
        ("select sum(cast(s.a as decimal(18, 2))) / count(*) as x from t as s", False),
    ],
)
def test_division_of_two_possible_integers_is_rejected(sql, flagged):
    problems = [p for p in portability_problems(parse_tsql(sql)) if p.startswith("division")]
    assert bool(problems) == flagged, problems


@pytest.mark.parametrize(
    "sql, total",
    [
        # ranked by a model's grain (proved unique and not null by its blocking checks)
        (
            (
                "select row_number() over (partition by s.person_id order by s.start_date) as n "
                "from ws.spells as s"
            ),
            True,
        ),
        (
            (
                "select row_number() over (partition by s.person_id order by s.end_date) as n "
                "from ws.spells as s"
            ),
            False,
        ),
        # a lookup joined on its whole key adds no rows
        (
            (
                "select lag(s.start_date) over (partition by s.person_id order by s.start_date)"
                " as n "
                "from ws.spells as s join ws.people as p on p.person_id = s.person_id"
            ),
            True,
        ),
        # ... a join on something else may
        (
            (
                "select lag(s.start_date) over (partition by s.person_id order by s.start_date)"
                " as n "
                "from ws.spells as s join ws.people as p on p.person_id > s.person_id"
            ),
            False,
        ),
        # the GROUP BY of a CTE is its key, passed through by name
        (
            (
                "with per as (select s.person_id, count(*) as n from ws.spells as s"
                " group by s.person_id) "
                "select row_number() over (order by per.person_id) as r from per"
            ),
            True,
        ),
        (
            (
                "with per as (select s.person_id, s.end_date from ws.spells as s) "
                "select row_number() over (order by per.person_id) as r from per"
            ),
            False,
        ),
        # RANK and a running SUM over the default RANGE frame are tie-safe
        ("select rank() over (order by s.end_date) as r from ws.spells as s", True),
        (
            (
                "select sum(s.n) over (partition by s.person_id order by s.end_date rows between "
                "unbounded preceding and current row) as r from ws.spells as s"
            ),
            False,
        ),
        ("select top 5 s.person_id from ws.spells as s order by s.end_date", False),
        ("select top 5 s.person_id from ws.people as s order by s.person_id", True),
    ],
)
def test_windows_and_top_must_be_ordered_totally(sql, total):
    assert ordering_problems(parse_tsql(sql), GRAINS) != total


def test_a_declared_unique_key_makes_the_order_total():
    sql = (
        "with latest as (select s.person_id, s.end_date from ws.spells as s) "
        "select row_number() over (order by latest.person_id) as r from latest"
    )
    assert ordering_problems(parse_tsql(sql), GRAINS)
    assert not ordering_problems(parse_tsql(sql), GRAINS, {"latest": ["person_id"]})


@pytest.mark.parametrize(
    "sql, flagged",
    [
        ("select s.person_id, count(*) as n from ws.spells as s group by s.person_id", True),
        (
            (
                "select s.person_id, cast(count(*) as int) as n from ws.spells as s"
                " group by s.person_id"
            ),
            False,
        ),
        (
            (
                "with c as (select s.person_id, sum(s.days) as d from ws.spells as s"
                " group by s.person_id) "
                "select c.person_id, c.d from c"
            ),
            True,
        ),
        (
            (
                "with c as (select s.person_id, sum(s.days) as d from ws.spells as s"
                " group by s.person_id) "
                "select c.person_id, cast(c.d as bigint) as d from c"
            ),
            False,
        ),
        ("select cast(s.a as decimal(18, 6)) / s.b as share from ws.spells as s", True),
        ("select null as nothing from ws.spells as s", True),
        ("select s.person_id, s.start_date + 1 as d from ws.spells as s", False),
    ],
)
def test_engine_dependent_column_types_must_be_cast(sql, flagged):
    assert bool(untyped_columns(parse_tsql(sql))) == flagged


GROUPED = "grouped as (select s.person_id, count(*) as n from ws.spells as s group by s.person_id)"


@pytest.mark.parametrize(
    "sql, evaluated",
    [
        # a grouping read once, and read twice (a self-join)
        (f"with {GROUPED} select g.person_id from grouped as g", {}),
        (
            (
                f"with {GROUPED} select g.person_id from grouped as g "
                "inner join grouped as h on h.person_id = g.person_id"
            ),
            {"grouped": 2},
        ),
        # read twice through UNION ALL, and three times inside a CTE that is itself read twice
        (
            (
                f"with {GROUPED} select g.person_id from grouped as g "
                "union all select g.person_id from grouped as g"
            ),
            {"grouped": 2},
        ),
        (
            (
                f"with {GROUPED}, tripled as (select g.person_id from grouped as g union all "
                "select g.person_id from grouped as g union all "
                "select g.person_id from grouped as g) "
                "select t.person_id from tripled as t union all "
                "select t.person_id from tripled as t"
            ),
            {"grouped": 6, "tripled": 2},
        ),
        # a window, a DISTINCT and a join of two large tables are work too
        (
            (
                "with w as (select s.person_id, row_number() over (partition by s.person_id "
                "order by s.start_date) as n from ws.spells as s) "
                "select w.person_id from w union all select w.person_id from w"
            ),
            {"w": 2},
        ),
        (
            (
                "with d as (select distinct s.person_id from ws.spells as s) "
                "select d.person_id from d union all select d.person_id from d"
            ),
            {"d": 2},
        ),
        (
            (
                "with j as (select s.person_id from ws.spells as s inner join ws.people as p "
                "on p.person_id = s.person_id) "
                "select j.person_id from j union all select j.person_id from j"
            ),
            {"j": 2},
        ),
        # a scan, a filter, or a table crossed with a reference list costs a read: let through
        (
            (
                "with f as (select s.person_id from ws.spells as s where s.days > 1) "
                "select f.person_id from f union all select f.person_id from f"
            ),
            {},
        ),
        (
            (
                "with frame as (select p.person_id, m.month_start_date from ws.people as p "
                "cross join ws.ref_calendar_months as m) "
                "select f.person_id from frame as f union all select f.person_id from frame as f"
            ),
            {},
        ),
        # work over reference tables alone is small
        (
            (
                "with r as (select m.calendar_year, count(*) as n from ws.ref_calendar_months as m "
                "group by m.calendar_year) select r.n from r union all select r.n from r"
            ),
            {},
        ),
    ],
)
def test_a_cte_doing_work_is_read_once(sql, evaluated):
    """Rule 13: SQL Server evaluates a CTE at each reference."""
    found = dict(reread_ctes(parse_tsql(sql), {"ref_calendar_months"}))
    assert sorted(found) == sorted(f"reread: {cte}" for cte in evaluated)
    for cte, times in evaluated.items():
        assert f"evaluated {times} times" in found[f"reread: {cte}"]


def test_a_reread_is_reported_where_it_is_read_again():
    """A CTE evaluated twice only because its one reader is goes with the reader's finding."""
    sql = (
        f"with {GROUPED}, joined as (select g.person_id from grouped as g inner join ws.people "
        "as p on p.person_id = g.person_id) "
        "select j.person_id from joined as j union all select j.person_id from joined as j"
    )
    [(key, message)] = reread_ctes(parse_tsql(sql), set())
    assert key == "reread: joined"
    assert "and with it grouped" in message


def test_the_loader_rejects_a_new_finding(tmp_path):
    sql = make_project(
        tmp_path,
        {
            "marts/people_counted.sql": "/* ---\ndescription: One row per person, counted.\n"
            "grain: [person_id]\n--- */\n"
            "select s.person_id, count(*) as n from ws.stg_leo__employment as s"
            " group by s.person_id",
            "staging/leo/stg_leo__employment.sql": "/* ---\ndescription: Employment as delivered.\n"
            "--- */\nselect e.edukey as person_id from leo.employment as e",
        },
    )
    with pytest.raises(LoadError, match=r"people_counted.sql: .*column n: COUNT .*rule 12"):
        load_project(sql, make_settings())
    (sql / "marts/people_counted.sql").write_text(
        "/* ---\ndescription: One row per person, counted.\ngrain: [person_id]\n--- */\n"
        "with counted as (select s.person_id, cast(count(*) as int) as n"
        " from ws.stg_leo__employment as s group by s.person_id)\n"
        "select c.person_id, c.n from counted as c"
        " where c.n > (select min(d.n) from counted as d)",
        encoding="utf-8",
    )
    with pytest.raises(LoadError, match=r"people_counted.sql: .*'counted' \(groups\).*rule 13"):
        load_project(sql, make_settings())


def test_the_list_of_old_findings_only_shrinks():
    """Every finding recorded in sql/_lint_known.yml still occurs (fixed ones leave the list)."""
    project = load_project(REAL_SQL, make_settings())
    found = {
        name: {key for key, _ in items} for name, items in lint_findings(project.models).items()
    }
    stale = {
        name: sorted(keys - found.get(name, set()))
        for name, keys in load_known(REAL_SQL).items()
        if keys - found.get(name, set())
    }
    assert not stale, f"fixed: remove from sql/_lint_known.yml: {stale}"
