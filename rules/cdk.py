"""AWS CDK app rules (TypeScript, JavaScript, Python): removal policies and flags that make a
deploy delete data, and construct IDs whose change replaces a stateful resource.

CDK app code is parsed with tree-sitter (comments and strings are not code). The stateful
constructs and their default removal policies are in `changerisk.rules.cdk_source`; what a
deletion or replacement loses comes from the CloudFormation table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from changerisk.gates import CDK_AUTO_DELETE, CDK_FORMATS, may_rename
from changerisk.regex import lazy_compile
from changerisk.rule import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Rule,
    Severity,
)

from .cdk_source import Construct, Destroy, Source, is_cdk, source_of, stateful
from .cfn_template import Kind, table

FORMATS = CDK_FORMATS
_TEST_OWNER = lazy_compile(r"(?i)test|example|demo|sample|sandbox|integ|playground")
_TEST_PATH = lazy_compile(r"(?i)(^|/)(integ[.-][^/]*|[^/]*\.integ\.[jt]s|integ-tests?/.*)$")
_NAME_PROPS = frozenset(
    {
        "bucketName",
        "tableName",
        "queueName",
        "streamName",
        "logGroupName",
        "repositoryName",
        "domainName",
        "instanceIdentifier",
        "clusterIdentifier",
        "secretName",
        "zoneName",
        "backupVaultName",
        "userPoolName",
    }
)


def _kind(cfn_type: str) -> Kind:
    entry = table()["resources"][cfn_type]
    spec = table()["kinds"][entry["kind"]]
    return Kind(
        entry["kind"],
        spec["noun"],
        Severity.parse(spec["severity"]),
        spec["replace"],
        spec["delete"],
    )


def _sources(change: FileChange) -> tuple[Source, Source] | None:
    """Both sides of a CDK source file, or None when the file is not CDK code."""
    text = change.new_text() or change.old_text() or ""
    if change.is_binary or not is_cdk(text):
        return None
    old = source_of(change, "old") if change.old_path else Source()
    new = source_of(change, "new") if change.new_path else Source()
    return old, new


def _is_test(change: FileChange, owner: str) -> bool:
    return bool(_TEST_OWNER.search(owner) or _TEST_PATH.search(change.path))


def _moved(change: FileChange, text: str) -> bool:
    """The same statement was removed elsewhere in the file: moved, reformatted, or only the
    import style changed (`cdk.RemovalPolicy.DESTROY` to `RemovalPolicy.DESTROY`)."""
    wanted = _normalized(text)
    return any(_normalized(line.text) == wanted for line in change.removed_lines)


def _normalized(text: str) -> str:
    text = re.sub(r"[\w.]*\b(RemovalPolic(?:y|ies))\b", r"\1", text)
    return re.sub(r"\s+", "", text).rstrip(",;")


def _counterpart(source: Source, construct: Construct) -> Construct | None:
    """The same construct on the other side: same class and ID, in the same class."""
    found = [c for c in source.constructs if c.identity == construct.identity]
    if len(found) > 1:
        found = [c for c in found if c.owner == construct.owner]
    return found[0] if len(found) == 1 else None


def _policy(source: Source, construct: Construct, default: str) -> str:
    """The removal policy a construct has on one side: its prop, an apply call, the default."""
    prop = construct.props.get("removalPolicy")
    if prop is not None:
        named = re.findall(r"RemovalPolicy\.(\w+)", prop.text)
        return named[0] if len(set(named)) == 1 else ""
    for destroy in source.destroys:
        if destroy.how == "apply" and destroy.construct == construct:
            return "DESTROY"
    return default


class RemovalPolicyDestroy(Rule):
    """CDK code sets `RemovalPolicy.DESTROY` on a construct that holds data.

    ## Why it matters
    Stateful CDK constructs (buckets, tables, databases, file systems, keys, log groups)
    default to `RETAIN` or `SNAPSHOT`, so a resource that leaves the stack, is replaced, or
    whose stack is deleted keeps its data. `RemovalPolicy.DESTROY` turns that off: the next
    refactor that renames or removes the construct deletes the data with it.
    `RemovalPolicies.of(scope).destroy()` does it for every resource in a scope. A policy that
    picks `RETAIN` for production (`isProd ? RETAIN : DESTROY`) is not reported; a test or
    example stack lowers the finding.

    ## Bad
    ```diff
    --- a/lib/orders-stack.ts
    +++ b/lib/orders-stack.ts
    @@ -1,8 +1,9 @@
     import * as cdk from "aws-cdk-lib";
     import * as dynamodb from "aws-cdk-lib/aws-dynamodb";

     export class OrdersStack extends cdk.Stack {
       constructor(scope: cdk.App, id: string) {
         super(scope, id);
         new dynamodb.Table(this, "Orders", {
           partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    +      removalPolicy: cdk.RemovalPolicy.DESTROY,
    ```

    ## Good
    ```diff
    --- a/lib/orders-stack.ts
    +++ b/lib/orders-stack.ts
    @@ -1,8 +1,9 @@
     import * as cdk from "aws-cdk-lib";
     import * as dynamodb from "aws-cdk-lib/aws-dynamodb";

     export class OrdersStack extends cdk.Stack {
       constructor(scope: cdk.App, id: string) {
         super(scope, id);
         new dynamodb.Table(this, "Orders", {
           partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    +      removalPolicy: cdk.RemovalPolicy.RETAIN,
    ```
    """

    code = "CDK101"
    name = "cdk-removal-policy-destroy"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        if "DESTROY" not in change.added_text:
            return
        sides = _sources(change)
        if sides is None:
            return
        old, new = sides
        for destroy in new.destroys:
            if destroy.line not in change.added_line_numbers or destroy.conditional:
                continue
            if _moved(change, destroy.text):
                continue
            finding = self._destroy(change, old, new, destroy)
            if finding is not None:
                yield finding

    def _destroy(
        self, change: FileChange, old: Source, new: Source, destroy: Destroy
    ) -> Finding | None:
        hint = (
            "keep the default (RETAIN or SNAPSHOT) for resources that hold data; use DESTROY "
            "only in development stacks, e.g. isProd ? RemovalPolicy.RETAIN : "
            "RemovalPolicy.DESTROY"
        )
        confidence = Confidence.HIGH
        construct = destroy.construct
        if destroy.how == "scope":
            severity = Severity.HIGH
            message = (
                f"applies RemovalPolicy.DESTROY to every resource in {destroy.target}: "
                "databases, tables and buckets in it are deleted with their data when they "
                "leave the stack, are replaced, or the stack is deleted"
            )
        elif construct is None:
            severity, confidence = Severity.LOW, Confidence.LOW
            target = f" to {destroy.target}" if destroy.target else ""
            message = (
                f"applies RemovalPolicy.DESTROY{target}: what it is applied to is deleted "
                "when it leaves the stack"
            )
        else:
            found = stateful(construct)
            if found is None:
                severity, confidence = Severity.LOW, Confidence.MEDIUM
                message = (
                    f"sets RemovalPolicy.DESTROY on {construct.label}: its resources are "
                    "deleted when they leave the stack"
                )
            else:
                cfn_type, default = found
                kind = _kind(cfn_type)
                before = _counterpart(old, construct)
                if before is not None or construct.start not in change.added_line_numbers:
                    was = _policy(old, before, default) if before is not None else default
                    if was == "DESTROY":
                        return None  # already deleted on removal: nothing changes
                    severity = min(kind.severity, Severity.HIGH)
                    by_default = was == default and (
                        before is None or "removalPolicy" not in before.props
                    )
                    was_text = (
                        f"was {was}{' (the default)' if by_default else ''}"
                        if was
                        else "had no removal policy"
                    )
                    message = (
                        f"sets RemovalPolicy.DESTROY on {construct.label} ({cfn_type}), which "
                        f"{was_text}: if it leaves the stack, is replaced, or the stack is "
                        f"deleted, {kind.delete}"
                    )
                else:
                    if default == "DESTROY":
                        return None  # the construct's own default: nothing changes
                    severity = Severity.MEDIUM if kind.severity >= Severity.HIGH else Severity.LOW
                    message = (
                        f"creates {construct.label} ({cfn_type}) with RemovalPolicy.DESTROY: "
                        f"if it leaves the stack, is replaced, or the stack is deleted, "
                        f"{kind.delete}"
                    )
        if _is_test(change, destroy.owner):
            severity = Severity.LOW
            message += f" (test or example stack {destroy.owner or change.path})"
        return self.finding(
            change, destroy.line, message, hint=hint, severity=severity, confidence=confidence
        )


class AutoDeleteObjects(Rule):
    """CDK code sets `autoDeleteObjects` (or `emptyOnDelete`) so a deploy empties the bucket.

    ## Why it matters
    `autoDeleteObjects: true` adds a custom resource that deletes every object in the bucket
    when the bucket leaves the stack, is replaced, or the stack is deleted; `emptyOnDelete`
    does the same to the images of an ECR repository. Without it a non-empty bucket survives
    those mistakes; with it, the data goes too.

    ## Bad
    ```diff
    --- a/app/storage_stack.py
    +++ b/app/storage_stack.py
    @@ -1,10 +1,11 @@
     from aws_cdk import RemovalPolicy, Stack
     from aws_cdk import aws_s3 as s3


     class StorageStack(Stack):
         def __init__(self, scope, construct_id, **kwargs):
             super().__init__(scope, construct_id, **kwargs)
             s3.Bucket(self, "Invoices",
                 removal_policy=RemovalPolicy.DESTROY,
    +            auto_delete_objects=True,
             )
    ```

    ## Good
    ```diff
    --- a/app/storage_stack.py
    +++ b/app/storage_stack.py
    @@ -1,10 +1,11 @@
     from aws_cdk import RemovalPolicy, Stack
     from aws_cdk import aws_s3 as s3


     class StorageStack(Stack):
         def __init__(self, scope, construct_id, **kwargs):
             super().__init__(scope, construct_id, **kwargs)
             s3.Bucket(self, "Invoices",
                 removal_policy=RemovalPolicy.DESTROY,
    +            versioned=True,
             )
    ```
    """

    code = "CDK102"
    name = "cdk-auto-delete-objects"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        if not CDK_AUTO_DELETE.search(change.added_text):
            return
        sides = _sources(change)
        if sides is None:
            return
        old, new = sides
        for flag in new.flags:
            construct = flag.construct
            if flag.line not in change.added_line_numbers or construct is None:
                continue
            before = _counterpart(old, construct)
            if (before is not None and flag.name in before.props) or _moved(
                change, change.new_line(flag.line).strip()
            ):
                continue
            what = "image in the repository" if flag.name != "autoDeleteObjects" else "object"
            existing = before is not None or construct.start not in change.added_line_numbers
            severity = Severity.HIGH if existing else Severity.MEDIUM
            message = (
                f"sets {flag.name} on {construct.label}: a custom resource deletes every "
                f"{what} when it leaves the stack, is replaced, or the stack is deleted"
            )
            if _is_test(change, construct.owner):
                severity = Severity.LOW
                message += f" (test or example stack {construct.owner or change.path})"
            yield self.finding(
                change,
                flag.line,
                message,
                hint="leave it off for data that matters; empty the bucket by hand when it "
                "really must go",
                severity=severity,
            )


class ConstructIdChanged(Rule):
    """A stateful construct's ID changes, so its logical ID changes and CloudFormation
    replaces it.

    ## Why it matters
    CDK derives each resource's logical ID from the construct path. Renaming
    `new s3.Bucket(this, "Uploads")` to `"UploadsBucket"` makes a new resource: CloudFormation
    creates a new, empty bucket or table and removes the old one (kept outside the stack under
    the default RETAIN policy, deleted under DESTROY). With a fixed physical name the deploy
    fails instead. A construct whose logical ID is pinned with `overrideLogicalId` is not
    reported, nor are stateless constructs.

    ## Bad
    ```diff
    --- a/lib/data-stack.ts
    +++ b/lib/data-stack.ts
    @@ -1,8 +1,8 @@
     import * as cdk from "aws-cdk-lib";
     import * as dynamodb from "aws-cdk-lib/aws-dynamodb";

     export class DataStack extends cdk.Stack {
       constructor(scope: cdk.App, id: string) {
         super(scope, id);
    -    new dynamodb.Table(this, "Orders", {
    +    new dynamodb.Table(this, "OrdersTable", {
           partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    ```

    ## Good
    ```diff
    --- a/lib/data-stack.ts
    +++ b/lib/data-stack.ts
    @@ -1,8 +1,8 @@
     import * as cdk from "aws-cdk-lib";
     import * as dynamodb from "aws-cdk-lib/aws-dynamodb";

     export class DataStack extends cdk.Stack {
       constructor(scope: cdk.App, id: string) {
         super(scope, id);
    -    new dynamodb.Table(this, "Orders", {
    +    const orders = new dynamodb.Table(this, "Orders", {
           partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
    ```
    """

    code = "CDK201"
    name = "cdk-construct-id-changed"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        files: list[tuple[FileChange, Source, Source]] = []
        for change in changeset.files:
            if not change.formats & FORMATS or not may_rename(change):
                continue
            sides = _sources(change)
            if sides is not None:
                files.append((change, *sides))
        before = {c.identity for _, old, _ in files for c in old.constructs}
        after = {c.identity for _, _, new in files for c in new.constructs}
        for change, old, new in files:
            if new.overrides_logical_ids:
                continue
            for construct in old.constructs:
                if construct.identity in after or construct.construct_id is None:
                    continue
                if construct.line not in change.removed_line_numbers or stateful(construct) is None:
                    continue
                successor = _successor(change, construct, new, before)
                if successor is not None:
                    yield self._renamed(change, old, construct, successor)

    def _renamed(
        self, change: FileChange, old: Source, construct: Construct, successor: Construct
    ) -> Finding:
        cfn_type, default = stateful(construct) or ("", "")
        kind = _kind(cfn_type)
        policy = _policy(old, construct, default)
        severity = kind.severity
        head = (
            f"changes the ID of {construct.label} to {successor.construct_id}: its logical ID "
            f"changes, so CloudFormation"
        )
        name = _fixed_name(construct, successor)
        if name is not None:
            severity = Severity.MEDIUM
            message = (
                f"{head} creates a new {kind.noun} first, but its {name} is still taken by the "
                "old one, so the deploy fails and rolls back"
            )
        elif policy in ("RETAIN", "RETAIN_ON_UPDATE_OR_DELETE"):
            severity = severity.shifted(-1)
            message = (
                f"{head} creates a new, empty {kind.noun}; the old one is kept outside the stack "
                f"({policy}), but the app now uses the new one"
            )
        elif policy == "SNAPSHOT":
            severity = severity.shifted(-1)
            message = f"{head} {kind.replace}; a final snapshot of the old one is taken"
        else:
            message = f"{head} {kind.replace}"
        return self.finding(
            change,
            successor.line,
            message,
            hint=f'keep the ID "{construct.construct_id}", or pin the old logical ID with '
            "overrideLogicalId",
            severity=severity,
        )


def _successor(
    change: FileChange,
    construct: Construct,
    new: Source,
    before: set[tuple[str, str | None]],
) -> Construct | None:
    """The construct of the same class that took this one's place under a new ID."""
    candidates = [
        c
        for c in new.constructs
        if c.cls == construct.cls
        and c.construct_id is not None
        and c.identity not in before
        and c.line in change.added_line_numbers
        and c.owner == construct.owner
    ]
    if len(candidates) > 1:
        position = change.new_position(construct.line)
        candidates = [c for c in candidates if c.line == position]
    return candidates[0] if len(candidates) == 1 else None


def _fixed_name(old: Construct, new: Construct) -> str | None:
    for key in sorted(_NAME_PROPS & old.props.keys() & new.props.keys()):
        if old.props[key].text == new.props[key].text:
            return f"{key} {old.props[key].text}"
    return None


RULES = (RemovalPolicyDestroy, AutoDeleteObjects, ConstructIdChanged)
