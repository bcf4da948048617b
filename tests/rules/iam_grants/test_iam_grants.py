"""IAM106 iam-admin-grant and IAM107 iam-public-member."""

import difflib

import pytest
from changerisk.rules.iam_grants import AdminGrant, PublicMember

from changerisk.model import Confidence, Severity
from changerisk.testing import run_diff

RULES = [AdminGrant, PublicMember]


def diff(path: str, old: str | None, new: str | None, context: int = 50) -> str:
    """A `git diff`-shaped unified diff of two texts (None: the file is absent)."""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += "new file mode 100644\n"
    source = f"a/{path}" if old is not None else "/dev/null"
    target = f"b/{path}" if new is not None else "/dev/null"
    return head + "".join(difflib.unified_diff(before, after, source, target, n=context))


def run(text: str) -> list[tuple[str, str, int, str, Severity]]:
    report = run_diff(text, rules=RULES)
    return [(f.code, f.path, f.line, f.message, f.severity) for f in report.findings]


ROLE = """resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = data.aws_iam_policy_document.ci_trust.json
  managed_policy_arns = [
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
  ]
}
"""


def test_administrator_access_added_to_a_role() -> None:
    new = ROLE.replace(
        '"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",',
        '"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",\n'
        '    "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess",',
    )
    assert run(diff("infra/ci.tf", ROLE, new)) == [
        (
            "IAM106",
            "infra/ci.tf",
            6,
            "attaches AdministratorAccess (every action on every resource) in aws_iam_role.ci",
            Severity.CRITICAL,
        )
    ]


def test_attachment_names_its_role_and_variables_say_default() -> None:
    new = """resource "aws_iam_user_policy_attachment" "ops" {
  user       = aws_iam_user.ops.name
  policy_arn = "arn:aws:iam::aws:policy/IAMFullAccess"
}
variable "admin_role_policy_arns" {
  type    = list(string)
  default = ["arn:aws:iam::aws:policy/PowerUserAccess"]
}
"""
    assert [(f[2], f[3], f[4]) for f in run(diff("iam.tf", None, new))] == [
        (
            3,
            "attaches IAMFullAccess (every IAM action, so it can grant itself anything) to "
            "user aws_iam_user.ops.name in aws_iam_user_policy_attachment.ops",
            Severity.CRITICAL,
        ),
        (
            7,
            "makes PowerUserAccess (every action except IAM and Organizations) a default of "
            'variable "admin_role_policy_arns"',
            Severity.HIGH,
        ),
    ]


def test_cloudformation_managed_policy() -> None:
    old = """Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
Outputs:
  Arn:
    Value: !GetAtt DeployRole.Arn
"""
    new = old.replace("ReadOnlyAccess", "AdministratorAccess")
    assert run(diff("stack.yaml", old, new)) == [
        (
            "IAM106",
            "stack.yaml",
            6,
            "attaches AdministratorAccess (every action on every resource) in "
            "AWS::IAM::Role DeployRole",
            Severity.CRITICAL,
        )
    ]


def test_gcp_owner_binding() -> None:
    old = """resource "google_project_iam_member" "ci" {
  project = var.project_id
  role    = "roles/viewer"
  member  = "serviceAccount:${google_service_account.ci.email}"
}
"""
    new = old.replace("roles/viewer", "roles/owner")
    assert run(diff("gcp/iam.tf", old, new)) == [
        (
            "IAM106",
            "gcp/iam.tf",
            3,
            "grants roles/owner (full control, IAM included) on the project to "
            "serviceAccount:${google_service_account.ci.email} in google_project_iam_member.ci",
            Severity.CRITICAL,
        )
    ]


def test_gcp_editor_at_organization_level_is_critical() -> None:
    new = """resource "google_organization_iam_binding" "eng" {
  org_id  = "123456789"
  role    = "roles/editor"
  members = ["group:eng@acme.example"]
}
"""
    ((code, _, line, _, severity),) = run(diff("org.tf", None, new))
    assert (code, line, severity) == ("IAM106", 3, Severity.CRITICAL)


@pytest.mark.parametrize(
    ("scope", "severity", "where", "confidence"),
    [
        ("data.azurerm_subscription.primary.id", Severity.CRITICAL, "subscription", "high"),
        ("azurerm_resource_group.app.id", Severity.HIGH, "resource group", "high"),
        ("azurerm_storage_account.logs.id", Severity.HIGH, "", "medium"),
    ],
)
def test_azure_owner_assignment_by_scope(
    scope: str, severity: Severity, where: str, confidence: str
) -> None:
    new = f"""resource "azurerm_role_assignment" "ci" {{
  scope                = {scope}
  role_definition_name = "Owner"
  principal_id         = azuread_service_principal.ci.object_id
}}
"""
    report = run_diff(diff("azure.tf", None, new), rules=RULES)
    (finding,) = report.findings
    assert (finding.line, finding.severity, finding.confidence) == (
        3,
        severity,
        Confidence(confidence),
    )
    prefix = f"{where} " if where else ""
    assert finding.message == (
        f"assigns Owner (full control, role assignments included) on {prefix}{scope} to "
        "azuread_service_principal.ci.object_id in azurerm_role_assignment.ci"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # narrowed: admin to read-only
        (
            ROLE.replace("AmazonS3ReadOnlyAccess", "AdministratorAccess"),
            ROLE,
        ),
        # reformatted, same attachment
        (
            ROLE.replace("AmazonS3ReadOnlyAccess", "AdministratorAccess"),
            ROLE.replace("AmazonS3ReadOnlyAccess", "AdministratorAccess").replace(
                "  name ", " name "
            ),
        ),
        # a Deny condition that names the policy guards against attaching it
        (
            None,
            """data "aws_iam_policy_document" "guard" {
  statement {
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    }
  }
}
""",
        ),
        # an Azure Reader assignment
        (
            None,
            'resource "azurerm_role_assignment" "r" {\n  scope = "/subscriptions/1"\n'
            '  role_definition_name = "Reader"\n}\n',
        ),
    ],
)
def test_admin_near_misses(old: str | None, new: str) -> None:
    assert not run(diff("infra/ci.tf", old, new))


# IAM107 ----------------------------------------------------------------------------------------

MEMBER = """resource "google_storage_bucket_iam_member" "exports_reader" {
  bucket = google_storage_bucket.exports.name
  role   = "roles/storage.objectViewer"
  member = "group:analysts@acme.example"
}
"""


def test_bucket_made_public() -> None:
    new = MEMBER.replace("group:analysts@acme.example", "allUsers")
    assert run(diff("infra/exports.tf", MEMBER, new)) == [
        (
            "IAM107",
            "infra/exports.tf",
            4,
            "grants roles/storage.objectViewer to allUsers (anyone on the internet) in "
            "google_storage_bucket_iam_member.exports_reader",
            Severity.HIGH,
        )
    ]


@pytest.mark.parametrize(
    ("role", "member", "severity"),
    [
        ("roles/run.invoker", "allUsers", Severity.LOW),  # a public Cloud Run service
        ("roles/storage.objectAdmin", "allAuthenticatedUsers", Severity.CRITICAL),
        ("roles/bigquery.dataViewer", "allAuthenticatedUsers", Severity.HIGH),
    ],
)
def test_public_member_ranked_by_role(role: str, member: str, severity: Severity) -> None:
    new = f"""data "google_iam_policy" "public" {{
  binding {{
    role = "{role}"
    members = [
      "user:ana@acme.example",
      "{member}",
    ]
  }}
}}
"""
    ((code, _, line, _, found),) = run(diff("p.tf", None, new))
    assert (code, line, found) == ("IAM107", 6, severity)


def test_public_member_near_misses() -> None:
    public = MEMBER.replace("group:analysts@acme.example", "allUsers")
    assert not run(diff("a.tf", public, public.replace("exports_reader", "exports_reader")))
    assert not run(diff("a.tf", public, MEMBER))  # made private
    assert not run(diff("a.tf", MEMBER, MEMBER.replace("analysts", "finance")))


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (
            "lib/deploy-stack.ts",
            "    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));",
        ),
        (
            "app/deploy_stack.py",
            '        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess"))',
        ),
    ],
)
def test_cdk_managed_policy(path: str, line: str) -> None:
    head = (
        "import aws_cdk as cdk\n"
        if path.endswith(".py")
        else "import * as cdk from 'aws-cdk-lib';\n"
    )
    old = head + "x = 1\n"
    assert run(diff(path, old, old + line + "\n")) == [
        (
            "IAM106",
            path,
            3,
            "attaches AdministratorAccess (every action on every resource) in CDK code",
            Severity.CRITICAL,
        )
    ]
    comment = "# " if path.endswith(".py") else "// "
    assert not run(diff(path, old, old + comment + line.strip() + "\n"))
    assert not run(diff("scripts/tool.py", "x = 1\n", "x = 1\n" + line + "\n"))  # not CDK


def test_a_renamed_variable_keeps_its_default() -> None:
    old = """variable "admin_role_policy_arn" {
  default = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"""
    new = """variable "admin_role_policy_arns" {
  type    = list(string)
  default = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}
"""
    assert not run(diff("variables.tf", old, new))
