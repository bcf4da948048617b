"""IAM103 iam-public-principal, IAM104 iam-privilege-escalation, IAM105 iam-condition-removed."""

import difflib
import json

import pytest
from changerisk.rules.iam import RULES as IAM_RULES
from changerisk.rules.iam_policies import ConditionRemoved, PrivilegeEscalation, PublicPrincipal

from changerisk.model import Confidence, Severity
from changerisk.testing import run_diff

RULES = [PublicPrincipal, PrivilegeEscalation, ConditionRemoved]


def diff(path: str, old: str | None, new: str | None, context: int = 50) -> str:
    """A `git diff`-shaped unified diff of two texts (None: the file is absent)."""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    source = f"a/{path}" if old is not None else "/dev/null"
    target = f"b/{path}" if new is not None else "/dev/null"
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += "new file mode 100644\n"
    if new is None:
        head += "deleted file mode 100644\n"
    body = difflib.unified_diff(before, after, source, target, n=context)
    return head + "".join(body)


def policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2) + "\n"


def run(text: str) -> list[tuple[str, str, int, str, Severity]]:
    report = run_diff(text, rules=RULES)
    return [(f.code, f.path, f.line, f.message, f.severity) for f in report.findings]


BUCKET = "arn:aws:s3:::acme-assets/*"
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET}


def test_the_iam_entry_point_keeps_iam101_and_iam102_first() -> None:
    assert [r.code for r in IAM_RULES] == [f"IAM10{n}" for n in range(1, 8)]


# IAM103 ----------------------------------------------------------------------------------------


def test_bucket_policy_opened_to_anyone() -> None:
    old = policy({**READ, "Principal": {"AWS": "arn:aws:iam::111122223333:role/cdn"}})
    new = policy({**READ, "Principal": "*"})
    (finding,) = run(diff("policies/assets-bucket.json", old, new))
    assert finding == (
        "IAM103",
        "policies/assets-bucket.json",
        8,
        "opens s3:GetObject on arn:aws:s3:::acme-assets/* to anyone, anonymous callers "
        'included (Principal "*")',
        Severity.HIGH,
    )


def test_public_write_is_critical() -> None:
    new = policy({**READ, "Action": ["s3:GetObject", "s3:PutObject"], "Principal": "*"})
    (finding,) = run(diff("policies/uploads.json", None, new))
    assert finding[0] == "IAM103" and finding[4] is Severity.CRITICAL


def test_trust_policy_opened_to_every_account() -> None:
    old = """resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
    }]
  })
}
"""
    new = old.replace('"arn:aws:iam::111122223333:root"', '"*"')
    assert run(diff("infra/roles.tf", old, new)) == [
        (
            "IAM103",
            "infra/roles.tf",
            8,
            'lets every AWS account assume this role (Principal "*") in aws_iam_role.deploy',
            Severity.CRITICAL,
        )
    ]


def test_kms_key_policy_opened() -> None:
    old = """resource "aws_kms_key" "orders" {
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}
"""
    new = old.replace('{ AWS = "arn:aws:iam::111122223333:root" }', '"*"')
    ((code, _, line, message, severity),) = run(diff("infra/kms.tf", old, new))
    assert (code, line, severity) == ("IAM103", 5, Severity.CRITICAL)
    assert message == 'opens the KMS key to anyone: kms:* to Principal "*" in aws_kms_key.orders'


def test_github_oidc_trust_without_subject() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {
            "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
        },
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/deploy:*"},
        },
    }
    aud = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    loose = {**statement, "Condition": aud}
    # a new trust without the subject condition
    findings = run(diff("iam/github-trust.json", None, policy(loose)))
    assert findings == [
        (
            "IAM103",
            "iam/github-trust.json",
            7,
            "lets any GitHub Actions workflow of any repository assume this role "
            "(no token.actions.githubusercontent.com:sub condition)",
            Severity.CRITICAL,
        )
    ]
    # the subject condition removed from an existing trust
    findings = run(diff("iam/github-trust.json", policy(statement), policy(loose)))
    assert [(f[0], f[2], f[4]) for f in findings] == [("IAM105", 15, Severity.CRITICAL)]
    assert findings[0][3].startswith(
        "drops the token.actions.githubusercontent.com:sub condition (only to the "
        "repositories and branches named) from the Allow of sts:AssumeRoleWithWebIdentity"
    )
    assert not run(diff("iam/github-trust.json", None, policy(statement)))


def test_new_account_in_a_trust_policy_is_medium() -> None:
    trust = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
    }
    wider = {**trust, "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]}}
    report = run_diff(diff("iam/trust.json", policy(trust), policy(wider)), rules=RULES)
    (finding,) = report.findings
    assert (finding.line, finding.severity, finding.confidence) == (
        7,
        Severity.MEDIUM,
        Confidence.MEDIUM,
    )
    assert finding.message == "lets AWS account 444455556666 assume this role"


@pytest.mark.parametrize(
    ("condition", "quiet"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3"}}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}}, True),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),  # TLS only: still anyone
    ],
)
def test_a_condition_that_names_who_keeps_a_star_principal_quiet(
    condition: dict[str, object], quiet: bool
) -> None:
    old = policy({**READ, "Principal": {"AWS": "arn:aws:iam::111122223333:role/cdn"}})
    new = policy({**READ, "Principal": "*", "Condition": condition})
    findings = run_diff(diff("policies/b.json", old, new), rules=[PublicPrincipal]).findings
    assert (not findings) is quiet
    if findings:
        assert findings[0].confidence is Confidence.MEDIUM


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # narrowed: "*" to a role
        (policy({**READ, "Principal": "*"}), policy({**READ, "Principal": {"AWS": "arn:x"}})),
        # reformatted: the same public grant
        (policy({**READ, "Principal": "*"}), policy({"Principal": "*", **READ})),
        # a Deny to anyone is a guard, not a grant
        (
            policy(READ),
            policy(READ, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
        ),
        # a service principal is not anyone
        (
            policy(READ),
            policy({**READ, "Principal": {"Service": "cloudfront.amazonaws.com"}}),
        ),
    ],
)
def test_public_principal_near_misses(old: str, new: str) -> None:
    assert not run_diff(diff("policies/b.json", old, new), rules=[PublicPrincipal]).findings


# IAM104 ----------------------------------------------------------------------------------------


def test_create_policy_version_added() -> None:
    old = policy({"Effect": "Allow", "Action": ["iam:GetPolicy"], "Resource": "*"})
    new = policy(
        {"Effect": "Allow", "Action": ["iam:GetPolicy", "iam:CreatePolicyVersion"], "Resource": "*"}
    )
    assert run(diff("iam/ops.json", old, new)) == [
        (
            "IAM104",
            "iam/ops.json",
            6,
            "grants iam:CreatePolicyVersion on every resource, a path to administrator: "
            "iam:CreatePolicyVersion writes a new default version of a policy it is attached "
            "to, e.g. one that allows *",
            Severity.HIGH,
        )
    ]


def test_service_wildcard_names_the_escalation_it_grants() -> None:
    new = """data "aws_iam_policy_document" "ops" {
  statement {
    actions   = ["iam:*"]
    resources = ["arn:aws:iam::111122223333:role/app-*"]
  }
}
"""
    ((code, _, line, message, _),) = run(diff("infra/ops.tf", None, new))
    assert (code, line) == ("IAM104", 3)
    assert message == (
        "grants iam:* (iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, "
        "iam:CreateAccessKey and 10 more) on arn:aws:iam::111122223333:role/app-* "
        "in data.aws_iam_policy_document.ops, a path to administrator: "
        "iam:CreatePolicyVersion writes a new default version of a policy it is attached "
        "to, e.g. one that allows *"
    )


@pytest.mark.parametrize(
    "statement",
    [
        # PassRole on named roles is how ECS and Lambda deploys work
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::111122223333:role/orders-task",
        },
        # self-service: the caller's own keys
        {
            "Effect": "Allow",
            "Action": ["iam:CreateAccessKey", "iam:UpdateLoginProfile"],
            "Resource": "arn:aws:iam::111122223333:user/${aws:username}",
        },
        # attachments held back by a permissions boundary
        {
            "Effect": "Allow",
            "Action": "iam:AttachRolePolicy",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}},
        },
        # a Deny of the escalation actions is the guard
        {"Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"},
        # read-only IAM
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    ],
)
def test_escalation_near_misses(statement: dict[str, object]) -> None:
    text = diff("iam/p.json", policy(READ), policy(READ, statement))
    assert not run_diff(text, rules=[PrivilegeEscalation]).findings


def test_escalation_already_granted_is_not_news() -> None:
    old = policy({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    new = policy({"Effect": "Allow", "Action": ["iam:PassRole", "iam:GetRole"], "Resource": "*"})
    assert not run_diff(diff("iam/p.json", old, new), rules=[PrivilegeEscalation]).findings


# IAM105 ----------------------------------------------------------------------------------------

VPC_ONLY = {
    "Sid": "ReadFromVpc",
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::acme-warehouse/*",
    "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-0a1b"}},
}


def test_source_vpc_condition_removed() -> None:
    loose = {k: v for k, v in VPC_ONLY.items() if k != "Condition"}
    report = run_diff(diff("iam/warehouse.json", policy(VPC_ONLY), policy(loose)), rules=RULES)
    (finding,) = report.findings
    assert (finding.code, finding.path, finding.line, finding.side) == (
        "IAM105",
        "iam/warehouse.json",
        11,
        "old",
    )
    assert finding.message == (
        "drops the aws:SourceVpc condition (only from the VPC named) from the Allow of "
        "s3:GetObject on arn:aws:s3:::acme-warehouse/*: the grant now applies without it"
    )
    assert finding.severity is Severity.HIGH


def test_mfa_condition_removed_from_terraform_policy_document() -> None:
    old = """data "aws_iam_policy_document" "admins" {
  statement {
    actions   = ["ec2:TerminateInstances"]
    resources = ["*"]
    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}
"""
    new = old.replace(
        """    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
""",
        "",
    )
    findings = run_diff(diff("infra/admins.tf", old, new), rules=[ConditionRemoved]).findings
    assert [(f.code, f.line, f.side) for f in findings] == [("IAM105", 7, "old")]
    assert "aws:MultiFactorAuthPresent condition (only with MFA)" in findings[0].message
    assert findings[0].message.endswith(
        "in data.aws_iam_policy_document.admins: the grant now applies without it"
    )


@pytest.mark.parametrize(
    "new",
    [
        # the condition's values widened, the key kept
        {**VPC_ONLY, "Condition": {"StringEquals": {"aws:SourceVpc": ["vpc-0a1b", "vpc-9f8e"]}}},
        # the operator changed, the key kept
        {**VPC_ONLY, "Condition": {"StringLike": {"aws:SourceVpc": "vpc-0a1b"}}},
        # a condition removed from a Deny narrows the Deny
        None,
    ],
)
def test_condition_near_misses(new: dict[str, object] | None) -> None:
    if new is None:
        deny = {**VPC_ONLY, "Effect": "Deny"}
        old_text, new_text = (
            policy(deny),
            policy({k: v for k, v in deny.items() if k != "Condition"}),
        )
    else:
        old_text, new_text = policy(VPC_ONLY), policy(new)
    assert not run_diff(diff("iam/w.json", old_text, new_text), rules=[ConditionRemoved]).findings


def test_a_condition_key_made_configurable_is_not_dropped() -> None:
    old = """data "aws_iam_policy_document" "karpenter" {
  statement {
    actions   = ["ec2:TerminateInstances"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "ec2:ResourceTag/karpenter.sh/discovery"
      values   = ["*"]
    }
  }
}
"""
    new = old.replace("karpenter.sh/discovery", "${var.karpenter_tag_key}")
    assert not run_diff(diff("policies.tf", old, new), rules=[ConditionRemoved]).findings


def test_statement_removed_with_its_condition_is_not_a_widening() -> None:
    old = policy(READ, VPC_ONLY)
    assert not run_diff(diff("iam/w.json", old, policy(READ)), rules=[ConditionRemoved]).findings


def test_vpc_endpoint_policy_star_is_its_default() -> None:
    new = """resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.eu-west-1.s3"
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::acme-artifacts/*"
    }]
  })
}
"""
    assert not run_diff(diff("infra/endpoints.tf", None, new), rules=[PublicPrincipal]).findings


def test_lambda_permission_for_anyone() -> None:
    old = """resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.orders.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*"
}
"""
    new = old.replace('"apigateway.amazonaws.com"', '"*"').replace(
        '  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*"\n', ""
    )
    assert run(diff("infra/lambda.tf", old, new)) == [
        (
            "IAM103",
            "infra/lambda.tf",
            5,
            "lets anyone invoke the Lambda function aws_lambda_function.orders.function_name "
            '(principal = "*" with no source_arn or source_account) in aws_lambda_permission.api',
            Severity.HIGH,
        )
    ]
    limited = old.replace('"apigateway.amazonaws.com"', '"*"')
    assert not run(diff("infra/lambda.tf", old, limited))
