"""The whole build as one ordered T-SQL script, for a researcher who can only use SSMS.

Each table is built as ``<name>__new`` with ``SELECT ... INTO`` (views with ``CREATE VIEW``),
its error-severity checks stop the script with ``THROW`` if they fail, and only then is the new
table swapped in with ``sp_rename``: the same guarantees as a Dagster run.

How the script stops (``docs/sql_server.md``; proved by ``leo_assets_tests/test_mssql_script.py``,
which interprets the rendered text batch by batch and injects a failure at every statement):
SSMS sends the batches between ``GO`` lines one by one and runs the next batch after one fails.
So every batch that changes anything starts with a *guard*: unless the previous step recorded
its success in the session (``sp_set_session_context``, its last statement), the guard runs
``SET NOEXEC ON``, and from then on SQL Server compiles but executes nothing until the final
batch's ``SET NOEXEC OFF`` reports where the script stopped. ``SET XACT_ABORT ON`` makes any
run-time error end its batch (and roll back the swap's transaction) before the step is recorded.
"""

from dataclasses import dataclass, field

from leo_assets.resources import (
    Target,
    ddl_create_schema,
    ddl_create_table_as,
    ddl_create_view_as,
    ddl_drop,
    ddl_index,
    ddl_swap,
)
from leo_assets.sqlproject.check_sql import check_specs, compile_spec
from leo_assets.sqlproject.compile import compile_select
from leo_assets.sqlproject.loader import SqlModel, SqlProject

# the session-context key holding the number of the last step that completed
STEP_KEY = "leo_assets_step"
_STEP = f"COALESCE(CAST(SESSION_CONTEXT(N'{STEP_KEY}') AS INT), -1)"

HEADER = """\
-- HOW THIS SCRIPT STOPS (plain SSMS; SQLCMD mode is not needed)
--   SSMS sends the batches between GO lines one at a time and, when one fails, runs the next.
--   A failed check ends its batch with THROW; with SET XACT_ABORT ON any run-time error ends its
--   batch and rolls back an open transaction. Every step ends by recording its number with
--   sp_set_session_context, and every batch that changes anything begins with a guard:
--       IF <the last recorded step> <> <the step before this one> BEGIN SET NOEXEC ON; RETURN; END;
--   Once NOEXEC is ON, SQL Server compiles each later batch but executes none of it (SET NOEXEC
--   is applied at run time, so the guard's IF decides; only SET NOEXEC OFF is still obeyed).
--   The last batch turns NOEXEC OFF again and reports the last step that completed: a message
--   'leo-assets: stopped after step N' means step N+1 failed (search this script for
--   '-- step N+1:'); the error just above it in the Messages tab says why. Tables of steps that
--   did not run keep their previous version. The script needs SQL Server 2016 or later
--   (SESSION_CONTEXT); on an older server it stops at step 0 and changes nothing.
-- SAFE OUTPUTS: this script builds the out_* aggregates but not their disclosure-controlled
--   _safe versions (the disclosure control is Python). After this script reports success, run
--   leo-assets export-outputs --read-only <folder>   against this workspace (a read-only login
--   suffices; nothing is written): docs/sql_server.md and docs/outputs.md.
"""


def _guard(condition: str) -> str:
    """Stop here: NOEXEC for every later batch, RETURN for the rest of this one."""
    return f"IF {condition}\nBEGIN\n    SET NOEXEC ON;\n    RETURN;\nEND;"


@dataclass
class Script:
    """The rendered script as batches of statements (each batch ends at a ``GO``)."""

    batches: list[list[str]] = field(default_factory=list)
    step: int = 0

    def guarded(self, comment: str, statements: list[str], view: Target | None = None) -> None:
        """A batch that runs only if the previous step completed, and records its own step."""
        condition = f"{_STEP} <> {self.step}"
        if view is not None:
            condition += f" OR OBJECT_ID(N'{view.schema}.{view.name}', N'V') IS NULL"
        self.step += 1
        self.batches.append(
            [
                f"-- step {self.step}: {comment}",
                _guard(condition),
                *statements,
                f"EXEC sp_set_session_context N'{STEP_KEY}', {self.step};",
            ]
        )

    def text(self) -> str:
        return "".join("\n".join(batch) + "\nGO\n" for batch in self.batches)


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
    settings = project.settings
    script = Script()
    sources = ", ".join(f"{k}={v}" for k, v in sorted(settings.source_databases.items()))
    script.batches.append(
        [
            (
                "-- leo-assets: the derived tables as one T-SQL script, generated from sql/ with "
                "these settings:"
            ),
            (
                f"--   workspace schema: {schema}; project schema: {settings.project_schema}; "
                f"sources: {sources}"
            ),
            (
                f"--   KS4 cohorts: {', '.join(map(str, settings.ks4_cohorts))}; reference date: "
                f"{settings.reference_date}"
            ),
            (
                "-- Run it in the project's workspace database. Each table is checked before it "
                "replaces the previous one."
            ),
            HEADER.rstrip("\n"),
            "SET NOEXEC OFF;",
            "SET XACT_ABORT ON;",
            "SET NOCOUNT ON;",
            "-- SESSION_CONTEXT needs SQL Server 2016 (major version 13) or later",
            _guard("COALESCE(CAST(SERVERPROPERTY('ProductMajorVersion') AS INT), 0) < 13"),
            f"EXEC sp_set_session_context N'{STEP_KEY}', 0;",
        ]
    )
    script.guarded("the workspace schema", [f"{s};" for s in ddl_create_schema("tsql", schema)])
    for name in order:
        model = project.models[name]
        kind = "table" if model.is_seed else model.materialize
        new, final = Target(schema, f"{name}__new"), Target(schema, name)
        title = f"{model.layer}/{name}: {model.header.description[:160]}"
        drop = [f"{s};" for s in ddl_drop("tsql", new, kind)]
        if model.is_seed:
            script.guarded(
                f"build {title}", [*drop, *[f"{s};" for s in _seed_statements(model, new)]]
            )
        elif kind == "view":
            select = compile_select(project, model, "tsql").rstrip().rstrip(";")
            script.guarded(f"drop {new.name} ({title})", drop)
            # CREATE VIEW must be alone in its batch: a step of its own guards it, and the next
            # step's guard checks that the view exists
            script.guarded(f"about to create {new.name}", [])
            script.batches.append(
                [f"-- create {new.name}", *ddl_create_view_as("tsql", new, select)]
            )
        else:
            select = compile_select(project, model, "tsql").rstrip().rstrip(";")
            script.guarded(
                f"build {title}",
                [*drop, *[f"{s};" for s in ddl_create_table_as("tsql", new, select)]],
            )
        statements = []
        for spec in check_specs(project, model):
            if not spec.blocking:
                continue
            failing = compile_spec(project, spec, "tsql", f"{name}__new").rstrip().rstrip(";")
            message = f"{name}: blocking check {spec.name} failed; the previous table is kept"
            statements.append(
                f"IF EXISTS (SELECT 1 FROM ({failing}) AS failing_rows)\n    THROW 50000, "
                f"{_literal(message)}, 1;"
            )
        statements.append(
            f"IF OBJECT_ID(N'{schema}.{name}') IS NOT NULL\n"
            f"BEGIN\n    BEGIN TRANSACTION;\n"
            + "".join(f"    {s};\n" for s in ddl_swap("tsql", new, final, kind, kind))
            + "    COMMIT;\nEND\nELSE\n    "
            + ddl_swap("tsql", new, final, kind, None)[0]
            + ";"
        )
        script.guarded(
            f"check and swap in {name}", statements, view=new if kind == "view" else None
        )
        if kind == "table" and not model.is_seed and model.header.indexes:
            # the header's indexes, as the engine creates them after its swap
            script.guarded(
                f"index {name}",
                [
                    f"{s};"
                    for i, cols in enumerate(model.header.indexes)
                    for s in ddl_index("tsql", final, list(cols), f"ix_{name}_{i}")
                ],
            )
    last = script.step
    script.batches.append(
        [
            "-- the end: report how far the script got",
            "SET NOEXEC OFF;",
            (
                f"IF {_STEP} <> {last}\n"
                "BEGIN\n"
                "    DECLARE @leo_assets_message NVARCHAR(400) = CONCAT(N'leo-assets: stopped "
                "after step ', "
                f"{_STEP}, N' of {last}: step ', {_STEP} + 1, "
                "N' failed (see the error above); no later step ran and their tables are "
                "unchanged');\n"
                "    THROW 50001, @leo_assets_message, 1;\n"
                "END\n"
                f"ELSE\n    PRINT N'leo-assets: all {last} steps completed';"
            ),
        ]
    )
    return script.text()
