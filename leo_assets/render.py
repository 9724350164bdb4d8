"""The whole build as one ordered T-SQL script, for a researcher who can only use SSMS.

Each table is built as ``<name>__new`` with ``SELECT ... INTO`` (views with ``CREATE VIEW``),
its error-severity checks stop the script with ``THROW`` if they fail, and only then is the new
table swapped in with ``sp_rename``: the same guarantees as a Dagster run. Batches are separated
by ``GO``.
"""

from leo_assets.resources import (
    Target,
    ddl_create_schema,
    ddl_create_table_as,
    ddl_create_view_as,
    ddl_drop,
    ddl_swap,
)
from leo_assets.sqlproject.check_sql import check_specs, compile_spec
from leo_assets.sqlproject.compile import compile_select
from leo_assets.sqlproject.loader import SqlModel, SqlProject


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _seed_statements(model: SqlModel, target: Target) -> list[str]:
    """CREATE TABLE and INSERT ... VALUES (in batches of 1,000 rows, SQL Server's limit)."""
    cols = ", ".join(f"[{c}] {t}" for c, t, _ in model.seed_columns)
    statements = [f"CREATE TABLE {target.sql('tsql')} ({cols})"]
    rows = [row for row in model.seed_rows]
    for start in range(0, len(rows), 1000):
        values = ",\n    ".join(
            "(" + ", ".join(_literal(v) for v in row) + ")" for row in rows[start : start + 1000]
        )
        statements.append(f"INSERT INTO {target.sql('tsql')} VALUES\n    {values}")
    return statements


def render_tsql(project: SqlProject, names: list[str] | None = None) -> str:
    """An ordered, ready-to-run T-SQL script building ``names`` (default: every model)."""
    schema = project.settings.workspace_schema
    order = [n for n in project.order if names is None or n in names]
    out = [
        "-- leo-assets: the derived tables as one T-SQL script, generated from sql/ with these settings:",
        f"--   workspace schema: {schema}; project schema: {project.settings.project_schema}; "
        f"sources: {', '.join(f'{k}={v}' for k, v in sorted(project.settings.source_databases.items()))}",
        f"--   KS4 cohorts: {', '.join(map(str, project.settings.ks4_cohorts))}; reference date: {project.settings.reference_date}",
        "-- Run it in the project's workspace database. Each table is checked before it replaces the previous one.",
        "SET NOCOUNT ON;",
        "GO",
        *ddl_create_schema("tsql", schema),
        "GO",
    ]
    for name in order:
        model = project.models[name]
        kind = "table" if model.is_seed else model.materialize
        new, final = Target(schema, f"{name}__new"), Target(schema, name)
        out.append(f"\n-- ===== {model.layer}/{name}: {model.header.description[:160]}")
        out += ddl_drop("tsql", new, kind)
        out.append("GO")
        if model.is_seed:
            out += [f"{statement};" for statement in _seed_statements(model, new)]
        else:
            select = compile_select(project, model, "tsql").rstrip().rstrip(";")
            create = ddl_create_view_as if kind == "view" else ddl_create_table_as
            out += create("tsql", new, select)
        out.append("GO")
        for spec in check_specs(project, model):
            if not spec.blocking:
                continue
            failing = compile_spec(project, spec, "tsql", f"{name}__new").rstrip().rstrip(";")
            message = f"{name}: blocking check {spec.name} failed; the previous table is kept"
            out.append(
                f"IF EXISTS (SELECT 1 FROM ({failing}) AS failing_rows)\n    THROW 50000, {_literal(message)}, 1;"
            )
        out.append(
            f"IF OBJECT_ID('{schema}.{name}') IS NOT NULL\n"
            f"BEGIN\n    BEGIN TRANSACTION;\n"
            + "".join(f"    {s};\n" for s in ddl_swap("tsql", new, final, kind, kind))
            + "    COMMIT;\nEND\nELSE\n    "
            + ddl_swap("tsql", new, final, kind, None)[0]
            + ";"
        )
        out.append("GO")
    return "\n".join(out) + "\n"
