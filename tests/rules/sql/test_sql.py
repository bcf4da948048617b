"""SQL rules on realistic migration diffs: what fires (code, path, line, message) and the near
misses that must stay quiet."""

from __future__ import annotations

import difflib
import textwrap

import pytest

from changerisk.model import Confidence, Severity
from changerisk.testing import found, run_diff


def added(path: str, body: str) -> str:
    """A diff adding `path` with `body` (dedented)."""
    lines = textwrap.dedent(body).strip("\n").split("\n")
    plus = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{plus}"
    )


def modified(path: str, old: str, new: str) -> str:
    """A diff of `path` from `old` to `new` (dedented), three lines of context."""
    a = textwrap.dedent(old).strip("\n").split("\n")
    b = textwrap.dedent(new).strip("\n").split("\n")
    body = "".join(
        line + "\n"
        for line in difflib.unified_diff(a, b, f"a/{path}", f"b/{path}", n=3, lineterm="")
    )
    return f"diff --git a/{path} b/{path}\n{body}"


def sql_findings(diff: str) -> set[tuple[str, str, int]]:
    return found(run_diff(diff, select=["SQL"]))


def messages(diff: str) -> dict[tuple[str, int], str]:
    return {(f.code, f.line): f.message for f in run_diff(diff, select=["SQL"]).findings}


FLYWAY = "src/main/resources/db/migration/V3__cleanup.sql"
GOMIGRATE = "migrations/000012_users.up.sql"
PRISMA = "prisma/migrations/20240501120000_cleanup/migration.sql"

FIRES = [
    (
        "flyway_drop_table",
        added(FLYWAY, "DROP TABLE legacy_orders;"),
        {("SQL101", FLYWAY, 1)},
        {
            ("SQL101", 1): "drops table legacy_orders: its rows are lost, and running code "
            "that reads it breaks"
        },
    ),
    (
        "drop_schema_cascade",
        added(FLYWAY, "-- billing moved to its own service\nDROP SCHEMA billing CASCADE;"),
        {("SQL101", FLYWAY, 2)},
        {
            ("SQL101", 2): "drops schema billing with CASCADE: every table in it and their "
            "data are lost"
        },
    ),
    (
        "golang_migrate_drop_columns_multiline",
        added(
            GOMIGRATE,
            """
            ALTER TABLE users
                DROP COLUMN email,
                DROP COLUMN phone CASCADE;
            """,
        ),
        {("SQL102", GOMIGRATE, 2), ("SQL102", GOMIGRATE, 3)},
        {
            ("SQL102", 2): "drops column users.email: its data is lost, and running code that "
            "reads it breaks",
            ("SQL102", 3): "drops column users.phone: its data is lost, and running code that "
            "reads it breaks; CASCADE also drops the views and constraints that use it",
        },
    ),
    (
        "prisma_drop_quoted_table",
        added(
            PRISMA,
            """
            -- DropForeignKey
            ALTER TABLE "Comment" DROP CONSTRAINT "Comment_postId_fkey";

            -- DropTable
            DROP TABLE "Post";
            """,
        ),
        {("SQL101", PRISMA, 5)},
        {
            (
                "SQL101",
                5,
            ): "drops table Post: its rows are lost, and running code that reads it breaks"
        },
    ),
    (
        "truncate",
        added("db/migrate/0042_reset.sql", "TRUNCATE TABLE audit_events, login_attempts;"),
        {("SQL103", "db/migrate/0042_reset.sql", 1)},
        {("SQL103", 1): "truncates table login_attempts: every row of it is deleted"},
    ),
    (
        "delete_and_update_without_where",
        added(
            "db/migrate/0043_reset.sql",
            """
            DELETE FROM sessions;
            UPDATE orders
               SET status = 'archived';
            """,
        ),
        {("SQL103", "db/migrate/0043_reset.sql", 1), ("SQL103", "db/migrate/0043_reset.sql", 2)},
        {
            ("SQL103", 1): "deletes every row of sessions (DELETE without WHERE)",
            ("SQL103", 2): "overwrites status in every row of orders (UPDATE without WHERE): "
            "the old values are lost",
        },
    ),
    (
        "recreate_in_one_file",
        added(
            "migrations/0007_users.sql",
            """
            DROP TABLE IF EXISTS users;
            CREATE TABLE users (
              id bigint PRIMARY KEY,
              email text NOT NULL
            );
            """,
        ),
        {("SQL104", "migrations/0007_users.sql", 1)},
        {
            ("SQL104", 1): "drops and recreates table users: the table exists afterwards, but "
            "its rows are gone"
        },
    ),
    (
        "alter_type_bigint",
        added(GOMIGRATE, "ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;"),
        {("SQL201", GOMIGRATE, 1)},
        {
            ("SQL201", 1): "changes the type of orders.customer_id to bigint: PostgreSQL "
            "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, so reads and "
            "writes wait until it ends"
        },
    ),
    (
        "mysql_modify",
        added(
            "db/migrations/20240101_widen.sql",
            "ALTER TABLE `users` MODIFY COLUMN `age` BIGINT UNSIGNED NOT NULL;",
        ),
        {("SQL201", "db/migrations/20240101_widen.sql", 1)},
        {
            ("SQL201", 1): "changes the definition of users.age to BIGINT UNSIGNED: MySQL "
            "copies the table for a type change and blocks writes while it runs"
        },
    ),
    (
        "set_not_null_and_add_not_null",
        added(
            GOMIGRATE,
            """
            ALTER TABLE users ALTER COLUMN email SET NOT NULL;
            ALTER TABLE orders ADD COLUMN region text NOT NULL;
            """,
        ),
        {("SQL202", GOMIGRATE, 1), ("SQL202", GOMIGRATE, 2)},
        {
            ("SQL202", 1): "sets users.email NOT NULL: PostgreSQL scans the whole table under "
            "an ACCESS EXCLUSIVE lock, and the migration fails if any row is NULL",
            ("SQL202", 2): "adds column orders.region NOT NULL without a default: the migration "
            "fails if orders has any rows",
        },
    ),
    (
        "create_index_existing_table",
        added(GOMIGRATE, "CREATE UNIQUE INDEX users_email_key ON public.users (lower(email));"),
        {("SQL203", GOMIGRATE, 1)},
        {
            ("SQL203", 1): "creates index users_email_key on public.users without "
            "CONCURRENTLY: writes to public.users are blocked until the index is built"
        },
    ),
    (
        "renames",
        added(
            FLYWAY,
            """
            ALTER TABLE users RENAME COLUMN email TO email_address;
            ALTER TABLE accounts RENAME TO customers;
            """,
        ),
        {("SQL204", FLYWAY, 1), ("SQL204", FLYWAY, 2)},
        {
            ("SQL204", 1): "renames column users.email to email_address: running code that "
            "reads users.email fails until the new code is deployed",
            ("SQL204", 2): "renames table accounts to customers: running code that still uses "
            "accounts fails until the new code is deployed",
        },
    ),
    (
        "mysql_backticks_fallback",
        added(
            "db/migrations/20240102_drop.sql",
            "ALTER TABLE `users` DROP COLUMN `legacy_token`, ENGINE=InnoDB;",
        ),
        {("SQL102", "db/migrations/20240102_drop.sql", 1)},
        {
            ("SQL102", 1): "drops column users.legacy_token: its data is lost, and running code "
            "that reads it breaks"
        },
    ),
    (
        "do_block_rename",
        added(
            FLYWAY,
            """
            DO $$
            BEGIN
              IF EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'nick') THEN
                ALTER TABLE users RENAME COLUMN nick TO nickname;
              END IF;
            END $$;
            """,
        ),
        {("SQL204", FLYWAY, 4)},
        {},
    ),
    (
        "dbmate_up_section_only",
        added(
            "db/migrations/20240301_drop_tokens.sql",
            """
            -- migrate:up
            ALTER TABLE users DROP COLUMN api_token;

            -- migrate:down
            ALTER TABLE users ADD COLUMN api_token text;
            DROP TABLE whatever;
            """,
        ),
        {("SQL102", "db/migrations/20240301_drop_tokens.sql", 2)},
        {},
    ),
    (
        "recreate_across_two_migrations",
        added("migrations/0008_drop_events.sql", "DROP TABLE events;")
        + added("migrations/0009_events.sql", "CREATE TABLE events (id bigint);"),
        {("SQL104", "migrations/0008_drop_events.sql", 1)},
        {
            ("SQL104", 1): "drops and recreates table events: the table exists afterwards in "
            "migrations/0009_events.sql, but its rows are gone"
        },
    ),
    (
        "added_line_in_existing_migration",
        modified(
            "db/migrations/0003_init.sql",
            """
            CREATE TABLE a (id int);
            DROP TABLE old_a;
            CREATE INDEX a_id ON a (id);
            """,
            """
            CREATE TABLE a (id int);
            DROP TABLE old_a;
            CREATE INDEX a_id ON a (id);
            DROP TABLE b;
            """,
        ),
        {("SQL101", "db/migrations/0003_init.sql", 4)},
        {},
    ),
    (
        "foreign_key_validated_under_lock",
        added(
            GOMIGRATE,
            """
            ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
              FOREIGN KEY (customer_id) REFERENCES customers (id);
            """,
        ),
        {("SQL205", GOMIGRATE, 1)},
        {
            ("SQL205", 1): "adds foreign key constraint orders_customer_fk to orders without "
            "NOT VALID: writes to orders and to the table it references wait while every "
            "existing row is checked"
        },
    ),
    (
        "check_validated_under_lock",
        added(PRISMA, 'ALTER TABLE "Order" ADD CHECK (total >= 0);'),
        {("SQL205", PRISMA, 1)},
        {
            ("SQL205", 1): "adds a check constraint to Order without NOT VALID: reads and "
            "writes of Order wait while every existing row is checked"
        },
    ),
    (
        "unique_constraint_builds_an_index",
        added(FLYWAY, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"),
        {("SQL205", FLYWAY, 1)},
        {
            ("SQL205", 1): "adds unique constraint users_email_key to users: its index is "
            "built while reads and writes of users wait"
        },
    ),
    (
        "primary_key_added_later",
        added(GOMIGRATE, "ALTER TABLE events ADD PRIMARY KEY (id);"),
        {("SQL205", GOMIGRATE, 1)},
        {},
    ),
    (
        "volatile_default_rewrites_the_table",
        added(
            GOMIGRATE,
            "ALTER TABLE orders ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();",
        ),
        {("SQL206", GOMIGRATE, 1)},
        {
            ("SQL206", 1): "adds column orders.public_id with a volatile default "
            "(gen_random_uuid()): PostgreSQL rewrites orders and its indexes under an ACCESS "
            "EXCLUSIVE lock, so reads and writes wait until it ends"
        },
    ),
    (
        "serial_column_rewrites_the_table",
        added(FLYWAY, "ALTER TABLE events ADD COLUMN seq bigserial;"),
        {("SQL206", FLYWAY, 1)},
        {
            ("SQL206", 1): "adds column events.seq with a bigserial column: PostgreSQL rewrites "
            "events and its indexes under an ACCESS EXCLUSIVE lock, so reads and writes wait "
            "until it ends"
        },
    ),
    (
        "identity_and_generated_columns",
        added(
            PRISMA,
            """
            ALTER TABLE "Event" ADD COLUMN "n" INTEGER GENERATED BY DEFAULT AS IDENTITY;
            ALTER TABLE "Event" ADD COLUMN "day" DATE GENERATED ALWAYS AS (created::date) STORED;
            ALTER TABLE "Event" ADD COLUMN "key" TEXT DEFAULT public.uuid_generate_v4()::text;
            """,
        ),
        {("SQL206", PRISMA, 1), ("SQL206", PRISMA, 2), ("SQL206", PRISMA, 3)},
        {},
    ),
]


@pytest.mark.parametrize(
    ("diff", "expected", "texts"), [c[1:] for c in FIRES], ids=[c[0] for c in FIRES]
)
def test_fires(diff: str, expected: set[tuple[str, str, int]], texts: dict) -> None:
    assert sql_findings(diff) == expected
    got = messages(diff)
    for key, text in texts.items():
        assert got[key] == text


QUIET = [
    ("drop_tmp_table", added(FLYWAY, "DROP TABLE IF EXISTS tmp_import;")),
    ("drop_staging_table", added(FLYWAY, "DROP TABLE staging_orders;")),
    ("golang_migrate_down", added("migrations/000012_users.down.sql", "DROP TABLE users;")),
    ("flyway_undo", added("db/migration/U3__cleanup.sql", "DROP TABLE legacy_orders;")),
    ("sqitch_revert", added("revert/users.sql", "DROP TABLE users;")),
    ("diesel_down", added("migrations/2024-01-01-000000_users/down.sql", "DROP TABLE users;")),
    ("comment", added(FLYWAY, "-- DROP TABLE users;\n/* TRUNCATE orders; */\nSELECT 1;")),
    (
        "string_literal",
        added(FLYWAY, "INSERT INTO audit (msg) VALUES ('DROP TABLE users; DELETE FROM x');"),
    ),
    ("test_fixture", added("tests/fixtures/reset.sql", "DELETE FROM users;\nDROP TABLE orders;")),
    ("seed", added("db/seeds.sql", "DELETE FROM countries;\nTRUNCATE currencies;")),
    (
        "index_on_new_table",
        added(
            GOMIGRATE,
            """
            CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL);
            CREATE INDEX invoices_customer_idx ON invoices (customer_id);
            """,
        ),
    ),
    ("index_concurrently", added(GOMIGRATE, "CREATE INDEX CONCURRENTLY i ON orders (a);")),
    (
        "add_not_null_with_default",
        added(GOMIGRATE, "ALTER TABLE o ADD COLUMN r int NOT NULL DEFAULT 0;"),
    ),
    ("add_nullable", added(GOMIGRATE, "ALTER TABLE o ADD COLUMN r int;")),
    ("delete_with_where", added(GOMIGRATE, "DELETE FROM sessions WHERE expires_at < now();")),
    (
        "update_with_where",
        added(GOMIGRATE, "UPDATE users SET status = 'active'\n WHERE status IS NULL;"),
    ),
    (
        "column_dropped_from_new_table",
        added("migrations/0001_create.sql", "CREATE TABLE t (a int, b int);")
        + added("migrations/0002_drop_b.sql", "ALTER TABLE t DROP COLUMN b;"),
    ),
    (
        "backfill_of_new_column",
        added(
            GOMIGRATE,
            """
            ALTER TABLE users ADD COLUMN active boolean;
            UPDATE users SET active = true;
            """,
        ),
    ),
    (
        "migration_edited_elsewhere",
        modified(
            "db/migrations/0003_init.sql",
            "DROP TABLE old_a;\nALTER TABLE b DROP COLUMN c;\nSELECT 1;\n\n\n\n-- note",
            "DROP TABLE old_a;\nALTER TABLE b DROP COLUMN c;\nSELECT 1;\n\n\n\n-- note, edited",
        ),
    ),
    (
        "pg_dump_structure",
        added(
            "db/structure.sql",
            """
            --
            -- PostgreSQL database dump
            --
            DROP TABLE IF EXISTS public.users;
            DROP SCHEMA public CASCADE;
            """,
        ),
    ),
    (
        "sqlc_queries",
        added(
            "internal/db/queries/users.sql",
            "-- name: DeleteAllUsers :exec\nDELETE FROM users;",
        ),
    ),
    (
        "prisma_sqlite_redefine_table",
        added(
            PRISMA,
            """
            PRAGMA foreign_keys=OFF;
            CREATE TABLE "new_User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT);
            INSERT INTO "new_User" ("id", "name") SELECT "id", "name" FROM "User";
            DROP TABLE "User";
            ALTER TABLE "new_User" RENAME TO "User";
            PRAGMA foreign_keys=ON;
            """,
        ),
    ),
    (
        "not_null_after_validated_check",
        added(
            GOMIGRATE,
            """
            ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
            ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
            ALTER TABLE users ALTER COLUMN email SET NOT NULL;
            """,
        ),
    ),
    (
        "function_body",
        added(
            FLYWAY,
            """
            CREATE FUNCTION purge() RETURNS void AS $$
              DELETE FROM sessions;
              DROP TABLE scratch;
            $$ LANGUAGE sql;
            """,
        ),
    ),
    (
        "view_recreated",
        added(
            FLYWAY,
            "DROP VIEW active_users;\nCREATE VIEW active_users AS SELECT id FROM users;",
        ),
    ),
    ("mysql_index", added("db/migrations/20240103.sql", "CREATE INDEX i ON `users` (`email`);")),
    (
        "schema_setup_script",
        added(
            "scripts/create_tables.sql",
            "DROP TABLE IF EXISTS users;\nCREATE TABLE users (id int);",
        ),
    ),
    ("temp_table", added(FLYWAY, "CREATE TEMP TABLE ids (id int);\nDROP TABLE ids;")),
    (
        "rename_new_table",
        added(FLYWAY, "CREATE TABLE t_new (id int);\nALTER TABLE t_new RENAME TO t2;"),
    ),
    (
        "deleted_migration_file",
        "diff --git a/m/V1__a.sql b/m/V1__a.sql\ndeleted file mode 100644\n--- a/m/V1__a.sql\n+++ /dev/null\n@@ -1 +0,0 @@\n-DROP TABLE users;\n",
    ),
    (
        "foreign_key_not_valid_then_validated",
        added(
            GOMIGRATE,
            """
            ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
              FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
            ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
            """,
        ),
    ),
    (
        "unique_using_an_index_built_concurrently",
        added(
            GOMIGRATE,
            """
            CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
            ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;
            """,
        ),
    ),
    (
        "constraints_on_a_new_table",
        added(
            GOMIGRATE,
            """
            CREATE TABLE invoices (id bigint, order_id bigint, total int);
            ALTER TABLE invoices ADD PRIMARY KEY (id);
            ALTER TABLE invoices ADD FOREIGN KEY (order_id) REFERENCES orders (id);
            ALTER TABLE invoices ADD CHECK (total >= 0);
            """,
        ),
    ),
    (
        "constraint_in_a_mysql_migration",
        added(
            "db/migrations/20240104.sql",
            "ALTER TABLE `orders` ADD CONSTRAINT fk FOREIGN KEY (`c`) REFERENCES `customers` (`id`);",
        ),
    ),
    (
        "constraint_in_a_schema_dump_script",
        added("scripts/schema.sql", "ALTER TABLE orders ADD FOREIGN KEY (c) REFERENCES c (id);"),
    ),
    (
        "stable_and_constant_defaults_are_instant",
        added(
            GOMIGRATE,
            """
            ALTER TABLE orders ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
            ALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT CURRENT_TIMESTAMP;
            ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
            ALTER TABLE orders ADD COLUMN attempts int NOT NULL DEFAULT 0;
            """,
        ),
    ),
    (
        "volatile_default_on_a_new_table",
        added(
            GOMIGRATE,
            """
            CREATE TABLE tokens (id int);
            ALTER TABLE tokens ADD COLUMN value uuid DEFAULT gen_random_uuid();
            ALTER TABLE tokens ADD COLUMN seq bigserial;
            """,
        ),
    ),
    (
        "default_set_after_the_column_is_added",
        added(
            GOMIGRATE,
            """
            ALTER TABLE orders ADD COLUMN public_id uuid;
            ALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
            """,
        ),
    ),
]


@pytest.mark.parametrize("diff", [c[1] for c in QUIET], ids=[c[0] for c in QUIET])
def test_quiet(diff: str) -> None:
    assert sql_findings(diff) == set()


def test_severity_and_confidence() -> None:
    report = run_diff(
        added(
            FLYWAY,
            """
            DROP TABLE orders CASCADE;
            DROP DATABASE shop;
            DROP INDEX orders_idx;
            DROP TABLE users_backup;
            DROP VIEW v;
            ALTER TABLE t ALTER COLUMN name TYPE varchar(200);
            """,
        ),
        select=["SQL"],
    )
    by_line = {f.line: f for f in report.findings}
    assert by_line[1].severity is Severity.CRITICAL
    assert by_line[2].severity is Severity.CRITICAL
    assert by_line[3].severity is Severity.LOW
    assert "without CONCURRENTLY the table is locked" in by_line[3].message
    assert by_line[4].severity is Severity.LOW and "backup copy" in by_line[4].message
    assert by_line[5].severity is Severity.MEDIUM
    assert by_line[6].severity is Severity.LOW
    assert by_line[6].message.startswith(
        "changes the type of t.name to varchar(200): unless it only widens"
    )
    assert {f.confidence for f in report.findings} == {Confidence.HIGH}


def test_fallback_is_medium_confidence() -> None:
    report = run_diff(added(FLYWAY, "DROP TABLE `users`;"), select=["SQL"])
    assert [(f.code, f.confidence) for f in report.findings] == [("SQL101", Confidence.MEDIUM)]


def test_script_outside_migrations_is_one_lower() -> None:
    report = run_diff(added("scripts/cleanup.sql", "DROP TABLE users;"), select=["SQL"])
    assert [(f.code, f.severity, f.confidence) for f in report.findings] == [
        ("SQL101", Severity.MEDIUM, Confidence.MEDIUM)
    ]


def test_removed_where_makes_the_statement_fire() -> None:
    diff = modified(
        "db/migrations/0004_cleanup.sql",
        "SELECT 1;\nDELETE FROM sessions\n WHERE expired;\nSELECT 2;",
        "SELECT 1;\nDELETE FROM sessions;\nSELECT 2;",
    )
    assert sql_findings(diff) == {("SQL103", "db/migrations/0004_cleanup.sql", 2)}


def test_bare_diff_cut_statement_is_quiet() -> None:
    # The hunk ends inside the UPDATE: its WHERE may be on a line the diff does not show.
    diff = (
        "diff --git a/db/migrations/0005.sql b/db/migrations/0005.sql\n"
        "--- a/db/migrations/0005.sql\n+++ b/db/migrations/0005.sql\n"
        "@@ -10,1 +10,3 @@\n SELECT 1;\n+UPDATE users\n+   SET plan = 'free',\n"
    )
    assert sql_findings(diff) == set()


def test_psql_dump_data_is_not_sql() -> None:
    diff = added(
        FLYWAY,
        """
        COPY users (id, note) FROM stdin;
        1	it's DROP TABLE x; here
        \\.
        DROP TABLE legacy;
        """,
    )
    assert sql_findings(diff) == {("SQL101", FLYWAY, 4)}


def test_clickhouse_rebuild_is_not_a_rename_or_a_recreate() -> None:
    diff = added(
        "db/clickhouse/migrations/05_add_utm.sql",
        """
        RENAME TABLE umami.stats_hourly TO umami.stats_hourly_old;
        CREATE TABLE umami.stats_hourly (id UUID) ENGINE = AggregatingMergeTree ORDER BY id;
        INSERT INTO umami.stats_hourly SELECT * FROM umami.stats_hourly_old;
        DROP TABLE umami.stats_hourly_mv;
        CREATE MATERIALIZED VIEW umami.stats_hourly_mv TO umami.stats_hourly AS SELECT 1;
        ALTER TABLE umami.website_event DROP PROJECTION website_event_url_path_projection;
        """,
    )
    assert sql_findings(diff) == set()


def test_additive_sql_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """New tables and nullable columns yield no op a rule reports: the SQL is not parsed."""
    from changerisk.parsers import sql

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("additive SQL was parsed")

    monkeypatch.setattr(sql, "analyze", refuse)
    diff = added(
        GOMIGRATE,
        """
        CREATE TABLE notes (id bigint, body text);
        ALTER TABLE users ADD COLUMN note text;
        INSERT INTO notes (id, body) VALUES (1, 'hello');
        """,
    )
    assert sql_findings(diff) == set()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("ALTER TABLE users ADD COLUMN uid bigint PRIMARY KEY;", "SQL202"),
        ("ALTER TABLE users ADD COLUMN uid bigint not null;", "SQL202"),
        ("ALTER TABLE users ALTER email TYPE text;", "SQL201"),
        ("create unique index users_email on users (email);", "SQL203"),
        ("ALTER TABLE users RENAME TO accounts;", "SQL204"),
        ("delete from sessions;", "SQL103"),
    ],
)
def test_the_words_a_reported_op_needs_are_read(body: str, code: str) -> None:
    assert {c for c, _, _ in sql_findings(added(GOMIGRATE, body))} == {code}


def test_an_additive_file_still_gives_context_to_another() -> None:
    """The column one file adds and another drops is no data loss, though the first file
    alone would not be parsed."""
    diff = added("migrations/000012_a.up.sql", "ALTER TABLE users ADD COLUMN nickname text;")
    diff += added("migrations/000013_b.up.sql", "ALTER TABLE users DROP COLUMN nickname;")
    assert sql_findings(diff) == set()
