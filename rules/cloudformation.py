"""CloudFormation and SAM template rules: resources a deploy deletes, and edits that make
CloudFormation replace a resource (a new logical ID, a property that cannot change in place).

Templates are compared old against new by logical ID. A resource moved to a sibling template
of the change is not reported as deleted; CDK and SAM build output (`cdk.out/`, `.aws-sam/`)
is generated and skipped.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.yamldoc import YNode
from changerisk.rule import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Rule,
    Severity,
    Status,
)

from .cfn_template import (
    Kind,
    Resource,
    Template,
    canonical,
    is_computed,
    is_ephemeral,
    is_generated,
    kind_of,
    supports_snapshot,
    table,
    template_of,
)

FORMATS = frozenset({"cloudformation"})
_RETAIN = frozenset({"Retain", "RetainExceptOnCreate"})


class Stack(NamedTuple):
    """One template file of the change, both sides read."""

    change: FileChange
    old: Template
    new: Template

    @property
    def readable(self) -> bool:
        return self.old.readable and self.new.readable

    @property
    def old_dir(self) -> str:
        return posixpath.dirname(self.change.old_path or "")

    @property
    def new_dir(self) -> str:
        return posixpath.dirname(self.change.new_path or "")


def stacks_of(changeset: ChangeSet) -> list[Stack]:
    """The CloudFormation templates this change edits (generated output left out)."""
    stacks = []
    for change in changeset.files:
        if not change.formats & FORMATS or change.is_binary:
            continue
        if is_generated(change.old_path) or is_generated(change.new_path):
            continue
        if not change.added_lines and not change.removed_lines:
            continue  # a pure rename or mode change: no stack changes
        old = template_of(change, "old") if change.old_path else Template()
        new = template_of(change, "new") if change.new_path else Template()
        stacks.append(Stack(change, old, new))
    return stacks


def _base_severity(kind: Kind | None) -> Severity:
    """What losing a resource costs; types outside the table are configuration (low)."""
    return kind.severity if kind is not None else Severity.LOW


def _overlaps(node: YNode | None, lines: frozenset[int]) -> bool:
    return node is not None and any(node.line <= n <= node.end_line for n in lines)


def _first_added(change: FileChange, node: YNode) -> int:
    added = [n for n in change.added_line_numbers if node.line <= n <= node.end_line]
    return min(added) if added else node.line


def _redeclared(change: FileChange, logical_id: str) -> bool:
    """Whether an added line of the file declares this logical ID (a side rebuilt from hunks
    may not show the rest of its block)."""
    pattern = re.compile(rf"""^\s*["']?{re.escape(logical_id)}["']?\s*:\s*(\{{\s*)?(#.*)?$""")
    return any(pattern.match(line.text) for line in change.added_lines)


def _added_elsewhere(stacks: list[Stack], stack: Stack, resource: Resource) -> bool:
    """The same logical ID and type added to a sibling template (or anywhere, when the
    template it left is deleted): moved, not deleted."""
    for other in stacks:
        if other is stack:
            continue
        if other.new_dir != stack.old_dir and stack.change.status is not Status.DELETED:
            continue
        found = other.new.resources.get(resource.logical_id)
        if (
            found is not None
            and found.type == resource.type
            and resource.logical_id not in other.old.resources
        ):
            return True
    return False


def _known_properties(resource: Resource) -> dict[str, object]:
    props = resource.properties
    if props is None or props.kind != "map":
        return {}
    return {
        key.value: canonical(value)
        for key, value in props.entries
        if key.kind == "scalar" and resource.knows(value)
    }


def _similar(old: Resource, new: Resource) -> bool:
    if old.shallow or new.shallow:
        return True  # only types were read: the one candidate of the same type
    before, after = _known_properties(old), _known_properties(new)
    if not before and not after:
        return True
    shared = sum(1 for key, value in before.items() if after.get(key) == value)
    return shared * 2 >= max(len(before), len(after))


def _successor(
    stacks: list[Stack], stack: Stack, resource: Resource
) -> tuple[Stack, Resource] | None:
    """The one new resource of the same type, in this template or a sibling, whose
    properties mostly match: the same resource under a new logical ID."""
    candidates = [
        (other, found)
        for other in stacks
        if other is stack or other.new_dir == stack.old_dir
        for logical_id, found in other.new.resources.items()
        if logical_id not in other.old.resources
        and logical_id not in stack.old.resources
        and found.type == resource.type
        and found.line in other.change.added_line_numbers
        and _similar(resource, found)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _removed(stacks: list[Stack]) -> Iterator[tuple[Stack, Resource]]:
    """Resources whose logical ID leaves a template this change keeps editing."""
    for stack in stacks:
        if not stack.readable or stack.change.status is Status.DELETED:
            continue
        for logical_id, resource in sorted(stack.old.resources.items()):
            if logical_id in stack.new.resources:
                continue
            if resource.line not in stack.change.removed_line_numbers:
                continue
            if _redeclared(stack.change, logical_id) or _added_elsewhere(stacks, stack, resource):
                continue
            yield stack, resource


def _same_value(before: object, after: object) -> bool:
    """Equal, counting an absent flag as its `false` default."""
    unset = (None, "false")
    return before == after or (before in unset and after in unset)


def _fixed_name(old: Resource, new: Resource, changed: list[str]) -> str | None:
    """The custom physical name both sides keep, when the change is to something else."""
    name = table()["resources"].get(new.type, {}).get("name")
    if not name or name in changed or not (old.knows_prop(name) and new.knows_prop(name)):
        return None
    before, after = old.prop(name), new.prop(name)
    if before is None or after is None or canonical(before) != canonical(after):
        return None
    value = canonical(after)
    return f"{name} {value}" if isinstance(value, str) else name


class ResourceRemoved(Rule):
    """A template resource is removed, so the next deploy deletes it.

    ## Why it matters
    CloudFormation deletes what a template no longer declares. Removing a database, table,
    volume or hosted zone from the template deletes it and its data on the next deploy, unless
    its `DeletionPolicy` is `Retain` (the resource is kept, outside the stack) or `Snapshot` (a
    final snapshot is taken; RDS clusters and instances outside a cluster default to it).
    Putting an existing resource under a `Condition` deletes it wherever the condition is
    false. Moving a resource to a sibling template of the change is not reported; renaming
    its logical ID is CFN201.

    ## Bad
    ```diff
    --- a/infra/template.yaml
    +++ b/infra/template.yaml
    @@ -1,11 +1,4 @@
     Resources:
    -  OrdersTable:
    -    Type: AWS::DynamoDB::Table
    -    Properties:
    -      BillingMode: PAY_PER_REQUEST
    -      KeySchema:
    -        - AttributeName: id
    -          KeyType: HASH
       Uploads:
         Type: AWS::S3::Bucket
         DeletionPolicy: Retain
    ```

    ## Good
    ```diff
    --- a/infra/template.yaml
    +++ b/infra/template.yaml
    @@ -1,11 +1,12 @@
     Resources:
       OrdersTable:
         Type: AWS::DynamoDB::Table
    +    DeletionPolicy: Retain
         Properties:
           BillingMode: PAY_PER_REQUEST
           KeySchema:
             - AttributeName: id
               KeyType: HASH
       Uploads:
         Type: AWS::S3::Bucket
         DeletionPolicy: Retain
    ```
    """

    code = "CFN101"
    name = "cloudformation-resource-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        stacks = stacks_of(changeset)
        for stack, resource in _removed(stacks):
            if _successor(stacks, stack, resource) is None:
                yield self._removal(stack.change, resource)
        for stack in stacks:
            if stack.change.status is Status.DELETED and stack.old.readable:
                finding = self._deleted_template(stacks, stack)
                if finding is not None:
                    yield finding
            if stack.readable:
                yield from self._conditions(stack)

    def _removal(self, change: FileChange, resource: Resource) -> Finding:
        kind = kind_of(resource)
        severity = _base_severity(kind)
        noun = kind.noun if kind else "resource"
        policy = resource.policy("DeletionPolicy")
        consequence = f": {kind.delete} on the next deploy" if kind else " on the next deploy"
        message = f"removes {resource.label} from the stack{consequence}"
        hint = (
            "restore the resource; to take it out of the stack without deleting it, deploy "
            "DeletionPolicy: Retain first, then remove it"
        )
        if policy in _RETAIN:
            severity = Severity.LOW
            message = (
                f"removes {resource.label} from the stack: DeletionPolicy: {policy} keeps the "
                f"{noun} and its data, no longer managed by CloudFormation"
            )
            hint = "import it into another stack if it is still used, or delete it by hand"
        elif policy == "Snapshot" and supports_snapshot(resource.type):
            severity = severity.shifted(-1)
            default = (
                "" if resource.node.get("DeletionPolicy") is not None else " (the default here)"
            )
            message += (
                f"; DeletionPolicy: Snapshot{default} takes a final snapshot first, and "
                f"restoring it makes a new {noun}"
            )
        elif policy is None and resource.node.get("DeletionPolicy") is not None:
            message += " (its DeletionPolicy is computed)"
        return self.finding(
            change, resource.line, message, hint=hint, side="old", severity=severity
        )

    def _deleted_template(self, stacks: list[Stack], stack: Stack) -> Finding | None:
        """A deleted template: its stack is deleted only if someone deletes it, so one
        low-confidence note naming the data it holds."""
        kept: list[Resource] = []
        for resource in sorted(stack.old.resources.values(), key=lambda r: r.line):
            kind = kind_of(resource)
            if kind is None or kind.severity < Severity.HIGH:
                continue
            if resource.policy("DeletionPolicy") in _RETAIN:
                continue
            if _added_elsewhere(stacks, stack, resource):
                continue
            kept.append(resource)
        if not kept:
            return None
        names = ", ".join(r.label for r in kept[:3]) + (", …" if len(kept) > 3 else "")
        return self.finding(
            stack.change,
            kept[0].line,
            f"deletes template {stack.change.old_path}, which declares {names}: deleting its "
            "stack deletes them with their data",
            hint="keep the template until the resources are retained (DeletionPolicy: Retain) "
            "or moved to another stack",
            side="old",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        )

    def _conditions(self, stack: Stack) -> Iterator[Finding]:
        for logical_id, new in sorted(stack.new.resources.items()):
            old = stack.old.resources.get(logical_id)
            condition = new.node.get("Condition")
            if old is None or condition is None or old.node.get("Condition") is not None:
                continue
            if old.known_until or old.shallow or not new.knows(condition):
                continue
            if condition.line not in stack.change.added_line_numbers:
                continue
            kind = kind_of(new)
            if kind is None:
                continue
            yield self.finding(
                stack.change,
                condition.line,
                f"puts {new.label} under Condition {condition.value}: where the condition is "
                f"false, the next deploy deletes it ({kind.delete})",
                hint="keep the resource unconditional, or set DeletionPolicy: Retain first",
                severity=kind.severity.shifted(-1),
                confidence=Confidence.MEDIUM,
            )


class RetentionRemoved(Rule):
    """`DeletionPolicy` or `UpdateReplacePolicy` stops keeping a resource's data.

    ## Why it matters
    `DeletionPolicy: Retain` (or `Snapshot`) is what keeps a database, table or bucket when
    it leaves the template or its stack is deleted; `UpdateReplacePolicy: Retain` keeps the
    old one when a change replaces it. Removing the policy, or setting it to `Delete`, makes
    the next mistake final. Adding a policy, or a policy on a new resource, is not reported.

    ## Bad
    ```diff
    --- a/infra/template.yaml
    +++ b/infra/template.yaml
    @@ -1,6 +1,6 @@
     Resources:
       OrdersDb:
         Type: AWS::RDS::DBInstance
    -    DeletionPolicy: Retain
    +    DeletionPolicy: Delete
         Properties:
           Engine: postgres
    ```

    ## Good
    ```diff
    --- a/infra/template.yaml
    +++ b/infra/template.yaml
    @@ -1,6 +1,7 @@
     Resources:
       OrdersDb:
         Type: AWS::RDS::DBInstance
         DeletionPolicy: Retain
    +    UpdateReplacePolicy: Retain
         Properties:
           Engine: postgres
    ```
    """

    code = "CFN102"
    name = "cloudformation-retention-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for stack in stacks_of(changeset):
            if not stack.readable:
                continue
            for logical_id, new in sorted(stack.new.resources.items()):
                old = stack.old.resources.get(logical_id)
                if old is None or old.type != new.type or is_ephemeral(new.type):
                    continue
                for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
                    finding = self._weakened(stack.change, old, new, attribute)
                    if finding is not None:
                        yield finding

    def _weakened(
        self, change: FileChange, old: Resource, new: Resource, attribute: str
    ) -> Finding | None:
        before, after = old.policy(attribute), new.policy(attribute)
        old_node, new_node = old.node.get(attribute), new.node.get(attribute)
        if after is None and new_node is None and _removed_line(change, old_node):
            # The hunk shows the policy removed; the unseen rest of the block is unchanged
            # text, so it holds no other one.
            after = new.default_policy(attribute) if not new.type.startswith("AWS::RDS::") else None
        if before is None or after is None or not _protects(old, before) or _protects(new, after):
            return None
        if new_node is not None and new_node.line in change.added_line_numbers:
            line, side, verb = new_node.line, "new", f"sets {attribute}: {after} on"
        elif old_node is not None and old_node.line in change.removed_line_numbers:
            line, side, verb = old_node.line, "old", f"drops {attribute}: {before} from"
        else:
            return None
        kind = kind_of(new)
        severity = Severity.LOW
        if kind is not None:
            severity = min(kind.severity, Severity.HIGH)
        if attribute == "DeletionPolicy":
            what = kind.delete if kind else "it is deleted"
            consequence = f"removing it from the template, or deleting the stack, now means {what}"
        else:
            noun = kind.noun if kind else "resource"
            consequence = f"a change that replaces it now deletes the old {noun} and its data"
        return self.finding(
            change,
            line,
            f"{verb} {new.label}: {consequence}",
            hint=f"keep {attribute}: {before} on resources that hold data",
            side=side,
            severity=severity,
        )


def _removed_line(change: FileChange, node: YNode | None) -> bool:
    return node is not None and node.line in change.removed_line_numbers


def _protects(resource: Resource, policy: str) -> bool:
    return policy in _RETAIN or (policy == "Snapshot" and supports_snapshot(resource.type))


class LogicalIdRenamed(Rule):
    """A resource's logical ID changes, so CloudFormation replaces it with a new one.

    ## Why it matters
    CloudFormation knows a resource by its logical ID. Renaming it creates a new resource
    and deletes the old one: a new, empty table, database or bucket. With a custom physical
    name kept, the create fails because the name is taken, and the deploy rolls back. A
    logical ID that moves within the file is not a rename.

    ## Bad
    ```diff
    --- a/template.yaml
    +++ b/template.yaml
    @@ -1,8 +1,8 @@
     Resources:
    -  Orders:
    +  OrdersTable:
         Type: AWS::DynamoDB::Table
         Properties:
           BillingMode: PAY_PER_REQUEST
           KeySchema:
             - AttributeName: id
               KeyType: HASH
    ```

    ## Good
    ```diff
    --- a/template.yaml
    +++ b/template.yaml
    @@ -1,8 +1,8 @@
     Resources:
       Orders:
         Type: AWS::DynamoDB::Table
         Properties:
    -      BillingMode: PROVISIONED
    +      BillingMode: PAY_PER_REQUEST
           KeySchema:
             - AttributeName: id
               KeyType: HASH
    ```
    """

    code = "CFN201"
    name = "cloudformation-logical-id-renamed"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        stacks = stacks_of(changeset)
        for stack, resource in _removed(stacks):
            if is_ephemeral(resource.type):
                continue
            successor = _successor(stacks, stack, resource)
            if successor is not None:
                yield self._renamed(resource, *successor)

    def _renamed(self, old: Resource, stack: Stack, new: Resource) -> Finding:
        kind = kind_of(old)
        severity = kind.severity if kind else Severity.LOW
        noun = kind.noun if kind else "resource"
        what = kind.replace if kind else "creates it anew and deletes the old one"
        message = (
            f"renames {old.label} to {new.logical_id}: a new logical ID is a new resource, "
            f"so CloudFormation {what}"
        )
        partial = old.shallow or new.shallow or old.known_until or new.known_until
        confidence = Confidence.MEDIUM if partial else Confidence.HIGH
        policy = old.policy("DeletionPolicy")
        name = _fixed_name(old, new, [])
        if name is not None:
            severity = Severity.MEDIUM
            message = (
                f"renames {old.label} to {new.logical_id}: CloudFormation creates the new one "
                f"first, but its {name} is still taken by the old one, so the deploy fails "
                "and rolls back"
            )
        elif policy in _RETAIN:
            severity = severity.shifted(-1)
            message += (
                f"; DeletionPolicy: {policy} keeps the old {noun} outside the stack, but the "
                "stack now uses the new one"
            )
        elif policy == "Snapshot" and supports_snapshot(old.type):
            severity = severity.shifted(-1)
            message += "; a final snapshot of the old one is taken first"
        return self.finding(
            stack.change,
            new.line,
            message,
            hint=f"keep the logical ID {old.logical_id} (in CDK, overrideLogicalId pins it); "
            "to move a resource, retain it and import it under the new ID",
            severity=severity,
            confidence=confidence,
        )


class ReplacementForced(Rule):
    """A property that cannot change in place changes, so CloudFormation replaces the resource.

    ## Why it matters
    Some properties are fixed at creation: a table's name and key schema, a database's
    identifier and encryption, a bucket's name, a subnet's CIDR block. Changing one makes
    CloudFormation create a new resource and delete the old one, with its data, unless
    `UpdateReplacePolicy` keeps it; with a custom name kept, the deploy fails instead. The
    table of these properties is curated from the CloudFormation resource reference
    (`changerisk/data/cfn_replacement.json`, each type citing its page). Properties that
    update in place (tags, descriptions, backup retention, instance class) are not reported.

    ## Bad
    ```diff
    --- a/infra/db.yaml
    +++ b/infra/db.yaml
    @@ -1,7 +1,7 @@
     Resources:
       OrdersDb:
         Type: AWS::RDS::DBInstance
         Properties:
    -      DBInstanceIdentifier: orders
    +      DBInstanceIdentifier: orders-primary
           Engine: postgres
           DBInstanceClass: db.t3.medium
    ```

    ## Good
    ```diff
    --- a/infra/db.yaml
    +++ b/infra/db.yaml
    @@ -1,7 +1,7 @@
     Resources:
       OrdersDb:
         Type: AWS::RDS::DBInstance
         Properties:
           DBInstanceIdentifier: orders
           Engine: postgres
    -      DBInstanceClass: db.t3.medium
    +      DBInstanceClass: db.r6g.large
    ```
    """

    code = "CFN202"
    name = "cloudformation-replacement-forced"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        types = table()["resources"]
        for stack in stacks_of(changeset):
            if not stack.readable:
                continue
            for logical_id, new in sorted(stack.new.resources.items()):
                old = stack.old.resources.get(logical_id)
                entry = types.get(new.type)
                if old is None or old.type != new.type or entry is None:
                    continue
                changed = [
                    path for path in entry["properties"] if _changed(stack.change, old, new, path)
                ]
                if changed:
                    yield self._replaced(stack.change, old, new, changed)

    def _replaced(
        self, change: FileChange, old: Resource, new: Resource, changed: list[str]
    ) -> Finding:
        kind = kind_of(old)
        severity = kind.severity if kind else self.severity
        noun = kind.noun if kind else "resource"
        names = " and ".join(changed[:2]) + (" and others" if len(changed) > 2 else "")
        what = kind.replace if kind else "creates a new one and deletes the old one"
        message = f"replaces {new.label}: changing {names} {what}"
        confidence = Confidence.HIGH
        pairs = [(old.prop(p), new.prop(p)) for p in changed]
        if all(a is not None and b is not None for a, b in pairs) and any(
            is_computed(canonical(n)) for pair in pairs for n in pair
        ):
            severity, confidence = severity.shifted(-1), Confidence.MEDIUM
            message += " (the value is computed: it may resolve to the same one)"
        policy = new.policy("UpdateReplacePolicy")
        name = _fixed_name(old, new, changed)
        if name is not None:
            severity = Severity.MEDIUM
            message = (
                f"changing {names} needs a replacement of {new.label}, which CloudFormation "
                f"refuses while its {name} stays: the deploy fails and rolls back"
            )
        elif policy in _RETAIN:
            severity = severity.shifted(-1)
            message += f"; UpdateReplacePolicy: {policy} keeps the old {noun} outside the stack"
        elif policy == "Snapshot" and supports_snapshot(new.type):
            severity = severity.shifted(-1)
            message += "; UpdateReplacePolicy: Snapshot takes a snapshot of the old one first"
        node = new.prop(changed[0])
        if node is not None:
            line, side = _first_added(change, node), "new"
        else:
            gone = old.prop(changed[0])
            line, side = (gone.line if gone is not None else old.line), "old"
        return self.finding(
            change,
            line,
            message,
            hint=f"keep {changed[0]}; if it must change, create a new {noun} beside the old "
            "one, move the data, then remove the old one (UpdateReplacePolicy: Retain keeps "
            "a replaced one)",
            side=side,
            severity=severity,
            confidence=confidence,
        )


def _changed(change: FileChange, old: Resource, new: Resource, path: str) -> bool:
    if not (old.knows_prop(path) and new.knows_prop(path)):
        return False
    before, after = old.prop(path), new.prop(path)
    if _same_value(canonical(before), canonical(after)):
        return False
    return _overlaps(after, change.added_line_numbers) or _overlaps(
        before, change.removed_line_numbers
    )


RULES = (ResourceRemoved, RetentionRemoved, LogicalIdRenamed, ReplacementForced)
