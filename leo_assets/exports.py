"""Wide sequence files for sequence-analysis tools (TraMineR, seqdef and friends).

One row per KS4 cohort member, one column per month (``m001``...) or academic year after KS4
(``y01``...), plus characteristics. The pivot runs in the database as one generated T-SQL query
(compiled like a model); rows are streamed to the file in chunks, so nothing person-level is held
in memory whole. Yearly states are the most frequent monthly state of the year, ties broken by
the state hierarchy. These files are person-level: they stay inside the secure environment
(disclosure-safe outputs are the ``outputs`` layer).
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import text

from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.compile import compile_text, compile_tree
from leo_assets.sqlproject.dialects import parse_tsql
from leo_assets.sqlproject.loader import SqlProject

_INTEGER_COLUMNS = {
    n: pa.int64()
    for n in (
        "person_id",
        "ks4_year",
        "is_ever_fsm_6",
        "is_eal",
        "idaci_decile",
        "has_good_pass_em",
    )
}
CHARACTERISTICS = (
    "ks4_year",
    "sex",
    "ethnicity_major",
    "is_ever_fsm_6",
    "sen_status",
    "is_eal",
    "idaci_decile",
    "region_code",
    "has_good_pass_em",
)


def sequence_sql(project: SqlProject, by: str) -> str:
    """T-SQL of the wide sequence table (``by`` = month or year)."""
    months = project.settings.months_after_ks4
    traits = ", ".join(f"cohort.{c}" for c in CHARACTERISTICS)
    if by == "month":
        columns = ", ".join(
            f"max(case when sequence.month_index = {i} then sequence.state end) as m{i:03d}"
            for i in range(1, months + 1)
        )
        return (
            f"select cohort.person_id, {traits}, {columns} "
            "from ws.ks4_cohort as cohort "
            "left join ws.transition_sequence as sequence on sequence.person_id = cohort.person_id "
            f"group by cohort.person_id, {traits}"
        )
    if by != "year":
        raise ValueError("by must be 'month' or 'year'")
    years = (months + 11) // 12
    columns = ", ".join(
        f"max(case when yearly.year_index = {i} then yearly.state end) as y{i:02d}"
        for i in range(1, years + 1)
    )
    return (
        "with counted as ("
        " select sequence.person_id, cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) as int) + 1 as year_index,"
        " sequence.state, count(*) as n_months"
        " from ws.transition_sequence as sequence"
        " group by sequence.person_id, cast(floor(cast(sequence.month_index - 1 as decimal(9, 2)) / 12) as int) + 1, sequence.state),"
        " ranked as ("
        " select counted.*, row_number() over (partition by counted.person_id, counted.year_index"
        " order by counted.n_months desc, coalesce(hierarchy.priority, 999), counted.state) as state_rank"
        " from counted left join ws.ref_state_hierarchy as hierarchy on hierarchy.activity_type = counted.state),"
        " yearly as (select ranked.person_id, ranked.year_index, ranked.state from ranked where ranked.state_rank = 1)"
        f" select cohort.person_id, {traits}, {columns}"
        " from ws.ks4_cohort as cohort left join yearly on yearly.person_id = cohort.person_id"
        f" group by cohort.person_id, {traits}"
    )


def export_sequences(
    project: SqlProject,
    db: WorkspaceDatabase,
    output: Path,
    by: str = "month",
    chunk_rows: int = 50_000,
) -> int:
    """Write the wide sequences to ``output`` (.csv or .parquet); returns the number of rows."""
    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"{output}: the file must end in .csv or .parquet")
    output.parent.mkdir(parents=True, exist_ok=True)
    tsql = sequence_sql(project, by)
    if db.dialect == "tsql":
        sql = compile_text(project, "/* --- */" + tsql, 1)
    else:
        sql = compile_tree(project, parse_tsql(tsql), db.dialect)
    ordered = f"SELECT * FROM ({sql}) AS wide ORDER BY person_id"
    n_rows = 0
    writer = None
    with db.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(text(ordered))
        names = list(result.keys())
        schema = pa.schema([(n, _INTEGER_COLUMNS.get(n, pa.string())) for n in names])
        writer = (
            pq.ParquetWriter(output, schema)
            if fmt == "parquet"
            else pacsv.CSVWriter(output, schema)
        )
        try:
            while True:
                rows = result.fetchmany(chunk_rows)
                if not rows:
                    break
                columns = list(zip(*rows))
                writer.write_table(
                    pa.Table.from_arrays(
                        [
                            pa.array(
                                [
                                    None
                                    if v is None
                                    else (int(v) if f.type == pa.int64() else str(v))
                                    for v in col
                                ],
                                type=f.type,
                            )
                            for col, f in zip(columns, schema)
                        ],
                        schema=schema,
                    )
                )
                n_rows += len(rows)
        finally:
            writer.close()
    return n_rows
