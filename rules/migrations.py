"""ORM migration rules (MIG1xx): Django, Alembic, Rails, Knex, TypeORM, Sequelize and Prisma.

Migration code is read with tree-sitter (`changerisk.parsers.python`, `.ruby`, `.javascript`)
into calls; each framework's calls become `Event`s (a table dropped, a column dropped, a rename,
a type change, destructive SQL or rows deleted), only where the change added or edited the call,
and never in the down direction (`def down`, `dir.down`, `def downgrade`, `exports.down`,
`reverse_code`, `reverse_sql`). SQL inside `RunSQL`, `execute`, `op.execute`, `knex.raw` and
`queryRunner.query` is read by the SQL analysis of `sql.py`. Tables and columns the change
creates are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import ClassVar, NamedTuple

from changerisk.gates import is_quiet_path
from changerisk.parsers import sql as sqlp
from changerisk.parsers.python import Arg, Call
from changerisk.regex import lazy_compile
from changerisk.rule import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Rule,
    Severity,
    Status,
    path_parts,
)

from .sql import data_loss, is_temporary_name, touched

TABLE, COLUMN, RENAME, TYPE, SQL, CREATE, ADD = (
    "table",
    "column",
    "rename",
    "type",
    "sql",
    "create",
    "add",
)
_DOWN = frozenset({"down", "downgrade", "backwards", "reverse", "rollback", "revert", "undo"})
_JS_MIGRATION_PARTS = frozenset({"migrations", "migration", "migrate"})
_JS_SQL_CALLS = frozenset({"raw", "query", "execute"})


class Event(NamedTuple):
    kind: str
    line: int
    message: str = ""
    hint: str = ""
    severity: Severity = Severity.HIGH
    confidence: Confidence = Confidence.HIGH
    table: str = ""  # lower-case key, for "created in this change"
    column: str = ""
    side: str = "new"


def _key(name: str) -> str:
    return sqlp.bare(name.strip("\"'`")).lower()


def _keep(change: FileChange, call: Call) -> bool:
    """The call was added or edited by the change (its first line up to its last argument)."""
    last = max([call.line, *(a.line for a in call.args)])
    return touched(change, call.line, min(last, call.end_line))


def _is_down(call: Call, calls: list[Call]) -> bool:
    if any(scope.lower() in _DOWN for scope in call.scopes):
        return True
    parent = call.parent
    while 0 <= parent < len(calls):
        if calls[parent].name == "down":  # Rails: reversible do |dir| dir.down { … } end
            return True
        parent = calls[parent].parent
    return False


def _sql_events(
    change: FileChange, text: Arg, where: str, confidence: Confidence = Confidence.HIGH
) -> Iterator[Event]:
    """Destructive SQL in a string argument, one event per op, on its line in the file."""
    if not text.value.strip():
        return
    analysis = sqlp.analyze(text.value, first_line=text.line)
    created = {op.key for op in analysis.ops if op.kind == sqlp.CREATE}
    for op in analysis.ops:
        if op.kind not in sqlp.DATA_LOSS or (op.kind == sqlp.DROP and op.object == "index"):
            continue
        if op.key in created or is_temporary_name(op.name):
            continue
        if not touched(change, op.line, op.line) and not touched(change, text.line, text.line):
            continue
        message, severity, hint = data_loss(op, analysis.dialect)
        exact = text.exact and op.parsed
        yield Event(
            SQL,
            op.line,
            f"{message} ({where})",
            hint,
            severity,
            confidence if exact else Confidence.MEDIUM,
            op.key,
            # an UPDATE names the columns it sets: a backfill of columns the change adds
            op.detail.lower() if op.kind == sqlp.UPDATE_ALL else op.column,
        )


# --- Django ------------------------------------------------------------------------------------

_FIELD_CLASS = lazy_compile(r"(?:models\.)?(\w+(?:Field|Key))\s*\(")


def _django(
    change: FileChange, calls: list[Call], removed_fields: Callable[[], dict[str, str]]
) -> Iterator[Event]:
    forwards = set()
    for call in calls:
        if call.name == "RunPython":
            code = call.arg(0, "code")
            if code is not None and code.kind == "identifier":
                forwards.add(code.value)
    for call in calls:
        if call.receiver not in ("migrations", "") or _is_down(call, calls):
            continue
        if call.keyword in ("state_operations", "reverse_sql", "reverse_code"):
            continue  # SeparateDatabaseAndState: the database is left alone
        kept = _keep(change, call)
        name = call.name
        if name == "CreateModel":
            yield Event(CREATE, call.line, table=call.value(0, "name").lower())
        elif name == "AddField":
            yield Event(
                ADD,
                call.line,
                table=call.value(0, "model_name").lower(),
                column=call.value(1, "name").lower(),
            )
        elif not kept:
            continue
        elif name == "DeleteModel":
            model = call.value(0, "name")
            yield Event(
                TABLE,
                call.line,
                f"deletes model {model}: Django drops its table and every row in it, and running "
                "code that reads it breaks",
                "remove the model from the code first and drop the table in a later release; "
                "SeparateDatabaseAndState keeps the table",
                table=model.lower(),
            )
        elif name == "RemoveField":
            model, field = call.value(0, "model_name"), call.value(1, "name")
            yield Event(
                COLUMN,
                call.line,
                f"removes field {model}.{field}: Django drops the column and its data, and "
                "running code that reads it breaks",
                "stop using the field in a release first, then remove it in a later migration",
                table=model.lower(),
                column=field.lower(),
            )
        elif name in ("RenameField", "RenameModel"):
            yield _django_rename(call)
        elif name == "AlterField":
            event = _django_alter(call, removed_fields)
            if event is not None:
                yield event
        elif name == "RunSQL":
            sql = call.arg(0, "sql")
            for text in sql.strings() if sql is not None else ():
                yield from _sql_events(change, text, "RunSQL")
    yield from _run_python(change, calls, forwards)


def _django_rename(call: Call) -> Event:
    if call.name == "RenameModel":
        old, new = call.value(0, "old_name"), call.value(1, "new_name")
        return Event(
            RENAME,
            call.line,
            f"renames model {old} to {new}: Django renames its table, and running code that "
            f"still uses {old} fails until the new code is deployed",
            "keep the table name (Meta.db_table) while the code moves, or rename in two releases",
            Severity.MEDIUM,
            table=old.lower(),
        )
    model = call.value(0, "model_name")
    old, new = call.value(1, "old_name"), call.value(2, "new_name")
    return Event(
        RENAME,
        call.line,
        f"renames field {model}.{old} to {new}: Django renames the column, and running code "
        "that reads the old name fails until the new code is deployed",
        "keep the column name (db_column) while the code moves, or add the new field, copy, "
        "and remove the old one in a later release",
        Severity.MEDIUM,
        table=model.lower(),
        column=old.lower(),
    )


def _django_alter(call: Call, removed_fields: Callable[[], dict[str, str]]) -> Event | None:
    model, field = call.value(0, "model_name"), call.value(1, "name")
    definition = call.arg(2, "field")
    m = _FIELD_CLASS.search(definition.text) if definition is not None else None
    old = removed_fields().get(field.lower())
    if m is None or old is None or old == m.group(1):
        return None  # options change (max_length, null, help_text…): no type change in sight
    return Event(
        TYPE,
        call.line,
        f"changes the type of {model}.{field} from {old} to {m.group(1)}: the database "
        "rewrites the table under a lock (PostgreSQL, MySQL), and running code that expects "
        "the old type may break",
        "add a new field, backfill it, move the code, then remove the old one",
        Severity.MEDIUM,
        Confidence.MEDIUM,
        model.lower(),
        field.lower(),
    )


_BOOKKEEPING = frozenset({"ContentType", "Permission"})
_SQUASHED = lazy_compile(r"^\s+replaces\s*=", re.M)


def _run_python(change: FileChange, calls: list[Call], forwards: set[str]) -> Iterator[Event]:
    for call in calls:
        if not call.scopes or call.scopes[-1] not in forwards or not _keep(change, call):
            continue
        if call.name == "delete" and ".objects" in call.receiver:
            model = call.receiver.split(".objects", 1)[0].rsplit(".", 1)[-1]
            rest = call.receiver.split(".objects", 1)[1]
            if model in _BOOKKEEPING:
                continue  # stale content types and permissions: Django's own housekeeping
            if rest in ("", ".all()"):
                message, severity = f"deletes every row of {model} (RunPython)", Severity.HIGH
            else:
                message, severity = f"deletes rows of {model}{rest} (RunPython)", Severity.LOW
            yield Event(
                SQL,
                call.line,
                message,
                "back the rows up first, and give RunPython a reverse_code that restores them",
                severity,
                Confidence.MEDIUM,
                model.lower(),
            )
        elif call.name == "execute":
            text = call.arg(0, "sql")
            if text is not None and text.kind == "string":
                yield from _sql_events(change, text, "RunPython", Confidence.MEDIUM)


def removed_field_classes(changeset: ChangeSet) -> dict[str, str]:
    """Field name -> model field class, from Python lines the change removes (`models.py`)."""
    out: dict[str, str] = {}
    line_re = re.compile(r"^\s*(\w+)\s*=\s*(?:models\.)?(\w+(?:Field|Key))\s*\(")
    for change in changeset.files:
        if not change.path.endswith(".py"):
            continue
        for line in change.removed_lines:
            m = line_re.match(line.text)
            if m:
                out[m.group(1).lower()] = m.group(2)
    return out


# --- Alembic -----------------------------------------------------------------------------------


def _alembic(change: FileChange, calls: list[Call]) -> Iterator[Event]:
    for call in calls:
        if call.receiver not in ("op", "batch_op") and not call.receiver.endswith("batch_op"):
            continue
        if _is_down(call, calls):
            continue
        batch = ""
        if call.receiver != "op" and 0 <= call.parent < len(calls):
            outer = calls[call.parent]
            if outer.name == "batch_alter_table":
                batch = outer.value(0, "table_name")
        name = call.name
        if name == "create_table":
            yield Event(CREATE, call.line, table=_key(call.value(0, "table_name")))
            continue
        if not _keep(change, call):
            continue
        if name == "drop_table":
            table = call.value(0, "table_name")
            if table and not is_temporary_name(table):
                message, severity, hint = data_loss(sqlp.Op(sqlp.DROP, table, call.line))
                yield Event(TABLE, call.line, message, hint, severity, table=_key(table))
        elif name == "drop_column":
            table, column = (
                (batch, call.value(0, "column_name"))
                if batch
                else (
                    call.value(0, "table_name"),
                    call.value(1, "column_name"),
                )
            )
            if table and column:
                yield _column_drop(call.line, table, column)
        elif name == "rename_table":
            old, new = call.value(0, "old_table_name"), call.value(1, "new_table_name")
            yield _rename_event(call.line, old, "", new)
        elif name == "alter_column":
            table = batch or call.value(0, "table_name")
            column = call.value(0 if batch else 1, "column_name")
            new = call.value(-1, "new_column_name")
            if new and table and column:
                yield _rename_event(call.line, table, column, new)
            type_arg = call.arg(-1, "type_")
            if type_arg is not None and table and column:
                yield _type_event(call.line, table, column, type_arg.text, "alter_column")
        elif name == "execute":
            text = call.arg(0, "sqltext")
            if text is not None and text.kind == "other" and "text(" in text.text:
                inner = calls_in_text_arg(calls, call)
                text = inner or text
            if text is not None and text.kind == "string":
                yield from _sql_events(change, text, "op.execute")


def calls_in_text_arg(calls: list[Call], call: Call) -> Arg | None:
    """`op.execute(sa.text("…"))`: the string inside the nested `text(…)` call."""
    me = calls.index(call)
    for inner in calls:
        if inner.parent == me and inner.name == "text":
            return inner.arg(0)
    return None


def _column_drop(line: int, table: str, column: str) -> Event:
    message, severity, hint = data_loss(sqlp.Op(sqlp.DROP_COLUMN, table, line, column=column))
    return Event(COLUMN, line, message, hint, severity, table=_key(table), column=column.lower())


def _rename_event(line: int, table: str, column: str, new: str) -> Event:
    if column:
        message = (
            f"renames column {table}.{column} to {new}: running code that reads "
            f"{table}.{column} fails until the new code is deployed"
        )
    else:
        message = (
            f"renames table {table} to {new}: running code that still uses {table} fails "
            "until the new code is deployed"
        )
    return Event(
        RENAME,
        line,
        message,
        "add the new name alongside the old (a new column kept in sync, or a view), move the "
        "code to it, then drop the old name in a later release",
        Severity.MEDIUM,
        table=_key(table),
        column=column.lower(),
    )


def _type_event(line: int, table: str, column: str, new_type: str, via: str) -> Event:
    return Event(
        TYPE,
        line,
        f"changes the type of {table}.{column} to {new_type} ({via}): the database rewrites the "
        "table under a lock (PostgreSQL, MySQL), and running code that expects the old type "
        "may break",
        "add a new column, backfill it in batches, move the code to it, then drop the old one",
        Severity.MEDIUM,
        Confidence.MEDIUM,
        _key(table),
        column.lower(),
    )


# --- Rails -------------------------------------------------------------------------------------

_RAILS_COLUMN_REMOVALS = frozenset(
    {"remove_column", "remove_columns", "remove_reference", "remove_belongs_to"}
    | {"remove_timestamps"}
)
_RAILS_BLOCK_REMOVALS = frozenset(
    {"remove", "remove_references", "remove_belongs_to", "remove_timestamps"}
)


def _rails(change: FileChange, calls: list[Call]) -> Iterator[Event]:
    for call in calls:
        if _is_down(call, calls):
            continue
        name = call.name
        block_table = ""
        if call.receiver and 0 <= call.parent < len(calls):
            outer = calls[call.parent]
            if outer.name == "change_table":
                block_table = outer.value(0)
        if name == "create_table" and not call.receiver:
            force = call.arg(-1, "force")
            table = call.value(0)
            if force is None or force.value == "false":
                yield Event(CREATE, call.line, table=_key(table))
            elif _keep(change, call) and table:
                yield Event(
                    TABLE,
                    force.line,
                    f"recreates table {table} (create_table force: {force.text}): an existing "
                    "table and all its rows are dropped first",
                    "remove force:; change the existing table with change_table or add_column",
                    table=_key(table),
                )
            continue
        if name == "add_column" and not call.receiver:
            yield Event(ADD, call.line, table=_key(call.value(0)), column=call.value(1).lower())
            continue
        if not _keep(change, call):
            continue
        if name == "drop_table" and not call.receiver:
            table = call.value(0)
            if table and not is_temporary_name(table):
                message, severity, hint = data_loss(sqlp.Op(sqlp.DROP, table, call.line))
                yield Event(TABLE, call.line, message, hint, severity, table=_key(table))
        elif not call.receiver and name in _RAILS_COLUMN_REMOVALS:
            yield from _rails_removal(
                call, call.value(0), [a for a in call.args if not a.keyword][1:]
            )
        elif block_table and name in _RAILS_BLOCK_REMOVALS:
            yield from _rails_removal(call, block_table, [a for a in call.args if not a.keyword])
        elif name == "rename_column" and not call.receiver:
            yield _rename_event(call.line, call.value(0), call.value(1), call.value(2))
        elif name == "rename" and block_table:
            yield _rename_event(call.line, block_table, call.value(0), call.value(1))
        elif name == "rename_table" and not call.receiver:
            yield _rename_event(call.line, call.value(0), "", call.value(1))
        elif name == "change_column" and not call.receiver:
            yield _type_event(call.line, call.value(0), call.value(1), call.value(2), name)
        elif name == "change" and block_table:
            yield _type_event(call.line, block_table, call.value(0), call.value(1), "t.change")
        elif name == "execute" and not call.receiver:
            text = call.arg(0)
            if text is not None and text.kind == "string":
                yield from _sql_events(change, text, "execute")


def _rails_removal(call: Call, table: str, args: list[Arg]) -> Iterator[Event]:
    if not table:
        return
    if call.name.endswith("timestamps"):
        columns = ["created_at", "updated_at"]
    elif call.name in ("remove_column",):
        columns = [args[0].value] if args and args[0].kind in ("symbol", "string") else []
    else:
        columns = [a.value for a in args if a.kind in ("symbol", "string")]
        if "reference" in call.name or "belongs_to" in call.name or "references" in call.name:
            columns = [f"{c}_id" for c in columns]
    for column in columns:
        yield _column_drop(call.line, table, column)


# --- Knex, TypeORM, Sequelize ------------------------------------------------------------------


def _javascript(change: FileChange, calls: list[Call]) -> Iterator[Event]:
    for call in calls:
        if _is_down(call, calls):
            continue
        name = call.name
        block_table = ""
        if 0 <= call.parent < len(calls):
            outer = calls[call.parent]
            if outer.name in ("table", "alterTable"):
                block_table = outer.value(0)
        if name in ("createTable", "createTableIfNotExists"):
            yield Event(CREATE, call.line, table=_key(call.value(0)))
            continue
        if not _keep(change, call):
            continue
        if name in ("dropTable", "dropTableIfExists"):
            table = call.value(0)
            if table and not is_temporary_name(table):
                message, severity, hint = data_loss(sqlp.Op(sqlp.DROP, table, call.line))
                yield Event(TABLE, call.line, message, hint, severity, table=_key(table))
        elif name in ("dropColumn", "dropColumns", "removeColumn"):
            if block_table:
                table, columns = block_table, [a.value for a in call.args if a.kind == "string"]
            else:
                table = call.value(0)
                columns = [call.value(1)] if call.value(1) else []
            for column in columns:
                yield _column_drop(call.line, table, column)
        elif name == "renameColumn":
            if block_table:
                yield _rename_event(call.line, block_table, call.value(0), call.value(1))
            elif call.value(2):
                yield _rename_event(call.line, call.value(0), call.value(1), call.value(2))
        elif name == "renameTable":
            yield _rename_event(call.line, call.value(0), "", call.value(1))
        elif name == "changeColumn" and call.value(1):
            yield _type_event(call.line, call.value(0), call.value(1), "a new definition", name)
        elif name in _JS_SQL_CALLS:
            text = call.arg(0)
            if text is not None and text.kind == "string":
                yield from _sql_events(change, text, f"{call.receiver}.{name}".lstrip("."))


# --- Prisma ------------------------------------------------------------------------------------

_MODEL = lazy_compile(r"^\s*model\s+(\w+)\s*\{")
_FIELD = lazy_compile(r"^\s*(\w+)\s+(\w+)(\[\])?\??\s*(.*)$")
_MAP = lazy_compile(r"@map\(\s*(?:name:\s*)?\"([^\"]+)\"")
_TABLE_MAP = lazy_compile(r"@@map\(\s*(?:name:\s*)?\"([^\"]+)\"")


class _PrismaModel(NamedTuple):
    name: str
    table: str
    line: int
    fields: dict[str, tuple[str, int]]  # column -> (field name, line)


_SCALARS = frozenset(
    {"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes"}
    | {"Unsupported"}
)
_ENUM = lazy_compile(r"^\s*enum\s+(\w+)\s*\{", re.M)


def _prisma_models(text: str, enums: frozenset[str]) -> dict[str, _PrismaModel]:
    """Models by table name, with their scalar and enum fields by column name (relation
    fields have no column of their own)."""
    out: dict[str, _PrismaModel] = {}
    current: tuple[str, int] | None = None
    table = ""
    fields: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("//", 1)[0]
        m = _MODEL.match(line)
        if m:
            current, table, fields = (m.group(1), number), m.group(1), {}
            continue
        if current is None:
            continue
        if line.strip().startswith("}"):
            out[table] = _PrismaModel(current[0], table, current[1], fields)
            current = None
            continue
        tm = _TABLE_MAP.search(line)
        if tm:
            table = tm.group(1)
            continue
        fm = _FIELD.match(line)
        if fm is None or line.strip().startswith("@"):
            continue
        field, type_name, rest = fm.group(1), fm.group(2), fm.group(4)
        if (type_name in _SCALARS or type_name in enums) and "@ignore" not in rest:
            cm = _MAP.search(rest)
            fields[cm.group(1) if cm else field] = (field, number)
    return out


def _prisma(change: FileChange, changeset_has_sql: bool) -> Iterator[Event]:
    if changeset_has_sql or change.status in (Status.ADDED, Status.DELETED):
        return  # a deleted schema file drops nothing: nothing applies it any more
    old_text = change.old_text() or ""
    new_text = change.new_text() or ""
    enums = frozenset(_ENUM.findall(old_text)) | frozenset(_ENUM.findall(new_text))
    before, after = _prisma_models(old_text, enums), _prisma_models(new_text, enums)
    removed = change.removed_line_numbers
    partial = change.is_partial("new")
    for table, model in before.items():
        if table not in after:
            if model.line in removed and not (partial and _mentions(new_text, model.name)):
                yield Event(
                    TABLE,
                    model.line,
                    f"removes model {model.name} from the Prisma schema: the next migration "
                    f"drops table {table} and every row in it",
                    "keep the model until no deployed code reads it; to stop managing the "
                    "table without dropping it, mark it @@ignore",
                    side="old",
                    table=table.lower(),
                )
            continue
        for column, (field, line) in model.fields.items():
            if column not in after[table].fields and line in removed:
                yield Event(
                    COLUMN,
                    line,
                    f"removes field {model.name}.{field} from the Prisma schema: the next "
                    f"migration drops column {table}.{column} and its data",
                    "stop using the field in a release first; to rename it, keep the column "
                    f'with @map("{column}")',
                    side="old",
                    table=table.lower(),
                    column=column.lower(),
                )


def _mentions(text: str, model: str) -> bool:
    return re.search(rf"^\s*model\s+{re.escape(model)}\s*\{{", text, re.M) is not None


# --- the rules ---------------------------------------------------------------------------------


def _file_events(change: FileChange, removed_fields: Callable[[], dict[str, str]]) -> list[Event]:
    formats = change.formats
    path = change.path
    if change.status is Status.DELETED or change.is_binary or is_quiet_path(path):
        return []

    def build() -> list[Event]:
        if "django-migration" in formats or "alembic-migration" in formats:
            from changerisk.parsers.python import calls as python_calls

            text = change.new_text() or ""
            calls = python_calls(text)
            if _SQUASHED.search(text):
                return []  # a squashed migration runs only where its originals never ran
            if any(c.receiver == "migrations" for c in calls):
                return list(_django(change, calls, removed_fields))
            return list(_alembic(change, calls))
        if "rails-migration" in formats:
            from changerisk.parsers.ruby import calls as ruby_calls

            return list(_rails(change, ruby_calls(change.new_text() or "")))
        parts = {p.lower() for p in path_parts(path)[:-1]}
        if formats & {"javascript", "typescript"} and parts & _JS_MIGRATION_PARTS:
            from changerisk.parsers.javascript import calls as js_calls

            return list(_javascript(change, js_calls(change.new_text() or "", path)))
        return []

    return change.cached("migrations:events", build)


def _events(changeset: ChangeSet) -> list[tuple[FileChange, Event]]:
    """Every migration event of the change, read once for the five rules."""
    return changeset.cached("migrations:events", lambda: list(_read_events(changeset)))


def _read_events(changeset: ChangeSet) -> Iterator[tuple[FileChange, Event]]:
    # the fields the change removes from models, read only if a Django migration alters one
    removed_fields = cache(lambda: removed_field_classes(changeset))
    has_sql = any(
        c.path.endswith("migration.sql") and c.status is Status.ADDED for c in changeset.files
    )
    for change in sorted(changeset.files, key=lambda c: c.path):
        if "prisma" in change.formats and not is_quiet_path(change.path):
            for event in _prisma(change, has_sql):
                yield change, event
        for event in _file_events(change, removed_fields):
            yield change, event


class _MigrationRule(Rule):
    scope = "changeset"
    # Django and Alembic migrations, Rails migrations, JS/TS migration folders, Prisma schemas
    formats = frozenset(
        {"django-migration", "alembic-migration", "rails-migration", "javascript", "typescript"}
        | {"prisma"}
    )
    kinds: ClassVar[frozenset[str]] = frozenset()

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        events = _events(changeset)
        created = {e.table for _, e in events if e.kind == CREATE}
        added = {(e.table, e.column) for _, e in events if e.kind == ADD}
        for change, event in events:
            if event.kind not in self.kinds or event.table in created:
                continue
            columns = [c for c in event.column.split(",") if c]
            if columns and all((event.table, c) in added for c in columns):
                continue
            yield self.finding(
                change,
                event.line,
                event.message,
                hint=event.hint,
                severity=event.severity,
                confidence=event.confidence,
                side=event.side,
                anchor=change.new_position(event.line) if event.side == "old" else 0,
            )


def _kinds(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


class MigrationTableDropped(_MigrationRule):
    """An ORM migration drops a table: its rows are lost.

    ## Why it matters
    Django `DeleteModel`, Rails `drop_table` (and `create_table … force: true`, which drops an
    existing table first), Alembic `op.drop_table`, Knex, TypeORM and Sequelize `dropTable`, and
    a `model` removed from `schema.prisma` all delete the table with its rows when the
    migration runs, while the code still deployed may read it. Down migrations, tables the
    change creates and Django's `SeparateDatabaseAndState` state operations are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/db/migrate/20240501120000_drop_orders.rb
    @@ -0,0 +1,5 @@
    +class DropOrders < ActiveRecord::Migration[7.1]
    +  def change
    +    drop_table :legacy_orders
    +  end
    +end
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/db/migrate/20240501120000_drop_orders.rb
    @@ -0,0 +1,9 @@
    +class CreateOrders < ActiveRecord::Migration[7.1]
    +  def up
    +    create_table :orders
    +  end
    +
    +  def down
    +    drop_table :orders
    +  end
    +end
    ```
    """

    code = "MIG101"
    name = "migration-table-dropped"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    kinds = _kinds(TABLE)


class MigrationColumnDropped(_MigrationRule):
    """An ORM migration drops a column: its data is lost and running code breaks.

    ## Why it matters
    Django `RemoveField`, Rails `remove_column` (`remove_reference`, `t.remove`…), Alembic
    `drop_column`, Knex `dropColumn`, TypeORM `dropColumn`, Sequelize `removeColumn`, and a field
    removed from a `schema.prisma` model drop the column with its data; code still deployed that
    reads it fails (ORMs select every mapped column). Columns the change adds and columns of
    tables it creates are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/shop/migrations/0012_remove_customer_email.py
    @@ -0,0 +1,7 @@
    +from django.db import migrations
    +
    +
    +class Migration(migrations.Migration):
    +    operations = [
    +        migrations.RemoveField(model_name="customer", name="email"),
    +    ]
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/shop/migrations/0012_customer_phone.py
    @@ -0,0 +1,7 @@
    +from django.db import migrations, models
    +
    +
    +class Migration(migrations.Migration):
    +    operations = [
    +        migrations.AddField("customer", "phone", models.TextField(null=True)),
    +    ]
    ```
    """

    code = "MIG102"
    name = "migration-column-dropped"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    kinds = _kinds(COLUMN)


class MigrationObjectRenamed(_MigrationRule):
    """An ORM migration renames a table or a column that running code uses.

    ## Why it matters
    Django `RenameField` / `RenameModel`, Rails `rename_column` / `rename_table`, Alembic
    `alter_column(new_column_name=…)` / `rename_table`, Knex, TypeORM and Sequelize
    `renameColumn` / `renameTable` rename in the database the moment the migration runs, while
    the deployed code still uses the old name: its queries fail until the new code is out.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/alembic/versions/3f2a_rename_email.py
    @@ -0,0 +1,9 @@
    +from alembic import op
    +
    +
    +def upgrade():
    +    op.alter_column("users", "email", new_column_name="email_address")
    +
    +
    +def downgrade():
    +    op.alter_column("users", "email_address", new_column_name="email")
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/alembic/versions/3f2a_add_email.py
    @@ -0,0 +1,10 @@
    +from alembic import op
    +import sqlalchemy as sa
    +
    +
    +def upgrade():
    +    op.add_column("users", sa.Column("email_address", sa.Text()))
    +
    +
    +def downgrade():
    +    op.drop_column("users", "email_address")
    ```
    """

    code = "MIG103"
    name = "migration-object-renamed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    kinds = _kinds(RENAME)


class MigrationColumnTypeChanged(_MigrationRule):
    """An ORM migration changes a column's type: the table is rewritten under a lock.

    ## Why it matters
    Rails `change_column`, Alembic `alter_column(type_=…)`, Sequelize and TypeORM `changeColumn`,
    and a Django `AlterField` whose field class changes (the model's old class is read from the
    lines the change removes) make PostgreSQL rewrite the table under an ACCESS EXCLUSIVE lock and
    MySQL copy it; reads or writes wait, and code that expects the old type may break.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/db/migrate/20240601000000_bigint_amount.rb
    @@ -0,0 +1,5 @@
    +class BigintAmount < ActiveRecord::Migration[7.1]
    +  def change
    +    change_column :payments, :amount_cents, :bigint
    +  end
    +end
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/db/migrate/20240601000000_bigint_amount.rb
    @@ -0,0 +1,5 @@
    +class BigintAmount < ActiveRecord::Migration[7.1]
    +  def change
    +    add_column :payments, :amount_cents_big, :bigint
    +  end
    +end
    ```
    """

    code = "MIG104"
    name = "migration-column-type-changed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    kinds = _kinds(TYPE)


class MigrationDestructiveData(_MigrationRule):
    """An ORM migration runs SQL or code that destroys data (DROP, TRUNCATE, DELETE all).

    ## Why it matters
    Raw SQL in Django `RunSQL`, Rails `execute`, Alembic `op.execute`, `knex.raw`, TypeORM
    `queryRunner.query` and Sequelize `query` is read with the SQL analysis: a dropped table or
    column, `TRUNCATE`, `DELETE` or `UPDATE` without `WHERE`. A Django `RunPython` that deletes
    rows (`Model.objects.all().delete()`; low for a filtered delete) is reported too.
    `reverse_sql`, down migrations, squashed migrations (`replaces = […]`), temporary tables,
    tables created in the same SQL and Django's own housekeeping (stale content types and
    permissions) are not.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/src/migrations/1700000000000-DropLegacy.ts
    @@ -0,0 +1,11 @@
    +import { MigrationInterface, QueryRunner } from "typeorm";
    +
    +export class DropLegacy1700000000000 implements MigrationInterface {
    +    public async up(queryRunner: QueryRunner): Promise<void> {
    +        await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "legacy_token"`);
    +    }
    +
    +    public async down(queryRunner: QueryRunner): Promise<void> {
    +        await queryRunner.query(`ALTER TABLE "user" ADD "legacy_token" text`);
    +    }
    +}
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/src/migrations/1700000000000-AddNickname.ts
    @@ -0,0 +1,11 @@
    +import { MigrationInterface, QueryRunner } from "typeorm";
    +
    +export class AddNickname1700000000000 implements MigrationInterface {
    +    public async up(queryRunner: QueryRunner): Promise<void> {
    +        await queryRunner.query(`ALTER TABLE "user" ADD "nickname" text`);
    +    }
    +
    +    public async down(queryRunner: QueryRunner): Promise<void> {
    +        await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "nickname"`);
    +    }
    +}
    ```
    """

    code = "MIG105"
    name = "migration-destructive-data"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    kinds = _kinds(SQL)


RULES: tuple[type[Rule], ...] = (
    MigrationTableDropped,
    MigrationColumnDropped,
    MigrationObjectRenamed,
    MigrationColumnTypeChanged,
    MigrationDestructiveData,
)
