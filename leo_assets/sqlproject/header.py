"""The YAML header of a SQL file: ``/* --- <yaml> --- */`` before the SELECT.

>>> h = parse_header('''/* ---
... description: One row per person. Built from the lookups.
... grain: [person_id]
... --- */
... select 1 as person_id''', "marts/x.sql")
>>> h.grain
['person_id']
>>> h.body_line
5
"""

import copy
import functools
import re
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

_HEADER = re.compile(r"\A\s*/\*\s*---\s*\n(?P<yaml>.*?)\n\s*---\s*\*/", re.DOTALL)

Severity = Literal["error", "warn"]
CHECK_TYPES = (
    "not_null",
    "unique",
    "accepted_values",
    "relationships",
    "expression_is_true",
    "row_count",
)


class LoadError(ValueError):
    """A SQL file cannot become an asset; the message names the file and line."""


class CheckDecl(BaseModel):
    """One generic check declared in a header (see sql/README.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    args: Any
    name: str
    severity: Severity = "error"
    max_failing_rows: int = 0
    max_failing_rate: float | None = None
    description: str = ""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferenceValues(_Strict):
    """Values of a column of a reference table (``sql/reference/``), optionally filtered."""

    reference: str  # ref_<name>, declared in sql/reference/_reference.yml
    column: str
    where: dict[str, Any] = Field(default_factory=dict)  # column: value, all must hold


class MarginDecl(_Strict):
    """Within each group of the other dimensions (or of ``by``), the row whose ``dimension`` is
    ``total`` is the sum of the rows whose ``dimension`` is one of ``parts`` (default: every
    other value)."""

    dimension: str
    total: str = "all"
    by: list[str] = Field(default_factory=list)
    parts: list[str] | ReferenceValues | None = None


class LinkedDecl(_Strict):
    """Rows equal across ``dimension`` within each group of ``by`` (where ``where`` holds)."""

    dimension: str
    by: list[str]
    where: dict[str, Any] = Field(default_factory=dict)


class RowSumDecl(_Strict):
    """Within a row, count ``total`` is the sum of the counts ``parts``."""

    total: str
    parts: list[str]


class RelationDecl(_Strict):
    """One additive relation between cells: exactly one of ``margin``, ``linked``, ``row_sum``."""

    margin: MarginDecl | None = None
    linked: LinkedDecl | None = None
    row_sum: RowSumDecl | None = None

    @model_validator(mode="after")
    def _one(self) -> "RelationDecl":
        given = [k for k in ("margin", "linked", "row_sum") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a relation is exactly one of margin, linked, row_sum")
        return self


class ShareDecl(_Strict):
    """A percentage column of the safe table: ``count`` over the same count of the row where
    ``dimension`` is ``total``, or over the count ``denominator`` of the same row."""

    name: str
    count: str
    dimension: str | None = None
    total: str = "all"
    denominator: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "ShareDecl":
        if (self.dimension is None) == (self.denominator is None):
            raise ValueError("a share gives either dimension (and total) or denominator")
        return self


class MagnitudeDecl(_Strict):
    """Statistics of a magnitude (earnings) and the evidence columns the dominance rules need."""

    stats: list[str] = Field(min_length=1)
    n: str
    total: str
    tops: list[str] = Field(min_length=2)
    negatives: str


class DisclosureDecl(_Strict):
    """How an ``out_*`` table is protected (docs/outputs.md): the ``disclosure:`` header block."""

    title: str = Field(min_length=5)
    dimensions: list[str] = Field(default_factory=list)  # default: the grain
    counts: list[str] = Field(default_factory=list)
    relations: list[RelationDecl] = Field(default_factory=list)
    shares: list[ShareDecl] = Field(default_factory=list)
    magnitude: MagnitudeDecl | None = None
    labels: list[str] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "DisclosureDecl":
        counts = set(self.counts)
        for share in self.shares:
            if share.count not in counts:
                raise ValueError(f"share {share.name}: count {share.count!r} is not in counts")
            if share.denominator and share.denominator not in counts:
                raise ValueError(
                    f"share {share.name}: denominator {share.denominator!r} is not in counts"
                )
        for rel in self.relations:
            if rel.row_sum and not {rel.row_sum.total, *rel.row_sum.parts} <= counts:
                raise ValueError("row_sum: total and parts must be in counts")
        if not self.counts and not self.magnitude:
            raise ValueError("give counts or a magnitude: a table with neither needs no control")
        return self


class Header(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    grain: list[str] = Field(default_factory=list)
    checks: list[CheckDecl] = Field(default_factory=list)
    materialize: Literal["table", "view"] | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    indexes: list[list[str]] = Field(default_factory=list)
    # keys the author declares unique for CTEs or aliases the loader cannot infer (rule 11)
    unique: dict[str, list[str] | list[list[str]]] = Field(default_factory=dict)
    severity: Severity = "error"  # for *.check.sql files
    disclosure: DisclosureDecl | None = None  # outputs only: how out_<name>_safe is protected
    body_line: int = 1

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) < 10:
            raise ValueError("description must say what one row is (the grain) and the rules")
        return value


def _check_name(ctype: str, args: Any) -> str:
    if ctype in ("not_null", "unique") and isinstance(args, list):
        return f"{ctype}__{'__'.join(args)}"
    if ctype == "accepted_values" and isinstance(args, dict):
        return f"accepted_values__{args.get('column')}"
    if ctype == "relationships" and isinstance(args, dict):
        target = str(args.get("to", "")).split(".")[-1]
        return f"relationships__{args.get('column')}__{target}"
    if ctype == "row_count":
        return "row_count"
    if ctype == "expression_is_true":
        return _slug(args if isinstance(args, str) else str(args.get("expression", "")))
    return ctype


_OPERATORS = {
    "<=": " le ",
    ">=": " ge ",
    "<>": " ne ",
    "!=": " ne ",
    "<": " lt ",
    ">": " gt ",
    "=": " eq ",
    "+": " plus ",
    "-": " minus ",
}


def _slug(expression: str) -> str:
    """A check name from an expression.

    >>> _slug("start_date <= end_date")
    'start_date_le_end_date'
    """
    text = expression.lower()
    for op, word in _OPERATORS.items():
        text = text.replace(op, word)
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text[:60].rstrip("_") or "expression_is_true"


def _parse_checks(raw: Any, path: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise LoadError(f"{path}: 'checks' must be a list")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LoadError(f"{path}: checks[{i}] must be a mapping like '- not_null: [col]'")
        ctypes = [k for k in item if k in CHECK_TYPES]
        if len(ctypes) != 1:
            raise LoadError(
                f"{path}: checks[{i}] must name exactly one of {', '.join(CHECK_TYPES)}; got "
                f"{sorted(item)}"
            )
        ctype = ctypes[0]
        rest = {k: v for k, v in item.items() if k != ctype}
        args = item[ctype]
        entry = {
            "type": ctype,
            "args": args,
            "name": rest.pop("name", None) or _check_name(ctype, args),
            **rest,
        }
        out.append(entry)
    return out


@functools.lru_cache(maxsize=4096)
def _header_yaml(block: str) -> Any:
    # cached by text, like the SQL parse (dialects._parse_strict): the project is loaded at every
    # Dagster definitions load and, in the tests, every build; callers get a copy
    return yaml.safe_load(block)


def parse_header(text: str, path: str) -> Header:
    """Parse the header of a SQL file; raise :class:`LoadError` naming ``path`` on any problem."""
    m = _HEADER.match(text)
    if not m:
        raise LoadError(
            f"{path}:1: no header: a SQL file starts with /* --- <yaml> --- */ (see sql/README.md)"
        )
    try:
        data = copy.deepcopy(_header_yaml(m.group("yaml"))) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        raise LoadError(f"{path}:{line}: header is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LoadError(f"{path}:1: header must be a YAML mapping")
    data["checks"] = _parse_checks(data.get("checks"), path)
    data["body_line"] = text[: m.end()].count("\n") + 1
    try:
        return Header(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise LoadError(f"{path}:1: header: {problems}") from None
