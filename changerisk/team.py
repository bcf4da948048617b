"""The team: people's levels (junior … principal) and the identities they go by, and who the
author of a change is.

An identity is a git email (`dev@acme.io`) or a forge handle (`@dev`), compared without case.
Authors come from `--author`, else from the commits of the checked range (author and committer
emails) and the pull / merge request in CI (the GitHub event file, GitLab's variables).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from changerisk.model import Commit

DEFAULT_LEVELS = ("junior", "mid", "senior", "principal")
# Committers that are the forge itself (web-flow merges, suggestions applied in the UI).
_FORGE_COMMITTERS = frozenset({"noreply@github.com", "noreply@gitlab.com"})


def identity(text: str) -> str:
    """The comparable form of an identity: stripped, lower case; a handle keeps its `@`."""
    return text.strip().lower()


class Person(NamedTuple):
    """One person of the team: the first identity names them, the rest are aliases."""

    name: str
    level: str
    identities: frozenset[str]


@dataclass(frozen=True)
class Team:
    """Levels, lowest first, and the people with theirs; `groups` lists forge teams' members."""

    levels: tuple[str, ...] = DEFAULT_LEVELS
    people: tuple[Person, ...] = ()
    senior: str = "senior"
    unknown_level: str = ""
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def person(self, who: str) -> Person | None:
        wanted = identity(who)
        return next((p for p in self.people if wanted in p.identities), None)

    def rank(self, level: str) -> int:
        return self.levels.index(level)

    def level_of(self, who: str) -> str | None:
        person = self.person(who)
        return person.level if person else None

    def effective_level(self, who: str) -> str:
        """A known person's level; an unknown identity gets `unknown_level` (fail closed)."""
        return self.level_of(who) or self.unknown_level or self.levels[0]

    def at_least(self, level: str) -> tuple[Person, ...]:
        return tuple(p for p in self.people if self.rank(p.level) >= self.rank(level))

    def members(self, owner: str) -> frozenset[str]:
        """The identities an owner entry stands for: itself, and a group's listed members."""
        key = identity(owner)
        found = {key}
        for name, members in self.groups.items():
            if identity(name) == key:
                found.update(identity(m) for m in members)
        return frozenset(found)

    def same_person(self, a: str, b: str) -> bool:
        if identity(a) == identity(b):
            return True
        person = self.person(a)
        return person is not None and identity(b) in person.identities


class Author(NamedTuple):
    """One identity of the change's author(s), and where it was read."""

    identity: str
    source: str


def commit_authors(commits: Sequence[Commit]) -> list[Author]:
    """Author and committer emails of the commits, forge committers left out."""
    out: list[Author] = []
    for commit in commits:
        short = commit.sha[:10]
        for email, role in ((commit.author_email, "author"), (commit.committer_email, "committer")):
            who = identity(email)
            if who and who not in _FORGE_COMMITTERS:
                out.append(Author(who, f"{role} of {short}"))
    return out


def authors_of(
    commits: Sequence[Commit],
    forge: Sequence[Author] = (),
    explicit: Sequence[str] = (),
    agents: Collection[str] = (),
) -> tuple[Author, ...]:
    """The change's author identities, deduplicated, first source kept.

    `explicit` (`--author`) replaces every other source. Identities in `agents` (coding
    agents' emails) are dropped when a person remains: the AI policy covers them.
    """
    if explicit:
        found = [Author(identity(e), "--author") for e in explicit if e.strip()]
    else:
        found = [*forge, *commit_authors(commits)]
    agent_ids = {identity(a) for a in agents}
    people = [a for a in found if a.identity not in agent_ids]
    if people:
        found = people
    seen: set[str] = set()
    out: list[Author] = []
    for author in found:
        if author.identity not in seen:
            seen.add(author.identity)
            out.append(author)
    return tuple(out)
