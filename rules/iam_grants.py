"""Administrator roles granted, and GCP members that mean "anyone": AWS managed policies
(AdministratorAccess, IAMFullAccess) attached, GCP `roles/owner`/`roles/editor` bindings,
Azure Owner/Contributor assignments, GCP `allUsers`/`allAuthenticatedUsers` members.

Terraform is read with `changerisk.parsers.tfvalues`, CloudFormation with
`rules/cfn_template.py`. A grant the old side of the file already made under the same block
is not news; the roles and policies come from `changerisk/data/iam_access.json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.gates import may_be_cdk
from changerisk.parsers.policy import statements_of
from changerisk.parsers.tfvalues import (
    TfBlock,
    Value,
    blocks_of,
    get,
    nested,
    scalar,
    strings,
    walk,
)
from changerisk.parsers.yamldoc import YNode
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .iam_policies import table

_MANAGED = lazy_compile(r"^arn:[^:]*:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
_GOOGLE_IAM = lazy_compile(r"^google_(\w+?)_iam_(member|binding|policy)$")
_PUBLIC_MEMBERS = {"allusers": "allUsers", "allauthenticatedusers": "allAuthenticatedUsers"}
_WRITE_ROLE = lazy_compile(r"admin|owner|editor|writer|creator|developer|user$", re.IGNORECASE)
_TARGETS = ("role", "user", "group", "roles", "users", "groups")
_CDK_MANAGED = lazy_compile(
    r"""(?:fromAwsManagedPolicyName|from_aws_managed_policy_name)\(\s*['"`]"""
    r"""(?:[\w+=,.@-]+/)*([\w+=,.@-]+)['"`]"""
)
_CDK_FORMATS = frozenset({"python", "typescript", "javascript"})


class _Grant(NamedTuple):
    """One grant seen in a file: where it is, what it grants (`name`), to whom, on what."""

    key: tuple[str, ...]  # what makes it the same grant on both sides
    line: int
    name: str
    what: str
    severity: Severity
    owner: str  # the block or resource that holds it
    target: str = ""
    scope: str = ""
    confidence: Confidence = Confidence.HIGH


def _fresh(change: FileChange, grants: list[_Grant], old: list[_Grant]) -> Iterator[_Grant]:
    """Grants the old side did not make: not under the same block, nor under a block of the
    old side that is gone from the new one (renamed: `admin_arn` became `admin_arns`)."""
    known = {g.key for g in old}
    owners = {g.owner for g in grants}
    gone = {g.name for g in old if g.owner not in owners}
    for grant in grants:
        if grant.key in known or grant.line not in change.added_line_numbers:
            continue
        if grant.owner not in {g.owner for g in old} and grant.name in gone:
            continue
        yield grant


def _in_statements(change: FileChange, line: int) -> bool:
    return any(s.line <= line <= s.end_line for s in statements_of(change, "new"))


# AWS managed policies, GCP roles, Azure roles ----------------------------------------------------


def _aws_managed(blocks: tuple[TfBlock, ...]) -> Iterator[_Grant]:
    policies = table()["admin_policies"]
    for block in blocks:
        for value in walk(block.body):
            match = _MANAGED.match(value.text) if value.kind == "str" else None
            if match is None or match.group(1) not in policies:
                continue
            entry = policies[match.group(1)]
            yield _Grant(
                ("aws", _owner(block), match.group(1)),
                value.line,
                match.group(1),
                entry["what"],
                _severity(entry["severity"]),
                _owner(block),
                target=_aws_target(block),
            )


def _owner(block: TfBlock) -> str:
    """`aws_iam_role.ci`, `module.roles`, or `variable "admin_policy_arns"`."""
    if block.address:
        return block.address
    return f'{block.kind} "{block.labels[0]}"' if block.labels else f"{block.kind} block"


def _aws_target(block: TfBlock) -> str:
    for name in _TARGETS:
        value = get(block.body, name)
        if value is not None:
            text = scalar(value) or value.text or _join(value)
            return f"{name.rstrip('s')} {text}"
    return ""


def _join(value: Value) -> str:
    return ", ".join(scalar(item) or item.text for item in value.items)


def _gcp(blocks: tuple[TfBlock, ...]) -> Iterator[tuple[_Grant, list[Value]]]:
    """GCP role grants with their members: `google_*_iam_member/binding` and the `binding`
    blocks of `data "google_iam_policy"`."""
    roles = table()["gcp_roles"]
    for block in blocks:
        match = _GOOGLE_IAM.match(block.type)
        if block.kind == "resource" and match and match.group(2) != "policy":
            bodies = [block.body]
            level = match.group(1)
        elif block.kind == "data" and block.type == "google_iam_policy":
            bodies = nested(block.body, "binding")
            level = ""
        else:
            continue
        for body in bodies:
            role_node = get(body, "role")
            role = scalar(role_node)
            if role is None or role_node is None:
                continue
            members = strings(get(body, "member")) + strings(get(body, "members"))
            entry = roles.get(role)
            severity = _severity(entry["severity"]) if entry else Severity.INFO
            if entry and level in ("organization", "folder"):
                severity = Severity.CRITICAL
            grant = _Grant(
                ("gcp", block.address, role),
                role_node.line,
                role,
                entry["what"] if entry else "",
                severity,
                block.address,
                target=", ".join(scalar(m) or "" for m in members),
                scope=f"the {level}" if level in ("organization", "folder", "project") else "",
            )
            yield grant, members


def _azure(blocks: tuple[TfBlock, ...]) -> Iterator[_Grant]:
    roles, ids = table()["azure_roles"], table()["azure_role_ids"]
    for block in blocks:
        if block.kind != "resource" or block.type != "azurerm_role_assignment":
            continue
        node = get(block.body, "role_definition_name")
        role = scalar(node)
        if node is None or role is None:
            node = get(block.body, "role_definition_id")
            text = (scalar(node) or "") if node is not None else ""
            role = next((name for guid, name in ids.items() if guid in text.lower()), None)
        if node is None or role is None or role not in roles:
            continue
        scope_node = get(block.body, "scope")
        scope = (scalar(scope_node) or scope_node.text) if scope_node is not None else ""
        severity = _severity(roles[role]["severity"])
        lowered = scope.lower()
        confidence = Confidence.HIGH
        if "managementgroup" in lowered or "management_group" in lowered:
            where = f"management group {scope}"
        elif re.search(r"resourcegroups/|azurerm_resource_group\b|resource_group", lowered):
            where, severity = f"resource group {scope}", severity.shifted(-1)
        elif re.fullmatch(r"/subscriptions/[^/]+/?|.*\bazurerm_subscription\b.*", lowered):
            where = f"subscription {scope}"
        else:
            where, severity = scope, severity.shifted(-1)
            confidence = Confidence.MEDIUM
        principal = get(block.body, "principal_id")
        yield _Grant(
            ("azure", block.address, role),
            node.line,
            role,
            roles[role]["what"],
            severity,
            block.address,
            target=(scalar(principal) or principal.text) if principal is not None else "",
            scope=where,
            confidence=confidence,
        )


def _cfn_managed(change: FileChange, side: str) -> list[_Grant]:
    from .cfn_template import template_of

    policies = table()["admin_policies"]
    found = []
    for logical_id, resource in template_of(change, side).resources.items():
        arns = resource.prop("ManagedPolicyArns")
        for node in _scalars(arns):
            text = node.value
            match = _MANAGED.match(re.sub(r"\$\{AWS::Partition\}", "aws", text))
            if match is None or match.group(1) not in policies:
                continue
            entry = policies[match.group(1)]
            found.append(
                _Grant(
                    ("cfn", logical_id, match.group(1)),
                    node.line,
                    match.group(1),
                    entry["what"],
                    _severity(entry["severity"]),
                    f"{resource.type} {logical_id}",
                )
            )
    return found


def _scalars(node: YNode | None) -> list[YNode]:
    if node is None:
        return []
    if node.kind == "scalar":
        return [node]
    return [item for item in node.items if item.kind == "scalar"]


def _severity(text: str) -> Severity:
    return Severity.parse(text)


class AdminGrant(Rule):
    """An administrator role is granted: AWS AdministratorAccess or IAMFullAccess attached,
    GCP `roles/owner`, `roles/editor` or `roles/iam.securityAdmin` bound, Azure Owner,
    User Access Administrator or Contributor assigned.

    ## Why it matters
    These roles are the whole account: AdministratorAccess is every action on every
    resource, `roles/owner` and Azure Owner include changing who has access, so whoever holds
    them can grant themselves anything else and remove the traces. Attaching one to a CI role
    or a service account turns a leaked token into an account takeover. Azure assignments at
    subscription or management-group scope are reported at the role's severity, at a
    resource group one step lower; GCP bindings at organization or folder level are critical.

    ## Bad
    ```diff
    diff --git a/infra/ci.tf b/infra/ci.tf
    --- a/infra/ci.tf
    +++ b/infra/ci.tf
    @@ -1,4 +1,4 @@
     resource "aws_iam_role_policy_attachment" "ci" {
       role       = aws_iam_role.ci.name
    -  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    +  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/ci.tf b/infra/ci.tf
    --- a/infra/ci.tf
    +++ b/infra/ci.tf
    @@ -1,4 +1,4 @@
     resource "aws_iam_role_policy_attachment" "ci" {
       role       = aws_iam_role.ci.name
    -  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    +  policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
     }
    ```
    """

    code = "IAM106"
    name = "iam-admin-grant"
    category = Category.ACCESS
    severity = Severity.CRITICAL
    formats = frozenset({"terraform", "cloudformation", "python", "typescript", "javascript"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        if change.formats & _CDK_FORMATS:
            yield from self._cdk(change)
            return
        if "cloudformation" in change.formats and not change.path.endswith((".tf", ".tofu")):
            old = _cfn_managed(change, "old") if change.old_path else []
            for grant in _fresh(change, _cfn_managed(change, "new"), old):
                yield self._attach(change, grant)
            return
        if "terraform" not in change.formats:
            return
        new_blocks = blocks_of(change, "new")
        old_blocks = blocks_of(change, "old") if change.old_path else ()
        aws = list(_aws_managed(new_blocks))
        for grant in _fresh(change, aws, list(_aws_managed(old_blocks))):
            if not _in_statements(change, grant.line):  # a condition that names it
                yield self._attach(change, grant)
        gcp = [g for g, _ in _gcp(new_blocks) if g.what]
        for grant in _fresh(change, gcp, [g for g, _ in _gcp(old_blocks)]):
            to = f" to {grant.target}" if grant.target else ""
            on = f" on {grant.scope}" if grant.scope else ""
            yield self.finding(
                change,
                grant.line,
                f"grants {grant.name} ({grant.what}){on}{to} in {grant.owner}",
                hint="grant the predefined roles the member needs (e.g. roles/storage."
                "objectAdmin on one bucket) instead of a basic or IAM-admin role",
                severity=grant.severity,
            )
        for grant in _fresh(change, list(_azure(new_blocks)), list(_azure(old_blocks))):
            to = f" to {grant.target}" if grant.target else ""
            yield self.finding(
                change,
                grant.line,
                f"assigns {grant.name} ({grant.what}) on {grant.scope}{to} in {grant.owner}",
                hint="assign a narrower built-in role (e.g. a service's Contributor role) at "
                "the resource group or resource the principal manages",
                severity=grant.severity,
                confidence=grant.confidence,
            )

    def _cdk(self, change: FileChange) -> Iterator[Finding]:
        """`ManagedPolicy.fromAwsManagedPolicyName("AdministratorAccess")` added in CDK code."""
        text = change.new_text() or ""
        if not change.added_lines or "anagedPolicy" not in text or not may_be_cdk(text):
            return
        from .cdk_source import is_cdk

        if not is_cdk(text):
            return
        policies = table()["admin_policies"]
        old = {line.strip() for line in (change.old_text() or "").splitlines()}
        for line in change.added_lines:
            code = line.text.split("//", 1)[0] if "python" not in change.formats else line.text
            match = _CDK_MANAGED.search(
                code.split("#", 1)[0] if "python" in change.formats else code
            )
            if match is None or match.group(1) not in policies or line.new_no is None:
                continue
            if line.text.strip() in old:
                continue  # moved or re-indented
            entry = policies[match.group(1)]
            yield self._attach(
                change,
                _Grant(
                    ("cdk", match.group(1)),
                    line.new_no,
                    match.group(1),
                    entry["what"],
                    _severity(entry["severity"]),
                    "CDK code",
                ),
            )

    def _attach(self, change: FileChange, grant: _Grant) -> Finding:
        to = f" to {grant.target}" if grant.target else ""
        if grant.owner.startswith("variable "):
            message = f"makes {grant.name} ({grant.what}) a default of {grant.owner}"
        else:
            message = f"attaches {grant.name} ({grant.what}){to} in {grant.owner}"
        return self.finding(
            change,
            grant.line,
            message,
            hint="attach a policy that lists the actions and resources the principal needs; "
            "keep administrator access to break-glass roles with MFA",
            severity=grant.severity,
        )


class PublicMember(Rule):
    """A GCP IAM grant names `allUsers` or `allAuthenticatedUsers`: anyone on the internet,
    or anyone with any Google account.

    ## Why it matters
    `allUsers` is every caller, signed in or not; `allAuthenticatedUsers` is every Google
    account in the world, not your organization's. Bound to a bucket's viewer role it
    publishes every object; bound to an admin or writer role it lets anyone change or delete
    them. Making a Cloud Run service or a Cloud Function public with its invoker role is how a
    public endpoint is served, and is reported at low severity.

    ## Bad
    ```diff
    diff --git a/infra/exports.tf b/infra/exports.tf
    --- a/infra/exports.tf
    +++ b/infra/exports.tf
    @@ -1,5 +1,5 @@
     resource "google_storage_bucket_iam_member" "exports_reader" {
       bucket = google_storage_bucket.exports.name
       role   = "roles/storage.objectViewer"
    -  member = "group:analysts@acme.example"
    +  member = "allUsers"
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/exports.tf b/infra/exports.tf
    --- a/infra/exports.tf
    +++ b/infra/exports.tf
    @@ -1,5 +1,5 @@
     resource "google_storage_bucket_iam_member" "exports_reader" {
       bucket = google_storage_bucket.exports.name
       role   = "roles/storage.objectViewer"
    -  member = "group:analysts@acme.example"
    +  member = "group:finance@acme.example"
     }
    ```
    """

    code = "IAM107"
    name = "iam-public-member"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        new = list(_gcp(blocks_of(change, "new")))
        if not new:
            return
        old = list(_gcp(blocks_of(change, "old"))) if change.old_path else []
        before = {
            (grant.owner, grant.name, (scalar(m) or "").lower()) for grant, ms in old for m in ms
        }
        invokers = set(table()["gcp_invoker_roles"])
        for grant, members in new:
            for member in members:
                text = (scalar(member) or "").lower()
                if text not in _PUBLIC_MEMBERS or member.line not in change.added_line_numbers:
                    continue
                if (grant.owner, grant.name, text) in before:
                    continue
                who = _PUBLIC_MEMBERS[text]
                anyone = (
                    "anyone on the internet"
                    if who == "allUsers"
                    else "anyone with a Google account"
                )
                if grant.name in invokers:
                    severity = Severity.LOW
                elif _WRITE_ROLE.search(grant.name.rpartition(".")[2]) or grant.what:
                    severity = Severity.CRITICAL
                else:
                    severity = self.severity
                yield self.finding(
                    change,
                    member.line,
                    f"grants {grant.name} to {who} ({anyone}) in {grant.owner}",
                    hint="name the users, groups or service accounts that need it, or a "
                    "domain:acme.example member for your organization",
                    severity=severity,
                )


RULES = (AdminGrant, PublicMember)
