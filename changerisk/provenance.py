"""AI provenance: whether a change was made with a coding agent or AI assistant, and why we
think so. Sources, strongest first: the `--ai-assisted` flag and `CHANGERISK_AI_ASSISTED`,
trailers and identities in the commits of the checked range, and agent branch names in CI.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from changerisk.datafiles import read_text
from changerisk.model import Commit
from changerisk.regex import lazy_compile

AI_ENV = "CHANGERISK_AI_ASSISTED"
# Branch of a pull / merge request in CI: GitHub Actions, GitLab CI.
BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
_TRAILER = lazy_compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.+?)\s*$")
_IDENTITY = lazy_compile(r"^(.*?)\s*<([^<>]*)>\s*$")
_ALWAYS_AI = frozenset({"assisted-by", "generated-by", "ai-model", "ai-agent"})
_YES = frozenset({"1", "true", "yes", "on", "y"})


class Agent(NamedTuple):
    agent: str
    names: frozenset[str]
    emails: tuple[str, ...]

    def matches(self, name: str, email: str) -> bool:
        email = email.lower()
        return name.strip().lower() in self.names or any(e in email for e in self.emails if e)


@cache
def builtin() -> tuple[tuple[Agent, ...], tuple[str, ...]]:
    """The known agents and agent branch patterns (changerisk/data/ai_agents.json)."""
    data: dict[str, Any] = json.loads(read_text("ai_agents.json"))
    agents = tuple(
        Agent(
            entry["agent"],
            frozenset(n.lower() for n in entry.get("names", ())),
            tuple(e.lower() for e in entry.get("emails", ())),
        )
        for entry in data["agents"]
    )
    return agents, tuple(data.get("branches", ()))


def env_flag(env: Mapping[str, str]) -> bool:
    return env.get(AI_ENV, "").strip().lower() in _YES


def trailers(message: str) -> list[tuple[str, str]]:
    """The trailers of a commit message: `Key: value` lines of its last paragraph."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return []
    found: list[tuple[str, str]] = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match is None:
            if line.startswith((" ", "\t")) and found:
                continue  # a folded continuation line
            return []  # not a trailer block
        found.append((match.group(1).lower(), match.group(2)))
    return found


def _identity(value: str) -> tuple[str, str]:
    match = _IDENTITY.match(value)
    return (match.group(1), match.group(2)) if match else (value, "")


def detect(
    commits: Sequence[Commit],
    env: Mapping[str, str],
    *,
    flag: bool = False,
    extra_agents: Sequence[str] = (),
    extra_branches: Sequence[str] = (),
) -> tuple[str, ...]:
    """Why the change counts as AI-assisted, one reason per source (empty: it does not)."""
    agents, branches = builtin()
    extra = tuple(
        Agent(pattern, frozenset({pattern.lower()}), (pattern.lower(),) if "@" in pattern else ())
        for pattern in extra_agents
    )
    sources: list[str] = []
    if flag:
        sources.append("--ai-assisted")
    if env_flag(env):
        sources.append(AI_ENV)
    for commit in commits:
        reason = _commit_reason(commit, (*agents, *extra))
        if reason:
            sources.append(f"{reason} in {commit.sha[:10]}")
    for variable in BRANCH_VARIABLES:
        branch = env.get(variable, "").strip()
        if branch and any(fnmatch.fnmatchcase(branch, p) for p in (*branches, *extra_branches)):
            sources.append(f"agent branch {branch} ({variable})")
            break
    return tuple(sources)


def _commit_reason(commit: Commit, agents: Sequence[Agent]) -> str:
    for agent in agents:
        if agent.matches(commit.author, commit.author_email):
            return f"author {commit.author} <{commit.author_email}> is {agent.agent}"
    for key, value in trailers(commit.message):
        if key in _ALWAYS_AI:
            return f"{_title(key)}: {value}"
        if key == "ai-assisted" and value.strip().lower() in _YES:
            return f"AI-assisted: {value}"
        if key == "co-authored-by":
            name, email = _identity(value)
            for agent in agents:
                if agent.matches(name, email):
                    return f"Co-authored-by: {value} ({agent.agent})"
    return ""


def _title(key: str) -> str:
    return "-".join(part.capitalize() for part in key.split("-"))
