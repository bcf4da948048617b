"""Access rules: IAM policy changes that widen what a principal may do.

Both sides of a file are read and only a widening is reported: a wildcard grant the old side
already made (reformatted, reordered, moved to another attribute) is not news to a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .iam_common import (
    Granted,
    actions_of,
    covers,
    grants_every_action,
    in_block,
    names,
    on_text,
    reaches,
    resources_of,
    sides,
    to_text,
    touched,
)
from .iam_common import matches as _matches  # noqa: F401  (the tests' name for it)

_READ_ONLY = ("get", "list", "describe")
_ACTION_NAME = lazy_compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")


class WildcardAction(Rule):
    """An Allow statement grants every action (`"Action": "*"`, or `NotAction`), not a list.

    ## Why it matters
    `"Action": "*"` grants every API of every AWS service on the resources named, including
    `iam:*` (so the holder can grant itself anything else), deletes, and every action AWS adds
    later. `NotAction` with `Allow` does the same minus a list. A leaked key or a compromised
    CI job with such a policy owns the account. Only a widening is reported: a wildcard the
    old file already granted, or one that is reformatted or moved, is not.

    ## Bad
    ```diff
    diff --git a/iam/deploy-policy.json b/iam/deploy-policy.json
    --- a/iam/deploy-policy.json
    +++ b/iam/deploy-policy.json
    @@ -3,7 +3,7 @@
       "Statement": [
         {
           "Effect": "Allow",
    -      "Action": ["s3:GetObject", "s3:PutObject"],
    +      "Action": "*",
           "Resource": "arn:aws:s3:::deploy-artifacts/*"
         }
       ]
    ```

    ## Good
    ```diff
    diff --git a/iam/deploy-policy.json b/iam/deploy-policy.json
    --- a/iam/deploy-policy.json
    +++ b/iam/deploy-policy.json
    @@ -3,7 +3,7 @@
       "Statement": [
         {
           "Effect": "Allow",
    -      "Action": ["s3:GetObject", "s3:PutObject"],
    +      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
           "Resource": "arn:aws:s3:::deploy-artifacts/*"
         }
       ]
    ```
    """

    code = "IAM101"
    name = "iam-wildcard-action"
    category = Category.ACCESS
    severity = Severity.CRITICAL
    formats = frozenset({"iam-policy", "terraform", "cloudformation"})
    since = "0.1.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = sides(change)
        for statement in new:
            if not grants_every_action(statement) or not touched(change, statement):
                continue
            wanted = actions_of(statement)
            if any(reaches(b, statement) and covers(actions_of(b), wanted) for b in old):
                continue
            if statement.actions:
                message = (
                    f'grants every action ("Action": "*"){on_text(statement)}{to_text(statement)}'
                    f"{in_block(change, statement)}"
                )
                hint = (
                    'name the actions the principal needs (e.g. "s3:GetObject"); "*" includes '
                    "iam:* and every action AWS adds later"
                )
            else:
                message = (
                    f"grants every action except {names(statement.not_actions)} "
                    f'("NotAction" with "Allow"){on_text(statement)}{to_text(statement)}'
                    f"{in_block(change, statement)}"
                )
                hint = (
                    "list the actions needed under Action; NotAction with Allow grants every "
                    "action not listed, including ones AWS adds later"
                )
            yield self.finding(change, statement.action_line, message, hint=hint)


class WildcardResource(Rule):
    """An Allow statement grants its actions on every resource (`"Resource": "*"`).

    ## Why it matters
    `"Resource": "*"` applies the actions to every bucket, table, key and role in the account,
    today's and future ones, not to the one the job works on: `s3:DeleteObject` on `*` can
    empty the production data bucket. Granting a new action on `*`, or widening a scoped
    statement to `*`, is reported; actions that read data (`Get*`) at a lower severity.
    Actions that only describe or list (`Describe*`, `List*`) are not reported: most of them
    have no resource-level permissions, so `*` is the only resource AWS accepts for them.
    Statements that grant every action are reported by IAM101 instead.

    ## Bad
    ```diff
    diff --git a/infra/ci.tf b/infra/ci.tf
    --- a/infra/ci.tf
    +++ b/infra/ci.tf
    @@ -1,6 +1,6 @@
     data "aws_iam_policy_document" "ci" {
       statement {
         actions   = ["s3:PutObject", "s3:DeleteObject"]
    -    resources = ["arn:aws:s3:::ci-artifacts/*"]
    +    resources = ["*"]
       }
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/ci.tf b/infra/ci.tf
    --- a/infra/ci.tf
    +++ b/infra/ci.tf
    @@ -1,6 +1,9 @@
     data "aws_iam_policy_document" "ci" {
       statement {
         actions   = ["s3:PutObject", "s3:DeleteObject"]
    -    resources = ["arn:aws:s3:::ci-artifacts/*"]
    +    resources = [
    +      "arn:aws:s3:::ci-artifacts/*",
    +      "arn:aws:s3:::ci-cache/*",
    +    ]
       }
     }
    ```
    """

    code = "IAM102"
    name = "iam-wildcard-resource"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"iam-policy", "terraform", "cloudformation"})
    since = "0.1.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = sides(change)
        granted: dict[tuple[object, ...], Granted] = {}
        for statement in new:
            if not statement.is_allow or grants_every_action(statement):
                continue
            if not resources_of(statement).is_everything or not touched(change, statement):
                continue
            key = (frozenset(statement.principals), statement.has_condition, statement.resources)
            if key not in granted:
                granted[key] = Granted.of([b for b in old if reaches(b, statement)])
            fresh = [action for action in statement.actions if not granted[key].covers(action)]
            if not fresh:
                continue
            if "*" in statement.resources:
                where = 'every resource ("Resource": "*")'
            else:
                where = (
                    f"every resource except {names(statement.not_resources)} "
                    '("NotResource" with "Allow")'
                )
            if all(_is_metadata_only(action) for action in fresh):
                continue  # Describe*/List*: `*` is the only resource most of them accept
            read_only = all(_is_read_only(action) for action in fresh)
            known = all(_ACTION_NAME.match(action) for action in fresh)
            yield self.finding(
                change,
                statement.resource_line,
                f"grants {names(fresh, 4)} on {where}{to_text(statement)}"
                f"{in_block(change, statement)}",
                hint=(
                    "scope Resource to the ARNs these actions need, "
                    "e.g. arn:aws:s3:::my-bucket/* instead of *"
                ),
                severity=Severity.MEDIUM if read_only else None,
                confidence=None if known else Confidence.MEDIUM,
            )


def _is_metadata_only(action: str) -> bool:
    _, _, name = action.partition(":")
    return bool(name) and name.lower().startswith(("describe", "list"))


def _is_read_only(action: str) -> bool:
    _, _, name = action.partition(":")
    return bool(name) and name.lower().startswith(_READ_ONLY)


RULES = (WildcardAction, WildcardResource)
