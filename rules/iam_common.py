"""What the IAM rules share: reading both sides of a policy file, comparing statements with
IAM's own wildcard semantics, and naming what a statement grants, on what, to whom.

Only a widening is news: a statement the old side already made (reformatted, reordered, moved
to another attribute) grants nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from changerisk.parsers.hcl import terraform_of
from changerisk.parsers.policy import Statement, statements_of
from changerisk.rule import FileChange, Status

ANYONE = frozenset({"*", "AWS:*"})


class Scope(NamedTuple):
    """What a statement names: patterns, or (negated) everything but them."""

    patterns: tuple[str, ...]
    negated: bool = False
    fold: bool = False  # action names are case-insensitive, ARNs are not

    @property
    def is_everything(self) -> bool:
        return self.negated or "*" in self.patterns


def matches(pattern: str, value: str, fold: bool) -> bool:
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


def covers(old: Scope, new: Scope) -> bool:
    """Whether everything `new` names is named by `old` too (wildcards as in IAM)."""
    fold = new.fold
    if not old.negated:
        if "*" in old.patterns:
            return True
        if new.negated:
            return False
        return all(any(matches(o, n, fold) for o in old.patterns) for n in new.patterns)
    if new.negated:  # all but X covers all but Y when Y excludes at least X
        return all(any(matches(y, x, fold) for y in new.patterns) for x in old.patterns)
    return not any(
        matches(x, n, fold) or matches(n, x, fold) for x in old.patterns for n in new.patterns
    )


def actions_of(statement: Statement) -> Scope:
    if statement.actions or not statement.not_actions:
        return Scope(statement.actions, fold=True)
    return Scope(statement.not_actions, negated=True, fold=True)


def resources_of(statement: Statement) -> Scope:
    if statement.resources or not statement.not_resources:
        return Scope(statement.resources)
    return Scope(statement.not_resources, negated=True)


def reaches(old: Statement, new: Statement) -> bool:
    """Whether the old statement allowed on the new one's resources, to its principals,
    under no condition the new one drops."""
    if not old.is_allow or (old.has_condition and not new.has_condition):
        return False
    if not (ANYONE & set(old.principals) or set(new.principals) <= set(old.principals)):
        return False
    return covers(resources_of(old), resources_of(new))


class Granted(NamedTuple):
    """The actions some old statements allowed, indexed: a policy can hold hundreds."""

    exact: frozenset[str]
    patterns: tuple[str, ...]
    excluding: tuple[Scope, ...]  # NotAction lists

    @classmethod
    def of(cls, statements: list[Statement]) -> Granted:
        scopes = [actions_of(s) for s in statements]
        named = [p.lower() for scope in scopes if not scope.negated for p in scope.patterns]
        return cls(
            exact=frozenset(p for p in named if "*" not in p and "?" not in p),
            patterns=tuple(dict.fromkeys(p for p in named if "*" in p or "?" in p)),
            excluding=tuple(scope for scope in scopes if scope.negated),
        )

    def covers(self, action: str) -> bool:
        if action.lower() in self.exact or any(matches(p, action, True) for p in self.patterns):
            return True
        wanted = Scope((action,), fold=True)
        return any(covers(scope, wanted) for scope in self.excluding)


def touched(change: FileChange, statement: Statement) -> bool:
    if change.status is Status.ADDED:
        return True
    lines = range(statement.line, statement.end_line + 1)
    return any(number in change.added_line_numbers for number in lines)


def sides(change: FileChange) -> tuple[list[Statement], list[Statement]]:
    """The old side's Allow statements, and the new side's statements not in it as they are
    (a statement that only moved or was reformatted grants nothing new)."""
    old = statements_of(change, "old") if change.status is not Status.ADDED else ()
    allowed = [s for s in old if s.is_allow]
    known = {signature(s) for s in allowed}
    fresh = [s for s in statements_of(change, "new") if signature(s) not in known]
    return allowed, fresh


def signature(statement: Statement) -> tuple[object, ...]:
    return (
        statement.effect,
        frozenset(a.lower() for a in statement.actions),
        frozenset(a.lower() for a in statement.not_actions),
        frozenset(statement.resources),
        frozenset(statement.not_resources),
        frozenset(statement.principals),
        statement.has_condition,
    )


def names(values: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def on_text(statement: Statement) -> str:
    if "*" in statement.resources:
        return " on every resource"
    if statement.resources:
        return f" on {names(statement.resources)}"
    if statement.not_resources:
        return f" on every resource except {names(statement.not_resources)}"
    return ""


def to_text(statement: Statement) -> str:
    if ANYONE & set(statement.principals):
        return " to anyone"
    if statement.principals:
        return f" to {names([p.partition(':')[2] or p for p in statement.principals])}"
    return ""


def in_block(change: FileChange, statement: Statement) -> str:
    """` in aws_iam_policy.ci`: the Terraform block that holds the statement, if any."""
    if "terraform" not in change.formats or change.path.endswith(".json"):
        return ""
    for block in terraform_of(change, "new").blocks:
        if block.address and block.line <= statement.line <= block.end_line:
            return f" in {block.address}"
    return ""


def grants_every_action(statement: Statement) -> bool:
    return statement.is_allow and actions_of(statement).is_everything
