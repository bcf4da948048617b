"""Database and cache wipe commands: `dropdb`, `mysqladmin drop`, `redis-cli FLUSHALL`, and
`psql -c` / `mysql -e` with DROP or TRUNCATE, added to scripts, CI jobs and recipes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import (
    Wipe,
    added_commands,
    confidence_of,
    is_ci,
    is_disposable,
    is_production,
    listed,
    named,
    read_options,
)

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Host names of CI service containers (GitLab `services:` aliases, compose service names).
_SERVICE_HOSTS = frozenset({"postgres", "mysql", "mariadb", "redis", "db", "database", "mongo"})
_PG_VALUED = frozenset({"h", "host", "p", "port", "U", "username", "d", "dbname", "maintenance-db"})
_PG_VALUED_SQL = _PG_VALUED | {"c", "command", "f", "file", "v", "set", "o", "output", "P"}
_MYSQL_VALUED = frozenset({"h", "host", "u", "user", "P", "port", "S", "socket", "D", "database"})
_MYSQL_VALUED_SQL = _MYSQL_VALUED | {"e", "execute"}
_REDIS_VALUED = frozenset({"h", "p", "a", "n", "u", "s", "r", "i", "d", "user", "pass", "sni"})
_REDIS_VALUED |= {"cacert", "cacertdir", "cert", "key", "askpass"}


def _host(options: list[tuple[str, str | None]], positionals: list[str]) -> str | None:
    for name, value in options:
        if name in ("h", "host") and value:
            return value
        if name in ("u", "uri") and value and "://" in value:
            return _url_host(value)
    for arg in positionals:
        if "://" in arg:
            return _url_host(arg)
    return None


def _url_host(url: str) -> str:
    rest = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.split(":", 1)[0]


def _on(host: str | None) -> str:
    return f" on {host}" if host else ""


def dropdb_wipe(command: Command) -> Wipe | None:
    options, positionals = read_options(command.argv, valued=_PG_VALUED, bundles=False)
    names = [arg for arg in positionals if not is_disposable(arg)]
    if not positionals or not names:
        return None
    host = _host(options, [])
    flags = {name for name, _ in options}
    severity = Severity.HIGH
    if flags & {"i", "interactive"}:
        severity = Severity.MEDIUM
    elif flags & {"f", "force"}:
        severity = Severity.CRITICAL  # ends the sessions still connected, then drops
    return Wipe(
        f"drops PostgreSQL database {names[-1]}{_on(host)}: every table and row in it is deleted",
        severity,
        host,
        production=is_production(names[-1]),
    )


def mysqladmin_wipe(command: Command) -> Wipe | None:
    options, positionals = read_options(command.argv, valued=_MYSQL_VALUED, bundles=False)
    if len(positionals) < 2 or positionals[0].lower() not in ("drop", "drop-database"):
        return None
    name = positionals[1]
    if is_disposable(name):
        return None
    host = _host(options, [])
    unattended = any(flag in ("f", "force") for flag, _ in options)
    severity = Severity.CRITICAL if unattended else Severity.HIGH
    return Wipe(
        f"drops MySQL database {name}{_on(host)}"
        + (" without confirmation" if unattended else "")
        + ": every table and row in it is deleted",
        severity,
        host,
        production=is_production(name),
    )


def redis_wipe(command: Command) -> Wipe | None:
    options, positionals = read_options(command.argv, valued=_REDIS_VALUED, bundles=False)
    if not positionals:
        return None
    verb = positionals[0].upper()
    host = _host(options, [])
    if verb == "FLUSHALL":
        what = "every key in every database"
    elif verb == "FLUSHDB":
        number = next((v for k, v in options if k == "n" and v), "0")
        what = f"every key in database {number}"
    else:
        return None
    server = f"the Redis server {host}" if host else "the Redis server"
    return Wipe(f"runs redis-cli {verb}: deletes {what} of {server}", Severity.HIGH, host)


_SQL_CLIENTS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "psql": (_PG_VALUED_SQL, ("c", "command")),
    "mysql": (_MYSQL_VALUED_SQL, ("e", "execute")),
    "mariadb": (_MYSQL_VALUED_SQL, ("e", "execute")),
    "clickhouse-client": (frozenset({"h", "host", "q", "query", "u", "user"}), ("q", "query")),
    "sqlcmd": (frozenset({"S", "U", "P", "d", "Q", "q"}), ("Q", "q")),
}
_SQL_NOISE = lazy_compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)
_NAME = r"[\w.\"`\[\]$@{}:-]+"
_SQL_DROP = lazy_compile(
    rf"\bDROP\s+(?P<kind>DATABASE|SCHEMA|TABLE)\s+(?:IF\s+EXISTS\s+)?(?P<names>{_NAME}"
    rf"(?:\s*,\s*{_NAME})*)",
    re.IGNORECASE,
)
_SQL_TRUNCATE = lazy_compile(
    rf"\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<names>{_NAME}(?:\s*,\s*{_NAME})*)",
    re.IGNORECASE,
)


def sql_statements(sql: str) -> list[str]:
    """What the DROP DATABASE / SCHEMA / TABLE and TRUNCATE statements of `sql` delete, said
    plainly; names for throwing away (`tmp_`, `_test`) are left out. A token check, not a
    parse: comments and string literals are skipped."""
    text = _SQL_NOISE.sub(" ", sql)
    said: list[str] = []
    for match in _SQL_DROP.finditer(text):
        kind = match.group("kind").lower()
        names = _kept(match.group("names"))
        if not names:
            continue
        s, them = ("s", "them") if len(names) > 1 else ("", "it")
        contents = "row" if kind == "table" else "table"
        said.append(f"drops {kind}{s} {listed(names)} and every {contents} in {them}")
    for match in _SQL_TRUNCATE.finditer(text):
        names = _kept(match.group("names"))
        if names:
            s = "s" if len(names) > 1 else ""
            said.append(f"deletes every row of table{s} {listed(names)}")
    return said


def _kept(names: str) -> list[str]:
    out = []
    for raw in names.split(","):
        name = raw.strip().strip('"`[]')
        if name and name.upper() not in ("CASCADE", "RESTRICT") and not is_disposable(name):
            out.append(name)
    return out


def sql_client_wipe(command: Command) -> Wipe | None:
    program = shown = command.program
    argv = command.argv
    if program == "clickhouse" and argv[1:2] == ("client",):
        program, shown, argv = "clickhouse-client", "clickhouse client", argv[1:]
    if program == "cockroach" and argv[1:2] == ("sql",):
        program, shown, argv = "mysql", "cockroach sql", argv[1:]  # `-e`, `--execute` too
    if program not in _SQL_CLIENTS:
        return None
    valued, sql_options = _SQL_CLIENTS[program]
    options, positionals = read_options(argv, valued=valued, bundles=False)
    scripts = [sql for name, sql in options if name in sql_options and sql]
    if not scripts and not any(name in ("f", "file", "i", "input") for name, _ in options):
        scripts = [command.stdin]  # `psql <<SQL … SQL`, `mysql <<< "…"`
    statements = [said for sql in scripts for said in sql_statements(sql)]
    if not statements:
        return None
    host = _host(options, positionals)
    against = f" against {host}" if host else ""
    return Wipe(f"runs {shown}{against}: {'; '.join(statements)}", Severity.HIGH, host)


_MONGO_DROP = lazy_compile(r"\.dropDatabase\s*\(|\b(?:db|\))\.(?P<collection>\w+)\.drop\s*\(\s*\)")


def mongo_wipe(command: Command) -> Wipe | None:
    if command.program not in ("mongosh", "mongo"):
        return None
    options, positionals = read_options(command.argv, valued={"eval", "host", "u", "p"})
    script = " ".join(value for name, value in options if name == "eval" and value)
    match = _MONGO_DROP.search(script)
    if match is None:
        return None
    host = _host(options, positionals)
    database = next((_url_database(arg) for arg in positionals), "")
    of = f" of database {database}" if database else ""
    if match.group("collection"):
        collection = match.group("collection")
        what = f"drops MongoDB collection {collection}{of}{_on(host)}: every document in it is lost"
    else:
        named = f" {database}" if database else ""
        what = f"drops MongoDB database{named}{_on(host)}: every collection in it is lost"
    return Wipe(what, Severity.HIGH, host)


def _url_database(arg: str) -> str:
    """`mongodb://host/shop?x=1` and `shop` name database shop."""
    if "://" not in arg:
        return arg if re.fullmatch(r"[\w-]+", arg) else ""
    path = arg.split("://", 1)[1].partition("/")[2]
    return path.split("?", 1)[0]


def database_wipe(command: Command) -> Wipe | None:
    """What `command` wipes in a database or cache, or None."""
    program = command.program
    if program == "dropdb":
        return dropdb_wipe(command)
    if program == "mysqladmin":
        return mysqladmin_wipe(command)
    if program == "redis-cli":
        return redis_wipe(command)
    return sql_client_wipe(command) or mongo_wipe(command)


class DatabaseWipeCommand(Rule):
    """A script or CI job drops a database or table, or flushes a cache.

    Fires on an added `dropdb`, `mysqladmin drop`, `redis-cli FLUSHALL` / `FLUSHDB`, a
    `psql -c`, `mysql -e`, `mariadb -e`, `clickhouse-client --query`, `sqlcmd -Q` or
    `cockroach sql -e` (or a heredoc or here-string fed to one) whose SQL holds `DROP
    DATABASE`, `DROP SCHEMA`, `DROP TABLE` or `TRUNCATE` (a token check: comments and strings
    are skipped), and `mongosh --eval` that
    drops a database or collection. Names made for throwing away (`app_test`, `tmp_orders`,
    `scratch`) stay quiet, and so do commands against `localhost` or a service container
    (`-h postgres`) in a CI file, which are the job's own test databases. `dropdb -i` asks
    first (medium); `dropdb --force` and `mysqladmin -f` do not (critical). A database or
    host named for production (`dropdb prod`, `-h db.prod.internal`) is one level higher.

    ## Why it matters
    A dropped database or table and a flushed cache are gone at once, and the only way back is
    a restore from the last backup: every write since then is lost, and the service is down or
    wrong until the restore is done. In a script, the host and database come from variables
    and the environment, so the same line that resets a dev database wipes production when
    they point there.

    ## Bad
    ```diff
    --- a/scripts/reset.sh
    +++ b/scripts/reset.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
     set -e
    +psql "$DATABASE_URL" -c "DROP TABLE orders CASCADE"
    ```

    ## Good
    ```diff
    --- a/scripts/reset.sh
    +++ b/scripts/reset.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
     set -e
    +psql "$DATABASE_URL" -c "DROP TABLE IF EXISTS tmp_orders_import"
    ```
    """

    code = "SH106"
    name = "database-wipe-command"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for command, line in added_commands(change):
            wipe = database_wipe(command)
            if wipe is None:
                continue
            host = (wipe.host or "").lower()
            if is_ci(change) and (host in _LOCAL_HOSTS or host in _SERVICE_HOSTS):
                continue  # the job's own database container
            severity = wipe.severity
            if wipe.production or (host and is_production(host)):
                severity = severity.shifted(1)  # `dropdb prod`, `psql -h db.prod …`
            yield self.finding(
                change,
                line=line,
                message=named(wipe.message, change),
                hint=(
                    "take a backup first and have a person run it against a named host; for "
                    "a test database, give it a test name"
                ),
                severity=severity,
                confidence=confidence_of(change),
            )


RULES = (DatabaseWipeCommand,)
