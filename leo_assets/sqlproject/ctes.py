"""Rule 13 of ``sql/README.md``: a CTE that does work is evaluated once.

SQL Server does not materialise a common table expression: it expands the CTE's query at each
reference, so a CTE read twice is computed twice, and one read inside a CTE that is itself read
twice is computed at every read of that one. DuckDB and PostgreSQL (12 and later) materialise a
CTE that is referenced more than once, so neither the benchmarks nor the tests on them show the
cost: this lint is where it shows.

A CTE *does work* when its own query groups, is ``DISTINCT`` (or a ``UNION`` without ``ALL``),
has a window function or joins. Scans, filters and ``UNION ALL`` of tables cost a second read of
those tables, as reading the tables twice would, and are let through; so is a CTE whose only
inputs are reference tables (``ws.ref_*``: at most a few thousand rows) or constants.
"""

from collections import Counter

from sqlglot import exp


def _is_large(relation: exp.Expression, small: set[str]) -> bool:
    """A FROM or JOIN item that reads a table other than the small ones (``small``: reference
    tables and CTEs reading only them)."""
    if isinstance(relation, exp.Table):
        return relation.name.lower() not in small
    return any(t.name.lower() not in small for t in relation.find_all(exp.Table))


def _work(query: exp.Expression, small: set[str]) -> list[str]:
    """What the CTE's own query does that costs more than a scan (empty = a scan). A join counts
    when it joins two large relations: a table crossed with a reference list (a frame of months
    or years) costs about a read of the table."""
    kinds = []
    if query.find(exp.Group):
        kinds.append("groups")
    if any(s.args.get("distinct") for s in query.find_all(exp.Select)) or any(
        u.args.get("distinct") for u in query.find_all(exp.Union)
    ):
        kinds.append("removes duplicates")
    if query.find(exp.Window):
        kinds.append("has a window")
    for select in query.find_all(exp.Select):
        relations = [select.args["from_"].this] if select.args.get("from_") else []
        relations += [join.this for join in select.args.get("joins") or []]
        if sum(_is_large(r, small) for r in relations) >= 2:
            kinds.append("joins")
            break
    return kinds


def reread_ctes(tree: exp.Expression, reference: set[str]) -> list[tuple[str, str]]:
    """(short key, message) of each CTE that does work and is evaluated more than once.

    ``reference``: the models whose tables are small reference lists (the ``reference`` layer).
    """
    ctes = [cte for cte in tree.find_all(exp.CTE)]
    names = {cte.alias.lower() for cte in ctes}
    # references per scope: the CTE whose query holds the reference, or None for the final SELECT
    refs: dict[str | None, Counter] = {}
    tables: dict[str | None, set[str]] = {}
    for table in tree.find_all(exp.Table):
        owner = table.find_ancestor(exp.CTE)
        scope = owner.alias.lower() if owner is not None else None
        name = table.name.lower()
        if not table.args.get("db") and name in names:
            refs.setdefault(scope, Counter())[name] += 1
        else:
            tables.setdefault(scope, set()).add(name)
    # evaluations: a CTE is referenced only after its definition, so walk them backwards
    evaluations: dict[str | None, int] = {None: 1}
    for cte in reversed(ctes):
        name = cte.alias.lower()
        evaluations[name] = sum(
            counts[name] * evaluations.get(scope, 0) for scope, counts in refs.items()
        )
    # the tables each CTE reads and the CTEs doing work it reads, through the CTEs it reads
    reads: dict[str, set[str]] = {}
    upstream: dict[str, set[str]] = {}
    work: dict[str, list[str]] = {}
    small = set(reference)
    for cte in ctes:
        name = cte.alias.lower()
        reads[name] = set(tables.get(name, set()))
        upstream[name] = set()
        for other in refs.get(name, {}):
            reads[name] |= reads.get(other, set())
            upstream[name] |= upstream.get(other, set()) | ({other} if work.get(other) else set())
        if reads[name] <= reference:
            small.add(name)
        work[name] = _work(cte.this, small)
    found = []
    for cte in ctes:
        name = cte.alias.lower()
        n_reads = sum(counts[name] for counts in refs.values())
        costly = ([name] if work[name] else []) + sorted(upstream[name])
        # reported where it is read again: a CTE evaluated again only because its one reader is
        # goes with that reader's finding
        if n_reads < 2 or not costly or reads[name] <= reference:
            continue
        what = f"{name!r} ({', '.join(work[name])})" if work[name] else repr(name)
        also = [c for c in costly if c != name]
        found.append(
            (
                f"reread: {name}",
                f"the CTE {what} is read {n_reads} times and evaluated {evaluations[name]} times"
                + (f", and with it {', '.join(also)}" if also else "")
                + ": SQL Server evaluates a CTE at each reference; read it once (GROUPING SETS, "
                "a CASE over a cross join with a short list, conditional aggregation) or make "
                "it a model (sql/README.md rule 13)",
            )
        )
    return found
