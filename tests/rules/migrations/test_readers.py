"""The tree-sitter call readers (Python, Ruby, JavaScript) on real shapes and hostile text."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.parsers import javascript, python, ruby
from changerisk.testing import run_diff


def test_python_reader_keeps_lines_of_adjacent_strings() -> None:
    (call,) = [
        c
        for c in python.calls('op.execute(\n  "DROP TABLE a;"\n  "DROP TABLE b;"\n)')
        if c.name == "execute"
    ]
    arg = call.arg(0)
    assert arg is not None and arg.line == 2
    assert arg.value == "DROP TABLE a;\nDROP TABLE b;"


def test_ruby_heredoc_and_options() -> None:
    calls = ruby.calls("execute <<~SQL\n  DROP TABLE a;\nSQL\ncreate_table :t, force: :cascade\n")
    execute, create = calls
    assert execute.arg(0) is not None and "DROP TABLE a;" in execute.value(0)
    assert create.arg(-1, "force") is not None and create.value(0) == "t"


def test_javascript_scopes() -> None:
    calls = javascript.calls(
        "module.exports = { up: async (qi) => { await qi.dropTable('a'); } };", "m.js"
    )
    assert [(c.name, c.scopes) for c in calls] == [("dropTable", ("up",))]


PIECES = [*"abc ();,.'\"`${}#:\n\t=[]|", "def ", "do", "end", "<<~SQL", "SQL", "=>", "op."]
PIECES += ["drop_table", "migrations.", "RemoveField(", "function", "up", "down", "f'", '"""']
CODE = st.lists(st.sampled_from(PIECES), max_size=100).map("".join)


@settings(max_examples=150, deadline=None)
@given(CODE)
@example("execute <<~SQL\n")
@example("f'{")
@example("`${")
def test_readers_never_raise(text: str) -> None:
    python.calls(text)
    ruby.calls(text)
    javascript.calls(text, "x.ts")
    javascript.calls(text, "x.js")


@settings(max_examples=60, deadline=None)
@given(CODE)
def test_rules_never_crash_on_migration_files(text: str) -> None:
    lines = text.split("\n")
    body = "".join(f"+{line}\n" for line in lines)
    for path in (
        "app/migrations/0001_x.py",
        "db/migrate/1_x.rb",
        "migrations/1_x.ts",
        "alembic/versions/a.py",
        "prisma/schema.prisma",
    ):
        diff = f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
        run_diff(diff, select=["MIG", "SQL"])
