"""The library entry point: `check(...) -> Report`, everything the CLI does without click."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from changerisk import inputs
from changerisk.config import Config, load_config
from changerisk.engine import build_report
from changerisk.errors import GitError, InputError
from changerisk.gate import SignoffInputs
from changerisk.model import ChangeSet
from changerisk.registry import rules_for, select_rules
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


def signoff_inputs(
    changeset: ChangeSet,
    *,
    env: Mapping[str, str] | None = None,
    authors: Sequence[str] = (),
    description_file: str | None = None,
    approvals_file: str | None = None,
    notes: Sequence[str] = (),
) -> SignoffInputs:
    """Who made the change, its description, and (with `approvals_file`) its reviews: from
    the command line, the CI environment (GitHub event file, GitLab variables) and the
    commits of the checked range. Nothing is fetched from the network."""
    from changerisk import forge
    from changerisk.provenance import builtin
    from changerisk.team import authors_of

    env = os.environ if env is None else env
    pr = forge.pull_request(env)
    agents, _ = builtin()
    agent_emails = {
        c.author_email.lower()
        for c in changeset.commits
        if any(agent.matches(c.author, c.author_email) for agent in agents)
    }
    found = authors_of(changeset.commits, pr.authors, authors, agent_emails)
    description: str | None = None
    source = ""
    if description_file is not None:
        try:
            description = Path(description_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{description_file}: cannot read the description: {exc}") from None
        source = Path(description_file).name
    elif pr.description is not None:
        description, source = pr.description, pr.description_source
    elif changeset.commits:
        # bodies only: a subject such as "testing: lower parallelism" is no Testing section
        description = "\n\n".join(c.message.partition("\n")[2] for c in reversed(changeset.commits))
        source = "commit messages"
    reviews = None
    if approvals_file is not None:
        reviews = tuple(forge.read_reviews(approvals_file))
    head = pr.head_sha or _head_sha(changeset)
    return SignoffInputs(
        authors=found,
        description=description,
        description_source=source,
        reviews=reviews,
        head_sha=head,
        notes=tuple(n for n in notes if n),
    )


def signoff_config(config: Config, changeset: ChangeSet) -> tuple[Config, str]:
    """The configuration with its team and sign-off policy as they stand at the revision the
    change starts from, as CODEOWNERS is read: a change must not promote its own author or
    approvers. Returns the note for the reasons ("" when nothing differs)."""
    from changerisk import git
    from changerisk.config import config_from_text
    from changerisk.errors import ChangeriskError

    root, base = changeset.repo_root, changeset.base_rev
    if root is None or base is None or config.source in ("defaults", "config"):
        return config, ""
    try:
        relative = Path(config.source).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return config, ""  # a config outside the repository: the change cannot edit it
    try:
        data = git.read_path(root, base, relative)
    except ChangeriskError:
        return config, ""
    if data is None:
        if not config.signoff.enabled:
            return config, ""
        return config, f"team and sign-off policy: {relative} is new in this change"
    try:
        before = config_from_text(
            data.decode("utf-8", "replace"), relative, source=config.source, label=relative
        )
    except ChangeriskError:
        return config, f"team and sign-off policy: {relative} at the base does not load"
    if before.team == config.team and before.signoff == config.signoff:
        return config, ""
    return (
        config.with_overrides(team=before.team, signoff=before.signoff),
        f"team and sign-off policy read from {relative} at the base revision: this change "
        "edits them, and its edits apply once it is merged",
    )


def _head_sha(changeset: ChangeSet) -> str:
    if changeset.commits:
        return changeset.commits[0].sha
    return ""


def check(
    changeset: ChangeSet,
    config: Config | None = None,
    *,
    ai_assisted: bool = False,
    ai_sources: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    rules: Sequence[type[Rule]] | None = None,
    signoff: SignoffInputs | None = None,
) -> Report:
    """Check a change and return its report. `select`/`ignore` extend the configuration's."""
    config = config or load_config(start=Path(changeset.repo_root or os.getcwd()))
    available = list(rules) if rules is not None else rules_for(changeset)
    chosen = select_rules(
        available,
        select=tuple(select) or config.select,
        ignore=(*config.ignore, *ignore),
    )
    return build_report(
        changeset,
        chosen,
        config,
        ai_assisted=ai_assisted,
        ai_sources=ai_sources,
        signoff=signoff,
    )
