"""A second parser: every statement of the rendered SSMS script parses with sqlfluff's ``tsql``.

sqlglot (our own parser) wrote or read all of this T-SQL; sqlfluff's grammar is independent of
it. Parse only: no lint rules. A statement sqlfluff rejects is a failure unless it is listed in
``KNOWN_FALSE_ALARMS`` with the reason it is valid T-SQL nonetheless.

Speed: sqlfluff's Rust parser (``sqlfluff[rs]``; the Python one where it is missing) parses some
5k characters of T-SQL per second, so statements that differ only in bracketed names, strings and
numbers (the guards, step records, drops and swaps of ~130 tables) are parsed once, and each
verdict is kept in pytest's cache, keyed by the statement's text, sqlfluff's version and the
parser, so a rerun parses only what changed.
"""

import hashlib
import re
import time

import pytest
import sqlglot
from sqlglot.tokens import TokenType

from leo_assets.render import render_tsql
from leo_assets.settings import make_settings
from leo_assets.sqlproject.loader import load_project
from leo_assets_tests.helpers import REAL_SQL
from leo_assets_tests.tsql_script import batches, statements

# sqlfluff parses the whole SSMS script: started first (conftest.py)
pytestmark = pytest.mark.slow

sqlfluff = pytest.importorskip("sqlfluff")

# (regular expression a rejected statement matches, why it is valid T-SQL nonetheless)
KNOWN_FALSE_ALARMS: list[tuple[str, str]] = []

_VARIABLE_TOKENS = {
    TokenType.IDENTIFIER,
    TokenType.STRING,
    TokenType.NATIONAL_STRING,
    TokenType.NUMBER,
}


def _shape(statement: str) -> tuple:
    """The statement with bracketed names, strings and numbers blanked: one parse per shape."""
    tokens = sqlglot.Dialect.get_or_raise("tsql").tokenize(statement)
    return tuple(
        (t.token_type, "" if t.token_type in _VARIABLE_TOKENS else t.text.upper()) for t in tokens
    )


def _parser():
    """sqlfluff's Rust parser (``sqlfluff[rs]``, the same grammar) where installed: 24 s for the
    script's shapes against 70 s for its Python parser on the 2-core machine."""
    from sqlfluff.core import FluffConfig, Lexer, Parser
    from sqlfluff.core.parser.rust_parser import RustParser

    config = FluffConfig(overrides={"dialect": "tsql", "templater": "raw"})
    return Lexer(config=config), (RustParser or Parser)(config=config)


def rejected(statement: str, lexer, parser) -> str | None:
    """What sqlfluff cannot parse in one statement (None: it parses)."""
    tokens, lex_errors = lexer.lex(statement)
    if lex_errors:
        return f"lexing: {lex_errors[0].desc()}"
    tree = parser.parse(tokens)
    if tree is None:
        return "nothing parsed"
    unparsable = list(tree.recursive_crawl("unparsable"))
    if unparsable:
        u = unparsable[0]
        return f"line {u.pos_marker.line_no}: cannot parse {u.raw[:120]!r}"
    return None


def test_sqlfluff_rejects_what_is_not_tsql():
    lexer, parser = _parser()
    assert rejected("SELECT a FROM t WHERE", lexer, parser)
    assert rejected("IF EXISTS (SELECT 1) BEGIN SET NOEXEC ON;", lexer, parser)
    assert rejected("SELECT a FROM [s].[t] AS x WHERE x.a = 1;", lexer, parser) is None


def test_every_statement_of_the_script_parses_with_sqlfluff(request):
    script = render_tsql(load_project(REAL_SQL, make_settings()))
    all_statements = [s for batch in batches(script) for s in statements(batch)]
    shapes: dict[tuple, str] = {}
    for s in all_statements:
        shapes.setdefault(_shape(s), s)
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    lexer, parser = _parser()
    failures, parsed, started = [], 0, time.perf_counter()
    for statement in shapes.values():
        key = (
            "leo_assets/sqlfluff/"
            + hashlib.sha256(
                f"{sqlfluff.__version__}\n{type(parser).__name__}\n{statement}".encode()
            ).hexdigest()
        )
        if cache is not None and cache.get(key, None) == "ok":
            continue
        problem = rejected(statement, lexer, parser)
        parsed += 1
        if problem is None:
            if cache is not None:
                cache.set(key, "ok")
            continue
        reasons = [why for pattern, why in KNOWN_FALSE_ALARMS if re.search(pattern, statement)]
        if not reasons:
            failures.append(f"{problem}\n    in: {statement[:200]!r}")
    seconds = time.perf_counter() - started
    print(
        f"sqlfluff {sqlfluff.__version__} ({type(parser).__name__}): "
        f"{len(all_statements)} statements, {len(shapes)} shapes, "
        f"{parsed} parsed now in {seconds:.1f} s (the rest cached)"
    )
    assert not failures, "sqlfluff (tsql) rejects:\n" + "\n".join(failures)
