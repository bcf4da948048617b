"""The library entry point: `check(...) -> Report`, everything the CLI does without click."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from changerisk import inputs
from changerisk.config import Config, load_config
from changerisk.engine import build_report
from changerisk.errors import GitError
from changerisk.model import ChangeSet
from changerisk.registry import all_rules, select_rules
from changerisk.report import Report
from changerisk.rule import Rule

AI_ENV = "CHANGERISK_AI_ASSISTED"  # kept here too: the public name of the variable


def read_change(
    diff: str | None = None,
    stdin: bytes | None = None,
    staged: bool = False,
    base: str | None = None,
    cwd: str | None = None,
    plans: Sequence[str] = (),
    plans_only: bool = False,
    head: str = "HEAD",
) -> ChangeSet:
    """Read the change to check: a diff file, stdin bytes, or the repository, and any
    Terraform plans (`plans_only`: the plans alone, no diff). With `base`, `head` is the
    revision checked against the merge base (HEAD unless a pre-push hook names another)."""
    plan_files = [inputs.from_plan_file(path) for path in plans]
    if plans_only:
        return ChangeSet(
            files=plan_files, source="plan", description=", ".join(plans), repo_root=None
        )
    changeset = _read_diff(diff, stdin, staged, base, cwd, head)
    changeset.files.extend(plan_files)
    return changeset


def _read_diff(
    diff: str | None,
    stdin: bytes | None,
    staged: bool,
    base: str | None,
    cwd: str | None,
    head: str = "HEAD",
) -> ChangeSet:
    if stdin is not None:
        return inputs.from_diff_bytes(
            stdin, origin="stdin", source="stdin", root=_root_or_none(cwd)
        )
    if diff is not None:
        return inputs.from_diff_file(diff, root=_root_or_none(cwd))
    if staged:
        return inputs.from_git("staged", cwd=cwd)
    if base:
        return inputs.from_git("base", base=base, cwd=cwd, head=head)
    return inputs.from_git("worktree", cwd=cwd)


def _root_or_none(cwd: str | None) -> str | None:
    try:
        from changerisk.git import repo_root

        return repo_root(cwd)
    except GitError:
        return None


def ai_assisted_from_env() -> bool:
    return os.environ.get(AI_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def ai_provenance(
    changeset: ChangeSet,
    config: Config,
    *,
    flag: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """Why the change counts as AI-assisted (empty when nothing says so): the flag, the
    environment variable, agent identities and trailers in its commits, agent CI branches."""
    from changerisk.provenance import detect

    return detect(
        changeset.commits,
        os.environ if env is None else env,
        flag=flag,
        extra_agents=config.ai_agents,
        extra_branches=config.ai_branches,
    )


def check(
    changeset: ChangeSet,
    config: Config | None = None,
    *,
    ai_assisted: bool = False,
    ai_sources: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    rules: Sequence[type[Rule]] | None = None,
) -> Report:
    """Check a change and return its report. `select`/`ignore` extend the configuration's."""
    config = config or load_config(start=Path(changeset.repo_root or os.getcwd()))
    available = list(rules) if rules is not None else all_rules()
    chosen = select_rules(
        available,
        select=tuple(select) or config.select,
        ignore=(*config.ignore, *ignore),
    )
    return build_report(changeset, chosen, config, ai_assisted=ai_assisted, ai_sources=ai_sources)
