"""IAM policy statements that open a resource or a role to other principals, hand out a path
to administrator, or lose the condition that limited them.

The statements come from `changerisk.parsers.policy` (JSON policy files, Terraform
`jsonencode`, heredocs and `aws_iam_policy_document`, CloudFormation); what counts as an
escalation action or a limiting condition comes from `changerisk/data/iam_access.json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from changerisk.datafiles import read_text
from changerisk.parsers.hcl import terraform_of
from changerisk.parsers.policy import Statement, statements_of
from changerisk.parsers.tfvalues import blocks_of, get, key_line, scalar
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity, Status

from .iam_common import (
    ANYONE,
    Granted,
    actions_of,
    covers,
    grants_every_action,
    in_block,
    matches,
    names,
    on_text,
    reaches,
    resources_of,
    sides,
    touched,
)

_ACCOUNT = lazy_compile(r"^(?:arn:aws[\w-]*:iam::)?(\d{12})(?::|$)")
_GITHUB = "token.actions.githubusercontent.com"
_READ_ONLY = ("get", "list", "describe", "head")
_LAMBDA_LIMITS = ("source_arn", "source_account", "principal_org_id")
_HELD_BACK = frozenset({"iam:permissionsboundary", "iam:policyarn"})
_BROAD_ARN = lazy_compile(r"(^|[:/])\*$")


@cache
def table() -> dict[str, Any]:
    """The curated IAM table (changerisk/data/iam_access.json), read once."""
    text = read_text("iam_access.json")
    data: dict[str, Any] = json.loads(text)
    return data


def _is_public(principal: str) -> bool:
    kind, _, value = principal.partition(":")
    return principal in ANYONE or (value == "*" and kind in ("AWS", "*"))


def _limited(statement: Statement) -> bool:
    limiting = set(table()["limiting_conditions"])
    return any(key.lower() in limiting for key in statement.conditions)


def _read_only(statement: Statement) -> bool:
    return bool(statement.actions) and all(
        action.partition(":")[2].lower().startswith(_READ_ONLY) for action in statement.actions
    )


def _granted_by_old(old: list[Statement], statement: Statement) -> bool:
    wanted = actions_of(statement)
    return any(reaches(b, statement) and covers(actions_of(b), wanted) for b in old)


def _actions_text(statement: Statement) -> str:
    if grants_every_action(statement):
        return "every action"
    return names(statement.actions)


class PublicPrincipal(Rule):
    """A resource or trust policy lets anyone in (`Principal: "*"`), or a role trusts a new
    account or every GitHub workflow.

    ## Why it matters
    A statement with `"Principal": "*"` (or `{"AWS": "*"}`) grants its actions to every AWS
    account and, for S3, SQS, SNS and API Gateway, to anonymous callers on the internet: a
    bucket policy like that publishes the bucket, a KMS key policy like that lets anyone
    decrypt, a trust policy like that lets any account assume the role. A condition that names
    the organization, account, source ARN, VPC or addresses (`aws:PrincipalOrgID`,
    `aws:SourceArn`, `aws:SourceVpce`, …) limits it and keeps the rule quiet. A role trusting
    GitHub's OIDC provider with no `token.actions.githubusercontent.com:sub` condition can be
    assumed by any workflow of any repository. A trust policy that names an AWS account the
    file did not name before is reported at a lower severity: check the account is yours.
    An `aws_lambda_permission` with `principal = "*"` and no `source_arn`/`source_account`
    lets anyone invoke the function.

    ## Bad
    ```diff
    diff --git a/infra/assets.tf b/infra/assets.tf
    --- a/infra/assets.tf
    +++ b/infra/assets.tf
    @@ -1,10 +1,10 @@
     data "aws_iam_policy_document" "assets" {
       statement {
         actions   = ["s3:GetObject"]
         resources = ["arn:aws:s3:::acme-assets/*"]
         principals {
           type        = "AWS"
    -      identifiers = [aws_iam_role.cdn.arn]
    +      identifiers = ["*"]
         }
       }
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/assets.tf b/infra/assets.tf
    --- a/infra/assets.tf
    +++ b/infra/assets.tf
    @@ -1,10 +1,15 @@
     data "aws_iam_policy_document" "assets" {
       statement {
         actions   = ["s3:GetObject"]
         resources = ["arn:aws:s3:::acme-assets/*"]
         principals {
           type        = "AWS"
    -      identifiers = [aws_iam_role.cdn.arn]
    +      identifiers = ["*"]
    +    }
    +    condition {
    +      test     = "StringEquals"
    +      variable = "aws:PrincipalOrgID"
    +      values   = ["o-a1b2c3d4e5"]
         }
       }
     }
    ```
    """

    code = "IAM103"
    name = "iam-public-principal"
    category = Category.ACCESS
    severity = Severity.CRITICAL
    formats = frozenset({"iam-policy", "terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        yield from self._lambda_permissions(change)
        old, new = sides(change)
        known_accounts = {
            account for statement in old for account in _accounts(statement.principals)
        }
        for statement in new:
            if not statement.is_allow or not touched(change, statement):
                continue
            where = in_block(change, statement)
            if _is_github_trust(statement):
                if not any(key.lower().endswith(":sub") for key in statement.conditions):
                    yield self.finding(
                        change,
                        statement.principal_line,
                        "lets any GitHub Actions workflow of any repository assume this role "
                        f"(no {_GITHUB}:sub condition){where}",
                        hint=(
                            f"add a StringLike condition on {_GITHUB}:sub naming the repository "
                            'and branch, e.g. "repo:acme/deploy:ref:refs/heads/main"'
                        ),
                    )
                continue
            public = [p for p in statement.principals if _is_public(p)]
            if public and _holder(change, statement) in _ENDPOINT_POLICIES:
                continue  # applies only to traffic through the endpoint; "*" is its default
            if public:
                yield from self._public(change, old, statement, where)
                continue
            fresh = sorted(set(_accounts(statement.principals)) - known_accounts)
            if fresh and _is_trust(statement) and change.status is not Status.ADDED:
                yield self.finding(
                    change,
                    statement.principal_line,
                    f"lets AWS account {names(fresh)} assume this role{where}",
                    hint="check the account is one of yours; add an sts:ExternalId condition "
                    "for a third party",
                    severity=Severity.MEDIUM,
                    confidence=Confidence.MEDIUM,
                )

    def _lambda_permissions(self, change: FileChange) -> Iterator[Finding]:
        """`aws_lambda_permission` with `principal = "*"` and nothing naming the caller."""
        if "terraform" not in change.formats or change.path.endswith(".json"):
            return

        def public(side: str) -> dict[str, tuple[int, str]]:
            found = {}
            exists = change.old_path if side == "old" else change.new_path
            for block in blocks_of(change, side) if exists else ():
                if block.kind != "resource" or block.type != "aws_lambda_permission":
                    continue
                if scalar(get(block.body, "principal")) != "*":
                    continue
                if any(get(block.body, key) is not None for key in _LAMBDA_LIMITS):
                    continue
                function = get(block.body, "function_name")
                name = (scalar(function) or function.text) if function is not None else ""
                found[block.address] = (key_line(block.body, "principal"), name)
            return found

        before = public("old")
        for address, (line, function) in public("new").items():
            if address in before or line not in change.added_line_numbers:
                continue
            yield self.finding(
                change,
                line,
                f'lets anyone invoke the Lambda function {function} (principal = "*" with no '
                f"source_arn or source_account) in {address}",
                hint="set principal to the calling service and source_arn to the resource "
                "that calls it (the API, bucket or rule)",
                severity=Severity.HIGH,
            )

    def _public(
        self, change: FileChange, old: list[Statement], statement: Statement, where: str
    ) -> Iterator[Finding]:
        if _limited(statement) or _granted_by_old(old, statement):
            return
        actions = _actions_text(statement)
        if _is_trust(statement):
            message = f'lets every AWS account assume this role (Principal "*"){where}'
            severity = Severity.CRITICAL
        elif any(a.lower().startswith("kms:") for a in statement.actions) or ("kms_key" in where):
            message = f'opens the KMS key to anyone: {actions} to Principal "*"{where}'
            severity = Severity.CRITICAL
        else:
            message = (
                f"opens {actions}{on_text(statement)} to anyone, anonymous callers "
                f'included (Principal "*"){where}'
            )
            severity = Severity.HIGH if _read_only(statement) else Severity.CRITICAL
        yield self.finding(
            change,
            statement.principal_line,
            message,
            hint=(
                'name the principals (role or account ARNs), or limit "*" with a condition '
                "such as aws:PrincipalOrgID, aws:SourceArn or aws:SourceVpce"
            ),
            severity=severity,
            confidence=Confidence.MEDIUM if statement.has_condition else None,
        )


_ENDPOINT_POLICIES = frozenset(
    {"aws_vpc_endpoint", "aws_vpc_endpoint_policy", "AWS::EC2::VPCEndpoint"}
)


def _holder(change: FileChange, statement: Statement) -> str:
    """The resource type that holds a statement: `aws_vpc_endpoint`, `AWS::EC2::VPCEndpoint`."""
    if "terraform" in change.formats and not change.path.endswith(".json"):
        for block in terraform_of(change, "new").blocks:
            if block.line <= statement.line <= block.end_line and block.labels:
                return block.labels[0]
    if "cloudformation" in change.formats:
        from .cfn_template import template_of

        for resource in template_of(change, "new").resources.values():
            if resource.line <= statement.line <= resource.node.end_line:
                return resource.type
    return ""


def _is_trust(statement: Statement) -> bool:
    return any(
        matches(action, "sts:AssumeRole", True) and action != "*" for action in statement.actions
    )


def _is_github_trust(statement: Statement) -> bool:
    if not any(matches(a, "sts:AssumeRoleWithWebIdentity", True) for a in statement.actions):
        return False
    return any(_GITHUB in p for p in statement.principals) or any(
        key.lower().startswith(_GITHUB) for key in statement.conditions
    )


def _accounts(principals: tuple[str, ...]) -> list[str]:
    found = []
    for principal in principals:
        kind, _, value = principal.partition(":")
        match = _ACCOUNT.match(value) if kind == "AWS" else None
        if match:
            found.append(match.group(1))
    return found


class PrivilegeEscalation(Rule):
    """An identity policy newly grants an action that leads to administrator
    (`iam:PassRole` on `*`, `iam:CreatePolicyVersion`, `iam:AttachRolePolicy`, …).

    ## Why it matters
    Some IAM actions are administrator in all but name: whoever holds `iam:CreatePolicyVersion`
    can rewrite a policy attached to itself to allow `*`; `iam:AttachRolePolicy` attaches
    AdministratorAccess to its own role; `iam:PassRole` on `*` starts an EC2 instance or a
    Lambda function with any role in the account; `iam:CreateAccessKey` acts as any other
    user. A compromised CI job or leaked key holding one of them owns the account. The list
    (`changerisk/data/iam_access.json`) follows Rhino Security Labs' privilege-escalation
    methods and BishopFox's iam-vulnerable. Actions scoped to the caller itself
    (`${aws:username}`) or held back by an `iam:PermissionsBoundary` or `iam:PolicyARN`
    condition are not reported; `iam:PassRole`, `lambda:UpdateFunctionCode` and the other
    "use someone else's role" actions only on every resource.

    ## Bad
    ```diff
    diff --git a/iam/ci-deployer.json b/iam/ci-deployer.json
    --- a/iam/ci-deployer.json
    +++ b/iam/ci-deployer.json
    @@ -3,7 +3,7 @@
       "Statement": [
         {
           "Effect": "Allow",
    -      "Action": ["ecs:UpdateService", "ecs:DescribeServices"],
    +      "Action": ["ecs:UpdateService", "ecs:DescribeServices", "iam:PassRole"],
           "Resource": "*"
         }
       ]
    ```

    ## Good
    ```diff
    diff --git a/iam/ci-deployer.json b/iam/ci-deployer.json
    --- a/iam/ci-deployer.json
    +++ b/iam/ci-deployer.json
    @@ -3,7 +3,12 @@
       "Statement": [
         {
           "Effect": "Allow",
           "Action": ["ecs:UpdateService", "ecs:DescribeServices"],
           "Resource": "*"
    +    },
    +    {
    +      "Effect": "Allow",
    +      "Action": "iam:PassRole",
    +      "Resource": "arn:aws:iam::111122223333:role/orders-task"
         }
       ]
    ```
    """

    code = "IAM104"
    name = "iam-privilege-escalation"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"iam-policy", "terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = sides(change)
        escalation: dict[str, dict[str, Any]] = table()["escalation"]
        for statement in new:
            if not statement.is_allow or statement.principals or not statement.actions:
                continue
            if grants_every_action(statement) or not touched(change, statement):
                continue
            if {k.lower() for k in statement.conditions} & {
                "iam:permissionsboundary",
                "iam:policyarn",
            }:
                continue
            granted = Granted.of([b for b in old if reaches(b, statement)])
            broad = resources_of(statement).is_everything or any(
                _BROAD_ARN.search(r) for r in statement.resources
            )
            own = bool(statement.resources) and all(
                "${aws:username}" in r for r in statement.resources
            )
            if statement.resources and not any(_literal_arn(r) for r in statement.resources):
                continue  # resources from variables: what they name cannot be read here
            hits = []
            for action, entry in escalation.items():
                if entry.get("star_only") and not broad:
                    continue
                if entry.get("self") and own:
                    continue
                if not any(matches(pattern, action, True) for pattern in statement.actions):
                    continue
                if granted.covers(action):
                    continue
                hits.append((action, entry))
            if not hits:
                continue
            shown = _shown(statement, [action for action, _ in hits])
            wide = broad or any("*" in r.rpartition(":")[2] for r in statement.resources)
            first, entry = hits[0]
            yield self.finding(
                change,
                statement.action_line,
                f"grants {shown}{on_text(statement)}{in_block(change, statement)}, "
                f"a path to administrator: {first} {entry['why']}",
                severity=None if wide else Severity.MEDIUM,
                hint=(
                    "scope the action to the roles, users or policies the job manages, or add "
                    "an iam:PermissionsBoundary condition; for iam:PassRole name the role ARNs "
                    "and iam:PassedToService"
                ),
            )


def _literal_arn(resource: str) -> bool:
    return resource == "*" or resource.startswith("arn:")


def _shown(statement: Statement, hits: list[str]) -> str:
    """The escalation actions as the policy grants them: `iam:PassRole` by name, or
    `iam:* (iam:CreatePolicyVersion, … and 8 more)` under a wildcard."""
    named: list[str] = []
    under: dict[str, list[str]] = {}
    for action in hits:
        spelled = next((p for p in statement.actions if p.lower() == action.lower()), None)
        if spelled is not None:
            named.append(spelled)
            continue
        pattern = next(p for p in statement.actions if matches(p, action, True))
        under.setdefault(pattern, []).append(action)
    parts = named + [f"{pattern} ({names(actions)})" for pattern, actions in under.items()]
    return names(parts)


class ConditionRemoved(Rule):
    """A condition that limited an Allow statement (source VPC or IP, MFA, organization,
    source ARN, GitHub subject) is removed, so the grant applies without it.

    ## Why it matters
    Conditions narrow an Allow: `aws:SourceVpce` keeps a bucket reachable only through the
    VPC endpoint, `aws:MultiFactorAuthPresent` demands MFA, `aws:PrincipalOrgID` keeps a
    `"*"` principal inside the organization, `token.actions.githubusercontent.com:sub` keeps
    a role to one repository. Dropping one leaves the same actions on the same resources with
    nothing in their way; it reads as a small tidy-up in a diff. Removing a condition from a
    Deny narrows the Deny and is not reported.

    ## Bad
    ```diff
    diff --git a/iam/data-readers.json b/iam/data-readers.json
    --- a/iam/data-readers.json
    +++ b/iam/data-readers.json
    @@ -4,12 +4,7 @@
         {
           "Sid": "ReadFromVpcOnly",
           "Effect": "Allow",
           "Action": ["s3:GetObject"],
    -      "Resource": "arn:aws:s3:::acme-warehouse/*",
    -      "Condition": {
    -        "StringEquals": {
    -          "aws:SourceVpce": "vpce-0a1b2c3d"
    -        }
    -      }
    +      "Resource": "arn:aws:s3:::acme-warehouse/*"
         }
       ]
     }
    ```

    ## Good
    ```diff
    diff --git a/iam/data-readers.json b/iam/data-readers.json
    --- a/iam/data-readers.json
    +++ b/iam/data-readers.json
    @@ -8,7 +8,7 @@
           "Resource": "arn:aws:s3:::acme-warehouse/*",
           "Condition": {
             "StringEquals": {
    -          "aws:SourceVpce": "vpce-0a1b2c3d"
    +          "aws:SourceVpce": ["vpce-0a1b2c3d", "vpce-9f8e7d6c"]
             }
           }
         }
    ```
    """

    code = "IAM105"
    name = "iam-condition-removed"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"iam-policy", "terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        if change.status in (Status.ADDED, Status.DELETED):
            return
        old = [s for s in statements_of(change, "old") if s.is_allow and s.conditions]
        if not old:
            return
        new = [s for s in statements_of(change, "new") if s.is_allow]
        sensitive: dict[str, str] = table()["sensitive_conditions"]
        for before in old:
            if not any(
                n in change.removed_line_numbers for n in range(before.line, before.end_line + 1)
            ):
                continue
            partners = [after for after in new if _same_grant(before, after)]
            if len(partners) != 1:
                continue  # gone, split or duplicated: not the same statement any more
            after = partners[0]
            kept = {key.lower() for key in after.conditions}
            dropped = [key for key in before.conditions if key.lower() not in kept]
            if not dropped or kept - {key.lower() for key in before.conditions}:
                continue  # none dropped, or one replaced by another (a key made configurable)
            known = [key for key in dropped if key.lower() in sensitive]
            reason = f" ({sensitive[known[0].lower()]})" if known else ""
            severity = None if known else Severity.MEDIUM
            if any(key.lower() == f"{_GITHUB}:sub" for key in dropped):
                severity = Severity.CRITICAL  # any repository's workflows may assume the role
            removed = sorted(
                n
                for n in range(before.line, before.end_line + 1)
                if n in change.removed_line_numbers
            )
            naming = [n for n in removed if dropped[0].lower() in change.old_line(n).lower()]
            line = (naming or [n for n in removed if n == before.condition_line] or removed)[0]
            yield self.finding(
                change,
                line,
                f"drops the {names(dropped)} condition{'s' if len(dropped) > 1 else ''}"
                f"{reason} from the Allow of {_actions_text(after)}{on_text(after)}"
                f"{in_block(change, after)}: the grant now applies without "
                f"{'them' if len(dropped) > 1 else 'it'}",
                hint="keep the condition; if a caller is blocked by it, add that caller's VPC "
                "endpoint, address or principal to the condition's values instead",
                side="old",
                anchor=change.new_position(line),
                severity=severity,
            )


def _same_grant(before: Statement, after: Statement) -> bool:
    if before.sid and after.sid:
        return before.sid == after.sid
    return (
        {a.lower() for a in before.actions} == {a.lower() for a in after.actions}
        and {a.lower() for a in before.not_actions} == {a.lower() for a in after.not_actions}
        and set(before.resources) == set(after.resources)
        and set(before.not_resources) == set(after.not_resources)
        and set(before.principals) == set(after.principals)
    )


RULES = (PublicPrincipal, PrivilegeEscalation, ConditionRemoved)
