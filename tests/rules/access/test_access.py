"""IAM101 iam-wildcard-action and IAM102 iam-wildcard-resource, and the policy parser."""

from pathlib import Path

import pytest
from changerisk.rules.access import RULES, WildcardAction, WildcardResource, _matches
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from changerisk.api import check, read_change
from changerisk.config import Config
from changerisk.docs import parse_rule_doc
from changerisk.inputs import from_diff_bytes
from changerisk.model import Confidence, FileChange, Hunk, Line, Severity, Status
from changerisk.parsers.policy import (
    Statement,
    parse_hcl_policies,
    parse_json_policies,
    parse_policies,
    parse_yaml_policies,
    statements_of,
)
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"
BOTH = [WildcardAction, WildcardResource]

# Fixtures are real `git diff` output (default context unless the name says otherwise).
CASES = [
    # fire
    ("new_json_policy_action_star.diff", {("IAM101", "iam/break-glass.json", 7)}),
    ("tf_jsonencode_action_star.diff", {("IAM101", "infra/iam.tf", 10)}),  # not IAM102 too
    ("tf_policy_document_actions_widened.diff", {("IAM102", "infra/ci.tf", 6)}),
    ("tf_heredoc_policy.diff", {("IAM101", "infra/lambda.tf", 16)}),
    # Describe*/List* accept no resource but "*": adding them to a monitoring policy is quiet
    ("tf_quoted_json_read_only_star.diff", set()),
    ("tf_bucket_policy_public.diff", {("IAM101", "infra/bucket.tf", 3)}),
    ("cfn_yaml_new_policy_resource.diff", {("IAM101", "cloudformation/worker.yaml", 35)}),
    ("cfn_json_resource_star.diff", {("IAM102", "templates/backup.json", 13)}),
    ("cfn_json_deep_edit_resource_star.diff", {("IAM102", "templates/backup.json", 13)}),
    ("json_not_action_allow.diff", {("IAM101", "iam/operators.json", 6)}),
    # near misses
    ("narrow_star_to_get_object.diff", set()),
    ("deny_star.diff", set()),
    ("unchanged_wildcard_other_attribute.diff", set()),
    ("reformat_same_policy.diff", set()),
    ("resource_star_already_granted.diff", set()),  # -U20: the old grant lies outside -U3
    ("move_policy_to_other_attribute.diff", set()),
    ("scope_resource_to_arn.diff", set()),
    ("delete_admin_policy.diff", set()),
    ("markdown_doc_example.diff", set()),
    # The hunk shows no `Resources:` line; its header's section text (`@@ … @@ Resources:`)
    # tells that this YAML is a CloudFormation template.
    ("cfn_yaml_action_star.diff", {("IAM101", "cloudformation/worker.yaml", 21)}),
]


def _id(case: object) -> str:
    values = getattr(case, "values", case)
    return str(values[0])  # type: ignore[index]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[_id(c) for c in CASES])
def test_access(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=BOTH)) == expected


QUIET_BY_LOGIC = [
    "narrow_star_to_get_object.diff",
    "deny_star.diff",
    "unchanged_wildcard_other_attribute.diff",
    "reformat_same_policy.diff",
    "resource_star_already_granted.diff",
    "move_policy_to_other_attribute.diff",
    "scope_resource_to_arn.diff",
]


@pytest.mark.parametrize("fixture", QUIET_BY_LOGIC)
def test_near_misses_reach_the_rules_and_read_a_wildcard(fixture: str) -> None:
    """Each near miss is quiet because of the old/new comparison, not because it was skipped."""
    (change,) = from_diff_bytes((FIXTURES / fixture).read_bytes(), "t", "diff").files
    assert WildcardAction().wants(change) and WildcardResource().wants(change)
    statements = statements_of(change, "old") + statements_of(change, "new")
    assert any("*" in s.actions + s.resources for s in statements), statements


def test_a_markdown_example_is_not_a_policy() -> None:
    (change,) = from_diff_bytes(
        (FIXTURES / "markdown_doc_example.diff").read_bytes(), "t", "diff"
    ).files
    assert not WildcardAction().wants(change)


@pytest.mark.parametrize(
    ("fixture", "severity", "message"),
    [
        (
            "new_json_policy_action_star.diff",
            Severity.CRITICAL,
            'grants every action ("Action": "*") on every resource',
        ),
        (
            "tf_heredoc_policy.diff",
            Severity.CRITICAL,
            'grants every action ("Action": "*") on '
            "arn:aws:dynamodb:${var.region}:${var.account}:table/orders",
        ),
        (
            "json_not_action_allow.diff",
            Severity.CRITICAL,
            'grants every action except iam:*, organizations:* ("NotAction" with "Allow") '
            "on every resource",
        ),
        (
            "tf_bucket_policy_public.diff",
            Severity.CRITICAL,
            'grants every action ("Action": "*") on ${aws_s3_bucket.assets.arn}/* to anyone '
            "in data.aws_iam_policy_document.assets",
        ),
        (
            "tf_policy_document_actions_widened.diff",
            Severity.HIGH,
            'grants s3:*, iam:PassRole on every resource ("Resource": "*")',
        ),
    ],
)
def test_messages_and_severity(fixture: str, severity: Severity, message: str) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=BOTH).findings
    assert finding.message == message
    assert finding.severity is severity
    assert finding.hint
    assert finding.confidence is Confidence.HIGH


def test_evidence_is_the_wildcard_line() -> None:
    report = run_fixture(FIXTURES / "tf_policy_document_actions_widened.diff", rules=BOTH)
    (finding,) = report.findings
    assert finding.evidence == 'resources = ["*"]'


# Documentation examples (the meta-tests run them too, once every rule family is installed).


@pytest.mark.parametrize("rule", BOTH, ids=lambda r: r.code)
def test_doc_examples(rule: type) -> None:
    doc = parse_rule_doc(rule)
    assert doc.summary and doc.why and doc.bad and doc.good
    assert rule.code in {f.code for f in run_diff(doc.bad, rules=[rule]).findings}
    assert not run_diff(doc.good, rules=BOTH).findings
    assert (WildcardAction, WildcardResource) == RULES


# Widening: what the old side already granted ------------------------------------------------


def _policy_diff(old: list[str], new: list[str], path: str = "iam/p.json") -> str:
    """A whole-file diff of one-line statements, as `git diff` prints a full rewrite."""

    def document(statements: list[str]) -> list[str]:
        body = [f"    {s}," for s in statements[:-1]] + [f"    {statements[-1]}"]
        return ["{", '  "Statement": [', *body, "  ]", "}"]

    before, after = document(old), document(new)
    lines = [f"-{line}" for line in before] + [f"+{line}" for line in after]
    header = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    hunk = f"@@ -1,{len(before)} +1,{len(after)} @@\n"
    return header + hunk + "\n".join(lines) + "\n"


def _allow(action: str, resource: str = '"*"', extra: str = "") -> str:
    return f'{{"Effect": "Allow", "Action": {action}, "Resource": {resource}{extra}}}'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # old s3:* on "*" covers every s3 action on "*"
        ([_allow('"s3:*"')], [_allow('["s3:GetObject", "s3:PutObject"]')], set()),
        # action names are case-insensitive
        ([_allow('"S3:GetObject"')], [_allow('"s3:getobject"')], set()),
        # a new service on "*" is a widening; only it is named
        ([_allow('"s3:*"')], [_allow('["s3:GetObject", "iam:PassRole"]')], {"IAM102"}),
        # old "*" on one bucket does not cover "*" on every resource
        ([_allow('"*"', '"arn:aws:s3:::a"')], [_allow('"*"')], {"IAM101"}),
        # old "*" on a bucket pattern covers "*" on one bucket in it
        ([_allow('"*"', '"arn:aws:s3:::data-*"')], [_allow('"*"', '"arn:aws:s3:::data-x"')], set()),
        # dropping the condition of a wildcard grant widens it
        (
            [
                _allow(
                    '"*"', extra=', "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}'
                )
            ],
            [_allow('"*"')],
            {"IAM101"},
        ),
        # NotAction that excludes less is wider
        (
            ['{"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*"}'],
            ['{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}'],
            {"IAM101"},
        ),
        (
            ['{"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}'],
            ['{"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*"}'],
            set(),
        ),
        # NotResource with Allow is every resource but a list
        (
            [_allow('"s3:GetObject"')],
            ['{"Effect": "Allow", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::x"}'],
            {"IAM102"},
        ),
        # a Deny is never a finding, and an old Deny covers nothing
        (
            ['{"Effect": "Deny", "Action": "*", "Resource": "*"}'],
            ['{"Effect": "Deny", "Action": "*", "Resource": "*"}', _allow('"s3:GetObject"')],
            {"IAM102"},
        ),
        # a statement granting every action is IAM101's alone, even with Resource "*"
        (
            [_allow('"s3:GetObject"', '"arn:aws:s3:::x/*"')],
            [_allow('["s3:GetObject", "*"]')],
            {"IAM101"},
        ),
        # opening a trust policy to anyone
        (
            ['{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*"}'],
            ['{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}'],
            {"IAM101"},
        ),
        (
            ['{"Effect": "Allow", "Principal": "*", "Action": "*"}'],
            ['{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*"}'],
            set(),
        ),
    ],
)
def test_only_a_widening_is_reported(old: list[str], new: list[str], expected: set[str]) -> None:
    report = run_diff(_policy_diff(old, new), rules=BOTH)
    assert {f.code for f in report.findings} == expected


@pytest.mark.parametrize(
    ("pattern", "value", "fold", "expected"),
    [
        ("s3:*", "s3:GetObject", True, True),
        ("S3:get*", "s3:GetObject", True, True),
        ("s3:Get?bject", "s3:GetObject", True, True),
        ("s3:Get*", "s3:PutObject", True, False),
        ("arn:aws:s3:::Data-*", "arn:aws:s3:::data-x", False, False),  # ARNs keep case
        ("arn:aws:s3:::data-*", "*", False, False),  # a pattern never covers "*"
        ("*", "*", False, True),
        ("a*b*c", "a-b-c", False, True),
        ("a*b*c", "a-c-b", False, False),
    ],
)
def test_wildcard_matching(pattern: str, value: str, fold: bool, expected: bool) -> None:
    assert _matches(pattern, value, fold) is expected


def test_wildcard_matching_cannot_be_made_to_explode() -> None:
    assert not _matches("*a" * 40 + "b", "a" * 4000, True)  # a backtracking regex hangs here


def _lone_file(status: Status, added: list[int]) -> FileChange:
    """A policy whose statement is line 2, and no old side to compare with."""
    lines = tuple(Line("+", "", None, number) for number in added)
    change = FileChange(
        None if status is Status.ADDED else "p.json",
        "p.json",
        status,
        (Hunk(1, 0, added[0], len(lines), lines),) if lines else (),
        frozenset({"iam-policy"}),
    )
    change.load_old = lambda: ""
    change.load_new = lambda: '{"Statement": [\n' + _allow('"*"') + "\n]}\n"
    return change


@pytest.mark.parametrize(
    ("status", "added", "lines"),
    [
        (Status.MODIFIED, [1], []),
        (Status.MODIFIED, [3], []),
        (Status.MODIFIED, [2], [2]),
        (Status.ADDED, [], [2]),
    ],
)
def test_only_statements_on_added_lines_or_in_new_files_are_judged(
    status: Status, added: list[int], lines: list[int]
) -> None:
    change = _lone_file(status, added)
    assert [f.line for f in WildcardAction().check(change)] == lines


# Against a real repository: full texts, default context ---------------------------------------

ROLE_TF = """\
resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "ci" {
  role = aws_iam_role.ci.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "*"
        Resource = "arn:aws:s3:::ci-scratch/*"
      },
    ]
  })
}

output "role_arn" {
  value = aws_iam_role.ci.arn
}
"""


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # far from the wildcard: nothing
        (("value = aws_iam_role.ci.arn", "value = aws_iam_role.ci.name"), set()),
        # the scratch grant moves to the front of the list: the old side already had it
        (
            (
                '      {\n        Effect   = "Allow"\n        Action   = ["s3:GetObject"]\n'
                '        Resource = "*"\n      },\n',
                "",
            ),
            set(),
        ),
        # the read grant on "*" gains a write action
        (('["s3:GetObject"]', '["s3:GetObject", "s3:PutObject"]'), {("IAM102", "main.tf", 14)}),
        # the scratch grant loses its resource scope
        (('"arn:aws:s3:::ci-scratch/*"', '"*"'), {("IAM101", "main.tf", 18)}),
    ],
    ids=["unrelated-edit", "statement-removed", "write-on-star", "scope-dropped"],
)
def test_in_a_repository(
    git_repo, edit: tuple[str, str], expected: set[tuple[str, str, int]]
) -> None:
    git_repo.commit("before", files={"main.tf": ROLE_TF})
    assert edit[0] in ROLE_TF
    git_repo.write("main.tf", ROLE_TF.replace(edit[0], edit[1]))
    report = check(read_change(cwd=str(git_repo.path)), Config(), rules=BOTH)
    assert found(report) == expected


# The parser ------------------------------------------------------------------------------------

JSON_POLICY = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Admin",
      "effect": "Allow",
      "action": [
        "s3:GetObject",
        "*"
      ],
      "resource": "*"
    },
    {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:x"],
     "Principal": {"AWS": ["arn:aws:iam::1:root", "*"], "Service": "ec2.amazonaws.com"},
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}
"""


def test_json_statements_with_lines() -> None:
    first, second = parse_json_policies(JSON_POLICY)
    assert first == Statement(
        effect="Allow",
        actions=("s3:GetObject", "*"),
        resources=("*",),
        line=4,
        end_line=12,
        action_line=9,  # the "*" element, not the key
        resource_line=11,
        sid="Admin",
    )
    assert second.effect == "Deny" and not second.is_allow
    assert second.not_actions == ("iam:*",) and second.not_resources == ("arn:x",)
    assert second.principals == ("AWS:arn:aws:iam::1:root", "AWS:*", "Service:ec2.amazonaws.com")
    assert second.has_condition
    assert (second.line, second.end_line, second.action_line) == (13, 15, 13)


def test_json_single_statement_object_and_nested_documents() -> None:
    template = """\
{
  "Resources": {
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {
          "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
        },
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
          {"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "B"}]]}}
        ]}}]
      }
    }
  }
}
"""
    trust, inline = parse_json_policies(template)
    assert (trust.line, trust.principals, trust.actions) == (7, ("*",), ("sts:AssumeRole",))
    assert inline.line == 10
    assert inline.resources[0].startswith("{Fn::Join:") and "*" not in inline.resources


def test_json_policy_in_a_string_value() -> None:
    text = '{"resource": {"aws_iam_policy": {"p": {\n"policy": "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"*\\"}]}"}}}}\n'
    (statement,) = parse_policies(text, "main.tf.json")
    assert statement.actions == ("*",) and statement.line == 2


def test_tf_json_policy_document() -> None:
    text = """\
{"data": {"aws_iam_policy_document": {"ci": {"statement": [
  {"actions": ["s3:*"], "resources": ["*"],
   "principals": [{"type": "AWS", "identifiers": ["*"]}]}
]}}}}
"""
    (statement,) = parse_policies(text, "iam.tf.json")
    assert statement.effect == "Allow"  # the data source's default
    assert statement.principals == ("AWS:*",)


def test_json_salvage_of_a_side_rebuilt_from_hunks() -> None:
    partial = '\n\n\n    {\n      "Effect": "Allow",\n      "Action": "*",\n      "Resource": "*"\n    },\n\n\n'
    (statement,) = parse_json_policies(partial)
    assert (statement.line, statement.action_line) == (4, 6)
    assert parse_json_policies('{"Statement": [{"Effect": "Allow", "Action": "*"') == ()
    assert parse_json_policies('{"Effect": "Allow", "Resource": "*"}') == ()  # not loose: no action


CFN_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: '*'
            Resource: !Sub 'arn:aws:s3:::${Bucket}/*'
          - Effect: Allow
            Action:
              - s3:PutObject
            Resource:
              - "*"
              - !GetAtt Bucket.Arn
              - !Join ['', [!Ref Prefix, '*']]
            Condition: !If [IsProd, {}, !Ref AWS::NoValue]
  Other:
    Type: AWS::SQS::Queue
"""


def test_yaml_cloudformation_with_short_form_tags() -> None:
    first, second = parse_yaml_policies(CFN_YAML)
    assert (first.line, first.end_line, first.action_line) == (8, 10, 9)
    assert first.actions == ("*",) and first.resources == ("arn:aws:s3:::${Bucket}/*",)
    assert (second.line, second.end_line, second.resource_line) == (11, 18, 15)
    assert second.resources[:2] == ("*", "!GetAtt Bucket.Arn")
    assert second.resources[2].startswith("!Join")
    assert second.has_condition


def test_yaml_never_constructs_objects(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"Statement: !!python/object/apply:os.system ['touch {marker}']\n"
    assert parse_yaml_policies(text) == ()
    assert not marker.exists()


def test_yaml_recursive_alias_and_json_block() -> None:
    assert parse_yaml_policies("a: &x [*x]\n") == ()
    text = 'PolicyDocument: !Sub |\n  {\n    "Statement": [\n      {"Effect": "Allow", "Action": "*"}\n    ]\n  }\n'
    (statement,) = parse_yaml_policies(text)
    assert statement.line == 4


def test_yaml_salvage_of_a_side_rebuilt_from_hunks() -> None:
    partial = "\n\n            Version: '2012-10-17'\n            Statement:\n              - Effect: Allow\n                Action: '*'\n                Resource: !GetAtt Q.Arn\n  Other:\n    Type: AWS::SQS::Queue\n"
    (statement,) = parse_yaml_policies(partial)
    assert (statement.line, statement.action_line, statement.actions) == (5, 6, ("*",))


HCL = """\
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        "Action" = ["s3:*", var.extra, "ec2:${local.verb}*"]
        Resource = "*"
        Condition = { Bool = { "aws:SecureTransport" = true } }
      },
    ]
  })
}

resource "aws_iam_role" "r" {
  assume_role_policy = "{\\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Principal\\": {\\"Service\\": \\"ec2.amazonaws.com\\"}, \\"Action\\": \\"sts:AssumeRole\\"}]}"
  inline_policy {
    name   = "i"
    policy = <<-EOT
      {
        "Statement": [
          {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::${var.bucket}/*"}
        ]
      }
    EOT
  }
}

data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
  statement {
    effect      = "Deny"
    not_actions = ["iam:*"]
    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["false"]
    }
  }
  dynamic "statement" {
    for_each = var.grants
    content {
      actions   = statement.value.actions
      resources = ["*"]
    }
  }
}

resource "aws_wafv2_web_acl" "w" {
  rule {
    statement {
      managed_rule_group_statement { name = "x" }
    }
  }
}
"""


def test_hcl_statements() -> None:
    found_ = parse_hcl_policies(HCL)
    by_line = {s.line: s for s in found_}
    assert sorted(by_line) == [5, 16, 22, 30, 42, 53]
    jsonencoded = by_line[5]
    assert jsonencoded.actions == ("s3:*", "var.extra", "ec2:${local.verb}*")
    assert (jsonencoded.action_line, jsonencoded.resource_line) == (7, 8)
    assert jsonencoded.has_condition and jsonencoded.end_line == 10
    assert by_line[16].principals == ("Service:ec2.amazonaws.com",)
    assert by_line[22].actions == ("*",) and by_line[22].action_line == 22
    document = by_line[30]
    assert document.effect == "Allow" and document.end_line == 41
    assert document.principals == ("AWS:*", "Service:lambda.amazonaws.com")
    assert (document.action_line, document.resource_line) == (31, 32)
    assert by_line[42].effect == "Deny" and by_line[42].has_condition
    assert by_line[53].actions == ("statement.value.actions",)


def test_hcl_partial_side_starting_inside_an_object() -> None:
    partial = '\n\n    Statement = [\n      {\n        Effect   = "Allow"\n        Action   = "*"\n        Resource = "*"\n      },\n    ]\n  })\n}\n'
    (statement,) = parse_hcl_policies(partial)
    assert (statement.line, statement.action_line) == (4, 6)


POLICYISH = st.sampled_from(
    [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "=",
        '"',
        "\n",
        " ",
        "  ",
        "- ",
        "*",
        "!Ref ",
        "&a ",
        "*a",
        '"Statement"',
        "Statement",
        '"Effect"',
        "Effect",
        '"Allow"',
        "Allow",
        '"Action"',
        "Action",
        '"Resource"',
        "Resource",
        "jsonencode(",
        ")",
        "<<EOT\n",
        "\nEOT\n",
        "${",
        'data "aws_iam_policy_document" "d" {',
        "statement {",
        "actions",
        "resources",
        "principals {",
        "\\",
        "\\u00e9",
        "é",
        "\U0001f600",
        "#",
        "|\n",
        "--- ",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(POLICYISH, max_size=60).map("".join)))
@example('{"Statement": [' * 200)
@example("[" * 5000)
@example("- " * 3000)
@example("a: &x [*x, *x]\nb: *x\n")
@example('x = jsonencode({Statement = [{Action = "*"' + "[" * 2000)
@example('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "\\ud800"}}')
@example("{\x00}")
def test_parsing_anything_never_raises(text: str) -> None:
    for parse in (parse_json_policies, parse_yaml_policies, parse_hcl_policies):
        statements = parse(text)
        assert all(isinstance(s, Statement) for s in statements)
        assert all(1 <= s.line <= s.end_line for s in statements)
        assert all(repr(s).encode("utf-8") for s in statements)  # no lone surrogates


def test_reading_data_on_every_resource_is_medium() -> None:
    """s3:GetObject on "*" reads every bucket's objects: still reported, one level lower."""
    diff = """\
diff --git a/iam/reader.json b/iam/reader.json
--- a/iam/reader.json
+++ b/iam/reader.json
@@ -1,3 +1,3 @@
 {"Version": "2012-10-17", "Statement": [
-  {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}
+  {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "s3:GetObject"], "Resource": "*"}
 ]}
"""
    (finding,) = run_diff(diff, rules=BOTH).findings
    assert (finding.code, finding.severity) == ("IAM102", Severity.MEDIUM)
    assert finding.message.startswith('grants s3:GetObject on every resource ("Resource": "*")')
