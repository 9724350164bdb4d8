"""``leo-assets``: the command line. Each subcommand only calls library functions.

leo-assets demo                 synthetic LEO into DuckDB, then every asset and check
leo-assets generate [...]       write synthetic LEO source views (and the truth, kept apart)
leo-assets report [...]         generated rates beside the published national figures
leo-assets build [SEL ...]      build all or a selection (+name upstream, name+ downstream);
                                --stale: only what changed and everything downstream
leo-assets list                 the assets, their layer and grain
leo-assets sql MODEL            the compiled SQL of one asset (--dialect duckdb|postgres|tsql)
leo-assets render               the whole build as one ordered T-SQL script for SSMS
leo-assets export-sequences F   wide sequences (one row per person) to F.csv or F.parquet
leo-assets export-outputs [DIR] disclosure-safe tables, pictures and the output-checking report
leo-assets ui                   the Dagster UI (dagster dev) on 127.0.0.1
"""

import argparse
import os
import signal
import sys
from pathlib import Path

from tabulate import tabulate

from leo_assets.settings import PROJECT_DIR, SettingsError, load_settings


def _settings(args: argparse.Namespace):
    return load_settings(args.settings) if args.settings else load_settings()


def _generator_config(args: argparse.Namespace):
    from leo_assets.synthetic import FaultRates, GeneratorConfig

    faults = {}
    for item in args.fault or []:
        name, _, value = item.partition("=")
        faults[name.strip()] = float(value)
    kwargs = {
        "pupils_per_cohort": args.pupils,
        "seed": args.seed,
        "show_progress": not args.no_progress,
        "faults": FaultRates(**faults),
    }
    if getattr(args, "srs_text", False):
        kwargs["srs_text"] = True
    if args.cohorts:
        kwargs["cohorts"] = [int(c) for c in args.cohorts.split(",") if c]
    return GeneratorConfig(**kwargs)


def cmd_generate(args: argparse.Namespace) -> int:
    from leo_assets.synthetic import generate

    summary = generate(
        _settings(args), _generator_config(args), target_url=args.target_url, force=args.force
    )
    print(summary)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from leo_assets.synthetic import format_report, rate_report

    settings = _settings(args)
    truth = settings.source_dir_path() / "leo_truth.duckdb"
    if truth.exists() and not args.simulate:
        print(
            f"rates of the generated data in {settings.source_dir_path()} (truth and source views)"
        )
        print(format_report(rate_report(settings, truth)))
    else:
        print(
            "rates of a simulation with these options "
            "(nothing written; --simulate or no generated data)"
        )
        print(format_report(rate_report(settings, _generator_config(args))))
    derived = derived_destination_rates(settings)
    if derived:
        print(
            "\ndestinations derived by the pipeline (workspace table destinations) "
            "beside published figures"
        )
        print(
            tabulate(
                derived,
                headers=["measure", "derived", "published", "n"],
                tablefmt="github",
                floatfmt=".3f",
            )
        )
    shares = derived_characteristic_rates(settings)
    if shares:
        print(
            "\nshares of the cohort derived by the pipeline (workspace table characteristics) "
            "beside England's published figures (sql/reference/ref_published_rates.csv; "
            "blank: none published in the sources at hand)"
        )
        print(
            tabulate(
                shares,
                headers=["measure", "derived", "published", "n", "published in"],
                tablefmt="github",
                floatfmt=".3f",
                missingval="",
            )
        )
    return 0


def published_rates() -> dict[str, tuple[float | None, str]]:
    """England's published figures by measure: (rate or None, where it is published), from their
    one home, sql/reference/ref_published_rates.csv (cited from shared/design/peers.md)."""
    import csv

    path = PROJECT_DIR / "sql" / "reference" / "ref_published_rates.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {
            row["measure"]: (
                float(row["published_rate"]) if row["published_rate"] else None,
                f"{row['publication']}; {row['population']}" if row["publication"] else "",
            )
            for row in csv.DictReader(f)
        }


# the report's shares of the cohort (marts/characteristics): measure -> SQL condition
CHARACTERISTIC_RATES = {
    "in AP or a PRU in KS4": "was_in_ap_ks4 = 1 OR was_in_pru_ks4 = 1",
    "with a CIN episode": "is_ever_cin = 1",
    "ever looked after": "is_ever_looked_after = 1",
    "FSM at 16": "is_fsm_at_16 = 1",
    "SEN at 16": "sen_status_at_16 IN ('support', 'ehcp')",
    "persistently absent in KS4": "is_persistent_absentee_ks4 = 1",
    "ever FSM": "is_ever_fsm = 1",
    "with a KS5 result": "has_ks5_result = 1",
    "with a school sixth-form aim": "has_plams_aim = 1",
}


def _workspace_rows(settings, table: str, select: str) -> list[tuple] | None:
    """The rows of ``select`` over the workspace table ``table`` (``{table}`` in the query), or
    None when the workspace has no such table yet. A table that exists but cannot be read (a
    connection refused, a column a rebuild would add) is not passed over in silence: the report
    warns on stderr, naming the table and the error (passwords redacted), and carries on."""
    from leo_assets.resources import WorkspaceDatabase, redact

    db = WorkspaceDatabase.from_settings(settings)
    try:
        if db.relation_kind(table) is None:
            return None
        return db.rows(select.format(table=db.target(table).sql(db.dialect)))
    except Exception as exc:
        message = redact(f"{type(exc).__name__}: {exc}").splitlines()[0]
        print(
            f"warning: report: workspace table {table} could not be read, so its rates are "
            f"left out (materialise it again if a rebuild adds the column): {message}",
            file=sys.stderr,
        )
        return None
    finally:
        db.dispose()


def derived_characteristic_rates(settings) -> list[tuple[str, float, float | None, int, str]]:
    """Shares of the cohort with each characteristic (aggregates only), beside the published
    figure where one exists, if the workspace has the characteristics table."""
    sums = ", ".join(
        f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
        for condition in CHARACTERISTIC_RATES.values()
    )
    found = _workspace_rows(settings, "characteristics", f"SELECT COUNT(*), {sums} FROM {{table}}")
    if not found or not found[0][0]:
        return []
    n, *counts = found[0]
    published = published_rates()
    rows = []
    for measure, k in zip(CHARACTERISTIC_RATES, counts):
        rate, source = published.get(measure, (None, ""))
        rows.append((measure, int(k or 0) / int(n), rate, int(n), source))
    return rows


def derived_destination_rates(settings) -> list[tuple[str, float, float, int]]:
    """The pipeline's own destination rates (aggregates only), if the workspace has them."""
    counts = (
        _workspace_rows(
            settings,
            "destinations",
            "SELECT destination_year, destination, is_sustained, COUNT(*) FROM {table} "
            "GROUP BY destination_year, destination, is_sustained "
            "ORDER BY destination_year, destination, is_sustained",
        )
        or []
    )
    totals: dict[int, int] = {}
    by: dict[tuple[str, int], int] = {}
    for year, destination, is_sustained, n in counts:
        totals[int(year)] = totals.get(int(year), 0) + int(n)
        by[(destination, int(year))] = by.get((destination, int(year)), 0) + int(n)
        if is_sustained == 1:  # the sustained subset is ref_destinations.is_sustained
            by[("sustained", int(year))] = by.get(("sustained", int(year)), 0) + int(n)
    rows = []
    for label, (published, _source) in published_rates().items():
        measure, _, year_text = label.partition(" (year ")
        if not year_text or published is None:
            continue
        year = int(year_text.rstrip(")"))
        if totals.get(year):
            rows.append((label, by.get((measure, year), 0) / totals[year], published, totals[year]))
    return rows


def _defs(args: argparse.Namespace):
    from leo_assets.definitions import build_definitions

    return build_definitions(_settings(args))


def cmd_build(args: argparse.Namespace) -> int:
    from leo_assets.build import project_instance, resolve_selection, run_build, stale_closure

    defs = _defs(args)
    instance = project_instance()
    if args.stale:
        keys = stale_closure(defs, instance)
        if not keys:
            print("Nothing is stale: every asset is up to date.")
            return 0
    else:
        keys = resolve_selection(defs, args.selection)
    logs = Path(os.environ["DAGSTER_HOME"]) / "logs"
    summary = run_build(
        defs, keys, instance, progress=not args.no_progress, log_file=logs / "last_build.log"
    )
    full = logs / "last_build_checks.md"
    full.write_text(summary.table() + "\n", encoding="utf-8")
    if args.full:
        print(summary.table() + "\n")
    print(summary.tally(full_table=full))
    failed = summary.failed_error_checks()
    if not summary.success or failed:
        print(
            f"\nBuild FAILED: {len(failed)} blocking check(s) or step(s) failed (named above).",
            file=sys.stderr,
        )
        return 1
    print(f"\nBuild succeeded: {len(summary.assets)} asset(s).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Every asset of the graph: the sources, each SQL file and each disclosure-safe output."""
    defs = _defs(args)
    rows = []
    for node in defs.resolve_asset_graph().asset_nodes:
        key = node.key
        meta = node.metadata or {}
        kind = "source" if not node.is_materializable else str(meta.get("materialization", "table"))
        grain = meta.get("grain", "")
        rows.append(
            (
                node.group_name or "",
                key.path[-1],
                kind,
                getattr(grain, "value", grain),
                node.code_version or "",
            )
        )
    order = {g: i for i, g in enumerate(LIST_ORDER)}
    rows.sort(key=lambda r: (order.get(r[0], len(order)), r[1]))
    print(
        tabulate(rows, headers=["group", "asset", "as", "grain", "code version"], tablefmt="github")
    )
    return 0


LIST_ORDER = ("sources", "reference", "staging", "intermediate", "marts", "outputs")


def cmd_sql(args: argparse.Namespace) -> int:
    from leo_assets.sqlproject.compile import compile_select
    from leo_assets.sqlproject.loader import load_project

    project = load_project(PROJECT_DIR / "sql", _settings(args))
    if args.model not in project.models:
        print(f"no model named {args.model!r}; see 'leo-assets list'", file=sys.stderr)
        return 2
    print(compile_select(project, project.models[args.model], args.dialect))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from leo_assets.render import render_tsql
    from leo_assets.sqlproject.loader import load_project

    script = render_tsql(load_project(PROJECT_DIR / "sql", _settings(args)))
    if args.output:
        Path(args.output).write_text(script, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(script)
    return 0


def cmd_export_sequences(args: argparse.Namespace) -> int:
    from leo_assets.exports import export_sequences
    from leo_assets.resources import WorkspaceDatabase
    from leo_assets.sqlproject.loader import load_project

    settings = _settings(args)
    db = WorkspaceDatabase.from_settings(settings)
    try:
        n = export_sequences(
            load_project(PROJECT_DIR / "sql", settings), db, Path(args.output), by=args.by
        )
    finally:
        db.dispose()
    print(f"wrote {n} sequences to {args.output}")
    return 0


def cmd_export_outputs(args: argparse.Namespace) -> int:
    from leo_assets.outputs import ExportRefused, export_outputs
    from leo_assets.resources import BuildError, WorkspaceDatabase
    from leo_assets.sqlproject.loader import load_project

    settings = _settings(args)
    folder = Path(args.folder) if args.folder else PROJECT_DIR / "export"
    db = WorkspaceDatabase.from_settings(settings)
    try:
        exported = export_outputs(
            load_project(PROJECT_DIR / "sql", settings), db, folder, read_only=args.read_only
        )
    except (ExportRefused, BuildError) as exc:
        print(f"export refused: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    for table in exported:
        suppressed = sum(sum(r.values()) for r in table.suppressed.values())
        print(
            f"{table.csv}: {table.rows} rows, {suppressed} cells suppressed"
            + (f"; {', '.join(table.pictures)}" if table.pictures else "")
        )
    print(
        f"wrote {folder / 'output_checking_report.md'} and the ACRO session {folder / 'acro'}: "
        f"submit {folder} for output checking"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from leo_assets.synthetic import generate

    settings = _settings(args)
    print("1/2 generating synthetic LEO ...", flush=True)
    print(generate(settings, _generator_config(args)))
    print("\n2/2 building every asset and running every check ...", flush=True)
    args.selection, args.stale = [], False
    return cmd_build(args)


def cmd_ui(args: argparse.Namespace) -> int:
    from leo_assets.build import project_instance

    project_instance()  # sets DAGSTER_HOME and ships dagster.yaml there
    os.chdir(PROJECT_DIR)
    # a background shell may leave SIGINT/SIGTERM ignored; dagster dev must be stoppable
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    exe = Path(sys.executable).parent / "dagster"
    os.execv(
        str(exe), [str(exe), "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)]
    )
    return 0  # not reached


def _add_generator_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pupils", type=int, default=2000, help="pupils per KS4 cohort (default 2000)")
    p.add_argument(
        "--cohorts", default="", help="KS4 cohorts, e.g. 2012,2013 (default: setting ks4_cohorts)"
    )
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument(
        "--fault",
        action="append",
        metavar="NAME=RATE",
        help="a linkage fault rate, e.g. overmatch_ae_id=0.02",
    )
    p.add_argument(
        "--srs-text",
        action="store_true",
        help="text as the SRS holds it: ids and codes right-padded like char(n), codes in mixed "
        "case",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--full",
        action="store_true",
        help="also print every asset and every check "
        "(always written to dagster_home/logs/last_build_checks.md)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leo-assets", description="LEO research tables as a Dagster asset graph."
    )
    p.add_argument(
        "--settings", help="settings file (default: $LEO_SETTINGS_FILE or leo_settings.yml)"
    )
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write synthetic LEO source views")
    _add_generator_options(g)
    g.add_argument(
        "--target-url", help="a postgresql+psycopg:// URL (default: DuckDB files under source_dir)"
    )
    g.add_argument(
        "--force",
        action="store_true",
        help="write even into a folder (or schemas) holding data generate did not write",
    )
    g.set_defaults(func=cmd_generate)
    r = sub.add_parser("report", help="generated rates beside published national figures")
    _add_generator_options(r)
    r.add_argument(
        "--simulate",
        action="store_true",
        help="simulate with these options instead of reading the generated data",
    )
    r.set_defaults(func=cmd_report)
    b = sub.add_parser("build", help="build all assets or a selection, with their checks")
    b.add_argument(
        "selection", nargs="*", help="asset names; +name adds upstream, name+ downstream"
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument(
        "--stale", action="store_true", help="build what changed and everything downstream"
    )
    _add_output_options(b)
    b.set_defaults(func=cmd_build)
    sub.add_parser("list", help="list the assets").set_defaults(func=cmd_list)
    s = sub.add_parser("sql", help="print the compiled SQL of an asset")
    s.add_argument("model")
    s.add_argument("--dialect", choices=["duckdb", "postgres", "tsql"], default="tsql")
    s.set_defaults(func=cmd_sql)
    rd = sub.add_parser("render", help="the whole build as one T-SQL script for SSMS")
    rd.add_argument("--output", "-o")
    rd.set_defaults(func=cmd_render)
    x = sub.add_parser(
        "export-sequences", help="wide sequence file (one row per person) as CSV or Parquet"
    )
    x.add_argument("output", help="a .csv or .parquet file")
    x.add_argument("--by", choices=["month", "year"], default="month")
    x.set_defaults(func=cmd_export_sequences)
    eo = sub.add_parser(
        "export-outputs",
        help="disclosure-safe output tables (CSV), pictures (PNG) and the "
        "output-checking report, ready to submit for clearance",
    )
    eo.add_argument(
        "folder", nargs="?", help="folder to write (default: export/ in the project folder)"
    )
    eo.add_argument(
        "--read-only",
        action="store_true",
        help="after the SSMS script: protect the out_* tables in memory, write nothing to the "
        "database (a read-only login suffices)",
    )
    eo.set_defaults(func=cmd_export_outputs)
    d = sub.add_parser("demo", help="synthetic LEO into DuckDB, then every asset and check")
    _add_generator_options(d)
    _add_output_options(d)
    d.set_defaults(func=cmd_demo)
    u = sub.add_parser("ui", help="start the Dagster UI")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(func=cmd_ui)
    return p


def main(argv: list[str] | None = None) -> int:
    import warnings

    # Dagster flags the beta APIs the graph uses on every load: noise for a researcher
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        if not getattr(exc, "user_error", False):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
