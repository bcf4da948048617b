"""Git hooks: what a pre-push hook is pushing, and `changerisk install-hook`.

A pre-push check must look at the commits being pushed, not at the work tree. The ranges come
from pre-commit (PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF, or PRE_COMMIT_LOCAL_BRANCH alone when
a branch's whole history is new to the remote), or from the lines git writes to a plain
pre-push hook's standard input (`<local ref> <local sha> <remote ref> <remote sha>`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import click

from changerisk import git
from changerisk.errors import ChangeriskError, GitError
from changerisk.model import ChangeSet
from changerisk.regex import lazy_compile

ZERO = "0" * 40
_OBJECT_NAME = lazy_compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 repositories
HOOK_MARKER = "# changerisk-hook:"
HOOK_KINDS = ("pre-commit", "pre-push")


class PushRange(NamedTuple):
    """Check `head` against its merge base with `base` (the empty tree: all its history)."""

    base: str
    head: str


def _is_zero(sha: str) -> bool:
    return bool(sha) and set(sha) == {"0"}


def _commit_exists(root: str, rev: str) -> bool:
    out = git.run_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root, check=False)
    return bool(out.strip())


def _first_new_commit(root: str, head: str) -> str:
    """The oldest commit of `head` that no remote-tracking branch has ("" if none)."""
    out = git.run_git(
        ["rev-list", "--topo-order", "--reverse", head, "--not", "--remotes"], root
    ).decode()
    return out.split("\n", 1)[0].strip()


def _new_history(root: str, head: str) -> PushRange | None:
    first = _first_new_commit(root, head)
    if not first:
        return None  # every commit is on a remote already: nothing new to check
    if _commit_exists(root, f"{first}^"):
        return PushRange(f"{first}^", head)
    return PushRange(git.EMPTY_TREE, head)


def push_ranges(
    root: str, env: Mapping[str, str], stdin: bytes | Callable[[], bytes | None] | None
) -> list[PushRange]:
    """What a pre-push hook is pushing: from pre-commit's variables, else git's stdin lines,
    else the current branch against its upstream. Deleted refs push nothing to check.

    `stdin` may be a reader, called only when pre-commit's variables say nothing: a hook
    must not wait on an input nobody writes to."""
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF", ""), env.get("PRE_COMMIT_TO_REF", "")
    local_branch = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
    for name, value in (("FROM_REF", from_ref), ("TO_REF", to_ref), ("LOCAL_BRANCH", local_branch)):
        if value.startswith("-"):  # a revision, never an option to git
            raise GitError(f"PRE_COMMIT_{name} is not a revision: {value!r}")
    if from_ref and to_ref:
        return [PushRange(from_ref, to_ref)]
    if local_branch and env.get("PRE_COMMIT_REMOTE_NAME"):
        # pre-commit sets no refs when the pushed history reaches a root commit
        found = _new_history(root, local_branch)
        return [found] if found else []
    data = stdin() if callable(stdin) else stdin
    lines = (data or b"").decode("utf-8", "replace").splitlines()
    if any(line.strip() for line in lines):
        return _from_git_lines(root, lines)
    upstream = git.run_git(
        ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], root, check=False
    ).decode()
    if upstream.strip():
        return [PushRange(upstream.strip(), "HEAD")]
    raise GitError(
        "--pre-push: nothing says what is pushed (no PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF, "
        "no refs on standard input, no upstream branch): use --base REF"
    )


def _from_git_lines(root: str, lines: Sequence[str]) -> list[PushRange]:
    ranges: list[PushRange] = []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4 or not all(_OBJECT_NAME.fullmatch(p) for p in parts[1::2]):
            raise GitError(f"--pre-push: not a pre-push line from git: {line.strip()[:200]!r}")
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if _is_zero(local_sha):
            continue  # a deletion pushes no content
        if not _is_zero(remote_sha) and _commit_exists(root, remote_sha):
            found: PushRange | None = PushRange(remote_sha, local_sha)
        else:  # a new branch, or a remote head this clone has not fetched
            found = _new_history(root, local_sha)
        if found and found not in ranges:
            ranges.append(found)
    return ranges


def merge_changesets(changesets: Sequence[ChangeSet], description: str, root: str) -> ChangeSet:
    """One change made of several pushed ranges (a push may update more than one branch)."""
    if len(changesets) == 1:
        changesets[0].description = description
        return changesets[0]
    commits = {c.sha: c for cs in changesets for c in cs.commits}
    return ChangeSet(
        files=[f for cs in changesets for f in cs.files],
        source="base",
        description=description,
        repo_root=root,
        commits=tuple(commits.values()),
        base_rev=changesets[0].base_rev if changesets else None,
    )


# --- install-hook --------------------------------------------------------------------------

_COMMANDS = {"pre-commit": "check --staged", "pre-push": "check --pre-push"}
_WHAT = {
    "pre-commit": "Blocks the commit when the staged change is at or above fail-on.\n"
    "# Skip it once: git commit --no-verify",
    "pre-push": "Blocks the push when the pushed commits are at or above fail-on.\n"
    "# Skip it once: git push --no-verify",
}


def hook_script(kind: str, executable: str | None) -> str:
    """A POSIX sh hook calling changerisk: `executable` (the one installed now) while it is
    there, else the one on PATH; none at all blocks, since a missing check is no pass."""
    flag = "" if kind == "pre-commit" else f" --{kind}"
    lookup = """changerisk=$(command -v changerisk) || {
    echo "changerisk: not installed or not on PATH (install it, or skip: --no-verify)" >&2
    exit 1
}"""
    if executable:
        lookup = (
            f"changerisk={shlex.quote(executable)}\n"
            f'if [ ! -x "$changerisk" ]; then\n'
            + "".join(f"    {line}\n" for line in lookup.splitlines())
            + "fi"
        )
    return f"""#!/bin/sh
{HOOK_MARKER} {kind} (`changerisk install-hook{flag}` writes this file)
# {_WHAT[kind]}
{lookup}
exec "$changerisk" {_COMMANDS[kind]}
"""


def hooks_dir(root: str) -> Path:
    """Where git looks for hooks: `core.hooksPath` when set, else `.git/hooks`."""
    out = git.run_git(["rev-parse", "--git-path", "hooks"], root).decode().strip()
    return Path(root, out) if not os.path.isabs(out) else Path(out)


def current_executable() -> str | None:
    """The `changerisk` console script of this installation, if one can be found."""
    here = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if here is not None and here.name == "changerisk" and here.is_file():
        return str(here.resolve())
    beside = Path(sys.executable).with_name("changerisk")
    if beside.is_file():
        return str(beside)
    return shutil.which("changerisk")


def install_hook(root: str, kind: str, force: bool, executable: str | None) -> Path:
    """Write the hook; an existing hook that changerisk did not write needs `force`."""
    directory = hooks_dir(root)
    target = directory / kind
    if target.exists() and not force:
        try:
            existing = target.read_text(encoding="utf-8", errors="replace")
        except OSError:
            existing = ""
        if f"{HOOK_MARKER} {kind}" not in existing:
            also = (
                "; it is pre-commit's: add the changerisk hook to .pre-commit-config.yaml instead"
                if "pre-commit" in existing and "INSTALL_PYTHON" in existing
                else ""
            )
            raise ChangeriskError(
                f"{target} exists and changerisk did not write it: --force replaces it{also}"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(hook_script(kind, executable), encoding="utf-8")
        mode = target.stat().st_mode
        target.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError as exc:
        raise ChangeriskError(f"{target}: cannot write the hook: {exc.strerror}") from None
    return target


@click.command("install-hook")
@click.option("--pre-commit", "pre_commit", is_flag=True, help="Check staged changes on commit.")
@click.option("--pre-push", "pre_push", is_flag=True, help="Check the pushed commits on push.")
@click.option("--force", is_flag=True, help="Replace a hook that changerisk did not write.")
def install_hook_command(pre_commit: bool, pre_push: bool, force: bool) -> int:
    """Install a git hook that runs changerisk (default: pre-commit; both flags: both).

    A plain POSIX sh hook, without the pre-commit framework, in the repository's hooks
    directory (core.hooksPath is respected). It calls the changerisk installed now, or the one
    on PATH; a missing changerisk blocks rather than skips.
    """
    root = git.repo_root()
    kinds = [k for k, on in (("pre-commit", pre_commit), ("pre-push", pre_push)) if on]
    executable = current_executable()
    for kind in kinds or ["pre-commit"]:
        target = install_hook(root, kind, force, executable)
        click.echo(f"installed {kind} hook: {target}")
    return 0
