"""Reading a rendered SSMS script back: batches, statements, and a model of how SQL Server runs
them.

No SQL Server can run here, so the tests read the script the way SSMS and SQL Server do and
interpret it under SQL Server's documented rules (cited in ``docs/sql_server.md``):

* SSMS sends the text between ``GO`` lines as one batch, and sends the next batch whatever
  happened to the previous one.
* A compile error stops its whole batch before any statement runs; with ``SET XACT_ABORT ON`` a
  run-time error (and ``THROW``) ends the batch at the failing statement and rolls back the open
  transaction.
* With ``SET NOEXEC ON`` a batch is compiled but none of its statements is executed, except
  ``SET NOEXEC OFF``.

Any statement the model does not know to be read-only counts as a change.
"""

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot.tokens import TokenType

STEP = r"COALESCE\(CAST\(SESSION_CONTEXT\(N'leo_assets_step'\) AS INT\), -1\)"
_GUARD = re.compile(r"IF (?P<cond>.+?)\nBEGIN\n    SET NOEXEC ON;\n    RETURN;\nEND;", re.DOTALL)
_STEP_COND = re.compile(
    STEP + r" <> (?P<step>\d+)(?: OR OBJECT_ID\(N'(?P<view>[\w.]+)', N'V'\) IS NULL)?"
)
_VERSION_COND = re.compile(
    r"COALESCE\(CAST\(SERVERPROPERTY\('ProductMajorVersion'\) AS INT\), 0\) < (?P<major>\d+)"
)
_MARK = re.compile(r"EXEC sp_set_session_context N'leo_assets_step', (?P<step>\d+);")
_REPORT = re.compile(
    r"IF " + STEP + r" <> (?P<last>\d+)\nBEGIN\n.*THROW 50001, .*\nELSE\n", re.DOTALL
)
_DROP = re.compile(r"DROP (VIEW|TABLE) IF EXISTS \[(?P<schema>\w+)\]\.\[(?P<name>\w+)\];")
_CREATE_VIEW = re.compile(r"CREATE VIEW \[(?P<schema>\w+)\]\.\[(?P<name>\w+)\] AS\b")
_SWAP = re.compile(
    r"IF OBJECT_ID\(N'(?P<final>[\w.]+)'\) IS NOT NULL\nBEGIN\n    BEGIN TRANSACTION;\n.*"
    r"\nEND\nELSE\n    EXEC sp_rename '(?P<new>[\w.]+)', '\w+', 'OBJECT';",
    re.DOTALL,
)
_CHECK = re.compile(
    r"IF EXISTS \(SELECT 1 FROM \(.*\) AS failing_rows\)\n    THROW 50000, ", re.DOTALL
)
_SETTING = re.compile(r"SET (?P<option>NOEXEC|XACT_ABORT|NOCOUNT) (?P<value>ON|OFF);")


def batches(script: str) -> list[str]:
    """The batches SSMS sends: the text between lines holding only ``GO``."""
    parts = re.split(r"^GO[ \t]*$", script, flags=re.MULTILINE)
    return [p.strip("\n") for p in parts if p.strip()]


def statements(batch: str) -> list[str]:
    """The top-level statements of a batch (an IF with its BEGIN...END block is one statement).

    Split at ``;`` outside parentheses, ``BEGIN ... END`` blocks and ``CASE ... END``; a batch's
    last statement needs no ``;``. Comments between statements are dropped.
    """
    tokens = sqlglot.Dialect.get_or_raise("tsql").tokenize(batch)
    out, start, depth, blocks = [], None, 0, 0
    for i, tok in enumerate(tokens):
        if start is None:
            start = tok.start
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif (
            tok.token_type == TokenType.CASE
            or tok.token_type == TokenType.BEGIN
            and not (nxt is not None and nxt.text.upper() in ("TRANSACTION", "TRAN"))
        ):
            blocks += 1
        elif tok.token_type == TokenType.END:
            blocks -= 1
        elif tok.token_type == TokenType.SEMICOLON and depth == 0 and blocks == 0:
            out.append(batch[start : tok.end + 1])
            start = None
    if start is not None:
        out.append(batch[start:].rstrip())
    return out


@dataclass
class Statement:
    kind: str  # guard, mark, setting, report, check, drop, create_view, swap, change
    text: str
    batch: int
    match: re.Match | None = None

    @property
    def changes(self) -> bool:
        return self.kind in ("drop", "create_view", "swap", "change")


def classify(text: str, batch: int) -> Statement:
    for kind, pattern in (
        ("guard", _GUARD),
        ("mark", _MARK),
        ("setting", _SETTING),
        ("report", _REPORT),
        ("check", _CHECK),
        ("drop", _DROP),
        ("create_view", _CREATE_VIEW),
        ("swap", _SWAP),
    ):
        m = pattern.match(text)
        if m and (kind not in ("guard", "mark", "setting", "drop") or m.end() == len(text)):
            return Statement(kind, text, batch, m)
    return Statement("change", text, batch)


def parse_script(script: str) -> list[list[Statement]]:
    return [[classify(s, b) for s in statements(text)] for b, text in enumerate(batches(script))]


@dataclass
class Session:
    """What SQL Server keeps between batches, and what this run did."""

    server_major: int = 16
    noexec: bool = False
    xact_abort: bool = False
    step: int | None = None
    objects: set[str] = field(default_factory=set)
    executed: list[Statement] = field(default_factory=list)
    outcome: str = ""  # the final report: "completed" or "stopped after N"


class Failure(Exception):
    pass


def run(
    script: list[list[Statement]],
    session: Session,
    fail_at: tuple[int, int] | None = None,
) -> Session:
    """Run the parsed script; ``fail_at=(batch, i)`` fails statement i of that batch at run time
    (i = -1: the batch does not compile). A failure ends its batch only (SSMS runs on)."""
    for b, batch in enumerate(script):
        if fail_at == (b, -1):
            continue
        for i, st in enumerate(batch):
            if session.noexec and not (st.kind == "setting" and st.match["option"] == "NOEXEC"):
                continue  # compiled, not executed
            if fail_at == (b, i):
                if not session.xact_abort:
                    raise AssertionError(
                        f"batch {b}: a statement may fail before SET XACT_ABORT ON"
                    )
                break  # XACT_ABORT: the run-time error ends the batch (and rolls back)
            session.executed.append(st)
            if not _execute(st, session):
                break
    return session


def _execute(st: Statement, session: Session) -> bool:
    """Apply one statement; False when it ends its batch."""
    m = st.match
    if st.kind == "guard":
        if _true(m["cond"], session):
            session.noexec = True
            return False
    elif st.kind == "mark":
        session.step = int(m["step"])
    elif st.kind == "setting":
        if m["option"] == "NOEXEC":
            session.noexec = m["value"] == "ON"
        elif m["option"] == "XACT_ABORT":
            session.xact_abort = m["value"] == "ON"
    elif st.kind == "report":
        last = int(m["last"])
        session.outcome = "completed" if session.step == last else f"stopped after {session.step}"
        return False
    elif st.kind == "drop":
        session.objects.discard(f"{m['schema']}.{m['name']}")
    elif st.kind == "create_view":
        session.objects.add(f"{m['schema']}.{m['name']}")
    elif st.kind == "swap":
        session.objects.discard(m["new"])
        session.objects.add(m["final"])
    return True


def _true(condition: str, session: Session) -> bool:
    if m := _VERSION_COND.fullmatch(condition):
        return session.server_major < int(m["major"])
    if m := _STEP_COND.fullmatch(condition):
        step = -1 if session.step is None else session.step
        return step != int(m["step"]) or (
            m["view"] is not None and m["view"] not in session.objects
        )
    raise AssertionError(f"a guard this model cannot evaluate: {condition!r}")
