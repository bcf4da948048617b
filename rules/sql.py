"""SQL migration rules: data lost (SQL1xx) and tables locked or code broken (SQL2xx).

Every SQL file of the change is read once (`FileChange.cached`) into the ops of its changed
statements (up direction only), in run order: files by path, then line. The context of the
whole change (tables it creates, columns it adds, rows it copies) keeps near misses quiet. The
ORM migration rules (`migrations.py`) reuse `data_loss` for SQL inside `RunSQL` and `execute`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from changerisk.gates import sql_may_report, sql_runs_forward
from changerisk.parsers import sql
from changerisk.parsers.sql import Op
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
)

# In-file sections: dbmate `-- migrate:down`, goose `-- +goose Down`, sql-migrate
# `-- +migrate Down`.
_SECTION = lazy_compile(r"^\s*--\s*(\+goose|\+migrate|migrate:)\s*(up|down)\b", re.I | re.M)
_DUMP = lazy_compile(
    r"^--\s*(PostgreSQL database dump|MySQL dump|MariaDB dump|phpMyAdmin SQL Dump|"
    r"Dump completed|HeidiSQL)",
    re.I | re.M,
)
_QUERY_FILE = lazy_compile(r"^\s*--\s*name:\s*\w+", re.M)  # sqlc, yesql, HugSQL: query definitions
_LIQUIBASE = lazy_compile(r"^\s*--\s*liquibase formatted sql", re.I | re.M)
_MIGRATION_NAME = lazy_compile(r"^(v\d+([._]\d+)*__|\d+[_-].+\.(up\.)?sql$|.+\.up\.sql$)", re.I)
_MIGRATION_PARTS = frozenset(
    {"migrations", "migration", "migrate", "db", "deploy", "changelog", "changelogs", "schema"}
    | {"flyway", "liquibase", "sqitch", "dbmate", "goose"}
)
_TEMP_NAME = lazy_compile(r"(^|_)(tmp|temp|temporary|staging|scratch)(_|$)|^_", re.I)
_BACKUP_NAME = lazy_compile(
    r"(^|_)(old|backup|bak|bkp|archive|archived|deprecated|copy)(_|$)", re.I
)


def is_temporary_name(name: str) -> bool:
    return bool(_TEMP_NAME.search(sql.bare(name)))


def is_backup_name(name: str) -> bool:
    return bool(_BACKUP_NAME.search(sql.bare(name)))


class SqlFile(NamedTuple):
    """One SQL file of the change: the ops of its changed statements (up direction only)."""

    change: FileChange
    ops: tuple[Op, ...]
    dialect: str
    migration: bool  # a migration (runs against the live database), not a script or schema
    partial: bool  # the text was rebuilt from hunks: statements may be cut
    creates: tuple[Op, ...] = ()  # every CREATE of the file, changed or not


def down_lines(text: str) -> list[tuple[int, int]]:
    """Line ranges (first, last) of down sections in one file (dbmate, goose, sql-migrate)."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for m in _SECTION.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m.group(2).lower() == "down" and not start:
            start = line
        elif m.group(2).lower() == "up" and start:
            ranges.append((start, line))
            start = 0
    if start:
        ranges.append((start, text.count("\n") + 2))
    return ranges


def touched(change: FileChange, first: int, last: int) -> bool:
    """Whether lines first..last of the new file were added, or had lines removed among them."""
    if change.status is Status.ADDED:
        return True
    added = change.added_line_numbers
    if any(n in added for n in range(first, last + 1)):
        return True
    return any(first <= ln.anchor <= last for ln in change.removed_lines if ln.anchor)


def changed_ops(change: FileChange, ops: Iterable[Op], text: str) -> tuple[Op, ...]:
    downs = down_lines(text)
    out = []
    for op in ops:
        if any(a <= op.line <= b for a, b in downs):
            continue
        if touched(change, op.first_line or op.line, op.end_line or op.line):
            out.append(op)
    return tuple(out)


def sql_file(change: FileChange) -> SqlFile | None:
    """The SQL file `change` as read for the rules, or None when its SQL does not run on a
    live database going forward (tests, seeds, down scripts, dumps, query files, deletions)."""
    if not sql_runs_forward(change):
        return None
    path = change.path

    def build() -> SqlFile | None:
        text = change.new_text() or ""
        if _DUMP.search(text[:4000]) or _QUERY_FILE.search(text):
            return None
        analysis = sql.analyze(text, path)
        p = PurePosixPath(path)
        parts = {part.lower() for part in p.parts[:-1]}
        migration = (
            "sql-migration" in change.formats
            or bool(parts & _MIGRATION_PARTS)
            or bool(_MIGRATION_NAME.match(p.name))
            or bool(_LIQUIBASE.search(text[:2000]))
        )
        return SqlFile(
            change,
            changed_ops(change, analysis.ops, text),
            analysis.dialect,
            migration,
            change.is_partial("new"),
            tuple(op for op in analysis.ops if op.kind == sql.CREATE),
        )

    return change.cached("sql:file", build)


@dataclass
class ChangeContext:
    """What the change does to each table, in run order (files by path, then line)."""

    files: list[SqlFile]
    events: dict[str, list[tuple[tuple[int, int], Op]]] = field(default_factory=dict)
    added_columns: set[tuple[str, str]] = field(default_factory=set)
    not_null_checks: set[tuple[str, str]] = field(default_factory=set)

    def before(self, key: str, position: tuple[int, int], *kinds: str) -> list[Op]:
        return [op for pos, op in self.events.get(key, ()) if pos < position and op.kind in kinds]

    def after(self, key: str, position: tuple[int, int], *kinds: str) -> list[Op]:
        return [op for pos, op in self.events.get(key, ()) if pos > position and op.kind in kinds]

    def created(self, key: str) -> bool:
        """Whether the change creates table `key` (so nothing yet depends on it)."""
        return any(op.kind == sql.CREATE for _, op in self.events.get(key, ()))

    def positioned(self) -> Iterator[tuple[SqlFile, tuple[int, int], Op]]:
        for index, file in enumerate(self.files):
            for op in file.ops:
                yield file, (index, op.line), op


def change_context(changeset: ChangeSet) -> ChangeContext:
    """What the change's SQL does, in order (built once per change, shared by the SQL rules)."""
    return changeset.cached("sql:context", lambda: _change_context(changeset))


def _change_context(changeset: ChangeSet) -> ChangeContext:
    changes = sorted(changeset.files, key=lambda c: c.path)
    if not any(sql_may_report(c) for c in changes):
        return ChangeContext([])
    files = [f for c in changes if (f := sql_file(c))]
    context = ChangeContext(files)
    for index, file in enumerate(files):
        edited = set(file.ops)
        for op in file.creates:
            if op not in edited:  # a table the same migration file creates, edited or not
                context.events.setdefault(op.key, []).append(((index, op.line), op))
    for _, position, op in context.positioned():
        context.events.setdefault(op.key, []).append((position, op))
        if op.kind == sql.RENAME_TABLE and op.detail:
            # the new name is the table's from here on; the swap `RENAME new_x TO x` ends here
            context.events.setdefault(sql.bare(op.detail), []).append((position, op))
        if op.kind == sql.COPY_ROWS:
            for source in op.detail.split(","):
                context.events.setdefault(source, []).append((position, op))
        if op.kind == sql.ADD_COLUMN:
            context.added_columns.add((op.key, op.column))
        if op.kind == sql.NOT_NULL_CHECK:
            context.not_null_checks.add((op.key, op.column))
    return context


def data_loss(op: Op, dialect: str = "postgres") -> tuple[str, Severity, str]:
    """Message, severity and hint of a data-losing op (drop, truncate, delete or update all)."""
    name = op.name
    cascade = " with CASCADE" if op.cascade else ""
    if op.kind == sql.DROP_COLUMN:
        also = "; CASCADE also drops the views and constraints that use it" if op.cascade else ""
        return (
            f"drops column {name}.{op.column}: its data is lost, and running code that reads "
            f"it breaks{also}",
            Severity.HIGH,
            "stop reading the column first (deploy code that ignores it), back up its data, "
            "then drop it in a later migration",
        )
    if op.kind == sql.TRUNCATE:
        also = " and of every table that references it" if op.cascade else ""
        return (
            f"truncates table {name}: every row of it{also} is deleted",
            Severity.HIGH,
            "delete only the rows meant (DELETE … WHERE), or copy the table before emptying it",
        )
    if op.kind == sql.DELETE_ALL:
        return (
            f"deletes every row of {name} (DELETE without WHERE)",
            Severity.HIGH,
            "add a WHERE clause naming the rows meant; back up the table first",
        )
    if op.kind == sql.UPDATE_ALL:
        columns = ", ".join(op.detail.split(",")) if op.detail else "columns"
        return (
            f"overwrites {columns} in every row of {name} (UPDATE without WHERE): the old "
            "values are lost",
            Severity.MEDIUM,
            "add a WHERE clause naming the rows meant (WHERE col IS NULL for a backfill); "
            "back up the column first",
        )
    return _drop_message(op, cascade, dialect)


def _drop_message(op: Op, cascade: str, dialect: str) -> tuple[str, Severity, str]:
    what, name = op.object, op.name
    keep = (
        "keep it until no deployed code uses it (rename it or revoke access first), back it "
        "up, and drop it in a later release"
    )
    if what == "table":
        tail = (
            ", and every view and foreign key that depends on it goes too"
            if op.cascade
            else ", and running code that reads it breaks"
        )
        return (
            f"drops table {name}{cascade}: its rows are lost{tail}",
            Severity.CRITICAL if op.cascade else Severity.HIGH,
            keep,
        )
    if what in ("schema", "database"):
        everything = op.cascade or what == "database" or dialect == "mysql"
        return (
            f"drops {what} {name}{cascade}: every table in it and their data are lost"
            if everything
            else f"drops schema {name}: running code that uses it breaks (PostgreSQL refuses "
            "while it holds objects)",
            Severity.CRITICAL if everything else Severity.HIGH,
            keep,
        )
    if what == "index":
        lock = (
            ""
            if op.concurrently or dialect != "postgres"
            else "; without CONCURRENTLY the table is locked while it drops"
        )
        return (
            f"drops index {name}{cascade}: queries that used it get slower{lock}",
            Severity.LOW,
            "check the queries that use it; use DROP INDEX CONCURRENTLY on PostgreSQL",
        )
    if what == "sequence":
        return (
            f"drops sequence {name}{cascade}: inserts that take their ids from it fail",
            Severity.MEDIUM,
            keep,
        )
    tail = " and every view built on it" if op.cascade else ""
    return (
        f"drops {what} {name}{cascade}: queries that read it{tail} fail",
        Severity.HIGH if op.cascade else Severity.MEDIUM,
        "recreate it in the same migration, or drop it after the code that reads it is gone",
    )


def _confidence(file: SqlFile, op: Op) -> Confidence:
    return Confidence.HIGH if op.parsed and file.migration else Confidence.MEDIUM


def _copied_out(context: ChangeContext, key: str, position: tuple[int, int]) -> bool:
    """Whether the change copied the rows of `key` to another table before `position`."""
    return any(
        key in op.detail.split(",") and op.key != key
        for op in context.before(key, position, sql.COPY_ROWS)
    )


def _is_swap(context: ChangeContext, key: str, position: tuple[int, int]) -> bool:
    """`DROP TABLE x; ALTER TABLE new_x RENAME TO x`: the table is rebuilt with its rows
    (SQLite and Prisma redefine tables this way)."""
    return any(
        sql.bare(op.detail) == key and op.key != key
        for op in context.after(key, position, sql.RENAME_TABLE)
    )


class _SqlRule(Rule):
    scope = "changeset"
    formats = frozenset({"sql"})

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        context = change_context(changeset)
        for file, position, op in context.positioned():
            yield from self.check_op(context, file, position, op)

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        return iter(())


class ObjectDropped(_SqlRule):
    """A migration drops a table, schema, database, view, sequence or index.

    ## Why it matters
    `DROP TABLE` deletes the rows with the table, and code still deployed that reads it fails
    at once; `DROP SCHEMA … CASCADE` and `DROP DATABASE` take every table inside along, and
    `CASCADE` on any drop also removes the views and foreign keys that depend on the object,
    which the statement does not name. Temporary and staging tables, objects the same change
    creates, and tables whose rows the change copies elsewhere first are not reported; a table
    dropped and created again is SQL104.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/db/migrations/20240501_drop_legacy.sql
    @@ -0,0 +1 @@
    +DROP TABLE legacy_orders CASCADE;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/db/migrations/20240501_drop_import.sql
    @@ -0,0 +1 @@
    +DROP TABLE IF EXISTS tmp_import;
    ```
    """

    code = "SQL101"
    name = "sql-object-dropped"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.DROP or is_temporary_name(op.name):
            return
        key = op.key
        if op.object == "index":
            rebuilt = any(
                sql.bare(o.detail) == key
                for evs in context.events.values()
                for _, o in evs
                if o.kind == sql.CREATE_INDEX
            )
            if rebuilt:
                return
        elif context.before(key, position, sql.CREATE):
            return  # the change created it: nothing else holds data in it yet
        if op.object == "table" and (
            context.after(key, position, sql.CREATE)
            or _copied_out(context, key, position)
            or _is_swap(context, key, position)
        ):
            return  # a recreate (SQL104) or a rebuild that keeps the rows
        if op.object in ("view", "materialized view") and context.after(key, position, sql.CREATE):
            return  # views are dropped and created again to change their columns
        message, severity, hint = data_loss(op, file.dialect)
        if op.object == "table" and is_backup_name(op.name):
            message, severity = f"{message} (by its name, a backup copy)", Severity.LOW
        if not file.migration:
            severity = severity.shifted(-1)
        yield self.finding(
            file.change,
            op.line,
            message,
            hint=hint,
            severity=severity,
            confidence=_confidence(file, op),
        )


class ColumnDropped(_SqlRule):
    """A migration drops a column of an existing table.

    ## Why it matters
    The column's data is gone when the migration runs, and the code still deployed (and any
    ORM that selects every mapped column) fails on the missing column until the new code is
    out. Columns of tables the change creates, and columns it added itself, are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/V12__drop_email.sql
    @@ -0,0 +1 @@
    +ALTER TABLE users DROP COLUMN email;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/V12__add_email.sql
    @@ -0,0 +1 @@
    +ALTER TABLE users ADD COLUMN email_verified boolean;
    ```
    """

    code = "SQL102"
    name = "sql-column-dropped"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.DROP_COLUMN or is_temporary_name(op.name):
            return
        if context.before(op.key, position, sql.CREATE) or (op.key, op.column) in {
            (o.key, o.column) for o in context.before(op.key, position, sql.ADD_COLUMN)
        }:
            return
        message, severity, hint = data_loss(op, file.dialect)
        if not file.migration:
            severity = severity.shifted(-1)
        yield self.finding(
            file.change,
            op.line,
            message,
            hint=hint,
            severity=severity,
            confidence=_confidence(file, op),
        )


class RowsRemoved(_SqlRule):
    """A migration truncates a table, or deletes or updates every row (no WHERE).

    ## Why it matters
    `TRUNCATE` and `DELETE` without `WHERE` empty the table in production; `UPDATE` without
    `WHERE` overwrites a column in every row, and the old values are lost. In a migration this
    is rarely what was meant. A backfill of a column the same change adds, tables the change
    creates, and temporary or staging tables are not reported; neither are seeds, fixtures and
    tests.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/db/migrate/0042_reset_sessions.sql
    @@ -0,0 +1 @@
    +DELETE FROM sessions;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/db/migrate/0042_reset_sessions.sql
    @@ -0,0 +1 @@
    +DELETE FROM sessions WHERE expires_at < now();
    ```
    """

    code = "SQL103"
    name = "sql-rows-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind not in (sql.TRUNCATE, sql.DELETE_ALL, sql.UPDATE_ALL) or not file.migration:
            return
        if is_temporary_name(op.name) or context.before(op.key, position, sql.CREATE):
            return
        if file.partial and not op.closed:
            return  # the statement runs on past what the diff shows: a WHERE may follow
        if op.kind == sql.UPDATE_ALL:
            added = {o.column for o in context.before(op.key, position, sql.ADD_COLUMN)}
            columns = [c for c in op.detail.split(",") if c]
            if columns and all(c in added for c in columns):
                return  # a backfill of columns this change adds
        elif _copied_out(context, op.key, position):
            return  # the rows were copied elsewhere first
        message, severity, hint = data_loss(op, file.dialect)
        yield self.finding(
            file.change,
            op.line,
            message,
            hint=hint,
            severity=severity,
            confidence=_confidence(file, op),
        )


class TableRecreated(_SqlRule):
    """A migration drops a table and creates it again: the table exists, its rows do not.

    ## Why it matters
    `DROP TABLE users; CREATE TABLE users (…)` looks like a schema edit, and the table is
    there afterwards, so nothing fails loudly; but every row is gone. The same holds when the
    drop and the create are in two migrations of one change. A rebuild that copies the rows
    first (`INSERT INTO new_users SELECT … FROM users`, then a rename) is not reported, nor is
    a setup script outside a migration folder (`DROP TABLE IF EXISTS` before `CREATE TABLE`).

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/0007_users.sql
    @@ -0,0 +1,4 @@
    +DROP TABLE users;
    +CREATE TABLE users (
    +  id bigint PRIMARY KEY
    +);
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/0007_users.sql
    @@ -0,0 +1 @@
    +ALTER TABLE users ADD COLUMN nickname text;
    ```
    """

    code = "SQL104"
    name = "sql-table-recreated"
    category = Category.RECREATE
    severity = Severity.HIGH

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.DROP or op.object != "table" or not file.migration:
            return
        key = op.key
        if is_temporary_name(op.name) or context.before(key, position, sql.CREATE):
            return
        if _copied_out(context, key, position) or _is_swap(context, key, position):
            return
        created = next(
            (
                (pos, o)
                for pos, o in context.events.get(key, ())
                if pos > position
                and o.kind == sql.CREATE
                and o.object == "table"
                and not o.temporary
            ),
            None,
        )
        if created is None:
            return
        pos, _ = created
        where = "" if pos[0] == position[0] else f" in {context.files[pos[0]].change.path}"
        yield self.finding(
            file.change,
            op.line,
            f"drops and recreates table {op.name}: the table exists afterwards{where}, but "
            "its rows are gone",
            hint="alter the table in place (ALTER TABLE … ADD/ALTER COLUMN), or copy the rows "
            "into the new table before dropping the old one",
            confidence=_confidence(file, op),
        )


_WIDENABLE = lazy_compile(r"^(text|varchar|character varying|citext|numeric|decimal)\b", re.I)


class ColumnTypeChanged(_SqlRule):
    """A migration changes the type of an existing column (PostgreSQL, MySQL).

    ## Why it matters
    On PostgreSQL, `ALTER COLUMN … TYPE` rewrites the whole table and its indexes under an
    ACCESS EXCLUSIVE lock: reads and writes wait until it ends, minutes on a large table
    (widening a `varchar` or moving to `text` is the exception). MySQL copies the table for a
    type change (`MODIFY`, `CHANGE`) and blocks writes. Columns of tables the change creates
    are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/V31__bigint_ids.sql
    @@ -0,0 +1 @@
    +ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/V31__bigint_ids.sql
    @@ -0,0 +1 @@
    +ALTER TABLE orders ADD COLUMN customer_id_new bigint;
    ```
    """

    code = "SQL201"
    name = "sql-column-type-changed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.ALTER_TYPE or not file.migration:
            return
        if file.dialect not in ("postgres", "mysql") or context.created(op.key):
            return
        if (op.key, op.column) in context.added_columns:
            return
        target = f" to {op.detail}" if op.detail else ""
        column = f"{op.name}.{op.column}"
        if file.dialect == "mysql":
            yield self.finding(
                file.change,
                op.line,
                f"changes the definition of {column}{target}: MySQL copies the table for a "
                "type change and blocks writes while it runs",
                hint="use an online schema change tool (gh-ost, pt-online-schema-change), or "
                "add a new column and backfill it",
                confidence=Confidence.MEDIUM,
            )
            return
        widen = bool(_WIDENABLE.match(op.detail))
        lead = "unless it only widens a varchar or numeric, " if widen else ""
        yield self.finding(
            file.change,
            op.line,
            f"changes the type of {column}{target}: {lead}PostgreSQL rewrites the table and its "
            "indexes under an ACCESS EXCLUSIVE lock, so reads and writes wait until it ends",
            hint="add a new column, backfill it in batches, move the code to it, then drop the "
            "old one",
            severity=Severity.LOW if widen else Severity.MEDIUM,
            confidence=_confidence(file, op),
        )


class NotNullOnExistingTable(_SqlRule):
    """A migration makes a column of an existing PostgreSQL table NOT NULL the unsafe way.

    ## Why it matters
    `SET NOT NULL` scans the whole table under an ACCESS EXCLUSIVE lock (reads and writes
    wait), and fails the migration if any row is NULL. `ADD COLUMN … NOT NULL` without a
    `DEFAULT` fails outright on a table that has rows. A `DEFAULT` (free since PostgreSQL 11)
    or a validated `CHECK (col IS NOT NULL)` constraint first (PostgreSQL 12 then skips the
    scan) avoids both; tables the change creates are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/20240601_region.up.sql
    @@ -0,0 +1 @@
    +ALTER TABLE orders ADD COLUMN region text NOT NULL;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/20240601_region.up.sql
    @@ -0,0 +1 @@
    +ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';
    ```
    """

    code = "SQL202"
    name = "sql-not-null-on-existing-table"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if not file.migration or file.dialect != "postgres" or context.created(op.key):
            return
        column = f"{op.name}.{op.column}"
        if op.kind == sql.SET_NOT_NULL:
            if (op.key, op.column) in context.not_null_checks:
                return
            yield self.finding(
                file.change,
                op.line,
                f"sets {column} NOT NULL: PostgreSQL scans the whole table under an ACCESS "
                "EXCLUSIVE lock, and the migration fails if any row is NULL",
                hint=f"add CHECK ({op.column} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in "
                "a later step, then SET NOT NULL (PostgreSQL 12+ then skips the scan)",
                confidence=_confidence(file, op),
            )
        elif op.kind == sql.ADD_COLUMN and op.not_null and not op.has_default:
            if file.partial and not op.closed:
                return
            yield self.finding(
                file.change,
                op.line,
                f"adds column {column} NOT NULL without a default: the migration fails if "
                f"{op.name} has any rows",
                hint="give it a DEFAULT (PostgreSQL 11+ adds it without a rewrite), or add it "
                "nullable, backfill, then make it NOT NULL",
                confidence=_confidence(file, op),
            )


class IndexWithoutConcurrently(_SqlRule):
    """A migration builds an index on an existing PostgreSQL table without CONCURRENTLY.

    ## Why it matters
    `CREATE INDEX` takes a SHARE lock: every INSERT, UPDATE and DELETE on the table waits
    until the index is built, minutes on a large table. `CREATE INDEX CONCURRENTLY` builds it
    without blocking writes (outside a transaction). Indexes on tables the change creates are
    not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/000045_orders_idx.up.sql
    @@ -0,0 +1 @@
    +CREATE INDEX orders_customer_idx ON orders (customer_id);
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/000045_orders_idx.up.sql
    @@ -0,0 +1 @@
    +CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    ```
    """

    code = "SQL203"
    name = "sql-index-without-concurrently"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.CREATE_INDEX or op.concurrently or not file.migration:
            return
        if file.dialect != "postgres" or context.created(op.key) or is_temporary_name(op.name):
            return
        index = f"index {op.detail} " if op.detail else "an index "
        yield self.finding(
            file.change,
            op.line,
            f"creates {index}on {op.name} without CONCURRENTLY: writes to {op.name} are "
            "blocked until the index is built",
            hint="use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction: most "
            "migration tools need a no-transaction flag for it)",
            confidence=_confidence(file, op),
        )


class ConstraintUnderLock(_SqlRule):
    """A migration adds a constraint to an existing PostgreSQL table in the form that blocks
    it while every row is checked or an index is built.

    ## Why it matters
    `ADD CONSTRAINT … FOREIGN KEY` checks every existing row while writes to the table and to
    the table it references wait; `CHECK` does so under an ACCESS EXCLUSIVE lock, which stops
    reads too; `UNIQUE`, `PRIMARY KEY` and `EXCLUDE` build an index under that lock. On a large
    table that is minutes of errors and timeouts. Added `NOT VALID` and validated by a later
    `VALIDATE CONSTRAINT` (which lets reads and writes go on), or built on an index made
    `CONCURRENTLY` beforehand (`USING INDEX`), the same constraint blocks for a moment only.
    Constraints on tables the change creates are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/000046_orders_fk.up.sql
    @@ -0,0 +1,2 @@
    +ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    +  FOREIGN KEY (customer_id) REFERENCES customers (id);
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/000046_orders_fk.up.sql
    @@ -0,0 +1,3 @@
    +ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    +  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    +ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    ```
    """

    code = "SQL205"
    name = "sql-constraint-added-under-lock"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.ADD_CONSTRAINT or not file.migration or file.dialect != "postgres":
            return
        if context.created(op.key) or is_temporary_name(op.name):
            return
        named = f"{op.object} constraint {op.detail}" if op.detail else f"a {op.object} constraint"
        if op.object in ("foreign key", "check"):
            if op.not_valid:
                return
            blocked = (
                f"writes to {op.name} and to the table it references"
                if op.object == "foreign key"
                else f"reads and writes of {op.name}"
            )
            message = (
                f"adds {named} to {op.name} without NOT VALID: {blocked} wait while every "
                "existing row is checked"
            )
            hint = (
                "add it NOT VALID, then run ALTER TABLE … VALIDATE CONSTRAINT in a later "
                "statement: it checks the rows without blocking reads or writes"
            )
        else:
            if op.using_index:
                return
            message = (
                f"adds {named} to {op.name}: its index is built while reads and writes of "
                f"{op.name} wait"
            )
            hint = (
                "build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then add the "
                "constraint USING INDEX"
                if op.object != "exclusion"
                else "add it while the table is small, or to a new table you fill and swap in"
            )
        yield self.finding(
            file.change, op.line, message, hint=hint, confidence=_confidence(file, op)
        )


class ColumnAddedWithRewrite(_SqlRule):
    """A migration adds a column whose value PostgreSQL computes for every existing row, which
    rewrites the whole table under lock.

    ## Why it matters
    Since PostgreSQL 11 a new column with a constant default (or `now()`, computed once) is
    added in an instant. A volatile default (`gen_random_uuid()`, `random()`,
    `clock_timestamp()`, `nextval()`), a `serial` type, an identity column or a stored
    generated column needs its own value in each row: the table and its indexes are rewritten
    while an ACCESS EXCLUSIVE lock stops every read and write, minutes on a large table.
    Columns of tables the change creates are not reported.

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/000047_orders_uuid.up.sql
    @@ -0,0 +1 @@
    +ALTER TABLE orders ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/000047_orders_uuid.up.sql
    @@ -0,0 +1,2 @@
    +ALTER TABLE orders ADD COLUMN public_id uuid;
    +ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
    ```
    """

    code = "SQL206"
    name = "sql-column-added-with-table-rewrite"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind != sql.ADD_COLUMN or not op.detail or not file.migration:
            return
        if file.dialect != "postgres" or context.created(op.key) or is_temporary_name(op.name):
            return
        yield self.finding(
            file.change,
            op.line,
            f"adds column {op.name}.{op.column} with {op.detail}: PostgreSQL rewrites "
            f"{op.name} and its indexes under an ACCESS EXCLUSIVE lock, so reads and writes "
            "wait until it ends",
            hint="add the column without that default, set it for new rows with ALTER COLUMN "
            "… SET DEFAULT, then fill existing rows in batches",
            confidence=_confidence(file, op),
        )


class ObjectRenamed(_SqlRule):
    """A migration renames a table or a column that running code uses.

    ## Why it matters
    The rename takes effect the moment the migration runs, while the code that uses the old
    name is still deployed: its queries fail until the new code is out everywhere, and a
    rollback of the code breaks them again. Tables and columns the change creates are not
    reported, nor the renames of a table rebuild (`users` moved aside to `users_old` and
    created again, or `new_users` renamed to `users`).

    ## Bad
    ```diff
    --- /dev/null
    +++ b/migrations/V40__rename_email.sql
    @@ -0,0 +1 @@
    +ALTER TABLE users RENAME COLUMN email TO email_address;
    ```

    ## Good
    ```diff
    --- /dev/null
    +++ b/migrations/V40__rename_email.sql
    @@ -0,0 +1 @@
    +ALTER TABLE users ADD COLUMN email_address text;
    ```
    """

    code = "SQL204"
    name = "sql-object-renamed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM

    def check_op(
        self, context: ChangeContext, file: SqlFile, position: tuple[int, int], op: Op
    ) -> Iterator[Finding]:
        if op.kind not in (sql.RENAME_TABLE, sql.RENAME_COLUMN) or not file.migration:
            return
        if context.before(op.key, position, sql.CREATE) or is_temporary_name(op.name):
            return
        if op.kind == sql.RENAME_TABLE:
            if context.after(op.key, position, sql.CREATE):
                return  # moved aside (`RENAME TABLE x TO x_old`) for a rebuild of x
            message = (
                f"renames table {op.name} to {op.detail}: running code that still uses "
                f"{op.name} fails until the new code is deployed"
            )
        else:
            if (op.key, op.column) in context.added_columns:
                return
            message = (
                f"renames column {op.name}.{op.column} to {op.detail}: running code that reads "
                f"{op.name}.{op.column} fails until the new code is deployed"
            )
        yield self.finding(
            file.change,
            op.line,
            message,
            hint="add the new name alongside the old (a new column kept in sync, or a view), "
            "move the code to it, then drop the old name in a later release",
            confidence=_confidence(file, op),
        )


RULES = (
    ObjectDropped,
    ColumnDropped,
    RowsRemoved,
    TableRecreated,
    ColumnTypeChanged,
    NotNullOnExistingTable,
    IndexWithoutConcurrently,
    ConstraintUnderLock,
    ColumnAddedWithRewrite,
    ObjectRenamed,
)
