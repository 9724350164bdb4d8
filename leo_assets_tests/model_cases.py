"""Model tests as data: read ``sql/**/<model>.cases.yml``, build each file's cases, compare rows.

A case file sits beside its model (the loader reads only ``*.sql``, so it ignores these files).
Its keys (sql/README.md, "Model tests as data", is the reference):

- ``model`` (default: the file's stem), ``key`` (the column naming whose row it is, e.g.
  ``person_id``), ``columns`` and ``order_by`` (what a case's expected rows hold and their order);
- ``build``: models built beside the file's model for its cases' ``queries`` (one extract
  tested through several tables of a pipeline, built once);
- ``given``: rows (per source view) every build of the file gets, e.g. reference data such as
  LARS that several cases read;
- ``shared``: anything for YAML anchors (rows several cases give), read only through them;
- ``settings``: settings for every case (a case's own ``settings`` are merged over them);
- ``defaults``: per source view, the column values a given row does not state; the value
  ``$row`` is the row's number in the file (1, 2, ...), for columns that must be unique;
- ``cases``: each with ``name``, ``rule`` (the one line it demonstrates), ``keys`` (its values of
  ``key``: the model's rows it owns), ``given`` (rows per source view), ``expect`` (a list of
  rows, ordered) and optionally ``queries`` (``sql`` and ``rows``) for derived expectations.

Cases with equal settings are built together into one extract (their keys must not overlap), and
the model's rows that no case owns are an error of the file. Source values are converted by the
view's declared types (an ISO string becomes a date); results compare with dates as ISO strings.
"""

import datetime as dt
import decimal
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leo_assets.resources import WorkspaceDatabase
from leo_assets.sqlproject.sources import load_catalog
from leo_assets_tests.helpers import REAL_SQL, build_tables, settings_for, write_sources

FILE_KEYS = {
    "model",
    "key",
    "columns",
    "order_by",
    "build",
    "settings",
    "defaults",
    "shared",
    "given",
    "cases",
}
CASE_KEYS = {"name", "rule", "keys", "settings", "given", "columns", "expect", "queries"}


@dataclass
class Case:
    name: str
    rule: str
    keys: list[Any]
    settings: dict[str, Any]
    given: dict[str, list[dict[str, Any]]]
    expect: list[list[Any]]
    queries: list[dict[str, Any]] = field(default_factory=list)
    own_settings: bool = False  # settings of its own, over the file's
    columns: list[str] | None = None  # a subset of the file's columns, when it checks fewer


@dataclass
class CaseFile:
    path: Path
    model: str
    key: str
    columns: list[str]
    order_by: list[str]
    defaults: dict[str, dict[str, Any]]
    cases: list[Case]
    build: list[str] = field(default_factory=list)  # models built beside it, for queries
    given: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rows of every build

    @property
    def rel(self) -> str:
        return self.path.relative_to(REAL_SQL.parent).as_posix()


class CaseFileError(ValueError):
    pass


def discover(sql_dir: Path = REAL_SQL) -> list[Path]:
    return sorted(sql_dir.rglob("*.cases.yml"))


def load_case_file(path: Path) -> CaseFile:
    rel = path.name
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(doc) - FILE_KEYS
    if unknown:
        raise CaseFileError(f"{rel}: unknown keys {sorted(unknown)}")
    file_settings = doc.get("settings") or {}
    cases, seen = [], set()
    for raw in doc["cases"]:
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise CaseFileError(f"{rel}: case {raw.get('name')}: unknown keys {sorted(unknown)}")
        missing = {"name", "rule", "keys", "expect"} - set(raw)
        if missing:
            raise CaseFileError(f"{rel}: case {raw.get('name')}: missing {sorted(missing)}")
        if raw["name"] in seen:
            raise CaseFileError(f"{rel}: case {raw['name']} twice")
        seen.add(raw["name"])
        cases.append(
            Case(
                name=raw["name"],
                rule=raw["rule"],
                keys=list(raw["keys"]),
                settings={**file_settings, **(raw.get("settings") or {})},
                given=raw.get("given") or {},
                expect=[list(r) for r in raw["expect"]],
                queries=raw.get("queries") or [],
                own_settings=bool(raw.get("settings")),
                columns=raw.get("columns"),
            )
        )
    columns = list(doc["columns"])
    for case in cases:
        if case.columns and set(case.columns) - set(columns):
            raise CaseFileError(f"{rel}: case {case.name}: columns not in the file's columns")
    return CaseFile(
        path=path,
        model=doc.get("model") or path.name[: -len(".cases.yml")],
        key=doc["key"],
        columns=columns,
        order_by=list(doc.get("order_by") or doc["columns"]),
        defaults=doc.get("defaults") or {},
        cases=cases,
        build=list(doc.get("build") or []),
        given=doc.get("given") or {},
    )


def _convert(value: Any, sql_type: str) -> Any:
    """A YAML value as the declared source type wants it (ISO strings become dates)."""
    if isinstance(value, str):
        t = sql_type.lower()
        if t == "date":
            return dt.date.fromisoformat(value)
        if t.startswith(("datetime", "timestamp")):
            return dt.datetime.fromisoformat(value)
    return value


def normalise(value: Any) -> Any:
    """One comparable form for both engines and the YAML: dates as ISO text, decimals as numbers."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def settings_key(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


def groups(case_file: CaseFile) -> dict[str, list[Case]]:
    """Cases that can share one build (equal settings); their keys must not overlap."""
    out: dict[str, list[Case]] = {}
    for case in case_file.cases:
        out.setdefault(settings_key(case.settings), []).append(case)
    for cases in out.values():
        owners: dict[str, str] = {}
        for case in cases:
            for k in case.keys:
                if repr(k) in owners:
                    raise CaseFileError(
                        f"{case_file.rel}: key {k!r} is in cases {owners[repr(k)]} and {case.name}"
                    )
                owners[repr(k)] = case.name
    return out


def source_rows(
    case_file: CaseFile, cases: list[Case], settings
) -> dict[str, list[dict[str, Any]]]:
    """The given rows of ``cases`` with the file's defaults filled in and values converted."""
    types = {pv.view: pv.column_types() for pv in load_catalog(REAL_SQL, settings).all_views()}
    row_number = 0
    out: dict[str, list[dict[str, Any]]] = {}
    owners = [("(file)", case_file.given, True)]
    owners += [(case.name, case.given, case in cases) for case in case_file.cases]
    for name, given_rows, wanted in owners:
        for view, rows in given_rows.items():
            if view not in types:
                raise CaseFileError(f"{case_file.rel}: case {name}: no source view {view}")
            for given in rows:
                row_number += 1  # counted over the whole file, so $row is stable per case
                if not wanted:
                    continue
                row = {**case_file.defaults.get(view, {}), **given}
                unknown = set(row) - set(types[view])
                if unknown:
                    raise CaseFileError(
                        f"{case_file.rel}: case {name}: {view} has no {sorted(unknown)}"
                    )
                out.setdefault(view, []).append(
                    {
                        c: row_number if v == "$row" else _convert(v, types[view][c])
                        for c, v in row.items()
                    }
                )
    return out


_WS = re.compile(r"\bws\.(\w+)")


def build_group(case_file: CaseFile, cases: list[Case], root: Path, backend: str, pg_url):
    """Build one group's extract; return (model rows by key, query rows by (case, index))."""
    settings = settings_for(root, backend, pg_url, **cases[0].settings)
    write_sources(settings, source_rows(case_file, cases, settings))
    build_tables(settings, [case_file.model, *case_file.build])
    db = WorkspaceDatabase.from_settings(settings)
    schema = settings.workspace_schema

    def run(sql: str) -> list[list[Any]]:
        sql = _WS.sub(lambda m: f'"{schema}"."{m.group(1)}"', sql)
        return [[normalise(v) for v in row] for row in db.rows(sql)]

    try:
        cols = ", ".join(case_file.columns)
        order = ", ".join(case_file.order_by)
        rows = run(f"SELECT {case_file.key}, {cols} FROM ws.{case_file.model} ORDER BY {order}")
        queries = {
            (case.name, i): run(q["sql"]) for case in cases for i, q in enumerate(case.queries)
        }
    finally:
        db.dispose()
    return rows, queries


def project(case_file: CaseFile, case: Case, rows: list[list[Any]]) -> list[list[Any]]:
    """Rows of the file's columns cut to the case's own columns (if it names them)."""
    if not case.columns:
        return rows
    index = [case_file.columns.index(c) for c in case.columns]
    return [[row[i] for i in index] for row in rows]


def expected_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return [[normalise(v) for v in row] for row in rows]


def diff(rel: str, case: str, what: str, columns: list[str] | None, want, got) -> str:
    """A readable account of two row lists that differ."""
    lines = [f"{rel}: case {case}: {what} differ"]
    if columns:
        lines.append("  columns: " + ", ".join(columns))
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w == g:
            lines.append(f"    row {i + 1}: {w}")
            continue
        lines.append(f"  - row {i + 1} expected: {w}")
        lines.append(f"  + row {i + 1} got:      {g}")
        if w is not None and g is not None and columns and len(w) == len(g) == len(columns):
            bad = [f"{c}: {a!r} != {b!r}" for c, a, b in zip(columns, w, g, strict=True) if a != b]
            lines.append("      " + "; ".join(bad))
    return "\n".join(lines)


def all_source_rows(path: Path, settings) -> dict[str, list[dict[str, Any]]]:
    """The given rows of a file's cases built with the file's settings (not those with settings of
    their own): the extract the runner builds, for Python tests of the checks on it."""
    case_file = load_case_file(path)
    return source_rows(case_file, [c for c in case_file.cases if not c.own_settings], settings)
