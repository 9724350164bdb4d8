"""The semantic lint of the portable subset that needs the project: total orders and typed columns.

Two rules (``sql/README.md``, rules 11 and 12) whose SQL Server behaviour no transpiler fixes:

* **Total orders.** An order-sensitive window (``ROW_NUMBER``, ``NTILE``, ``LAG``, ``LEAD``,
  ``FIRST_VALUE``, ``LAST_VALUE``, an aggregate over a ``ROWS`` frame) or a ``TOP`` picks among
  tied rows in an engine-dependent way. Its ``PARTITION BY`` and ``ORDER BY`` expressions together
  must cover a unique key of the rows it ranks: the ``GROUP BY`` of its own SELECT; or, for every
  relation in its FROM, a key of that relation (a relation joined by equalities on one of its
  keys adds no rows and needs none). Keys are known for a model read as ``ws.<name>`` (its
  ``grain``, proved unique and not null by the blocking grain checks), for a CTE or derived table
  that groups, is DISTINCT, or passes such a key through unchanged, and for anything the
  file's header declares under ``unique:`` (``{cte_or_alias: [columns]}``). NULL placement
  itself is not a problem: sqlglot writes SQL Server's NULLS FIRST/LAST explicitly elsewhere.
* **Typed columns.** ``SELECT ... INTO`` types a table from its expressions, and some get a
  different type per engine: ``COUNT`` (INT on SQL Server, BIGINT elsewhere), ``SUM`` (INT of
  ints on SQL Server, BIGINT/HUGEINT elsewhere), division (decimal precision and scale on SQL
  Server, DOUBLE on DuckDB) and a bare ``NULL`` (INT on SQL Server). In a table model every such
  column of the final SELECT, also when passed through a CTE unchanged, is wrapped in ``CAST``.
"""

import re
from pathlib import Path

import yaml
from sqlglot import exp

ORDER_SENSITIVE = (
    exp.RowNumber,
    exp.Lag,
    exp.Lead,
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
)


def _text(node: exp.Expression) -> str:
    return re.sub(r"\s+", " ", node.sql(dialect="tsql", comments=False)).lower()


class _Scope:
    """Keys of the relations one SELECT can see: CTEs, the model grains, the header's claims."""

    def __init__(self, tree: exp.Expression, grains: dict[str, list[str]], declared: dict):
        self.grains = {k.lower(): [c.lower() for c in v] for k, v in grains.items()}
        self.declared = {
            k.lower(): [
                [c.lower() for c in key] for key in (v if v and isinstance(v[0], list) else [v])
            ]
            for k, v in (declared or {}).items()
        }
        self.ctes = {cte.alias_or_name.lower(): cte.this for cte in tree.find_all(exp.CTE)}
        self._cache: dict[str, list[list[str]]] = {}

    def relation_keys(self, rel: exp.Expression) -> list[list[str]]:
        """Unique keys (lists of output column names) of a FROM/JOIN item."""
        alias = rel.alias_or_name.lower()
        keys = list(self.declared.get(alias, []))
        if isinstance(rel, exp.Table):
            name = rel.name.lower()
            if rel.db.lower() == "ws" and name in self.grains and self.grains[name]:
                keys.append(self.grains[name])
            elif not rel.db and name in self.ctes:
                keys += self.declared.get(name, []) + self.query_keys_named(name)
        elif isinstance(rel, exp.Subquery):
            keys += self.query_keys(rel.this)
        return keys

    def query_keys_named(self, cte: str) -> list[list[str]]:
        if cte not in self._cache:
            self._cache[cte] = []  # no recursion through itself
            self._cache[cte] = self.query_keys(self.ctes[cte])
        return self._cache[cte]

    def query_keys(self, query: exp.Expression) -> list[list[str]]:
        if isinstance(query, exp.Union) and query.args.get("distinct"):
            return [[p.alias_or_name.lower() for p in _first_select(query).expressions]]
        if not isinstance(query, exp.Select):
            return []
        names = {
            _text(p.this if isinstance(p, exp.Alias) else p): p.alias_or_name.lower()
            for p in query.expressions
        }
        if query.args.get("distinct"):
            return [[p.alias_or_name.lower() for p in query.expressions]]
        group = query.args.get("group")
        if group:
            exprs = [_text(g) for g in group.expressions]
            if all(e in names for e in exprs):
                return [[names[e] for e in exprs]]
            return []
        # a key of the relations passed through unchanged (bare columns, any alias)
        needed = self.select_row_keys(query)
        out = []
        for key in needed:
            if all(k in names for k in key):
                out.append([names[k] for k in key])
        return out

    def select_row_keys(self, select: exp.Select) -> list[list[str]]:
        """Keys of the rows of a SELECT's FROM and JOINs, as qualified column texts."""
        from_ = select.args.get("from_")
        if from_ is None:
            return []
        rels = [from_.this] + [j.this for j in select.args.get("joins") or []]
        joins = [None] + list(select.args.get("joins") or [])
        per_relation: list[list[list[str]]] = []
        for rel, join in zip(rels, joins):
            alias = rel.alias_or_name.lower()
            keys = [[f"{alias}.{k}" for k in key] for key in self.relation_keys(rel)]
            if join is not None and _joined_on_a_key(join, alias, keys):
                continue
            if (
                join is not None
                and (join.side or "").upper() not in ("", "LEFT", "INNER")
                and not join.args.get("on")
            ):
                pass
            per_relation.append(keys)
        if not per_relation:
            return []
        # the product of one key per relation; keep it small: the first key of each
        combined: list[list[str]] = [[]]
        for keys in per_relation:
            if not keys:
                return []
            combined = [c + k for c in combined for k in keys[:2]]
        return combined


def _first_select(query: exp.Expression) -> exp.Select:
    while isinstance(query, exp.SetOperation):
        query = query.left
    return query  # type: ignore[return-value]


def _joined_on_a_key(join: exp.Join, alias: str, keys: list[list[str]]) -> bool:
    """The joined relation matches at most one row per row of the others: equalities on a key."""
    on = join.args.get("on")
    if on is None:
        return False
    bound = set()
    for eq in on.find_all(exp.EQ):
        for mine, other in ((eq.left, eq.right), (eq.right, eq.left)):
            if (
                isinstance(mine, exp.Column)
                and mine.table.lower() == alias
                and not any(c.table.lower() == alias for c in other.find_all(exp.Column))
            ):
                bound.add(_text(mine))
    return any(key and all(k in bound for k in key) for key in keys)


def ordering_problems(
    tree: exp.Expression, grains: dict[str, list[str]], declared: dict | None = None
) -> list[tuple[str, str]]:
    """(short key, message) of each window and TOP whose order is not provably total."""
    scope = _Scope(tree, grains, declared or {})
    problems = []
    for node in tree.walk():
        if isinstance(node, exp.Window):
            sensitive = isinstance(node.this, ORDER_SENSITIVE) or (
                node.args.get("spec") is not None
                and str(node.args["spec"].args.get("kind", "")).upper() == "ROWS"
            )
            if not sensitive:
                continue
            order = node.args.get("order")
            exprs = list(node.args.get("partition_by") or []) + (
                [o.this for o in order.expressions] if order else []
            )
            what = f"{node.this.sql(dialect='tsql')[:40]} OVER (...)"
        elif isinstance(node, exp.Limit) and isinstance(node.parent, exp.Select):
            order = node.parent.args.get("order")
            exprs = [o.this for o in order.expressions] if order else []
            what = "TOP"
        else:
            continue
        select = node.find_ancestor(exp.Select) if not isinstance(node, exp.Limit) else node.parent
        covered = {_text(e) for e in exprs}
        group = select.args.get("group") if select else None
        if group is not None:
            keys = [[_text(g) for g in group.expressions]]
        else:
            keys = scope.select_row_keys(select) if select else []
        if any(all(k in covered for k in key) for key in keys):
            continue
        shown = ", ".join(sorted(covered)) or "nothing"
        known = [", ".join(k) for k in keys] or "none"
        message = (
            f"{what} is ordered by ({shown}), which covers no unique key of the rows it ranks "
            f"(known keys: {known}): add a key column to the ORDER BY, or declare the CTE's "
            "key under 'unique:' (sql/README.md rule 11)"
        )
        problems.append((f"order: {what} by ({shown})", message))
    return problems


def _risky(e: exp.Expression) -> str | None:
    for n in e.walk():
        if isinstance(n, exp.Cast):
            continue
        if isinstance(n, exp.Count):
            return "COUNT (INT on SQL Server, BIGINT elsewhere)"
        if isinstance(n, exp.Sum):
            return "SUM (INT of ints on SQL Server, BIGINT elsewhere)"
        if isinstance(n, exp.Div):
            return "division (DECIMAL(p, s) on SQL Server, DOUBLE on DuckDB)"
    if isinstance(e, exp.Null):
        return "NULL (INT on SQL Server)"
    return None


def _cast_inside(e: exp.Expression) -> exp.Expression:
    return e.this if isinstance(e, exp.Alias) else e


def untyped_columns(tree: exp.Expression) -> list[tuple[str, str]]:
    """(short key, message) of each final column whose type would differ by engine."""
    ctes = {cte.alias_or_name.lower(): cte.this for cte in tree.find_all(exp.CTE)}
    problems: list[tuple[str, str]] = []

    def selects(query: exp.Expression) -> list[exp.Select]:
        if isinstance(query, exp.SetOperation):
            return selects(query.left) + selects(query.right)
        if isinstance(query, exp.Subquery):
            return selects(query.this)
        return [query] if isinstance(query, exp.Select) else []

    def check(query: exp.Expression, name: str | None, where: str, seen: set) -> None:
        for select in selects(query):
            sources = {}
            from_ = select.args.get("from_")
            for rel in ([from_.this] if from_ else []) + [
                j.this for j in select.args.get("joins") or []
            ]:
                if isinstance(rel, exp.Table) and not rel.db and rel.name.lower() in ctes:
                    sources[rel.alias_or_name.lower()] = ctes[rel.name.lower()]
                elif isinstance(rel, exp.Subquery):
                    sources[rel.alias_or_name.lower()] = rel.this
            for proj in select.expressions:
                if name is not None and proj.alias_or_name.lower() != name:
                    continue
                e = _cast_inside(proj)
                if isinstance(e, exp.Cast):
                    continue
                if isinstance(e, exp.Column):
                    src = sources.get(e.table.lower())
                    key = (id(src), e.name.lower())
                    if src is not None and key not in seen:
                        seen.add(key)
                        at = f"{where or proj.alias_or_name} <- {e.table}.{e.name}"
                        check(src, e.name.lower(), at, seen)
                    continue
                why = _risky(e)
                if why:
                    column = where if name else proj.alias_or_name
                    message = (
                        f"column {column}: {why}: wrap it in CAST(... AS <type>) so "
                        "SELECT ... INTO types it alike on every engine (sql/README.md rule 12)"
                    )
                    problems.append((f"type: {column}", message))

    check(tree, None, "", set())
    return sorted(set(problems))


KNOWN_FILE = "_lint_known.yml"


def load_known(sql_dir) -> dict[str, set[str]]:
    """Findings recorded in ``sql/_lint_known.yml``: model -> short keys (reviewed or to review)."""
    path = Path(sql_dir) / KNOWN_FILE
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: {str(k) for k in (body or {}).get("findings", [])} for name, body in raw.items()}
