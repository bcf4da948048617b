"""SQL statements of a change and the schema and data operations they perform.

`analyze(text)` splits SQL into statements with a lexer that knows comments, string literals,
dollar quotes, quoted identifiers, psql meta-commands, `COPY … FROM stdin` data, MySQL
`DELIMITER` and SQL Server `GO`, and turns each statement into `Op`s (drop, drop column,
truncate, delete or update without WHERE, column type change, NOT NULL, rename, index creation,
constraint added to a table, table creation), each with the line it stands on. It accepts any
text and never raises.

Parser choice: each statement goes first to PostgreSQL's own grammar through `pglast`
(libpg_query: the parser squawk uses, so "what PostgreSQL would run" is what we read). Its wheel
installs without a compiler and imports in about 25 ms, and it is loaded only when a SQL file
or an ORM migration holding SQL is in the change. `sqlglot` reads more dialects but imports in
about 100 ms and guesses at PostgreSQL semantics; `tree-sitter-sql` has no published wheel.
A statement PostgreSQL rejects (MySQL syntax, templated SQL) goes through a token-level reader
of the same lexer, which never sees comments or string literals; its ops carry
`parsed=False` so rules can lower their confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, NamedTuple

from changerisk.regex import lazy_compile

# Op kinds.
DROP = "drop"  # `object` says what: table, view, materialized view, index, schema, database…
DROP_COLUMN = "drop-column"
TRUNCATE = "truncate"
DELETE_ALL = "delete-all"
UPDATE_ALL = "update-all"  # `detail`: the columns set, comma-separated
ALTER_TYPE = "alter-type"  # `detail`: the new type as written
SET_NOT_NULL = "set-not-null"
ADD_COLUMN = "add-column"  # `not_null`, `has_default` say how; `detail`: why the table is rewritten
NOT_NULL_CHECK = "not-null-check"  # CHECK (column IS NOT NULL), validated or not
RENAME_TABLE = "rename-table"  # `detail`: the new name
RENAME_COLUMN = "rename-column"  # `detail`: the new name
CREATE_INDEX = "create-index"
ADD_CONSTRAINT = "add-constraint"  # `object`: the constraint's kind; `detail`: its name
CREATE = "create"  # `object`: table or view
COPY_ROWS = "copy-rows"  # INSERT … SELECT or CREATE TABLE … AS: `detail` the source tables

DATA_LOSS = frozenset({DROP, DROP_COLUMN, TRUNCATE, DELETE_ALL, UPDATE_ALL})
DROPPABLE = ("table", "view", "materialized view", "index", "schema", "database", "sequence")
_MAX_STATEMENTS = 20000  # a dump larger than this is not a migration
_MAX_DEPTH = 3  # DO blocks inside DO blocks


class Token(NamedTuple):
    kind: str  # "word", "ident" (quoted identifier), "string", "number", "punct"
    text: str  # words upper-cased; quoted identifiers unquoted, case kept
    raw: str
    line: int
    start: int  # offset in the text
    end: int


class Statement(NamedTuple):
    """One statement: its tokens (comments gone), source span and lines."""

    tokens: tuple[Token, ...]
    start: int
    end: int
    line: int
    end_line: int
    closed: bool = True  # ended by `;` (or a delimiter), not by the end of the text


class Op(NamedTuple):
    """One operation a statement performs, on the line that says it."""

    kind: str
    name: str  # the object (table for column ops), as written: `public.users`
    line: int
    object: str = "table"
    column: str = ""
    detail: str = ""
    cascade: bool = False
    if_exists: bool = False
    concurrently: bool = False
    temporary: bool = False
    not_null: bool = False
    has_default: bool = False
    parsed: bool = True  # read by PostgreSQL's grammar (False: token-level fallback)
    end_line: int = 0  # the statement's last line
    first_line: int = 0  # the statement's first line
    closed: bool = True  # the statement was ended by `;`: nothing after it was unseen
    not_valid: bool = False  # ADD CONSTRAINT … NOT VALID: existing rows are not checked
    using_index: bool = False  # ADD CONSTRAINT … USING INDEX: an index built beforehand

    @property
    def key(self) -> str:
        """The bare object name, for matching `users` with `public.users`."""
        return bare(self.name)


class Analysis(NamedTuple):
    ops: tuple[Op, ...]
    statements: int  # how many statements were read
    parsed: int  # how many of them PostgreSQL's grammar accepted
    dialect: str  # "postgres", "mysql", "sqlite", "sqlserver", "clickhouse" or "unknown"
    statement_spans: tuple[tuple[int, int], ...] = ()


def bare(name: str) -> str:
    return name.rsplit(".", 1)[-1]


# --- lexer -------------------------------------------------------------------------------------

_WORD = lazy_compile(r"[^\W\d][\w$]*")
_NUMBER = lazy_compile(r"\d+(\.\d*)?([eE][+-]?\d+)?")
_DOLLAR = lazy_compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_MYSQL_HINT = lazy_compile(
    r"`\w+`|\bENGINE\s*=|\bAUTO_INCREMENT\b|\bUNSIGNED\b|\bMODIFY\s+COLUMN\b|"
    r"\bCHANGE\s+COLUMN\b|\bDELIMITER\b|\bTINYINT\b|\bMEDIUMTEXT\b|\bLONGTEXT\b|/\*!",
    re.IGNORECASE,
)
_SQLITE_HINT = lazy_compile(r"\bAUTOINCREMENT\b|\bPRAGMA\b|\bWITHOUT\s+ROWID\b", re.IGNORECASE)
_MSSQL_HINT = lazy_compile(
    r"^\s*GO\s*$|\bNVARCHAR\b|\bIDENTITY\s*\(|\bsp_rename\b|\[dbo\]", re.IGNORECASE | re.MULTILINE
)


def guess_dialect(text: str, path: str = "") -> str:
    """The dialect by path and content markers; "unknown" when nothing says."""
    lowered = path.lower()
    for name in ("mysql", "mariadb"):
        if name in lowered:
            return "mysql"
    if "sqlite" in lowered:
        return "sqlite"
    if "clickhouse" in lowered:
        return "clickhouse"
    if any(n in lowered for n in ("postgres", "postgresql", "/pg/", "psql")):
        return "postgres"
    sample = text[:200000]
    if _MYSQL_HINT.search(sample):
        return "mysql"
    if _MSSQL_HINT.search(sample):
        return "sqlserver"
    if _SQLITE_HINT.search(sample):
        return "sqlite"
    return "unknown"


def lex(text: str, backslash_escapes: bool = False) -> Iterator[Token | str]:
    """Tokens of `text`; also yields the strings "eos" at a statement break that is not `;`
    (psql meta-command, `GO`, custom delimiter) and "delimiter:X" when the delimiter changes."""
    i, n, line = 0, len(text), 1
    delimiter = ";"
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if line_start:
            line_start = False
            end = text.find("\n", i)
            end = n if end < 0 else end
            head = text[i:end]
            if c == "\\":  # psql meta-command: ends the statement, runs no SQL we read
                yield "eos"
                i = end
                continue
            word = head.strip().upper()
            if word == "GO" or re.fullmatch(r"GO\s+\d+", word):
                yield "eos"
                i = end
                continue
            if word.startswith("DELIMITER ") or word == "DELIMITER":
                parts = head.split()
                delimiter = parts[1] if len(parts) > 1 else ";"
                yield "eos"
                yield f"delimiter:{delimiter}"
                i = end
                continue
        if delimiter != ";" and text.startswith(delimiter, i):
            yield Token("punct", ";", delimiter, line, i, i + len(delimiter))
            i += len(delimiter)
            continue
        if text.startswith("--", i) or (c == "#" and _hash_comment(text, i, backslash_escapes)):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "/" and text.startswith("/*", i):
            j, depth = i + 2, 1
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            line += text.count("\n", i, j)
            i = j
            continue
        if c == "'" or (c in "eEnNxXbB" and text.startswith("'", i + 1)):
            escapes = backslash_escapes or c in "eE"
            j = _string_end(text, i + (1 if c == "'" else 2), "'", escapes)
            yield Token("string", "", text[i:j], line, i, j)
            line += text.count("\n", i, j)
            i = j
            continue
        if c == "$":
            m = _DOLLAR.match(text, i)
            if m:
                tag = m.group(0)
                close = text.find(tag, m.end())
                j = n if close < 0 else close + len(tag)
                yield Token("string", "", text[i:j], line, i, j)
                line += text.count("\n", i, j)
                i = j
                continue
        if c in '"`':
            j = _string_end(text, i + 1, c, False)
            raw = text[i:j]
            value = raw[1:-1] if len(raw) >= 2 and raw.endswith(c) else raw[1:]
            yield Token("ident", value.replace(c + c, c), raw, line, i, j)
            line += text.count("\n", i, j)
            i = j
            continue
        m = _WORD.match(text, i)
        if m:
            raw = m.group(0)
            yield Token("word", raw.upper(), raw, line, i, m.end())
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            yield Token("number", m.group(0), m.group(0), line, i, m.end())
            i = m.end()
            continue
        # Under a custom DELIMITER, `;` ends statements inside a procedure body, not the script.
        yield Token("punct", c if c != ";" or delimiter == ";" else "\\;", c, line, i, i + 1)
        i += 1


def _hash_comment(text: str, i: int, mysql: bool) -> bool:
    """`#` starts a comment in MySQL, and at a line start anywhere; elsewhere it is an
    operator of PostgreSQL."""
    start = text.rfind("\n", 0, i) + 1
    return mysql or not text[start:i].strip()


def _string_end(text: str, j: int, quote: str, escapes: bool) -> int:
    n = len(text)
    while j < n:
        c = text[j]
        if escapes and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return n


def split(text: str, backslash_escapes: bool = False) -> list[Statement]:
    """The statements of `text`, in order; empty statements dropped.

    The data a psql dump puts after `COPY … FROM stdin;`, up to a line `\\.`, is skipped.
    """
    out: list[Statement] = []
    offset = 0
    while offset < len(text) and len(out) < _MAX_STATEMENTS:
        chunk = text[offset:]
        stmts, copy_end = _split_chunk(chunk, backslash_escapes)
        if offset:
            lines = text.count("\n", 0, offset) + 1
            stmts = [_shifted(stmt, offset, lines) for stmt in stmts]
        out.extend(stmts)
        if copy_end < 0:
            break
        data_end = chunk.find("\n\\.", copy_end)
        resume = chunk.find("\n", data_end + 1) if data_end >= 0 else -1
        if resume < 0:
            break
        offset += resume
    return out[:_MAX_STATEMENTS]


def _split_chunk(text: str, backslash_escapes: bool) -> tuple[list[Statement], int]:
    """Statements up to the end, or up to a `COPY … FROM stdin;` (then its end offset)."""
    out: list[Statement] = []
    current: list[Token] = []
    atomic = 0  # depth of BEGIN ATOMIC … END bodies (SQL-standard function bodies)

    def close(closed: bool = True) -> None:
        nonlocal current, atomic
        if current:
            first, last = current[0], current[-1]
            out.append(
                Statement(tuple(current), first.start, last.end, first.line, last.line, closed)
            )
        current, atomic = [], 0

    for token in lex(text, backslash_escapes):
        if isinstance(token, str):
            if token == "eos":
                close()
            continue
        if token.kind == "punct" and token.text == ";" and not atomic:
            is_copy = _is_copy_from_stdin(current)
            close()
            if is_copy:
                return out, token.end
            if len(out) >= _MAX_STATEMENTS:
                return out, -1
            continue
        if token.kind == "word":
            opens = token.text == "ATOMIC" and current and current[-1].text == "BEGIN"
            if opens or (atomic and token.text == "CASE"):
                atomic += 1
            elif atomic and token.text == "END":
                atomic -= 1
        current.append(token)
    close(closed=False)
    return out, -1


def _shifted(stmt: Statement, offset: int, lines: int) -> Statement:
    tokens = tuple(
        t._replace(line=t.line + lines - 1, start=t.start + offset, end=t.end + offset)
        for t in stmt.tokens
    )
    return stmt._replace(
        tokens=tokens,
        start=stmt.start + offset,
        end=stmt.end + offset,
        line=stmt.line + lines - 1,
        end_line=stmt.end_line + lines - 1,
    )


def _is_copy_from_stdin(tokens: Sequence[Token]) -> bool:
    if not tokens or tokens[0].text != "COPY":
        return False
    words = [t.text for t in tokens if t.kind == "word"]
    return "STDIN" in words and "FROM" in words


# --- analysis ----------------------------------------------------------------------------------

_HEADS = frozenset({"DROP", "ALTER", "TRUNCATE", "DELETE", "UPDATE", "CREATE", "RENAME", "WITH"})
_HEADS |= {"DO", "INSERT", "REPLACE"}


def analyze(text: str, path: str = "", first_line: int = 1, dialect: str = "") -> Analysis:
    """Read `text` as SQL: every op of every statement, lines counted from `first_line`.

    Never raises: what cannot be read yields no op.
    """
    dialect = dialect or guess_dialect(text, path)
    statements = split(text, backslash_escapes=dialect == "mysql")
    ops: list[Op] = []
    parsed = 0
    for stmt in statements:
        head = stmt.tokens[0].text if stmt.tokens[0].kind == "word" else ""
        if head not in _HEADS:
            continue
        found, ok = _statement_ops(text, stmt, dialect, 0)
        parsed += ok
        ops.extend(found)
    if first_line != 1:
        ops = [_moved(op, first_line - 1) for op in ops]
    if dialect == "unknown" and parsed:
        dialect = "postgres"
    spans = tuple((s.line + first_line - 1, s.end_line + first_line - 1) for s in statements)
    return Analysis(tuple(ops), len(statements), parsed, dialect, spans)


def _moved(op: Op, by: int) -> Op:
    return op._replace(line=op.line + by, end_line=op.end_line + by, first_line=op.first_line + by)


def destructive_ops(sql: str) -> tuple[Op, ...]:
    """The data-losing ops of a SQL string (for `psql -c '…'`, `RunSQL`, `execute`…):
    drops of tables, schemas, databases and columns, TRUNCATE, DELETE or UPDATE without WHERE."""
    return tuple(
        op
        for op in analyze(sql).ops
        if op.kind in DATA_LOSS and not (op.kind == DROP and op.object == "index")
    )


def _statement_ops(text: str, stmt: Statement, dialect: str, depth: int) -> tuple[list[Op], int]:
    tokens = stmt.tokens
    if tokens[0].text == "DO":
        return _do_block(text, stmt, dialect, depth), 0
    copied = _copied_rows(stmt)
    if tokens[0].text in ("INSERT", "REPLACE"):
        return _finish(stmt, copied), 0
    node = None
    if dialect in ("postgres", "unknown"):
        node = _pg_parse(text[stmt.start : stmt.end])
    try:
        if node is not None:
            return _finish(stmt, _ast_ops(node, stmt) + copied), 1
        return _finish(stmt, _token_ops(stmt) + copied), 0
    except (AttributeError, IndexError, TypeError, ValueError):
        return [], 0


def _copied_rows(stmt: Statement) -> list[Op]:
    """INSERT INTO t … SELECT … FROM s, CREATE TABLE t AS SELECT … FROM s: rows of s kept."""
    tokens = stmt.tokens
    head = tokens[0].text
    if head in ("INSERT", "REPLACE"):
        i = _skip(tokens, 1, "IGNORE")
        i = _skip(tokens, i, "INTO")
    elif head == "CREATE" and _has_top_word(tokens, "AS") and _has_top_word(tokens, "TABLE"):
        i = next(k for k, t in _top_level(tokens) if t.kind == "word" and t.text == "TABLE") + 1
        i = _skip(tokens, i, "IF", "NOT", "EXISTS")
    else:
        return []
    target, _ = _name_at(tokens, i)
    sources = [
        _name_at(tokens, k + 1)[0]
        for k, t in enumerate(tokens)
        if t.kind == "word" and t.text in ("FROM", "JOIN")
    ]
    sources = [bare(s) for s in sources if s]
    if not target or not sources:
        return []
    return [Op(COPY_ROWS, target, stmt.line, detail=",".join(sources), parsed=False)]


def _finish(stmt: Statement, ops: list[Op]) -> list[Op]:
    return [
        op._replace(end_line=stmt.end_line, first_line=stmt.line, closed=stmt.closed) for op in ops
    ]


def _do_block(text: str, stmt: Statement, dialect: str, depth: int) -> list[Op]:
    """`DO $$ … $$` runs its body now: read the SQL statements inside (not EXECUTE strings)."""
    if depth >= _MAX_DEPTH:
        return []
    body = next((t for t in stmt.tokens if t.kind == "string" and t.raw.startswith("$")), None)
    if body is None:
        return []
    m = _DOLLAR.match(body.raw)
    if not m:
        return []
    inner = body.raw[m.end() : len(body.raw) - len(m.group(0))]
    offset = body.start + m.end()
    out: list[Op] = []
    for piece in split(inner):
        sub = _after_control(piece)
        if sub is None:
            continue
        shifted = _shifted(sub, offset, body.line)
        found, _ = _statement_ops(text, shifted, dialect, depth + 1)
        out.extend(op._replace(parsed=False) for op in found)
    return out


_CONTROL_END = frozenset({"THEN", "ELSE", "LOOP", "BEGIN"})


def _after_control(stmt: Statement) -> Statement | None:
    """The SQL statement at the end of a PL/pgSQL piece (`BEGIN IF … THEN ALTER TABLE …`)."""
    tokens = stmt.tokens
    start = 0
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == "punct" and token.text in "([":
            depth += 1
        elif token.kind == "punct" and token.text in ")]":
            depth -= 1
        elif depth == 0 and token.kind == "word" and token.text in _CONTROL_END:
            start = index + 1
    rest = tokens[start:]
    if not rest or rest[0].kind != "word" or rest[0].text not in _HEADS - {"DO"}:
        return None
    return Statement(rest, rest[0].start, rest[-1].end, rest[0].line, rest[-1].line, stmt.closed)


@cache
def _pglast() -> Any:
    try:
        import pglast.parser
    except ImportError:  # pragma: no cover - a broken install falls back to tokens
        return None
    return pglast.parser


def _pg_parse(sql: str) -> Any:
    parser = _pglast()
    if parser is None:
        return None
    try:
        raw = parser.parse_sql(sql)
    except Exception:  # libpg_query reports any syntax it rejects as ParseError
        return None
    if len(raw) != 1:
        return None
    from pglast import ast

    node = raw[0].stmt
    return node if isinstance(node, ast.Node) else None


# --- ops from PostgreSQL's parse tree ----------------------------------------------------------


def _range_name(rv: Any) -> str:
    parts = [p for p in (rv.catalogname, rv.schemaname, rv.relname) if p]
    return ".".join(parts)


def _names(obj: Any) -> str:
    if isinstance(obj, tuple):
        return ".".join(str(getattr(p, "sval", p)) for p in obj)
    return str(getattr(obj, "sval", obj))


_PG_DROP = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_INDEX": "index",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_FOREIGN_TABLE": "table",
}


def _ast_ops(node: Any, stmt: Statement) -> list[Op]:
    kind = type(node).__name__
    line = stmt.line
    if kind == "DropStmt":
        what = _PG_DROP.get(node.removeType.name)
        if what is None:
            return []
        cascade = node.behavior.name == "DROP_CASCADE"
        return [
            Op(
                DROP,
                _names(obj),
                line,
                object=what,
                cascade=cascade,
                if_exists=bool(node.missing_ok),
                concurrently=bool(node.concurrent),
            )
            for obj in node.objects or ()
        ]
    if kind == "DropdbStmt":
        return [Op(DROP, node.dbname, line, object="database", if_exists=bool(node.missing_ok))]
    if kind == "TruncateStmt":
        cascade = node.behavior.name == "DROP_CASCADE"
        return [Op(TRUNCATE, _range_name(rv), line, cascade=cascade) for rv in node.relations]
    if kind == "DeleteStmt":
        if node.whereClause is None:
            return [Op(DELETE_ALL, _range_name(node.relation), line)]
        return []
    if kind == "UpdateStmt":
        if node.whereClause is None:
            columns = ",".join(t.name for t in node.targetList or () if getattr(t, "name", None))
            return [Op(UPDATE_ALL, _range_name(node.relation), line, detail=columns)]
        return []
    if kind == "RenameStmt":
        rtype = node.renameType.name
        if rtype == "OBJECT_TABLE" and node.relation is not None:
            return [Op(RENAME_TABLE, _range_name(node.relation), line, detail=node.newname)]
        if rtype == "OBJECT_COLUMN" and node.relation is not None:
            if node.relationType.name != "OBJECT_TABLE":
                return []
            return [
                Op(
                    RENAME_COLUMN,
                    _range_name(node.relation),
                    line,
                    column=node.subname,
                    detail=node.newname,
                )
            ]
        return []
    if kind == "IndexStmt":
        return [
            Op(
                CREATE_INDEX,
                _range_name(node.relation),
                line,
                object="index",
                detail=node.idxname or "",
                concurrently=bool(node.concurrent),
            )
        ]
    if kind == "CreateStmt":
        rv = node.relation
        return [Op(CREATE, _range_name(rv), line, temporary=rv.relpersistence == "t")]
    if kind == "CreateTableAsStmt":
        rv = node.into.rel
        what = "materialized view" if node.objtype.name == "OBJECT_MATVIEW" else "table"
        return [Op(CREATE, _range_name(rv), line, object=what, temporary=rv.relpersistence == "t")]
    if kind == "ViewStmt":
        return [Op(CREATE, _range_name(node.view), line, object="view")]
    if kind == "AlterTableStmt" and node.objtype.name == "OBJECT_TABLE":
        return _ast_alter(node, stmt)
    return []


def _ast_alter(node: Any, stmt: Statement) -> list[Op]:
    table = _range_name(node.relation)
    segments = _alter_segments(stmt.tokens)
    cmds = node.cmds or ()
    out: list[Op] = []
    for index, cmd in enumerate(cmds):
        seg = segments[index] if len(segments) == len(cmds) else ()
        line = seg[0].line if seg else stmt.line
        sub = cmd.subtype.name
        if sub == "AT_DropColumn":
            cascade = cmd.behavior.name == "DROP_CASCADE"
            out.append(Op(DROP_COLUMN, table, line, column=cmd.name, cascade=cascade))
        elif sub == "AT_AlterColumnType":
            out.append(Op(ALTER_TYPE, table, line, column=cmd.name, detail=_type_text(seg)))
        elif sub == "AT_SetNotNull":
            out.append(Op(SET_NOT_NULL, table, line, column=cmd.name))
        elif sub == "AT_AddColumn":
            out.append(_ast_add_column(table, cmd.def_, line))
        elif sub == "AT_AddConstraint":
            column = _not_null_check(cmd.def_)
            if column:
                out.append(Op(NOT_NULL_CHECK, table, line, column=column))
            added = _ast_constraint(table, cmd.def_, line)
            if added is not None:
                out.append(added)
    return out


_PG_CONSTRAINTS = {
    "CONSTR_FOREIGN": "foreign key",
    "CONSTR_CHECK": "check",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_PRIMARY": "primary key",
    "CONSTR_EXCLUSION": "exclusion",
}


def _ast_constraint(table: str, con: Any, line: int) -> Op | None:
    """`ALTER TABLE … ADD [CONSTRAINT name] FOREIGN KEY | CHECK | UNIQUE | PRIMARY KEY …`."""
    if type(con).__name__ != "Constraint":
        return None
    what = _PG_CONSTRAINTS.get(con.contype.name)
    if what is None:
        return None
    return Op(
        ADD_CONSTRAINT,
        table,
        line,
        object=what,
        detail=con.conname or "",
        not_valid=bool(con.skip_validation),
        using_index=bool(con.indexname),
    )


def _ast_add_column(table: str, col: Any, line: int) -> Op:
    """The column added; `detail` says why PostgreSQL must rewrite the table for it (a
    value computed for each row), empty when it need not."""
    not_null = has_default = False
    rewrite = ""
    for con in col.constraints or ():
        ctype = con.contype.name
        if ctype in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            not_null = True
        elif ctype in ("CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"):
            has_default = True
        if ctype == "CONSTR_DEFAULT":
            volatile = sorted(set(_function_names(con.raw_expr)) & _VOLATILE)
            if volatile:
                rewrite = f"a volatile default ({volatile[0]}())"
        elif ctype == "CONSTR_IDENTITY":
            rewrite = "an identity column"
        elif ctype == "CONSTR_GENERATED":
            rewrite = "a stored generated column"
    type_name = _names(col.typeName.names).rsplit(".", 1)[-1].lower() if col.typeName else ""
    if type_name in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"):
        has_default = True
        rewrite = f"a {type_name} column"
    return Op(
        ADD_COLUMN,
        table,
        line,
        column=col.colname,
        not_null=not_null,
        has_default=has_default,
        detail=rewrite,
    )


# Built-in functions PostgreSQL marks volatile that defaults use: a new column with one of them
# as its default gets a value computed for each row (`now()` and `current_timestamp` are
# stable: one value for the statement, stored once, no rewrite).
_VOLATILE = frozenset(
    {"gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4"}
    | {"random", "clock_timestamp", "timeofday", "nextval", "uuidv4", "uuidv7"}
)


def _function_names(node: Any, depth: int = 0) -> Iterator[str]:
    """The (unqualified, lower-case) names of the functions an expression calls, to a depth
    no default expression reaches (a hostile one is not walked to the recursion limit)."""
    from pglast import ast

    if depth > _MAX_EXPRESSION_DEPTH:
        return
    if isinstance(node, ast.FuncCall) and node.funcname:
        yield str(node.funcname[-1].sval).lower()
    if isinstance(node, ast.Node):
        for name in getattr(type(node), "__slots__", ()):
            yield from _function_names(getattr(node, name), depth + 1)
    elif isinstance(node, tuple):
        for item in node:
            yield from _function_names(item, depth + 1)


_MAX_EXPRESSION_DEPTH = 100


def _not_null_check(con: Any) -> str:
    if type(con).__name__ != "Constraint" or con.contype.name != "CONSTR_CHECK":
        return ""
    expr = con.raw_expr
    if type(expr).__name__ != "NullTest" or expr.nulltesttype.name != "IS_NOT_NULL":
        return ""
    arg = expr.arg
    if type(arg).__name__ != "ColumnRef":
        return ""
    return str(getattr(arg.fields[-1], "sval", ""))


# --- ops from tokens (the fallback) ------------------------------------------------------------


def _words(tokens: Sequence[Token]) -> list[str]:
    return [t.text if t.kind == "word" else t.raw for t in tokens]


def _name_at(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    """A possibly qualified name starting at token i, and the index after it."""
    parts: list[str] = []
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "word":
            parts.append(t.raw.lower())
        elif t.kind == "ident":
            parts.append(t.text)
        else:
            break
        i += 1
        if i < len(tokens) and tokens[i].kind == "punct" and tokens[i].text == ".":
            i += 1
            continue
        break
    return ".".join(parts), i


def _skip(tokens: Sequence[Token], i: int, *words: str) -> int:
    """Skip the word sequence `words` at i if it is there."""
    if all(
        i + k < len(tokens) and tokens[i + k].kind == "word" and tokens[i + k].text == w
        for k, w in enumerate(words)
    ):
        return i + len(words)
    return i


def _is(tokens: Sequence[Token], i: int, *choices: str) -> bool:
    return i < len(tokens) and tokens[i].kind == "word" and tokens[i].text in choices


def _top_level(tokens: Sequence[Token]) -> Iterator[tuple[int, Token]]:
    depth = 0
    for index, t in enumerate(tokens):
        if t.kind == "punct" and t.text in "([":
            depth += 1
        elif t.kind == "punct" and t.text in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            yield index, t


def _segments(tokens: Sequence[Token]) -> list[tuple[Token, ...]]:
    out: list[tuple[Token, ...]] = []
    start = 0
    for index, t in _top_level(tokens):
        if t.kind == "punct" and t.text == ",":
            out.append(tuple(tokens[start:index]))
            start = index + 1
    out.append(tuple(tokens[start:]))
    return [seg for seg in out if seg]


def _alter_head(tokens: Sequence[Token]) -> tuple[str, int]:
    i = _skip(tokens, 0, "ALTER")
    i = _skip(tokens, i, "ONLINE")
    i = _skip(tokens, i, "IGNORE")
    if not _is(tokens, i, "TABLE"):
        return "", 0
    i = _skip(tokens, i + 1, "IF", "EXISTS")
    i = _skip(tokens, i, "ONLY")
    name, i = _name_at(tokens, i)
    if i < len(tokens) and tokens[i].kind == "punct" and tokens[i].text == "*":
        i += 1
    return name, i


def _alter_segments(tokens: Sequence[Token]) -> list[tuple[Token, ...]]:
    name, i = _alter_head(tokens)
    return _segments(tokens[i:]) if name else []


def _type_text(seg: Sequence[Token]) -> str:
    words = [t for t in seg]
    for index, t in enumerate(words):
        if t.kind == "word" and t.text == "TYPE":
            rest = []
            for u in words[index + 1 :]:
                if u.kind == "word" and u.text in ("USING", "COLLATE"):
                    break
                rest.append(u.raw)
            return _join(rest)
    return ""


def _join(raw: Sequence[str]) -> str:
    """Tokens back into readable SQL: `varchar ( 200 )` is `varchar(200)`."""
    text = re.sub(r"\s+([),])", r"\1", " ".join(raw))
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"(\w)\s+\(", r"\1(", text)
    return re.sub(r",(\S)", r", \1", text)


_DROP_OBJECTS = {
    ("TABLE",): "table",
    ("VIEW",): "view",
    ("MATERIALIZED", "VIEW"): "materialized view",
    ("INDEX",): "index",
    ("SCHEMA",): "schema",
    ("DATABASE",): "database",
    ("SEQUENCE",): "sequence",
}


def _token_ops(stmt: Statement) -> list[Op]:
    tokens = stmt.tokens
    head = tokens[0].text
    line = stmt.line
    if head == "DROP":
        return _token_drop(tokens, line)
    if head == "TRUNCATE":
        i = _skip(tokens, 1, "TABLE")
        i = _skip(tokens, i, "ONLY")
        out = []
        for seg in _segments(tokens[i:]):
            name, _ = _name_at(seg, 0)
            if name:
                out.append(Op(TRUNCATE, name, line, parsed=False))
        return out
    if head == "DELETE":
        return _token_delete(tokens, line)
    if head == "UPDATE":
        return _token_update(tokens, line)
    if head == "ALTER":
        return _token_alter(tokens, line)
    if head == "RENAME" and _is(tokens, 1, "TABLE"):  # MySQL: RENAME TABLE a TO b, c TO d
        out = []
        for seg in _segments(tokens[2:]):
            old, j = _name_at(seg, 0)
            if old and _is(seg, j, "TO"):
                new, _ = _name_at(seg, j + 1)
                out.append(Op(RENAME_TABLE, old, line, detail=new, parsed=False))
        return out
    if head == "CREATE":
        return _token_create(tokens, line)
    return []


def _token_drop(tokens: Sequence[Token], line: int) -> list[Op]:
    i = _skip(tokens, 1, "TEMPORARY")
    found = [(_skip(tokens, i, *words), what) for words, what in _DROP_OBJECTS.items()]
    j, what = next(((j, what) for j, what in found if j != i), (i, ""))
    if not what:
        return []
    concurrently = _is(tokens, j, "CONCURRENTLY")
    j = _skip(tokens, j, "CONCURRENTLY")
    if_exists = _skip(tokens, j, "IF", "EXISTS") != j
    j = _skip(tokens, j, "IF", "EXISTS")
    rest = tokens[j:]
    cascade = any(t.kind == "word" and t.text == "CASCADE" for _, t in _top_level(rest))
    out = []
    for seg in _segments(rest):
        name, _ = _name_at(seg, 0)
        if name and name.upper() not in ("CASCADE", "RESTRICT"):
            out.append(
                Op(
                    DROP,
                    name,
                    line,
                    object=what,
                    cascade=cascade,
                    if_exists=if_exists,
                    concurrently=concurrently,
                    parsed=False,
                )
            )
    return out


def _has_top_word(tokens: Sequence[Token], *words: str) -> bool:
    return any(t.kind == "word" and t.text in words for _, t in _top_level(tokens))


def _token_delete(tokens: Sequence[Token], line: int) -> list[Op]:
    if _has_top_word(tokens, "WHERE", "LIMIT"):
        return []
    i = 1
    while _is(tokens, i, "LOW_PRIORITY", "QUICK", "IGNORE"):
        i += 1
    if not _is(tokens, i, "FROM"):
        return []
    name, _ = _name_at(tokens, _skip(tokens, i + 1, "ONLY"))
    return [Op(DELETE_ALL, name, line, parsed=False)] if name else []


def _token_update(tokens: Sequence[Token], line: int) -> list[Op]:
    if _has_top_word(tokens, "WHERE", "LIMIT"):
        return []
    i = 1
    while _is(tokens, i, "LOW_PRIORITY", "IGNORE", "ONLY"):
        i += 1
    name, _ = _name_at(tokens, i)
    set_at = next((k for k, t in _top_level(tokens) if t.kind == "word" and t.text == "SET"), -1)
    if not name or set_at < 0:
        return []
    columns = []
    for seg in _segments(tokens[set_at + 1 :]):
        col, _ = _name_at(seg, 0)
        if col:
            columns.append(bare(col))
    return [Op(UPDATE_ALL, name, line, detail=",".join(columns), parsed=False)]


_NOT_COLUMN = frozenset(
    {"CONSTRAINT", "INDEX", "KEY", "PRIMARY", "FOREIGN", "PARTITION", "CHECK", "UNIQUE"}
    | {"FULLTEXT", "SPATIAL", "DEFAULT", "TRIGGER", "SYSTEM", "PERIOD", "COLUMNS"}
    | {"PROJECTION", "STATISTICS", "TTL", "ROW", "ORDER", "SAMPLE", "SETTING", "SETTINGS"}
)


def _token_alter(tokens: Sequence[Token], line: int) -> list[Op]:
    table, i = _alter_head(tokens)
    if not table:
        return []
    out: list[Op] = []
    rest = tokens[i:]
    if _is(rest, 0, "RENAME"):
        if _is(rest, 1, "TO", "AS"):
            new, _ = _name_at(rest, 2)
        elif _is(rest, 1, "COLUMN", "CONSTRAINT", "INDEX", "KEY") or _is(rest, 2, "TO"):
            new = ""  # a column (PostgreSQL lets COLUMN be left out) or an index
        else:
            new, _ = _name_at(rest, 1)  # MySQL: RENAME new_name
        if new:
            return [Op(RENAME_TABLE, table, line, detail=new, parsed=False)]
    for seg in _segments(rest):
        op = _token_subcommand(table, seg, seg[0].line)
        if op is not None:
            out.append(op)
    return out


_COLUMN_OPTIONS = frozenset(
    {"NOT", "NULL", "DEFAULT", "COMMENT", "AFTER", "FIRST", "COLLATE", "CHARACTER", "CHARSET"}
    | {"AUTO_INCREMENT", "UNIQUE", "PRIMARY", "GENERATED", "ON", "REFERENCES", "CHECK"}
)


def _until(tokens: Sequence[Token], stop: frozenset[str]) -> Sequence[Token]:
    for index, t in enumerate(tokens):
        if t.kind == "word" and t.text in stop:
            return tokens[:index]
    return tokens


def _token_subcommand(table: str, seg: Sequence[Token], line: int) -> Op | None:
    first = seg[0].text if seg[0].kind == "word" else ""
    if first == "DROP":
        if _is(seg, 1, *_NOT_COLUMN):
            return None
        j = _skip(seg, 1, "COLUMN")
        j = _skip(seg, j, "IF", "EXISTS")
        column, k = _name_at(seg, j)
        if not column:
            return None
        cascade = _is(seg, k, "CASCADE")
        return Op(DROP_COLUMN, table, line, column=column, cascade=cascade, parsed=False)
    if first in ("ALTER", "MODIFY"):
        j = _skip(seg, 1, "COLUMN")
        column, k = _name_at(seg, j)
        if not column:
            return None
        if first == "MODIFY":
            type_text = _join([t.raw for t in _until(seg[k:], _COLUMN_OPTIONS)])
            return Op(ALTER_TYPE, table, line, column=column, detail=type_text, parsed=False)
        if _is(seg, k, "TYPE") or _skip(seg, k, "SET", "DATA", "TYPE") != k:
            return Op(ALTER_TYPE, table, line, column=column, detail=_type_text(seg), parsed=False)
        if _skip(seg, k, "SET", "NOT", "NULL") != k:
            return Op(SET_NOT_NULL, table, line, column=column, parsed=False)
        return None
    if first == "CHANGE":  # MySQL: CHANGE [COLUMN] old new definition
        j = _skip(seg, 1, "COLUMN")
        old, k = _name_at(seg, j)
        new, _ = _name_at(seg, k)
        if old and new and old != new:
            return Op(RENAME_COLUMN, table, line, column=old, detail=new, parsed=False)
        return None
    if first == "RENAME":
        j = _skip(seg, 1, "COLUMN")
        if _is(seg, j, "CONSTRAINT", "INDEX", "KEY"):
            return None
        old, k = _name_at(seg, j)
        if old and _is(seg, k, "TO"):
            new, _ = _name_at(seg, k + 1)
            return Op(RENAME_COLUMN, table, line, column=old, detail=new, parsed=False)
        return None
    if first == "ADD":
        return _token_add(table, seg, line)
    return None


def _token_add(table: str, seg: Sequence[Token], line: int) -> Op | None:
    if _is(seg, 1, "CONSTRAINT", "CHECK"):
        words = _words(seg)
        joined = " ".join(words).upper()
        m = re.search(r"CHECK \( ?(\S+) IS NOT NULL ?\)", joined)
        if m:
            return Op(
                NOT_NULL_CHECK, table, line, column=m.group(1).strip('"`').lower(), parsed=False
            )
        return None
    if _is(seg, 1, *_NOT_COLUMN):
        return None
    j = _skip(seg, 1, "COLUMN")
    j = _skip(seg, j, "IF", "NOT", "EXISTS")
    column, k = _name_at(seg, j)
    if not column or seg[j].kind == "punct":
        return None
    words = [t.text for _, t in _top_level(seg[k:]) if t.kind == "word"]
    joined = " ".join(words)
    not_null = " NOT NULL" in f" {joined}" or "PRIMARY KEY" in joined
    has_default = any(w in ("DEFAULT", "GENERATED", "AUTO_INCREMENT", "IDENTITY") for w in words)
    has_default |= bool(words) and words[0] in ("SERIAL", "BIGSERIAL", "SMALLSERIAL")
    return Op(
        ADD_COLUMN,
        table,
        line,
        column=column,
        not_null=not_null,
        has_default=has_default,
        parsed=False,
    )


def _token_create(tokens: Sequence[Token], line: int) -> list[Op]:
    i = _skip(tokens, 1, "OR", "REPLACE")
    if _is(tokens, i, "UNIQUE"):
        i += 1
    if _is(tokens, i, "INDEX"):
        concurrently = _is(tokens, i + 1, "CONCURRENTLY")
        on = next((k for k, t in _top_level(tokens) if t.kind == "word" and t.text == "ON"), -1)
        if on < 0:
            return []
        name, _ = _name_at(tokens, _skip(tokens, on + 1, "ONLY"))
        return [
            Op(CREATE_INDEX, name, line, object="index", concurrently=concurrently, parsed=False)
        ]
    temporary = False
    while _is(tokens, i, "GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED"):
        temporary |= tokens[i].text in ("TEMP", "TEMPORARY")
        i += 1
    what = ""
    if _is(tokens, i, "TABLE"):
        what, i = "table", i + 1
    elif _is(tokens, i, "VIEW"):
        what, i = "view", i + 1
    elif _skip(tokens, i, "MATERIALIZED", "VIEW") != i:
        what, i = "materialized view", i + 2
    if not what:
        return []
    i = _skip(tokens, i, "IF", "NOT", "EXISTS")
    name, _ = _name_at(tokens, i)
    return [Op(CREATE, name, line, object=what, temporary=temporary, parsed=False)] if name else []
