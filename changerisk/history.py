"""Replay the policy over past commits: how a team calibrates before turning on the gate.

Each commit is checked as the change from its first parent (the empty tree for a root
commit), with the same rules, configuration and AI provenance as `check --base` would use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from changerisk import git, inputs
from changerisk.config import Config
from changerisk.diff import parse_diff
from changerisk.engine import build_report
from changerisk.gate import SignoffInputs
from changerisk.model import ChangeSet, Commit
from changerisk.provenance import detect
from changerisk.report import Report
from changerisk.rule import Rule
from changerisk.team import authors_of


class CommitResult(NamedTuple):
    commit: Commit
    report: Report


@dataclass
class Summary:
    """Distributions over the replayed commits."""

    commits: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    tiers: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    ai_assisted: int = 0
    needs_sign_off: list[CommitResult] = field(default_factory=list)

    def add(self, result: CommitResult, sign_off_tier: int, tiers: Sequence[str]) -> None:
        report = result.report
        self.commits += 1
        self.levels[report.level] += 1
        self.tiers[report.tier] += 1
        self.rules.update({f.code for f in report.findings})
        self.ai_assisted += report.ai_assisted
        if tiers.index(report.tier) >= sign_off_tier:
            self.needs_sign_off.append(result)


def commits_to_replay(
    root: str, max_count: int | None, since: str | None, base: str | None
) -> tuple[Commit, ...]:
    """The commits to replay, newest first: merges are skipped (their parents are replayed)."""
    revisions = ["--no-merges"]
    if max_count is not None:
        revisions.append(f"--max-count={max_count}")
    if since:
        revisions.append(f"--since={since}")
    revisions.append(f"{git.merge_base(root, base)}..HEAD" if base else "HEAD")
    return git.log(root, revisions)


def replay(
    root: str,
    commits: Sequence[Commit],
    rules: Sequence[type[Rule]],
    config: Config,
    progress: Callable[[Commit], None] | None = None,
) -> Iterator[CommitResult]:
    """Check each commit on its own; yields as it goes (for a progress bar)."""
    for commit in commits:
        parent = commit.parents[0] if commit.parents else git.EMPTY_TREE
        data = git.diff_range(root, parent, commit.sha)
        files = parse_diff(data, origin=f"commit {commit.sha[:10]}")
        for change in files:
            inputs.attach_loaders(change, root, old_rev=parent, new_rev=commit.sha)
        changeset = ChangeSet(
            files=files,
            source="history",
            description=f"{commit.sha[:10]} {commit.subject}",
            repo_root=root,
            commits=(commit,),
            base_rev=parent,
        )
        sources = detect(
            (commit,), {}, extra_agents=config.ai_agents, extra_branches=config.ai_branches
        )
        # the sign-off policy sees each commit's own people and message body
        signoff = SignoffInputs(
            authors=authors_of((commit,)),
            description=commit.message.partition("\n")[2],
            description_source="commit message",
        )
        report = build_report(
            changeset,
            rules,
            config,
            ai_assisted=bool(sources),
            ai_sources=sources,
            signoff=signoff,
        )
        if progress is not None:
            progress(commit)
        yield CommitResult(commit, report)


def sign_off_rank(config: Config) -> int:
    """The tier from which a commit "needs senior sign-off": the AI policy's tier."""
    return config.tiers.index(config.ai_min_tier)
