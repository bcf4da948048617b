"""Force pushes: `git push --force` to, or deleting, a protected branch from a script or CI job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import (
    Wipe,
    added_commands,
    confidence_of,
    is_protected_branch,
    named,
    read_options,
)

_GIT_GLOBAL_VALUED = frozenset({"C", "c", "git-dir", "work-tree", "namespace", "exec-path"})
_PUSH_VALUED = frozenset({"o", "push-option", "repo", "receive-pack", "exec", "signed"})


class Push(NamedTuple):
    remote: str
    branch: str
    force: bool
    lease: bool
    delete: bool


def git_pushes(command: Command) -> list[Push]:
    """Each branch a `git push` updates or deletes, with how it forces."""
    if command.program != "git":
        return []
    argv = command.argv
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        name = argv[i].lstrip("-").partition("=")[0]
        i += 2 if name in _GIT_GLOBAL_VALUED and "=" not in argv[i] else 1
    if i >= len(argv) or argv[i] != "push":
        return []
    options, positionals = read_options(argv, start=i + 1, valued=_PUSH_VALUED)
    flags = {name for name, _ in options}
    if flags & {"mirror", "all", "tags", "n", "dry-run"} or len(positionals) < 2:
        return []
    force = bool(flags & {"f", "force"})
    lease = bool(flags & {"force-with-lease", "force-if-includes"})
    delete = bool(flags & {"d", "delete"})
    pushes = []
    for refspec in positionals[1:]:
        plus = refspec.startswith("+")
        source, colon, target = refspec.removeprefix("+").partition(":")
        branch = (target if colon else source).removeprefix("refs/heads/")
        if "$" in branch or not branch or branch.startswith("refs/"):
            continue
        deletes = delete or (colon and not source)
        pushes.append(Push(_remote(positionals[0]), branch, force or plus, lease, bool(deletes)))
    return pushes


def _remote(remote: str) -> str:
    """A remote as a reviewer knows it: `origin`, or a URL without its credentials and
    `.git` (`github.com/acme/shop`)."""
    if "://" in remote:
        rest = remote.split("://", 1)[1].rsplit("@", 1)[-1]
    elif "@" in remote:  # scp-like: git@host:path
        rest = remote.rsplit("@", 1)[-1].replace(":", "/", 1)
    else:
        return remote
    return rest.removesuffix(".git")


def force_push(command: Command) -> Wipe | None:
    for push in git_pushes(command):
        if not is_protected_branch(push.branch):
            continue
        if push.delete:
            return Wipe(
                f"deletes branch {push.branch} on {push.remote}: whatever builds, deploys or "
                "branches from it breaks",
                Severity.HIGH,
            )
        if push.force:
            return Wipe(
                f"force-pushes to {push.branch} on {push.remote}: commits others pushed there "
                "that are not in this history are lost",
                Severity.HIGH,
            )
        if push.lease:
            return Wipe(
                f"force-pushes (with lease) to {push.branch} on {push.remote}: rewrites the "
                "history everyone else has pulled",
                Severity.MEDIUM,
            )
    return None


class ForcePushCommand(Rule):
    """A script or CI job force-pushes to, or deletes, a protected branch.

    Fires on an added `git push --force` / `-f` / `+refspec` to `main`, `master`, `trunk`,
    `develop`, `development`, `production`, `prod` or a release branch (`release`,
    `release/*`, `releases/*`, `release-*`, `hotfix/*`), and on deleting one (`--delete`,
    `:main`); `--force-with-lease` to one is medium. A force-push to a feature branch, to
    `gh-pages`, to a moving pointer such as `stable`, or to a branch named by a variable stays
    quiet, and so do `--dry-run`, `--mirror` and tags.

    ## Why it matters
    A forced update replaces the branch with the pushed history: commits others pushed since
    are dropped from it, releases built from it no longer match their tags, and every clone has
    to be repaired. In automation it runs with a token that branch protection may exempt, so
    nothing stops it.

    ## Bad
    ```diff
    --- a/.gitlab-ci.yml
    +++ b/.gitlab-ci.yml
    @@ -30,2 +30,3 @@ sync:
       script:
         - git fetch origin
    +    - git push --force origin HEAD:main
    ```

    ## Good
    ```diff
    --- a/.gitlab-ci.yml
    +++ b/.gitlab-ci.yml
    @@ -30,2 +30,3 @@ sync:
       script:
         - git fetch origin
    +    - git push --force-with-lease origin HEAD:sync/upstream
    ```
    """

    code = "SH108"
    name = "protected-branch-force-push"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for command, line in added_commands(change):
            wipe = force_push(command)
            if wipe is None:
                continue
            yield self.finding(
                change,
                line=line,
                message=named(wipe.message, change),
                hint=(
                    "push to a new branch and merge it through a reviewed pull request; "
                    "if history must change, use --force-with-lease and tell the team"
                ),
                severity=wipe.severity,
                confidence=confidence_of(change),
            )


RULES = (ForcePushCommand,)
