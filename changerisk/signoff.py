"""Sign-off as policy: the tier a change needs from risk level x AI-assisted x author level x
critical path, and whether the approvals it has satisfy that tier.

Every step that raises the tier says so in the reasons, naming the person. The policy is on
when the configuration has a `[team]` or `[sign-off]` table; without them tiers are what the
level and the AI policy give (see `scoring.verdict`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from changerisk.forge import Review
from changerisk.model import LEVEL_NAMES, Commit
from changerisk.team import Author, Team, identity

OwnersOf = Callable[[str], tuple[str, ...]]
_APPROVAL_TRAILERS = frozenset({"approved-by", "reviewed-by"})


class PolicyStep(NamedTuple):
    """One row of the policy table: when it matches, the tier is at least `tier`.

    Unset conditions match anything: `min_level` is the risk level from which it applies,
    `ai_assisted` whether the change must (True) or must not (False) be AI-assisted,
    `author_below` a team level the author must be below, `critical_path` whether the change
    must touch a configured critical path.
    """

    tier: str
    min_level: str = "none"
    ai_assisted: bool | None = None
    author_below: str = ""
    critical_path: bool | None = None


@dataclass(frozen=True)
class Requirement:
    """Approvals that satisfy a tier: `count` people at `level` or above (anyone but the
    author when empty) and, with `owner`, an owner of each risky file."""

    level: str = ""
    owner: bool = False
    count: int = 1


class Section(NamedTuple):
    """A section the change description must have: its name and the headings that count."""

    name: str
    synonyms: tuple[str, ...]


DEFAULT_SECTIONS = (
    Section(
        "production impact",
        (
            "production impact",
            "impact",
            "what changes in production",
            "what changes",
            "changes in production",
            "user impact",
            "customer impact",
            "effect in production",
        ),
    ),
    Section(
        "blast radius",
        ("blast radius", "scope of impact", "affected services", "affected systems", "risk"),
    ),
    Section(
        "rollback",
        (
            "rollback",
            "roll back",
            "roll-back",
            "rollback plan",
            "how to roll back",
            "revert plan",
            "backout plan",
            "back-out plan",
            "undo",
        ),
    ),
    Section(
        "testing",
        (
            "testing",
            "tests",
            "test plan",
            "tested",
            "how it was tested",
            "how was this tested",
            "how has this been tested",
            "verification",
            "validation",
        ),
    ),
)


@dataclass(frozen=True)
class SignoffPolicy:
    enabled: bool = False
    steps: tuple[PolicyStep, ...] = ()
    requirements: Mapping[str, Requirement] = field(default_factory=dict)
    description_tier: str = "senior"
    sections: tuple[Section, ...] = DEFAULT_SECTIONS
    stale_approvals: str = "reject"
    trailer_approvals: bool = True


def default_steps(
    tiers: Sequence[str], team: Team, ai_min_level: str, ai_min_tier: str
) -> tuple[PolicyStep, ...]:
    """AI-assisted + author below senior + risk >= medium -> senior; critical path ->
    senior + owner (the highest tier when the tiers are custom)."""
    critical = "senior + owner" if "senior + owner" in tiers else tiers[-1]
    return (
        PolicyStep(
            tier=ai_min_tier, min_level=ai_min_level, ai_assisted=True, author_below=team.senior
        ),
        PolicyStep(tier=critical, critical_path=True),
    )


def default_requirement(tier: str, team: Team) -> Requirement:
    """From the tier's name: the highest team level it names, and `owner` if it says owner."""
    words = tier.lower().replace("+", " ").split()
    levels = [lvl for lvl in team.levels if lvl.lower() in words]
    return Requirement(level=levels[-1] if levels else "", owner="owner" in words)


def rank(level: str) -> int:
    return LEVEL_NAMES.index(level)


class AuthorLevel(NamedTuple):
    identity: str
    source: str
    level: str
    known: bool


def author_levels(authors: Sequence[Author], team: Team) -> tuple[AuthorLevel, ...]:
    return tuple(
        AuthorLevel(
            a.identity, a.source, team.effective_level(a.identity), bool(team.person(a.identity))
        )
        for a in authors
    )


def lowest(levels: Sequence[AuthorLevel], team: Team) -> AuthorLevel | None:
    """The author who sets the change's level: the lowest (an unknown identity counts low)."""
    return min(levels, key=lambda a: team.rank(a.level), default=None)


def raise_tier(
    tier: str,
    level: str,
    *,
    tiers: Sequence[str],
    steps: Sequence[PolicyStep],
    team: Team,
    ai_assisted: bool,
    authors: Sequence[AuthorLevel],
    critical: Sequence[str],
) -> tuple[str, list[str]]:
    """The tier after the policy table, and one reason per author and per raising step."""
    reasons: list[str] = []
    who = lowest(authors, team)
    for author in authors:
        if not author.known:
            reasons.append(
                f"author {author.identity} ({author.source}) is not in the team file: "
                f"treated as {author.level}"
            )
    if not authors:
        reasons.append(
            f"no author known (no commits, CI event or --author): treated as "
            f"{team.effective_level('')}"
        )
    author_level = who.level if who else team.effective_level("")
    names = (
        ", ".join(
            a.identity + ("" if a.known else ", not in the team file")
            for a in authors
            if a.level == author_level
        )
        or "unknown"
    )
    for step in steps:
        if rank(level) < rank(step.min_level):
            continue
        if step.ai_assisted is not None and step.ai_assisted != ai_assisted:
            continue
        if step.author_below and team.rank(author_level) >= team.rank(step.author_below):
            continue
        if step.critical_path is not None and step.critical_path != bool(critical):
            continue
        what = "AI-assisted change" if step.ai_assisted else "change"
        if step.author_below:
            what += f" by a {author_level}-level author ({names})"
        if step.min_level != "none":
            what += f" at risk {level}"
        if step.critical_path:
            shown = ", ".join(critical[:3]) + (
                f" and {len(critical) - 3} more" if len(critical) > 3 else ""
            )
            what += f" touching critical path {shown}"
        if tiers.index(step.tier) > tiers.index(tier):
            reasons.append(f"tier {step.tier}: {what} → {step.tier} sign-off")
            tier = step.tier
        else:
            reasons.append(f"{what}: tier {tier} already meets {step.tier}")
    return tier, reasons


class Approval(NamedTuple):
    """One approver as read from the reviews or trailers, and whether they count."""

    identity: str
    source: str
    level: str | None
    counted: bool
    note: str = ""


def from_reviews(
    reviews: Iterable[Review], head_sha: str, stale: str
) -> list[tuple[str, str, str]]:
    """(identity, source, why it does not count or "") per reviewer: their latest APPROVED,
    CHANGES_REQUESTED or DISMISSED review decides; COMMENTED and PENDING ones change nothing,
    as on GitHub. An approval of another commit than the head is stale unless `stale` is
    "accept"."""
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: (r.submitted_at, r.order)):
        if review.login and review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.login] = review
    out = []
    for login, review in latest.items():
        note = ""
        if review.state == "CHANGES_REQUESTED":
            note = "requested changes"
        elif review.state == "DISMISSED":
            note = "approval dismissed"
        elif (
            stale != "accept"
            and head_sha
            and review.commit_id
            and not head_sha.startswith(review.commit_id[:12])
        ):
            note = f"stale: approved {review.commit_id[:10]}, the head is {head_sha[:10]}"
        out.append(
            (login, "review" + (f" of {review.commit_id[:10]}" if review.commit_id else ""), note)
        )
    return out


def from_trailers(commits: Sequence[Commit]) -> list[tuple[str, str, str]]:
    """(identity, source, "") for each `Approved-by:` / `Reviewed-by:` trailer in the range."""
    from changerisk.provenance import trailers

    out = []
    for commit in commits:
        for key, value in trailers(commit.message):
            if key not in _APPROVAL_TRAILERS:
                continue
            email = value[value.find("<") + 1 : value.find(">")] if "<" in value else value
            who = identity(email)
            if who:
                title = "Approved-by" if key == "approved-by" else "Reviewed-by"
                out.append((who, f"{title} in {commit.sha[:10]}", ""))
    return out


def judge(
    raw: Sequence[tuple[str, str, str]], authors: Sequence[Author], team: Team
) -> tuple[Approval, ...]:
    """Approvals with each approver's level; the author's own never counts."""
    out: list[Approval] = []
    seen: set[str] = set()
    for who, source, note in raw:
        if who in seen:
            continue
        seen.add(who)
        if not note and any(
            team.same_person(who, a.identity) or team.same_person(a.identity, who) for a in authors
        ):
            note = "the author's own approval"
        out.append(Approval(who, source, team.level_of(who), counted=not note, note=note))
    return tuple(out)


def missing_approvals(
    requirement: Requirement,
    approvals: Sequence[Approval],
    team: Team,
    authors: Sequence[Author],
    risky: Mapping[str, tuple[str, ...]],
) -> list[str]:
    """What is still missing, naming who can give it; empty when the tier is satisfied."""
    counted = [a for a in approvals if a.counted]
    missing: list[str] = []
    if requirement.level:
        good = set()
        for approval in counted:
            person = team.person(approval.identity)
            if person is not None and team.rank(person.level) >= team.rank(requirement.level):
                good.add(person.name)
        need = requirement.count - len(good)
        if need > 0:
            candidates = [
                p.name
                for p in team.at_least(requirement.level)
                if p.name not in good
                and not any(identity(a.identity) in p.identities for a in authors)
            ]
            who = (
                ", ".join(candidates)
                if candidates
                else f"no one at {requirement.level} or above is in the team file"
            )
            several = f"{need} more approvals" if need > 1 else "an approval"
            missing.append(f"{several} from a {requirement.level} or above: {who}")
    elif len(counted) < requirement.count:
        need = requirement.count - len(counted)
        missing.append(f"{need} approval{'s' if need > 1 else ''} from anyone but the author")
    if requirement.owner:
        by_owners: dict[tuple[str, ...], list[str]] = {}
        for path, owners in sorted(risky.items()):
            if not owners:
                continue  # as on GitHub: a file nobody owns needs no owner's approval
            approvers = [a.identity for a in counted]
            if not any(_owns(who, owners, team) for who in approvers):
                by_owners.setdefault(owners, []).append(path)
        for owners, paths in by_owners.items():
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            missing.append(f"an owner of {shown}: {' or '.join(owners)}")
    return missing


def _owns(who: str, owners: Sequence[str], team: Team) -> bool:
    for owner in owners:
        members = team.members(owner)
        if any(team.same_person(who, m) or team.same_person(m, who) for m in members):
            return True
    return False
