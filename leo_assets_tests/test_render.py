"""render.py and the SQL Server statements it splices: generated from the file's own text (no server
here to run them)."""

from leo_assets.render import render_tsql
from leo_assets.resources import (
    Target,
    ddl_create_table_as,
    ddl_create_view_as,
    ddl_index,
    ddl_swap,
)
from leo_assets.settings import make_settings
from leo_assets.sqlproject.compile import compile_select, tsql_select_into
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import EMPLOYMENT_MART, EMPLOYMENT_STAGING, make_project

CTE_MART = EMPLOYMENT_MART.replace(
    "select\n    spells.edukey,",
    "with kept as (select s.edukey from ws.stg_leo__employment as s)\nselect\n    spells.edukey,",
)


def _project(tmp_path, **settings):
    sql = make_project(
        tmp_path,
        {
            "staging/leo/stg_leo__employment.sql": EMPLOYMENT_STAGING,
            "marts/employment_people.sql": CTE_MART,
        },
    )
    return load_project(sql, make_settings(project_schema="2000123", **settings))


def test_tsql_is_the_file_text_with_names_spliced(tmp_path):
    project = _project(tmp_path)
    staging = compile_select(project, project.models["stg_leo__employment"], "tsql")
    # the source is read through its declared text normalisation (edukey is an id: RTRIM)
    assert "RTRIM([edukey]) AS [edukey]" in staging
    assert "FROM [LEO_i2].[2000123].[leo_employment]" in staging
    assert staging.rstrip().endswith(") as employment")
    assert (
        "employment.startdate as start_date,  -- first day" in staging
    )  # comments and layout kept
    mart = compile_select(project, project.models["employment_people"], "tsql")
    assert "from [leo_assets].[stg_leo__employment] as spells" in mart


def test_create_swap_and_index_statements(tmp_path):
    project = _project(tmp_path)
    new, final = (
        Target("leo_assets", "employment_people__new"),
        Target("leo_assets", "employment_people"),
    )
    select = compile_select(project, project.models["employment_people"], "tsql")
    (create,) = ddl_create_table_as("tsql", new, select)
    assert create.startswith(
        "with kept as (select s.edukey from [leo_assets].[stg_leo__employment] as s)"
    )
    assert (
        "INTO [leo_assets].[employment_people__new] from [leo_assets].[stg_leo__employment] as "
        "spells" in " ".join(create.split())
    )
    assert ddl_create_view_as("tsql", new, "SELECT 1 AS x") == [
        "CREATE VIEW [leo_assets].[employment_people__new] AS\nSELECT 1 AS x"
    ]
    assert ddl_swap("tsql", new, final, "table", "table") == [
        "EXEC sp_rename 'leo_assets.employment_people', 'employment_people__old', 'OBJECT'",
        "EXEC sp_rename 'leo_assets.employment_people__new', 'employment_people', 'OBJECT'",
        "DROP TABLE IF EXISTS [leo_assets].[employment_people__old]",
    ]
    assert ddl_index("tsql", final, ["edukey"], "ix_employment_people_0") == [
        "CREATE INDEX [ix_employment_people_0] ON [leo_assets].[employment_people] ([edukey])"
    ]


def test_select_into_goes_on_the_outer_select():
    sql = (
        "WITH a AS (SELECT x FROM t WHERE x IN (SELECT y FROM u)) SELECT a.x FROM a UNION ALL "
        "SELECT 1 FROM v"
    )
    assert tsql_select_into(sql, "[s].[n]").startswith(
        "WITH a AS (SELECT x FROM t WHERE x IN (SELECT y FROM u)) SELECT a.x INTO [s].[n] FROM a"
    )


def test_render_is_an_ordered_checked_script(tmp_path):
    script = render_tsql(_project(tmp_path, reference_date="2020-03-31"))
    assert "reference date: 2020-03-31" in script
    staging_at = script.index("CREATE VIEW [leo_assets].[stg_leo__employment__new]")
    mart_at = script.index("INTO [leo_assets].[employment_people__new]")
    assert staging_at < mart_at
    gate = script.index(
        "THROW 50000, 'employment_people: blocking check grain_unique failed", mart_at
    )
    swap = script.index(
        "EXEC sp_rename 'leo_assets.employment_people__new', 'employment_people'", mart_at
    )
    assert gate < swap
    assert script.count("\nGO") >= 6


def test_sql_server_url_loads_the_pyodbc_dialect():
    """The SRS path: an mssql+pyodbc URL gives a SQL Server resource (needs the system's
    libodbc2)."""
    from leo_assets.resources import WorkspaceDatabase
    from leo_assets.settings import make_settings

    settings = make_settings(
        workspace_url="mssql+pyodbc://@SRS_PROJECT_DSN", project_schema="2000123"
    )
    db = WorkspaceDatabase.from_settings(settings)
    assert db.dialect == "tsql"
    assert db.engine.dialect.name == "mssql" and db.engine.dialect.driver == "pyodbc"
