"""Access rules: IAM policy changes that widen what a principal may do.

Both sides of a file are read and only a widening is reported: a wildcard grant the old side
already made (reformatted, reordered, moved to another attribute) is not news to a reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from changerisk.parsers.hcl import terraform_of
from changerisk.parsers.policy import Statement, statements_of
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity, Status

_READ_ONLY = ("get", "list", "describe")
_ACTION_NAME = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
_ANYONE = frozenset({"*", "AWS:*"})


@dataclass(frozen=True)
class _Scope:
    """What a statement names: patterns, or (negated) everything but them."""

    patterns: tuple[str, ...]
    negated: bool = False
    fold: bool = False  # action names are case-insensitive, ARNs are not

    @property
    def is_everything(self) -> bool:
        return self.negated or "*" in self.patterns


def _matches(pattern: str, value: str, fold: bool) -> bool:
    """IAM wildcard matching (`*`, `?`) in linear-backtracking time: patterns come from the
    change under review, so no regex that a crafted `*a*a*a…` could make explode."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    p = v = 0
    star, mark = -1, 0
    while v < len(value):
        if p < len(pattern) and pattern[p] in ("?", value[v]):
            p, v = p + 1, v + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, v, p + 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            v = mark
        else:
            return False
    return pattern[p:].strip("*") == ""


def _covers(old: _Scope, new: _Scope) -> bool:
    """Whether everything `new` names is named by `old` too (wildcards as in IAM)."""
    fold = new.fold
    if not old.negated:
        if "*" in old.patterns:
            return True
        if new.negated:
            return False
        return all(any(_matches(o, n, fold) for o in old.patterns) for n in new.patterns)
    if new.negated:  # all but X covers all but Y when Y excludes at least X
        return all(any(_matches(y, x, fold) for y in new.patterns) for x in old.patterns)
    return not any(
        _matches(x, n, fold) or _matches(n, x, fold) for x in old.patterns for n in new.patterns
    )


def _actions(statement: Statement) -> _Scope:
    if statement.actions or not statement.not_actions:
        return _Scope(statement.actions, fold=True)
    return _Scope(statement.not_actions, negated=True, fold=True)


def _resources(statement: Statement) -> _Scope:
    if statement.resources or not statement.not_resources:
        return _Scope(statement.resources)
    return _Scope(statement.not_resources, negated=True)


def _reaches(old: Statement, new: Statement) -> bool:
    """Whether the old statement allowed on the new one's resources, to its principals,
    under no condition the new one drops."""
    if not old.is_allow or (old.has_condition and not new.has_condition):
        return False
    if not (_ANYONE & set(old.principals) or set(new.principals) <= set(old.principals)):
        return False
    return _covers(_resources(old), _resources(new))


@dataclass(frozen=True)
class _Granted:
    """The actions some old statements allowed, indexed: a policy can hold hundreds."""

    exact: frozenset[str]
    patterns: tuple[str, ...]
    excluding: tuple[_Scope, ...]  # NotAction lists

    @classmethod
    def of(cls, statements: list[Statement]) -> _Granted:
        scopes = [_actions(s) for s in statements]
        named = [p.lower() for scope in scopes if not scope.negated for p in scope.patterns]
        return cls(
            exact=frozenset(p for p in named if "*" not in p and "?" not in p),
            patterns=tuple(dict.fromkeys(p for p in named if "*" in p or "?" in p)),
            excluding=tuple(scope for scope in scopes if scope.negated),
        )

    def covers(self, action: str) -> bool:
        if action.lower() in self.exact or any(_matches(p, action, True) for p in self.patterns):
            return True
        wanted = _Scope((action,), fold=True)
        return any(_covers(scope, wanted) for scope in self.excluding)


def _touched(change: FileChange, statement: Statement) -> bool:
    if change.status is Status.ADDED:
        return True
    lines = range(statement.line, statement.end_line + 1)
    return any(number in change.added_line_numbers for number in lines)


def _sides(change: FileChange) -> tuple[list[Statement], list[Statement]]:
    """The old side's Allow statements, and the new side's statements not in it as they are
    (a statement that only moved or was reformatted grants nothing new)."""
    old = statements_of(change, "old") if change.status is not Status.ADDED else ()
    allowed = [s for s in old if s.is_allow]
    known = {_signature(s) for s in allowed}
    fresh = [s for s in statements_of(change, "new") if _signature(s) not in known]
    return allowed, fresh


def _signature(statement: Statement) -> tuple[object, ...]:
    return (
        statement.effect,
        frozenset(a.lower() for a in statement.actions),
        frozenset(a.lower() for a in statement.not_actions),
        frozenset(statement.resources),
        frozenset(statement.not_resources),
        frozenset(statement.principals),
        statement.has_condition,
    )


def _names(values: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def _on(statement: Statement) -> str:
    if "*" in statement.resources:
        return " on every resource"
    if statement.resources:
        return f" on {_names(statement.resources)}"
    if statement.not_resources:
        return f" on every resource except {_names(statement.not_resources)}"
    return ""


def _to(statement: Statement) -> str:
    if _ANYONE & set(statement.principals):
        return " to anyone"
    if statement.principals:
        return f" to {_names([p.partition(':')[2] or p for p in statement.principals])}"
    return ""


def _in(change: FileChange, statement: Statement) -> str:
    """` in aws_iam_policy.ci`: the Terraform block that holds the statement, if any."""
    if "terraform" not in change.formats or change.path.endswith(".json"):
        return ""
    for block in terraform_of(change, "new").blocks:
        if block.address and block.line <= statement.line <= block.end_line:
            return f" in {block.address}"
    return ""


def _grants_every_action(statement: Statement) -> bool:
    return statement.is_allow and _actions(statement).is_everything


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
        old, new = _sides(change)
        for statement in new:
            if not _grants_every_action(statement) or not _touched(change, statement):
                continue
            wanted = _actions(statement)
            if any(_reaches(b, statement) and _covers(_actions(b), wanted) for b in old):
                continue
            if statement.actions:
                message = (
                    f'grants every action ("Action": "*"){_on(statement)}{_to(statement)}'
                    f"{_in(change, statement)}"
                )
                hint = (
                    'name the actions the principal needs (e.g. "s3:GetObject"); "*" includes '
                    "iam:* and every action AWS adds later"
                )
            else:
                message = (
                    f"grants every action except {_names(statement.not_actions)} "
                    f'("NotAction" with "Allow"){_on(statement)}{_to(statement)}'
                    f"{_in(change, statement)}"
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
    statement to `*`, is reported; read-only actions (`Get*`, `List*`, `Describe*`) at a
    lower severity. Statements that grant every action are reported by IAM101 instead.

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
        old, new = _sides(change)
        granted: dict[tuple[object, ...], _Granted] = {}
        for statement in new:
            if not statement.is_allow or _grants_every_action(statement):
                continue
            if not _resources(statement).is_everything or not _touched(change, statement):
                continue
            key = (frozenset(statement.principals), statement.has_condition, statement.resources)
            if key not in granted:
                granted[key] = _Granted.of([b for b in old if _reaches(b, statement)])
            fresh = [action for action in statement.actions if not granted[key].covers(action)]
            if not fresh:
                continue
            if "*" in statement.resources:
                where = 'every resource ("Resource": "*")'
            else:
                where = (
                    f"every resource except {_names(statement.not_resources)} "
                    '("NotResource" with "Allow")'
                )
            read_only = all(_is_read_only(action) for action in fresh)
            known = all(_ACTION_NAME.match(action) for action in fresh)
            yield self.finding(
                change,
                statement.resource_line,
                f"grants {_names(fresh, 4)} on {where}{_to(statement)}{_in(change, statement)}",
                hint=(
                    "scope Resource to the ARNs these actions need, "
                    "e.g. arn:aws:s3:::my-bucket/* instead of *"
                ),
                severity=Severity.MEDIUM if read_only else None,
                confidence=None if known else Confidence.MEDIUM,
            )


def _is_read_only(action: str) -> bool:
    _, _, name = action.partition(":")
    return bool(name) and name.lower().startswith(_READ_ONLY)


RULES = (WildcardAction, WildcardResource)
