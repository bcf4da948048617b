"""The SQL reader: statements, ops and their lines, the fallback, and hostile input."""

from __future__ import annotations

import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.parsers import sql
from changerisk.parsers.sql import analyze, destructive_ops, split


def kinds(text: str, **kw: str) -> list[tuple[str, str, int]]:
    return [(op.kind, op.name, op.line) for op in analyze(text, **kw).ops]


def test_postgres_grammar_reads_alter_table_subcommands_on_their_lines() -> None:
    text = (
        "ALTER TABLE ONLY public.users\n"
        "  DROP COLUMN email,\n"
        "  ALTER COLUMN id SET DATA TYPE bigint USING id::bigint,\n"
        "  ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
    )
    analysis = analyze(text)
    assert analysis.dialect == "postgres" and analysis.parsed == 1
    ops = analysis.ops
    assert [(o.kind, o.line, o.column) for o in ops] == [
        (sql.DROP_COLUMN, 2, "email"),
        (sql.ALTER_TYPE, 3, "id"),
        (sql.ADD_COLUMN, 4, "plan"),
    ]
    assert ops[1].detail == "bigint"
    assert ops[2].not_null and ops[2].has_default
    assert all(o.parsed for o in ops)


def test_fallback_reads_what_postgres_rejects() -> None:
    text = "ALTER TABLE `orders` DROP `note`, CHANGE `qty` `quantity` INT;\nRENAME TABLE a TO b;"
    assert kinds(text) == [
        (sql.DROP_COLUMN, "orders", 1),
        (sql.RENAME_COLUMN, "orders", 1),
        (sql.RENAME_TABLE, "a", 2),
    ]
    assert not any(op.parsed for op in analyze(text).ops)


def test_templated_sql_goes_to_the_fallback() -> None:
    text = "DROP TABLE {{ schema }}_users;\nDROP TABLE users_{{ suffix }};"
    assert kinds(text) == [(sql.DROP, "users_", 2)]


def test_comments_strings_and_dollar_quotes_are_not_statements() -> None:
    text = (
        "/* outer /* nested DROP TABLE a; */ still comment; DROP TABLE b; */\n"
        "SELECT 'it''s; DROP TABLE c', E'\\' DROP TABLE d';\n"
        "SELECT $body$ DROP TABLE e; $body$;\n"
        "# mysql comment; DROP TABLE f;\n"
        "DROP TABLE g; -- DROP TABLE h;\n"
    )
    assert kinds(text) == [(sql.DROP, "g", 5)]


def test_split_handles_delimiters_and_go() -> None:
    text = (
        "DELIMITER //\n"
        "CREATE PROCEDURE p() BEGIN DELETE FROM t; END //\n"
        "DELIMITER ;\n"
        "DROP TABLE x;\n"
        "GO\n"
        "TRUNCATE y\n"
        "GO\n"
    )
    stmts = split(text)
    heads = [s.tokens[0].text for s in stmts]
    assert heads == ["CREATE", "DROP", "TRUNCATE"]
    assert kinds(text) == [(sql.DROP, "x", 4), (sql.TRUNCATE, "y", 6)]


def test_begin_atomic_body_is_one_statement() -> None:
    text = (
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
        "  DELETE FROM t;\n  SELECT CASE WHEN true THEN 1 END;\nEND;\nDROP TABLE z;\n"
    )
    assert kinds(text) == [(sql.CREATE, "f", 1)] or kinds(text)[-1] == (sql.DROP, "z", 5)
    assert [k for k in kinds(text) if k[0] != sql.CREATE] == [(sql.DROP, "z", 5)]


def test_copy_rows_and_create_table_as() -> None:
    text = (
        "INSERT INTO new_users (id) SELECT id FROM users;\n"
        "CREATE TABLE users_copy AS SELECT * FROM users;\n"
    )
    ops = analyze(text).ops
    assert [(o.kind, o.name, o.detail) for o in ops if o.kind == sql.COPY_ROWS] == [
        (sql.COPY_ROWS, "new_users", "users"),
        (sql.COPY_ROWS, "users_copy", "users"),
    ]


def test_destructive_ops_for_embedded_sql() -> None:
    ops = destructive_ops("psql -c is not SQL; DROP TABLE users; DROP INDEX i; DELETE FROM s")
    assert [(o.kind, o.name) for o in ops] == [(sql.DROP, "users"), (sql.DELETE_ALL, "s")]
    assert destructive_ops("SELECT 1; DELETE FROM s WHERE id = 1") == ()


def test_first_line_offsets_ops() -> None:
    assert kinds("\nDROP TABLE a;", first_line=10) == [(sql.DROP, "a", 11)]


def test_large_input_is_fast() -> None:
    text = "INSERT INTO t VALUES (1, 'x');\n" * 10000 + "DROP TABLE t;\n"
    start = time.perf_counter()
    analysis = analyze(text)
    assert time.perf_counter() - start < 5
    assert [op.kind for op in analysis.ops] == [sql.DROP]


PIECES = [*"abc ();,.'\"`$#-/*\\\n\t=", "DROP", " TABLE ", "ALTER", "$$", "--", "/*", "*/"]
PIECES += ["DELIMITER ", "GO", "COPY x FROM stdin;", "\\.", "BEGIN ATOMIC", "END", "DO "]
SQLISH = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(SQLISH)
@example("DO $$ BEGIN DROP TABLE $$")
@example("DELIMITER\nDROP")
@example("COPY x FROM stdin;")
@example("'unterminated")
@example("/* unterminated")
def test_never_raises_on_sqlish_text(text: str) -> None:
    analysis = analyze(text)
    assert analysis.statements >= 0
    for op in analysis.ops:
        assert op.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_on_any_text(text: str) -> None:
    analyze(text)
    analyze(text, dialect="mysql")
