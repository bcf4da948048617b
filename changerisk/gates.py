"""What a change must hold for a built-in family to report anything on it, asked without
importing the family.

Most changes give most families nothing to read: a handler edited without a decorator in sight
cannot lose its authentication, and a migration that only adds tables drops nothing. Each
family here has a gate: a cheap test of the change that is False only when none of its rules
can report. On a closed gate the hook does not import the family (its parsers, tables and
patterns cost milliseconds), and the engine does not run its rules.

A gate is what every rule of its family asks first, and the rules ask it through the functions
below, so a gate cannot stay behind when a rule starts reading more. The engine applies gates
in tests too: a gate too narrow for a rule fails that rule's own must-fire tests.

The words a gate looks for are read in the full text of the change's files, where the rules
read them (a bare diff's text is rebuilt from its hunks), so the answer is the same for a diff,
the staged changes and a commit range.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from changerisk.model import ChangeSet, FileChange, Status
from changerisk.parsers.guard_words import language_of, may_guard, may_mark
from changerisk.paths import path_name, path_parts
from changerisk.regex import lazy_compile

# AUTH: application code that guards its endpoints.

# Tests and their helpers declare no endpoint of the application.
AUTH_TEST_PATH = lazy_compile(
    r"(^|/)(tests?|spec|specs|__tests__|__mocks__|testing|fixtures?|testdata|e2e|mocks?)/|"
    r"(^|/)(test_[^/]*|[^/]*_tests?)\.py$|_test\.go$|\.(test|spec)\.[cm]?[jt]sx?$|"
    r"(^|/)src/test/|(^|/)conftest\.py$|Tests?\.java$"
)
# Vendored and built code declares no routes of the application: jQuery under static/, a
# minified bundle (and parsing those rebuilt from a bare diff's hunks can take minutes).
AUTH_VENDORED = lazy_compile(
    r"(^|/)(static|vendor|vendors|third_party|node_modules|dist|bower_components)/|"
    r"\.min\.[cm]?js$|\.bundle\.[cm]?js$"
)


def auth_language(change: FileChange) -> str:
    """The language the auth rules read `change` in, or "" when they do not read it: deleted,
    binary, test or vendored files, and files of other languages."""
    if change.new_path is None or change.is_binary:
        return ""
    if AUTH_TEST_PATH.search(change.path) or AUTH_VENDORED.search(change.path):
        return ""
    return language_of(change.path, change.formats)


def auth_may_report(change: FileChange) -> bool:
    """Whether the old side can hold a guard (to be removed) or the new side a marker (that
    switches a check off): without either, the auth surfaces of both sides are empty."""
    language = auth_language(change)
    if not language:
        return False
    old_text, new_text = change.old_text(), change.new_text()
    return bool(old_text and may_guard(old_text, language)) or bool(new_text and may_mark(new_text))


# CDK: app code of the AWS Cloud Development Kit.

CDK_FORMATS = frozenset({"typescript", "javascript", "python"})
# Neither pattern matches a newline: searched in the lines joined, each finds what it would
# find in some line alone.
CDK_AUTO_DELETE = lazy_compile(r"auto_?[dD]elete_?[oOiI]|empty_?[oO]n_?[dD]elete")
CDK_LITERAL = lazy_compile(r"[\"'`][\w.-]+[\"'`]")


def may_be_cdk(text: str) -> bool:
    """False when `text` cannot be CDK app code: every sign of it (`aws-cdk-lib`, `@aws-cdk/`,
    `aws_cdk`, a removal policy) holds "cdk" or "emoval"."""
    return "cdk" in text or "emoval" in text


def may_rename(change: FileChange) -> bool:
    """Whether a removed line holds a string literal (a construct ID can only change so)."""
    return CDK_LITERAL.search(change.removed_text) is not None


def cdk_may_report(change: FileChange) -> bool:
    """Whether `change` is CDK code that adds a `DESTROY` removal policy or an auto-delete
    flag, or removes a string literal that may be a construct ID."""
    if change.is_binary or not change.formats & CDK_FORMATS:
        return False
    added = change.added_text
    if "DESTROY" not in added and not CDK_AUTO_DELETE.search(added) and not may_rename(change):
        return False
    return may_be_cdk(change.new_text() or change.old_text() or "")


# SQL: SQL files that run on a live database.

SQL_SUFFIXES = (".sql", ".pgsql", ".psql")
# Folders and names of SQL that does not run against production: tests, fixtures, seeds, docs.
_QUIET_PARTS = frozenset(
    {"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "test-data"}
    | {"fixtures", "fixture", "seeds", "seed", "seeders", "seed-data", "examples", "example"}
    | {"samples", "sample", "docs", "doc", "mocks", "mock", "e2e", "benchmarks", "bench"}
)
_QUIET_NAME = lazy_compile(r"^(test|seed|fixture|sample|example)|(_test|_spec|seeds?)\.\w+$", re.I)
# Down, undo and revert scripts: golang-migrate `*.down.sql`, Diesel `down.sql`, Flyway undo
# `U1__…`, sqitch `revert/`, `*.rollback.sql`.
_DOWN_NAME = lazy_compile(
    r"(^|[._-])(down|undo|rollback|revert)\.sql$|^u\d+([._]\d+)*__|^(rollback|revert)[._-]", re.I
)
_DOWN_PARTS = frozenset({"revert", "rollback", "rollbacks", "down", "undo", "verify"})
# A word without which no statement yields an op a rule reports (a drop, a data loss, a type
# change, NOT NULL, an index, a constraint, a column default, a rename; `ALTER COLUMN c int`
# is SQL Server's type change, `sp_rename` its rename). A change whose SQL has none of them is
# only additive (new tables, nullable columns, inserts) and is not parsed at all: the other
# ops only give the reported ones their context.
SQL_REPORTABLE = lazy_compile(
    r"\b(?:DROP|TRUNCATE|DELETE|UPDATE|TYPE|NOT|NOTNULL|INDEX|KEY|MODIFY|CHANGE|PRIMARY|"
    r"CONSTRAINT|CHECK|UNIQUE|EXCLUDE|REFERENCES|DEFAULT|GENERATED|(?:BIG|SMALL)?SERIAL[248]?)\b"
    r"|\bALTER\s+COLUMN\b|RENAME",
    re.IGNORECASE,
)


def is_sql_path(path: str) -> bool:
    return path.lower().endswith(SQL_SUFFIXES)


def is_quiet_path(path: str) -> bool:
    """Tests, fixtures, seeds, examples and docs: SQL there does not run on production."""
    parts = {part.lower() for part in path_parts(path)[:-1]}
    return bool(parts & _QUIET_PARTS) or bool(_QUIET_NAME.search(path_name(path)))


def is_down_path(path: str) -> bool:
    parts = {part.lower() for part in path_parts(path)[:-1]}
    return bool(parts & _DOWN_PARTS) or bool(_DOWN_NAME.search(path_name(path)))


def sql_runs_forward(change: FileChange) -> bool:
    """A SQL file, not deleted, and not a test, seed or down script (by its path)."""
    path = change.path
    if change.status is Status.DELETED or change.is_binary or not is_sql_path(path):
        return False
    return not (is_quiet_path(path) or is_down_path(path))


def sql_may_report(change: FileChange) -> bool:
    """Whether `change` is a SQL file the SQL rules read whose text has a word a reported op
    needs (`SQL_REPORTABLE`)."""
    return sql_runs_forward(change) and SQL_REPORTABLE.search(change.new_text() or "") is not None


# IAM and NET: policies, grants and exposure in infrastructure code.

# An escape that can spell a character the words below look for: JSON, HCL and YAML `\u`,
# `\U` and `\x` escapes, JSON's `\/`, and YAML's escaped line break, which joins two lines
# of a quoted string without a space.
_ESCAPE = lazy_compile(r"\\[uUx/\r\n]")


def _flat(text: str) -> str:
    """`text` in lower case without underscores: the policy reader finds its keys so
    (`not_actions`, `NotAction`), and the words below are spelled so."""
    return text.lower().replace("_", "")


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


IAM_POLICY_FORMATS = frozenset({"iam-policy", "terraform", "cloudformation"})
# A wildcard of an IAM pattern: a `*` or `?` with a character that is not blank beside it.
# Every pattern that can read as "everything" or match an action it does not name has one
# ("*", "s3:*", "iam:Pass?ole"); Terraform's splat `[*]` (removed first), a spaced product
# `a * b` and a formatted conditional `a ? b : c` have none.
_IAM_WILDCARD = lazy_compile(r"\S[*?]|[*?]\S")
# Words (`_flat`) without which no statement, grant or member can be reported: NotAction and
# NotResource (IAM101, IAM102), a role trust (IAM103), the AWS managed administrator
# policies, GCP roles and Azure role assignments (IAM106), GCP's public members (IAM107), and
# the escalation actions of `data/iam_access.json` (IAM104; tests/engine/test_gates.py holds
# this list to that table).
IAM_WORDS = (
    "notaction",
    "notresource",
    "sts:assumerole",
    "administratoraccess",
    "iamfullaccess",
    "poweruseraccess",
    "roles/",
    "azurermroleassignment",
    "allusers",
    "allauthenticatedusers",
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:attachuserpolicy",
    "iam:attachgrouppolicy",
    "iam:attachrolepolicy",
    "iam:putuserpolicy",
    "iam:putgrouppolicy",
    "iam:putrolepolicy",
    "iam:addusertogroup",
    "iam:updateassumerolepolicy",
    "iam:passrole",
    "lambda:updatefunctioncode",
    "lambda:updatefunctionconfiguration",
    "glue:updatedevendpoint",
    "ssm:sendcommand",
    "ec2-instance-connect:sendsshpublickey",
)
# The AWS managed administrator policies: all CDK code can attach (IAM106).
IAM_ADMIN_POLICIES = ("administratoraccess", "iamfullaccess", "poweruseraccess")


def iam_may_report(change: FileChange) -> bool:
    """Whether the new side can hold a wildcard, a trust, an administrator grant, a public
    member or an escalation action, or the old side a condition (IAM105)."""
    if change.is_binary:
        return False
    new = change.new_text() or ""
    if change.formats & CDK_FORMATS and _has_any(new.lower(), IAM_ADMIN_POLICIES):
        return True
    if not change.formats & IAM_POLICY_FORMATS:
        return False
    old = change.old_text() or ""
    if "condition" in old.lower() or _ESCAPE.search(old) or _ESCAPE.search(new):
        return True
    if _IAM_WILDCARD.search(new.replace("[*]", "")):
        return True
    return _has_any(_flat(new), IAM_WORDS)


NET_INFRA_FORMATS = frozenset({"terraform", "cloudformation"})
# Words (`_flat`) without which no infrastructure exposure can be reported: a public source
# (NET101, NET102: `AWS_PUBLIC` of rules/ingress.py), an Azure security rule (whose "*",
# "Internet" and "Any" are sources too), a public database flag or an Azure database
# firewall's end address (NET102), and the storage settings of `data/network_exposure.json`
# (NET103; tests/engine/test_gates.py holds this list to that table).
NET_INFRA_WORDS = (
    "0.0.0.0/0",
    "::/0",
    "azurermnetworksecurity",
    "publiclyaccessible",
    "255.255.255.255",
    "acl",
    "accesscontrol",
    "blockpublicpolicy",
    "restrictpublicbuckets",
    "allowblobpublicaccess",
    "allownesteditemstobepublic",
    "containeraccesstype",
    "publicaccessprevention",
    "publicnetworkaccessenabled",
)
NET_CODE_FORMATS = frozenset(
    {"python", "javascript", "typescript", "go", "java", "shell", "dockerfile", "yaml"}
)
# Every word of the TLS patterns of rules/transport.py (lower case, on added lines); the
# transport tests hold the two lists together.
NET_TLS_WORDS = (
    "rejectunauthorized",
    "strictssl",
    "insecureskipverify",
    "hostname",
    "cert_none",
    "check_hostname",
    "node_tls_reject_unauthorized",
    "pythonhttpsverify",
    "git_ssl_no_verify",
)
_NET_TEST_DIRS = frozenset(
    {"test", "tests", "testing", "spec", "specs", "__tests__", "__mocks__", "fixtures", "testdata"}
    | {"e2e", "mocks", "mock", "integration-tests", "test-utils", "cypress"}
)
_NET_TEST_NAME = lazy_compile(
    r"(^test_.*\.py$|_test\.(py|go)$|^conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$|Tests?\.java$)"
)


def is_test_path(path: str) -> bool:
    """Tests, fixtures and mocks: not production code (the transport rules skip them)."""
    parts = path_parts(path)
    return any(p.lower() in _NET_TEST_DIRS for p in parts[:-1]) or bool(
        _NET_TEST_NAME.search(parts[-1] if parts else "")
    )


def python_may_skip_tls(text: str) -> bool:
    """Whether Python code can turn TLS verification off: a `verify=False` argument, or an
    unverified context from `ssl` (NET104 reads the calls of no other file)."""
    return "verify" in text or "ssl" in text


def net_may_report(change: FileChange) -> bool:
    """Whether infrastructure code holds a public source, flag or storage setting (or lost a
    public access block), or production code added a TLS or CORS setting's word."""
    if change.is_binary:
        return False
    if change.formats & NET_INFRA_FORMATS:
        new = change.new_text() or ""
        if _ESCAPE.search(new) or _has_any(_flat(new), NET_INFRA_WORDS):
            return True
        if "awss3bucketpublicaccessblock" in _flat(change.old_text() or ""):
            return True  # a public access block removed (NET103)
    if not change.formats & NET_CODE_FORMATS or not change.added_lines:
        return False
    if is_test_path(change.path):
        return False
    if _has_any(change.added_text.lower(), NET_TLS_WORDS):
        return True
    new = change.new_text() or ""
    if "python" in change.formats and python_may_skip_tls(new):
        return True
    return "credentials" in new.lower()  # every CORS pair allows credentials (NET105)


def _any(test: Callable[[FileChange], bool]) -> Callable[[ChangeSet], bool]:
    return lambda changeset: any(test(change) for change in changeset.files)


# Each gated family's gate, by code prefix. The SQL rules read the whole change (a column
# added in one file and dropped in another), but only once some file has a reportable word.
GATES: dict[str, Callable[[ChangeSet], bool]] = {
    "AUTH": _any(auth_may_report),
    "CDK": _any(cdk_may_report),
    "IAM": _any(iam_may_report),
    "NET": _any(net_may_report),
    "SQL": _any(sql_may_report),
}


def closed(changeset: ChangeSet) -> frozenset[str]:
    """The code prefixes of the families none of whose rules can report on `changeset`."""
    return changeset.cached(
        "gates:closed",
        lambda: frozenset(prefix for prefix, gate in GATES.items() if not gate(changeset)),
    )
