"""Code owners: who must approve changes to a path, from the repository's CODEOWNERS file.

The file is read at the revision the change starts from, never from the change itself: a change
must not be able to name its own approvers. Parsing is the `codeowners` library's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OwnersOf = Callable[[str], tuple[str, ...]]
# Where GitHub and GitLab look, in their order: the first file found is the one in force.
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def codeowners_of(root: str | None, revision: str | None) -> tuple[str, OwnersOf] | None:
    """The CODEOWNERS location in force at `revision` and a path -> owners lookup, or None."""
    if root is None or revision is None:
        return None
    from changerisk import git
    from changerisk.errors import GitError

    for location in LOCATIONS:
        try:
            data = git.read_path(root, revision, location)
        except GitError:
            return None
        if data is None:
            continue
        return location, _lookup(data.decode("utf-8", "replace"))
    return None


def _lookup(text: str) -> OwnersOf:
    parsed = parse_codeowners(text)
    cache: dict[str, tuple[str, ...]] = {}

    def owners(path: str) -> tuple[str, ...]:
        if path not in cache:
            cache[path] = tuple(owner for _, owner in parsed.of(path))
        return cache[path]

    return owners


def parse_codeowners(text: str) -> Any:
    """The `codeowners` library's reading of a CODEOWNERS text, matching in linear time:
    `.of(path)` gives the owners, `.matching_line(path)` the rule that decides them."""
    from codeowners import CodeOwners

    parsed = CodeOwners(text)
    _match_in_linear_time(parsed)
    return parsed


def files_at(root: str | None, revision: str | None) -> tuple[str, ...] | None:
    """The files of the repository at `revision`, or None without a repository."""
    if root is None or revision is None:
        return None
    from changerisk import git
    from changerisk.errors import GitError

    try:
        return git.tracked_files(root, revision)
    except GitError:
        return None


def _match_in_linear_time(parsed: Any) -> None:
    """Swap the library's compiled patterns for RE2 ones: the CODEOWNERS file comes from the
    repository, and a line such as `*a*a*a*a*a*a*a*ab` backtracks for minutes in Python's
    engine. A line RE2 cannot read is dropped, as GitHub drops lines it cannot parse."""
    from changerisk.paths import linear_regex

    kept = []
    for pattern, *rest in parsed.paths:
        compiled = linear_regex(pattern.pattern)
        if compiled is not None:
            kept.append((compiled, *rest))
    parsed.paths = kept
