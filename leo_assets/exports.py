"""Wide sequence files for sequence-analysis tools (TraMineR, seqdef and friends).

One row per KS4 cohort member, one column per month (``m001``...) or year after KS4 (``y01``...),
plus characteristics, ordered by person_id. The states come from models: ``transition_sequence``
(monthly) and ``transition_sequence_yearly`` (yearly: the most frequent monthly state of the
year, ties broken by the state hierarchy, the rule in that model's header). The export only pivots
them, in the database, as one generated T-SQL query (compiled like a model); rows are streamed to
the file in chunks, so nothing person-level is held in memory whole. Columns run to the last month
any cohort can reach by the reference date (:func:`observable_months`), never to a month no one
can have. These files are person-level: they stay inside the secure environment (disclosure-safe
outputs are the ``outputs`` layer).
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import text

from leo_assets.resources import WorkspaceDatabase
from leo_assets.settings import Settings
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


def observable_months(settings: Settings) -> int:
    """Months after KS4 that any configured cohort can be observed for: ``months_after_ks4``, or
    fewer when the reference date ends the earliest cohort's window sooner (month 1 is the
    September after KS4, as in ``int_cohort_months``). With the defaults (cohorts from 2012,
    reference date 2021-07-31) that is 107: month 108 of the 2012 cohort is August 2021.

    >>> from leo_assets.settings import make_settings
    >>> observable_months(make_settings(ks4_cohorts=[2012, 2014], reference_date="2021-07-31"))
    107
    >>> observable_months(make_settings(ks4_cohorts=[2012], reference_date="2030-01-01"))
    108
    """
    ref = settings.reference_date
    last = (ref.year - min(settings.ks4_cohorts)) * 12 + ref.month - 8
    return max(0, min(settings.months_after_ks4, last))


def sequence_sql(project: SqlProject, by: str) -> str:
    """T-SQL of the wide sequence table (``by`` = month or year): one row per cohort member, one
    column per month of ``transition_sequence`` or year of ``transition_sequence_yearly`` (the
    model that holds the yearly states), to the last month the reference date lets any cohort
    reach (:func:`observable_months`). A pivot only: every state comes from a model."""
    months = observable_months(project.settings)
    traits = ", ".join(f"cohort.{c}" for c in CHARACTERISTICS)
    if by == "month":
        model, index, columns = "transition_sequence", "month_index", months
        name = "m{:03d}"
    elif by == "year":
        model, index, columns = "transition_sequence_yearly", "year_index", (months + 11) // 12
        name = "y{:02d}"
    else:
        raise ValueError("by must be 'month' or 'year'")
    wide = ", ".join(
        f"max(case when states.{index} = {i} then states.state end) as {name.format(i)}"
        for i in range(1, columns + 1)
    )
    return (
        f"select cohort.person_id, {traits}, {wide} "
        "from ws.ks4_cohort as cohort "
        f"left join ws.{model} as states on states.person_id = cohort.person_id "
        f"group by cohort.person_id, {traits}"
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
