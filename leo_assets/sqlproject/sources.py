"""The LEO source views, declared once in ``sql/_sources.yml`` and expanded from the settings.

A *source* is what a SQL file names (``npd.school_census``); a *physical view* is what the
database holds (``NPD_i2."1234".spring_census_2014``). Year-split sources expand to one physical
view per part and available year, and read as the UNION ALL of those views with the year, the
part's constants and every column stem, typed NULL where a year lacks the column.
"""

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp

from leo_assets.settings import SOURCE_DATABASES, Settings, parse_years, validate_identifier
from leo_assets.sqlproject.dialects import transpile

SOURCES_FILE = "_sources.yml"


class SourceDeclarationError(ValueError):
    """``sql/_sources.yml`` is malformed; the message names the source and key."""


# How a declared text column is read, so that nothing depends on SQL Server's collation: SRS
# databases compare case-insensitively and ignore trailing blanks, char(n) values arrive padded,
# and DuckDB and PostgreSQL treat 'ab', 'AB' and 'ab  ' as three values (docs/sql_server.md).
TEXT_KINDS = {
    "id": "identifier: trailing blanks removed (RTRIM); case kept",
    "code": "code: trailing blanks removed and upper-cased (UPPER(RTRIM))",
}


def read_text(column: exp.Expression, kind: str | None) -> exp.Expression:
    """A source column as staging sees it: normalised by its declared text kind."""
    if kind is None:
        return column
    trimmed = exp.Anonymous(this="RTRIM", expressions=[column])
    return exp.Upper(this=trimmed) if kind == "code" else trimmed


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str
    description: str = ""
    optional: bool = False
    available: dict[str, tuple[int, ...]] | None = None  # part -> years; None = everywhere
    text: str | None = None  # "id" (read as RTRIM) or "code" (read as UPPER(RTRIM)); see TEXT_KINDS

    def in_view(self, part: str | None, year: int | None) -> bool:
        if self.available is None or part is None:
            return True
        return year in self.available.get(part, ())


@dataclass(frozen=True)
class SourcePart:
    name: str
    view: str
    suffix: str
    years: tuple[int, ...]
    constants: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PhysicalView:
    """One view in one source database, and the columns it is declared to have."""

    source: str
    database: str  # logical: npd, lilr, hesa, leo
    view: str
    part: str | None
    year: int | None
    columns: tuple[tuple[str, str, SourceColumn], ...]  # (physical name, stem, declaration)

    def column_types(self) -> dict[str, str]:
        return {physical: decl.type for physical, _stem, decl in self.columns}


@dataclass(frozen=True)
class SourceDecl:
    name: str
    database: str
    description: str
    columns: tuple[SourceColumn, ...]
    view: str | None = None
    parts: tuple[SourcePart, ...] = ()
    year_column: str | None = None
    key: tuple[str, ...] = ()
    # a model that chooses among rows sharing the key (its header says how): staging then removes
    # exact duplicates only, and the duplicates check reports the key duplicates it leaves
    key_resolved_by: str | None = None

    @property
    def is_year_split(self) -> bool:
        return bool(self.parts)

    @property
    def reference(self) -> str:
        """How SQL files name this source."""
        return f"{self.database}.{self.name}"

    def logical_columns(self) -> list[tuple[str, str]]:
        """(name, T-SQL type) of the relation a SQL file sees, in order."""
        cols: list[tuple[str, str]] = []
        if self.is_year_split:
            cols.append((self.year_column or "source_year", "int"))
            for const in sorted({c for p in self.parts for c in p.constants}):
                cols.append((const, "int"))
        cols.extend((c.name, c.type) for c in self.columns)
        return cols


def _fmt(pattern: str, year: int) -> str:
    return pattern.format(year=year, yy=f"{year % 100:02d}")


def load_source_declarations(sql_dir: Path) -> dict[str, SourceDecl]:
    """Parse and validate ``_sources.yml`` (read each time; parsed once per distinct text, since
    every load of the project, every Dagster definitions load and each test's build, reads it)."""
    path = Path(sql_dir) / SOURCES_FILE
    return dict(_declarations(path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=16)
def _declarations(text: str) -> dict[str, SourceDecl]:
    """The declarations of one ``_sources.yml`` text (frozen dataclasses: shared safely; the
    caller gets its own dict)."""
    raw = yaml.safe_load(text) or {}
    decls: dict[str, SourceDecl] = {}
    for name, body in raw.items():
        where = f"{SOURCES_FILE}: source {name!r}"
        if not isinstance(body, dict):
            raise SourceDeclarationError(f"{where}: expected a mapping")
        unknown = set(body) - {
            "database",
            "description",
            "view",
            "parts",
            "year_column",
            "columns",
            "key",
            "key_resolved_by",
        }
        if unknown:
            raise SourceDeclarationError(f"{where}: unknown key(s) {sorted(unknown)}")
        database = body.get("database")
        if database not in SOURCE_DATABASES:
            raise SourceDeclarationError(
                f"{where}: database {database!r} is not one of {SOURCE_DATABASES}"
            )
        parts = []
        for pname, p in (body.get("parts") or {}).items():
            try:
                parts.append(
                    SourcePart(
                        name=pname,
                        view=p["view"],
                        suffix=p.get("suffix", ""),
                        years=parse_years(p["years"], f"{name}.parts.{pname}.years"),
                        constants=dict(p.get("constants") or {}),
                    )
                )
            except KeyError as missing:
                raise SourceDeclarationError(f"{where}: part {pname!r} needs {missing}") from None
        if bool(parts) == bool(body.get("view")):
            raise SourceDeclarationError(f"{where}: give exactly one of 'view' and 'parts'")
        part_names = {p.name for p in parts}
        columns = []
        for cname, c in (body.get("columns") or {}).items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", cname):
                raise SourceDeclarationError(
                    f"{where}: column {cname!r} must be lower case letters, digits and _"
                )
            if isinstance(c, str):
                c = {"type": c}
            try:
                exp.DataType.build(c["type"], dialect="tsql")
            except Exception:
                raise SourceDeclarationError(
                    f"{where}: column {cname!r} has an unknown type {c.get('type')!r}"
                ) from None
            available = None
            if "available" in c:
                bad = set(c["available"]) - part_names
                if bad:
                    raise SourceDeclarationError(
                        f"{where}: column {cname!r} names unknown part(s) {sorted(bad)}"
                    )
                available = {
                    pn: parse_years(spec or "", f"{name}.columns.{cname}.available.{pn}")
                    for pn, spec in c["available"].items()
                }
            text = c.get("text")
            if text is not None and text not in TEXT_KINDS:
                raise SourceDeclarationError(
                    f"{where}: column {cname!r}: text must be one of {sorted(TEXT_KINDS)}, got "
                    f"{text!r}"
                )
            if text is not None and "char" not in str(c["type"]).lower():
                raise SourceDeclarationError(
                    f"{where}: column {cname!r}: text: {text} needs a char or varchar type"
                )
            columns.append(
                SourceColumn(
                    name=cname,
                    type=str(c["type"]),
                    description=str(c.get("description", "")),
                    optional=bool(c.get("optional", False)),
                    available=available,
                    text=text,
                )
            )
        if not columns:
            raise SourceDeclarationError(f"{where}: no columns declared")
        year_column = body.get("year_column") or ("source_year" if parts else None)
        key = body.get("key")
        if not isinstance(key, list) or not key:
            raise SourceDeclarationError(
                f"{where}: declare its grain as 'key: [columns]' (the identifier first)"
            )
        known = {c.name for c in columns} | {c for p in parts for c in p.constants}
        known |= {year_column} if year_column else set()
        bad_key = [k for k in key if k not in known]
        if bad_key or len(set(key)) != len(key):
            raise SourceDeclarationError(
                f"{where}: key names unknown or repeated column(s) {bad_key or key}"
            )
        resolved_by = body.get("key_resolved_by")
        if resolved_by is not None and (not isinstance(resolved_by, str) or not resolved_by):
            raise SourceDeclarationError(
                f"{where}: key_resolved_by names the model that chooses among rows sharing the key"
            )
        decls[name] = SourceDecl(
            name=name,
            database=database,
            description=" ".join(str(body.get("description", "")).split()),
            columns=tuple(columns),
            view=body.get("view"),
            parts=tuple(parts),
            year_column=year_column,
            key=tuple(key),
            key_resolved_by=resolved_by,
        )
    return decls


@dataclass
class SourceCatalog:
    """The declared sources bound to one project's settings."""

    decls: dict[str, SourceDecl]
    settings: Settings

    def __post_init__(self) -> None:
        absent = set(self.settings.absent_views)
        known_parts = {f"{d.name}.{p.name}" for d in self.decls.values() for p in d.parts}
        for key in self.settings.source_years:
            if key not in known_parts:
                raise SourceDeclarationError(
                    f"setting 'source_years': {key!r} is not a part of a year-split source "
                    f"(known: {', '.join(sorted(known_parts))})"
                )
        self._views: dict[str, list[PhysicalView]] = {}
        self._skipped: dict[str, list[str]] = {}
        for decl in self.decls.values():
            views, skipped = [], []
            for pv in self._all_declared_views(decl):
                if pv.view in absent:
                    skipped.append(f"{pv.view}: absent per setting 'absent_views'")
                else:
                    views.append(pv)
            if decl.is_year_split:
                for part in decl.parts:
                    key = f"{decl.name}.{part.name}"
                    if key in self.settings.source_years:
                        wanted = set(
                            parse_years(self.settings.source_years[key], f"source_years.{key}")
                        )
                        outside = sorted(wanted - set(part.years))
                        if outside:
                            raise SourceDeclarationError(
                                f"setting 'source_years.{key}': years {outside} are outside the "
                                "years the variable request form gives for "
                                f"{part.view} ({part.years[0]}-{part.years[-1]})"
                            )
                        views = [v for v in views if v.part != part.name or v.year in wanted]
            self._views[decl.name] = views
            self._skipped[decl.name] = skipped

    # --------------------------------------------------------------- physical layout
    @staticmethod
    def _all_declared_views(decl: SourceDecl) -> list[PhysicalView]:
        if not decl.is_year_split:
            cols = tuple((c.name, c.name, c) for c in decl.columns)
            return [PhysicalView(decl.name, decl.database, decl.view, None, None, cols)]  # type: ignore[arg-type]
        out = []
        for part in decl.parts:
            for year in part.years:
                suffix = _fmt(part.suffix, year)
                cols = tuple(
                    (f"{c.name}{suffix}", c.name, c)
                    for c in decl.columns
                    if c.in_view(part.name, year)
                )
                out.append(
                    PhysicalView(
                        decl.name, decl.database, _fmt(part.view, year), part.name, year, cols
                    )
                )
        return out

    def views(self, source: str) -> list[PhysicalView]:
        return list(self._views[source])

    def all_views(self) -> list[PhysicalView]:
        return [v for name in sorted(self._views) for v in self._views[name]]

    def skipped(self, source: str) -> list[str]:
        return list(self._skipped[source])

    def by_reference(self) -> dict[str, SourceDecl]:
        return {d.reference: d for d in self.decls.values()}

    def physical_database(self, logical: str) -> str:
        return self.settings.source_databases[logical]

    def view_table(self, pv: PhysicalView, dialect: str) -> exp.Table:
        """The fully qualified physical view for a dialect.

        SQL Server and DuckDB use database.schema.view (DuckDB attaches each source database as a
        catalog); PostgreSQL has no cross-database queries, so there the source database is a
        schema of the workspace database and the project schema is not used.
        """
        database = validate_identifier(
            self.physical_database(pv.database), f"source_databases.{pv.database}"
        )
        schema = self.settings.project_schema
        if dialect == "postgres":
            return exp.Table(
                this=exp.to_identifier(pv.view, quoted=True),
                db=exp.to_identifier(database, quoted=True),
            )
        return exp.Table(
            this=exp.to_identifier(pv.view, quoted=True),
            db=exp.to_identifier(schema, quoted=True),
            catalog=exp.to_identifier(database, quoted=True),
        )

    def relation(
        self,
        source: str,
        dialect: str,
        missing_optional: frozenset[tuple[str, str]] = frozenset(),
        raw: bool = False,
    ) -> exp.Expression:
        """The relation a SQL file reads as ``<database>.<source>``: the source's rows at its grain.

        The views (one table, or the UNION ALL of a year-split source's views) are read
        deduplicated on the declared ``key`` (:meth:`deduplicated`); ``raw=True`` gives them as
        delivered. ``missing_optional`` holds (view, physical column) pairs of optional columns
        the database lacks; they are read as typed NULL.
        """
        relation = self._raw_relation(source, dialect, missing_optional)
        return relation if raw else self.deduplicated(source, relation)

    def deduplicated(
        self, source: str, relation: exp.Expression, by_key: bool | None = None
    ) -> exp.Expression:
        """``relation`` without exact duplicates, and with one row per complete key.

        The rule (sql/README.md "Source grain"): exact duplicate rows are removed; of rows sharing
        the declared key, the one whose other columns sort first (declared order, ascending, NULL
        last) is kept, so the choice never depends on row order. Rows whose identifier (the key's
        first column) is NULL or blank are only freed of exact duplicates. A source whose
        ``key_resolved_by`` names a model loses exact duplicates only (``by_key`` overrides).

        Known people's rows are ranked within their key straight from the source (exact
        duplicates tie on every column, so keeping rank 1 drops them too); only the rows of no
        known person go through a DISTINCT. A DISTINCT over the whole source before the window
        sorted every row twice (docs/benchmarks.md: with this and the NULL order below, the
        School Census staging went from 60 s to 50 s at 600,000 pupils).
        """
        decl = self.decls[source]
        if by_key is None:
            by_key = decl.key_resolved_by is None
        names = [n for n, _ in decl.logical_columns()]

        def col(name: str) -> exp.Column:
            return exp.column(name, quoted=True)

        def source_rows() -> exp.Expression:
            alias = exp.TableAlias(this=exp.to_identifier("source_rows"))
            if isinstance(relation, exp.Table):
                table = relation.copy()
                table.set("alias", alias)
                return table
            return exp.Subquery(this=relation.copy(), alias=alias)

        def distinct(where: exp.Expression | None = None) -> exp.Select:
            query = exp.select(*[col(n) for n in names]).from_(source_rows(), copy=False)
            if where is not None:
                query = query.where(where, copy=False)
            return query.distinct(copy=False)

        if set(decl.key) == set(names) or not by_key:
            return distinct()
        # NULL last, written per engine by sqlglot: SQL Server (NULL first) gets the flag
        # CASE WHEN x IS NULL THEN 1 ELSE 0 END before x; DuckDB and PostgreSQL, whose ascending
        # order puts NULL last, sort on x alone (no second sort key per column)
        order = [exp.Ordered(this=col(n), nulls_first=False) for n in names if n not in decl.key]
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[col(k) for k in decl.key],
            order=exp.Order(expressions=order),
        )
        ranked = (
            exp.select(*[col(n) for n in names], exp.alias_(rank, "source_row_rank"))
            .from_(source_rows(), copy=False)
            .where(exp.not_(self._unknown_person(source)), copy=False)
        )
        known = (
            exp.select(*[col(n) for n in names])
            .from_(
                exp.Subquery(
                    this=ranked, alias=exp.TableAlias(this=exp.to_identifier("ranked_rows"))
                ),
                copy=False,
            )
            .where(
                exp.EQ(this=col("source_row_rank"), expression=exp.Literal.number(1)), copy=False
            )
        )
        return exp.union(known, distinct(self._unknown_person(source)), distinct=False)

    def _unknown_person(self, source: str) -> exp.Expression:
        """The source grain's test for a row of no known person: its identifier (the key's first
        column) is NULL, or blank where it is text. Such rows are only freed of exact duplicates."""
        decl = self.decls[source]
        ident = exp.column(decl.key[0], quoted=True)
        unknown: exp.Expression = exp.Is(this=ident, expression=exp.null())
        if tsql_type(dict(decl.logical_columns())[decl.key[0]]).is_type(*exp.DataType.TEXT_TYPES):
            blank = exp.func("LTRIM", exp.func("RTRIM", ident.copy()))
            unknown = exp.or_(unknown, exp.EQ(this=blank, expression=exp.Literal.string("")))
        return unknown

    def duplicate_counts(
        self, source: str, dialect: str, missing_optional: frozenset[tuple[str, str]] = frozenset()
    ) -> str:
        """SQL giving (rows delivered, rows after exact duplicates, rows after key duplicates);
        the last counts one row per key even where a model resolves the key duplicates.

        Two groupings, not the de-duplication itself: the distinct rows with their copies, then
        those rows per key. :meth:`deduplicated` keeps one row per key, or every distinct row
        where the identifier is NULL or blank, so that is what the second grouping counts (a
        SELECT DISTINCT, a second one and a window over the whole source cost 40-50 s per
        check of the School Census at 600,000 pupils).

        Where the key holds the columns that tell the views of a year-split source apart (the
        School Census's census_year and term_id), no key and no row spans two views, so each
        view is counted alone and the counts are added: the groupings hold one view's rows at a
        time (over every view at once, three cohorts of 600,000 pupils ran DuckDB out of its
        4 GB)."""
        views = (
            self._view_selects(source, dialect, missing_optional)
            if self._key_separates_views(source)
            else None
        )
        if not views or len(views) < 2:
            raw = self._raw_relation(source, dialect, missing_optional)
            return transpile(self._counts(source, raw), dialect, copy=False)
        union = _union_all([self._counts(source, view) for view in views])
        query = exp.select(
            *[
                exp.alias_(
                    exp.func(
                        "COALESCE",
                        exp.func("SUM", exp.column(name, quoted=True)),
                        exp.Literal.number(0),
                    ),
                    name,
                    copy=False,
                )
                for name in ("delivered_rows", "distinct_rows", "kept_rows")
            ]
        ).from_(
            exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("view_counts"))),
            copy=False,
        )
        return transpile(query, dialect, copy=False)

    def _key_separates_views(self, source: str) -> bool:
        """Whether the source grain's key holds every column a view of the source sets to a
        constant (its year, and its part's constants), and no two views set the same values."""
        decl = self.decls[source]
        if not decl.is_year_split:
            return False
        parts = {p.name: p for p in decl.parts}
        consts = sorted({c for p in decl.parts for c in p.constants})
        if not {decl.year_column or "source_year", *consts} <= set(decl.key):
            return False
        stamps = [
            (pv.year, *(parts[pv.part].constants.get(c) for c in consts))  # type: ignore[index]
            for pv in self._views[source]
        ]
        return len(set(stamps)) == len(stamps)

    def _counts(self, source: str, raw: exp.Expression) -> exp.Select:
        """:meth:`duplicate_counts`' query over ``raw`` (the source's rows, or one view's)."""
        decl = self.decls[source]
        names = [n for n, _ in decl.logical_columns()]
        if isinstance(raw, exp.Table):
            raw = exp.select("*").from_(raw.copy(), copy=False)

        def col(name: str) -> exp.Column:
            return exp.column(name, quoted=True)

        def sub(query: exp.Expression, alias: str) -> exp.Subquery:
            return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))

        def total(expression: exp.Expression, alias: str) -> exp.Expression:
            summed = exp.func("COALESCE", exp.func("SUM", expression), exp.Literal.number(0))
            return exp.alias_(summed, alias, copy=False)

        copies = exp.alias_(exp.func("COUNT", exp.Star()), "source_row_copies", copy=False)
        distinct = (
            exp.select(*[col(n) for n in names], copies)
            .from_(sub(raw, "source_rows"), copy=False)
            .group_by(*[col(n) for n in names], copy=False)
        )
        if set(decl.key) == set(names):
            return exp.select(
                total(col("source_row_copies"), "delivered_rows"),
                exp.alias_(exp.func("COUNT", exp.Star()), "distinct_rows", copy=False),
                exp.alias_(exp.func("COUNT", exp.Star()), "kept_rows", copy=False),
            ).from_(sub(distinct, "distinct_source_rows"), copy=False)
        flag = exp.Case(
            ifs=[exp.If(this=self._unknown_person(source), true=exp.Literal.number(1))],
            default=exp.Literal.number(0),
        )
        per_key = (
            exp.select(
                exp.alias_(exp.func("MAX", flag), "is_unknown_person", copy=False),
                exp.alias_(exp.func("SUM", col("source_row_copies")), "delivered_rows", copy=False),
                exp.alias_(exp.func("COUNT", exp.Star()), "distinct_rows", copy=False),
            )
            .from_(sub(distinct, "distinct_source_rows"), copy=False)
            .group_by(*[col(k) for k in decl.key], copy=False)
        )
        # a known person's key keeps one row; rows of an unknown one are different people
        kept = exp.Case(
            ifs=[
                exp.If(
                    this=exp.EQ(this=col("is_unknown_person"), expression=exp.Literal.number(1)),
                    true=col("distinct_rows"),
                )
            ],
            default=exp.Literal.number(1),
        )
        return exp.select(
            total(col("delivered_rows"), "delivered_rows"),
            total(col("distinct_rows"), "distinct_rows"),
            total(kept, "kept_rows"),
        ).from_(sub(per_key, "key_rows"), copy=False)

    def _raw_relation(
        self, source: str, dialect: str, missing_optional: frozenset[tuple[str, str]] = frozenset()
    ) -> exp.Expression:
        """The views of a source as delivered: a table or a UNION ALL query."""
        decl = self.decls[source]
        views = self._views[source]
        if not views:
            # every view absent: an empty relation with the declared columns keeps downstream SQL
            # valid
            select = exp.select(
                *[_typed_null(name, typ, dialect) for name, typ in decl.logical_columns()]
            )
            return select.where(
                exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))
            )
        if not decl.is_year_split:
            pv = views[0]
            if not any((pv.view, c.name) in missing_optional or c.text for c in decl.columns):
                return self.view_table(pv, dialect)
        selects = self._view_selects(source, dialect, missing_optional)
        assert selects is not None
        return _union_all(selects)

    def _view_selects(
        self, source: str, dialect: str, missing_optional: frozenset[tuple[str, str]] = frozenset()
    ) -> list[exp.Select] | None:
        """One SELECT per delivered view of the source, in the declared columns (None when every
        view is absent)."""
        decl = self.decls[source]
        views = self._views[source]
        if not views:
            return None
        selects = []
        consts = sorted({c for p in decl.parts for c in p.constants})
        parts = {p.name: p for p in decl.parts}
        for pv in views:
            projections: list[exp.Expression] = []
            if decl.is_year_split:
                projections.append(
                    exp.alias_(
                        exp.Literal.number(pv.year), decl.year_column or "source_year", quoted=True
                    )
                )
                for const in consts:
                    value = parts[pv.part].constants.get(const)  # type: ignore[index]
                    projections.append(
                        exp.alias_(exp.Literal.number(value), const, quoted=True)
                        if value is not None
                        else _typed_null(const, "int")
                    )
            present = {stem: physical for physical, stem, _ in pv.columns}
            for col in decl.columns:
                physical = present.get(col.name)
                if physical is None or (pv.view, physical) in missing_optional:
                    projections.append(_typed_null(col.name, col.type, dialect))
                else:
                    projections.append(
                        exp.alias_(
                            read_text(exp.column(physical, quoted=True), col.text),
                            col.name,
                            quoted=True,
                        )
                    )
            selects.append(exp.select(*projections).from_(self.view_table(pv, dialect), copy=False))
        return selects

    def signature(self, source: str) -> str:
        """A stable text of what the source expands to under these settings (for code versions)."""
        texts = [f"{c.name}={c.text}" for c in self.decls[source].columns if c.text]
        return ";".join(
            [
                f"{self.physical_database(v.database)}.{self.settings.project_schema}.{v.view}"
                for v in self._views[source]
            ]
            + ([f"text:{','.join(texts)}"] if texts else [])
        )


def _union_all(queries: list[exp.Select]) -> exp.Expression:
    """The queries one after another (UNION ALL); they are new, so none is copied (copying the
    growing union at each step is quadratic)."""
    query: exp.Expression = queries[0]
    for nxt in queries[1:]:
        query = exp.union(query, nxt, distinct=False, copy=False)
    return query


def _typed_null(name: str, typ: str, dialect: str = "tsql") -> exp.Expression:
    dt = exp.DataType.build(typ, dialect="tsql")
    if dialect != "tsql" and dt.this == exp.DataType.Type.BIT:
        dt = exp.DataType.build("BOOLEAN")  # source bit columns are BOOLEAN outside SQL Server
    return exp.alias_(exp.cast(exp.null(), dt), name, quoted=True)


def tsql_type(typ: str) -> exp.DataType:
    return exp.DataType.build(typ, dialect="tsql")


@functools.lru_cache(maxsize=1024)
def sql_type(typ: str, dialect: str) -> str:
    """A declared T-SQL type in another dialect (bit becomes BOOLEAN outside SQL Server); kept
    per (type, dialect): a test's source views ask for the same few dozen types thousands of
    times."""
    dt = tsql_type(typ)
    if dialect != "tsql" and dt.this == exp.DataType.Type.BIT:
        return "BOOLEAN"
    return sqlglot.exp.DataType.build(dt).sql(dialect=dialect)


def load_catalog(sql_dir: Path, settings: Settings) -> SourceCatalog:
    return SourceCatalog(load_source_declarations(sql_dir), settings)
