"""Family gates (`changerisk.gates`): a closed gate means no rule of the family can report, so
the family is neither imported by a check nor run by the engine."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from changerisk import gates
from changerisk.inputs import from_diff_bytes
from changerisk.model import ChangeSet
from changerisk.registry import BUILTIN_FORMATS, all_rules, family
from changerisk.testing import run_diff


def _diff(path: str, removed: str, added: str, new: bool = False) -> str:
    minus = "".join(f"-{line}\n" for line in removed.splitlines())
    plus = "".join(f"+{line}\n" for line in added.splitlines())
    old_len, new_len = len(removed.splitlines()), len(added.splitlines())
    head = "--- /dev/null\n" if new else f"--- a/{path}\n"
    start = 0 if new else 1
    return (
        f"diff --git a/{path} b/{path}\n{head}+++ b/{path}\n"
        f"@@ -{start},{old_len} +1,{new_len} @@\n{minus}{plus}"
    )


def _changeset(*diffs: str) -> ChangeSet:
    return from_diff_bytes("".join(diffs).encode(), origin="test.diff", source="diff")


HANDLER = _diff(
    "app/handlers.py",
    "def handler(event):\n    return event['id']\n",
    "def handler(event):\n    return event.get('id')\n",
)
ADDITIVE_SQL = _diff(
    "db/migrations/V7__notes.sql",
    "",
    "ALTER TABLE orders ADD COLUMN note text;\nCREATE TABLE audit (id bigint);\n",
    new=True,
)
DROP_SQL = _diff("db/migrations/V8__drop.sql", "", "DROP TABLE orders;\n", new=True)
GUARD_REMOVED = _diff(
    "app/views.py",
    "@login_required\ndef orders(request):\n    return list_orders(request)\n",
    "def orders(request):\n    return list_orders(request)\n",
)
CDK_DESTROY = _diff(
    "infra/stack.ts",
    "",
    'import * as cdk from "aws-cdk-lib";\n'
    'new s3.Bucket(this, "Data", { removalPolicy: cdk.RemovalPolicy.DESTROY });\n',
    new=True,
)


def test_every_gate_is_a_builtin_family() -> None:
    families = {family(rule) for rule in all_rules()}
    assert set(gates.GATES) <= families
    assert set(gates.GATES) <= set(BUILTIN_FORMATS)  # gated families are format-bound too


@pytest.mark.parametrize(
    ("diff", "shut"),
    [
        (HANDLER, set(gates.GATES)),  # no decorator, no CDK word, no SQL file
        (ADDITIVE_SQL, set(gates.GATES)),  # only adds: nothing a SQL rule reports
        (DROP_SQL, set(gates.GATES) - {"SQL"}),
        (GUARD_REMOVED, set(gates.GATES) - {"AUTH"}),
        (CDK_DESTROY, set(gates.GATES) - {"CDK"}),
        # a drop in a test fixture, a seed or a down script runs on no live database
        (_diff("tests/fixtures/reset.sql", "", "DROP TABLE t;\n", new=True), set(gates.GATES)),
        (_diff("db/migrations/0002.down.sql", "", "DROP TABLE t;\n", new=True), set(gates.GATES)),
        # a string literal removed from code that is not CDK: no construct ID to change
        (_diff("app/config.py", 'NAME = "orders"\n', 'NAME = "order"\n'), set(gates.GATES)),
    ],
)
def test_gates_close_on_what_no_rule_of_theirs_reads(diff: str, shut: set[str]) -> None:
    assert gates.closed(_changeset(diff)) == shut


def test_a_gate_is_asked_of_the_whole_change() -> None:
    """A SQL file with a reportable word opens the gate for every SQL file of the change (the
    rules read the others as context)."""
    assert "SQL" not in gates.closed(_changeset(ADDITIVE_SQL, DROP_SQL))


def test_the_engine_applies_gates_to_rules_given_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule tests pass their rules to the engine directly: gates still apply, so a gate too
    narrow for a rule fails that rule's own tests."""
    sql_rules = [rule for rule in all_rules() if family(rule) == "SQL"]
    assert {f.code for f in run_diff(DROP_SQL, rules=sql_rules).findings} == {"SQL101"}
    monkeypatch.setitem(gates.GATES, "SQL", lambda changeset: False)
    assert not run_diff(DROP_SQL, rules=sql_rules).findings


def test_plugin_rules_are_never_gated() -> None:
    """A third-party rule whose code happens to share a gated prefix is not built in: it runs."""
    from changerisk.rule import Category, FileChange, Finding, Rule, Severity

    class Everything(Rule):
        """Reports every file."""

        code = "SQL901"
        name = "every-file"
        category = Category.CRITICAL_PATH
        severity = Severity.LOW

        def check(self, change: FileChange) -> Iterator[Finding]:
            yield self.finding(change, 1, "a file")

    Everything.__module__ = "acme_rules"
    assert family(Everything) == ""
    assert [f.code for f in run_diff(HANDLER, rules=[Everything]).findings] == ["SQL901"]


PROBE = textwrap.dedent(
    """
    import sys
    from changerisk import api
    from changerisk.inputs import from_diff_bytes
    changeset = from_diff_bytes(sys.stdin.buffer.read(), origin="x.diff", source="diff")
    report = api.check(changeset)
    print(" ".join(sorted({f.code for f in report.findings})))
    print(" ".join(sorted(m for m in sys.modules if m.startswith("changerisk."))))
    """
)


def _check_in_a_new_process(diff: str) -> tuple[set[str], set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=diff.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    codes, modules = out.split("\n")[:2]
    return set(codes.split()), set(modules.split())


def test_a_check_does_not_import_families_behind_closed_gates() -> None:
    heavy = {
        "changerisk.rules.app_auth",
        "changerisk.parsers.guards",
        "changerisk.rules.cdk",
        "changerisk.rules.sql",
        "changerisk.parsers.sql",
    }
    _, modules = _check_in_a_new_process(HANDLER + ADDITIVE_SQL)
    assert not heavy & modules
    codes, modules = _check_in_a_new_process(HANDLER + DROP_SQL + GUARD_REMOVED)
    assert {"SQL101", "AUTH101"} <= codes
    assert {"changerisk.rules.sql", "changerisk.rules.app_auth"} <= modules
    assert "changerisk.rules.cdk" not in modules


# --- IAM and NET: infrastructure code -------------------------------------------------------

BUCKET_TAGS = _diff(
    "infra/buckets.tf",
    'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n  tags = { team = "web" }\n}\n',
    'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n  tags = { team = "data" }\n}\n',
)
SPLAT_AND_CONDITIONAL = _diff(
    "infra/outputs.tf",
    'output "ids" {\n  value = aws_instance.web[*].id\n}\n',
    'output "ids" {\n  value = var.on ? aws_instance.web[*].id : []\n}\n',
)


def _policy(actions: str, old: str = "") -> str:
    body = 'data "aws_iam_policy_document" "ci" {\n  statement {\n    actions   = [%s]\n'
    body += '    resources = ["arn:aws:s3:::ci/x"]\n%s  }\n}\n'
    return _diff(
        "infra/ci.tf",
        body % ('"s3:GetObject"', old),
        body % (actions, ""),
    )


CONDITION = (
    '    condition {\n      test     = "StringEquals"\n'
    '      variable = "aws:SourceVpce"\n      values   = ["vpce-1"]\n    }\n'
)


@pytest.mark.parametrize(
    ("diff", "family", "open_"),
    [
        (BUCKET_TAGS, "IAM", False),
        (BUCKET_TAGS, "NET", False),
        (SPLAT_AND_CONDITIONAL, "IAM", False),  # a splat and a formatted conditional
        (HANDLER, "NET", False),
        (_policy('"*"'), "IAM", True),
        (_policy('"iam:PassRole"'), "IAM", True),
        (_policy('"IAM:passrole"'), "IAM", True),  # action names ignore case
        (_policy('"s3:GetObject"', old=CONDITION), "IAM", True),  # a condition dropped
        (_policy('"s3:PutObject"'), "IAM", False),
        (
            _diff(
                "infra/sg.tf",
                'resource "aws_security_group_rule" "ssh" {\n  cidr_blocks = ["10.0.0.0/8"]\n}\n',
                'resource "aws_security_group_rule" "ssh" {\n  cidr_blocks = ["0.0.0.0/0"]\n}\n',
            ),
            "NET",
            True,
        ),
        (_diff("app/client.py", "", "requests.get(url, verify=False)\n", new=True), "NET", True),
        (_diff("tests/test_client.py", "", "get(url, verify=False)\n", new=True), "NET", False),
        (
            _diff("web/cors.ts", "", "app.use(cors({ credentials: true }));\n", new=True),
            "NET",
            True,
        ),
    ],
)
def test_iam_and_net_gates(diff: str, family: str, open_: bool) -> None:
    assert (family not in gates.closed(_changeset(diff))) is open_


def test_an_escape_that_spells_a_wildcard_keeps_the_iam_gate_open() -> None:
    """JSON reads "\\u002a" as "*": the gate cannot see the word, so any such escape opens it,
    and the rule does fire."""
    policy = '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "\\u002a", "Resource": "\\u002a"}\n  ]\n}\n'
    diff = _diff("policies/ci.json", "", policy, new=True)
    assert "IAM" not in gates.closed(_changeset(diff))
    iam = [rule for rule in all_rules() if family(rule) == "IAM"]
    assert "IAM101" in {f.code for f in run_diff(diff, rules=iam).findings}


def test_a_json_escaped_slash_keeps_the_net_gate_open() -> None:
    template = (
        '{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {\n'
        '  "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,\n'
        '    "CidrIp": "0.0.0.0\\/0"}]}}}}\n'
    )
    diff = _diff("templates/sg.json", "", template, new=True)
    assert "NET" not in gates.closed(_changeset(diff))
    net = [rule for rule in all_rules() if family(rule) == "NET"]
    assert "NET101" in {f.code for f in run_diff(diff, rules=net).findings}


def test_the_gate_words_cover_the_tables() -> None:
    """The IAM and NET words are spelled out (reading the tables would cost the gate a JSON
    parse); every entry the rules look up must hold one of them."""
    from changerisk.rules.iam_policies import table as iam_table
    from changerisk.rules.ingress import AWS_PUBLIC
    from changerisk.rules.ingress import table as network_table
    from changerisk.rules.transport import _TLS

    def flat(text: str) -> str:
        return text.lower().replace("_", "")

    iam = iam_table()
    for word in [*iam["escalation"], *iam["admin_policies"], *iam["gcp_roles"]]:
        assert any(w in flat(word) for w in gates.IAM_WORDS), word
    for policy in iam["admin_policies"]:
        assert flat(policy) in gates.IAM_ADMIN_POLICIES
    for cidr in AWS_PUBLIC:
        assert any(w in flat(cidr) for w in gates.NET_INFRA_WORDS), cidr
    for entry in network_table()["storage"]:
        attribute = entry["attribute"].rpartition(".")[2]
        assert any(w in flat(attribute) for w in gates.NET_INFRA_WORDS), attribute
    for pattern in _TLS:
        assert set(pattern.words) <= set(gates.NET_TLS_WORDS), pattern.what


def test_a_tags_change_imports_no_iam_or_net_rules() -> None:
    heavy = {
        "changerisk.rules.access",
        "changerisk.rules.iam_policies",
        "changerisk.rules.network",
        "changerisk.rules.transport",
    }
    _, modules = _check_in_a_new_process(BUCKET_TAGS + HANDLER)
    assert not heavy & modules
    codes, modules = _check_in_a_new_process(BUCKET_TAGS + _policy('"*"'))
    assert "IAM101" in codes
    assert "changerisk.rules.access" in modules
