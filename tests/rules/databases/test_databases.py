from pathlib import Path

import pytest
from changerisk.rules.databases import RULES, sql_statements

from changerisk.model import Confidence, Severity
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("reset_drop_schema_cascade.diff", {("SH106", "scripts/load-demo.sh", 4)}),
    ("cron_redis_flushall.diff", {("SH106", "ops/nightly.sh", 6)}),
    ("workflow_mysql_truncate.diff", {("SH106", ".github/workflows/maintenance.yml", 8)}),
    # near misses: a CI job's own database container; test and temp names; SQL in a string
    ("workflow_test_database_localhost.diff", set()),
    ("setup_test_databases.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "reset_drop_schema_cascade.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "runs psql: drops schema public and every table in it",
        ),
        (
            "cron_redis_flushall.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "runs redis-cli FLUSHALL: deletes every key in every database of the Redis server "
            "cache.internal",
        ),
        (
            "workflow_mysql_truncate.diff",
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "runs mysql against prod-db.internal: deletes every row of table sessions",
        ),
    ],
)
def test_severity_confidence_and_message(
    fixture: str, severity: Severity, confidence: Confidence, message: str
) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=RULES).findings
    assert (finding.severity, finding.confidence, finding.message) == (
        severity,
        confidence,
        message,
    )
    assert finding.hint


def _diff(*added: str, path: str = "scripts/run.sh") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100755\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n{body}"
    )


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        (
            "dropdb -h db.internal -U postgres orders",
            Severity.HIGH,
            "drops PostgreSQL database orders on db.internal: every table and row in it is deleted",
        ),
        (
            "dropdb --interactive orders",
            Severity.MEDIUM,
            "drops PostgreSQL database orders: every table and row in it is deleted",
        ),
        (
            "sudo -u postgres dropdb --force orders",
            Severity.CRITICAL,
            "drops PostgreSQL database orders: every table and row in it is deleted",
        ),
        (
            'mysqladmin -uroot -p"$PW" -f drop shop',
            Severity.CRITICAL,
            "drops MySQL database shop without confirmation: every table and row in it is deleted",
        ),
        (
            "redis-cli -u redis://cache.prod:6379 -n 2 FLUSHDB",
            Severity.CRITICAL,
            "runs redis-cli FLUSHDB: deletes every key in database 2 of the Redis server cache.prod",
        ),
        (
            'psql postgres://app@db.prod/shop -c "DROP TABLE orders, order_items"',
            Severity.CRITICAL,
            "runs psql against db.prod: drops tables orders and order_items and every row in them",
        ),
        (
            "mysql --execute='DROP DATABASE IF EXISTS shop'",
            Severity.HIGH,
            "runs mysql: drops database shop and every table in it",
        ),
        (
            'clickhouse-client --query "TRUNCATE TABLE events"',
            Severity.HIGH,
            "runs clickhouse-client: deletes every row of table events",
        ),
        (
            'cockroach sql --url "$URL" -e "DROP DATABASE bank CASCADE"',
            Severity.HIGH,
            "runs cockroach sql: drops database bank and every table in it",
        ),
        (
            "mongosh mongodb://db.prod/shop --eval 'db.orders.drop()'",
            Severity.CRITICAL,
            "drops MongoDB collection orders of database shop on db.prod: every document in it "
            "is lost",
        ),
    ],
)
def test_command_lines(line: str, severity: Severity, message: str) -> None:
    (finding,) = run_diff(_diff(line), rules=RULES).findings
    assert (finding.severity, finding.message) == (severity, message)


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        ("dropdb prod", Severity.CRITICAL, "drops PostgreSQL database prod: every table and row"),
        (
            "dropdb -h db.prod.internal orders",
            Severity.CRITICAL,
            "drops PostgreSQL database orders on db.prod.internal: every table and row",
        ),
        (
            "mysqladmin drop shop_production",
            Severity.CRITICAL,
            "drops MySQL database shop_production: every table and row",
        ),
        ("dropdb --interactive prod", Severity.HIGH, "drops PostgreSQL database prod: every"),
        # "product" and "products" are no production words
        ("dropdb products", Severity.HIGH, "drops PostgreSQL database products: every table"),
    ],
)
def test_a_production_database_or_host_raises_a_level(
    line: str, severity: Severity, message: str
) -> None:
    (finding,) = run_diff(_diff(line), rules=RULES).findings
    assert finding.severity == severity
    assert finding.message.startswith(message)


@pytest.mark.parametrize(
    "line",
    [
        "dropdb --if-exists app_test",
        "dropdb myapp_development",
        "dropdb",
        "createdb orders",
        'psql -c "DROP TABLE IF EXISTS tmp_orders_import"',
        'psql -c "SELECT * FROM orders -- DROP TABLE orders"',
        "psql -c \"INSERT INTO notes VALUES ('DROP TABLE x')\"",
        "psql -f drop.sql",
        'mysql -e "DROP TEMPORARY TABLE staging_rows"',
        "redis-cli GET flushall",
        "redis-cli -n 3 KEYS 'session:*'",
        "echo redis-cli FLUSHALL",
        "mysqladmin status",
        "mongosh --eval 'db.orders.find()'",
    ],
)
def test_quiet_command_lines(line: str) -> None:
    assert run_diff(_diff(line), rules=RULES).findings == ()


def test_ci_service_hosts_are_the_jobs_own_but_scripts_are_not() -> None:
    ci = "- redis-cli -h redis FLUSHALL"
    diff = (
        "diff --git a/.gitlab-ci.yml b/.gitlab-ci.yml\nnew file mode 100644\nindex 0..1\n"
        "--- /dev/null\n+++ b/.gitlab-ci.yml\n@@ -0,0 +1,3 @@\n+test:\n+  script:\n"
        f"+    {ci}\n"
    )
    assert run_diff(diff, rules=RULES).findings == ()
    assert len(run_diff(_diff("redis-cli -h localhost FLUSHALL"), rules=RULES).findings) == 1


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (
            "drop table if exists a; drop table b cascade;",
            ["drops table a and every row in it", "drops table b and every row in it"],
        ),
        ("/* DROP TABLE x */ SELECT 1", []),
        (
            "TRUNCATE ONLY public.events RESTART IDENTITY",
            ["deletes every row of table public.events"],
        ),
        ('DROP SCHEMA "billing" CASCADE', ["drops schema billing and every table in it"]),
        ("DROP TABLE temp_rows, orders", ["drops table orders and every row in it"]),
        ("ALTER TABLE x DROP COLUMN y", []),
    ],
)
def test_sql_token_check(sql: str, said: list[str]) -> None:
    assert sql_statements(sql) == said


def test_sql_fed_on_standard_input_is_read() -> None:
    lines = [
        'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 <<SQL',
        "BEGIN;",
        "DROP TABLE legacy_orders;",
        "COMMIT;",
        "SQL",
        'mysql shop <<< "TRUNCATE TABLE sessions"',
        "cat <<EOF",
        "DROP TABLE not_run",
        "EOF",
        "psql -f migrate.sql <<SQL",
        "DROP TABLE not_read_either;",
        "SQL",
    ]
    report = run_diff(_diff(*lines), rules=RULES)
    assert [(f.line, f.message) for f in report.findings] == [
        (1, "runs psql: drops table legacy_orders and every row in it"),
        (6, "runs mysql: deletes every row of table sessions"),
    ]


def test_a_change_to_a_heredoc_body_is_a_change_to_its_command() -> None:
    diff = (
        "diff --git a/run.sh b/run.sh\nindex 1..2 100755\n--- a/run.sh\n+++ b/run.sh\n"
        "@@ -1,4 +1,4 @@\n psql <<SQL\n BEGIN;\n-DELETE FROM carts WHERE stale;\n"
        "+TRUNCATE carts;\n SQL\n"
    )
    assert found(run_diff(diff, rules=RULES)) == {("SH106", "run.sh", 3)}
