"""Path pattern matching (gitignore-style, through pathspec) and environment context."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from changerisk.regex import lazy_compile


@lru_cache(maxsize=256)
def compile_patterns(patterns: tuple[str, ...]) -> Any:
    """A pathspec matcher for gitignore-style patterns; ValueError on an invalid one.

    Matching runs on RE2, in time linear in the path: Python's backtracking engine takes
    minutes on a glob such as `*a*a*a*a*a*a*a*ab`, and patterns come from config files and
    from the repository under check.
    """
    import pathspec

    try:
        return pathspec.PathSpec.from_lines("gitignore", patterns, backend="re2")
    except Exception as exc:  # pathspec raises its own error types
        raise ValueError(str(exc)) from None


# Python's end-of-text `\Z` (not preceded by an escaped backslash) is RE2's `\z`.
_END_OF_TEXT = lazy_compile(r"(?<!\\)((?:\\\\)*)\\Z")


def linear_regex(pattern: str) -> Any | None:
    """`pattern` (Python syntax, no backreferences or lookaround) compiled with RE2, which
    matches in linear time; None when RE2 cannot express it."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print to the process's stderr
    try:
        return re2.compile(_END_OF_TEXT.sub(r"\1\\z", pattern), options)
    except re2.error:
        return None


def is_plain(path: str) -> bool:
    """A relative path without leading, trailing or doubled slashes and without `.` parts
    (what diffs name): pathlib splits it at its slashes, as it is."""
    return bool(
        path
        and path[0] != "/"
        and path[-1] != "/"
        and "//" not in path
        and "/./" not in path
        and not path.startswith("./")
        and not path.endswith("/.")
        and path != "."
    )


def path_parts(path: str) -> tuple[str, ...]:
    """`PurePosixPath(path).parts`, without building the object for a plain path (a large
    change asks for thousands)."""
    return tuple(path.split("/")) if is_plain(path) else PurePosixPath(path).parts


def path_name(path: str) -> str:
    """`PurePosixPath(path).name`, without building the object for a plain path."""
    return path.rsplit("/", 1)[-1] if is_plain(path) else PurePosixPath(path).name


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    patterns = tuple(patterns)
    return bool(patterns) and _matches(path, patterns)


@lru_cache(maxsize=4096)
def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """Many findings share a path: match each path once per pattern set."""
    needed = _needed_texts(patterns)
    if needed is not None:
        lower = path.lower()
        if not any(text in lower for text in needed):
            return False  # most paths: told without compiling (or importing) pathspec
    return bool(compile_patterns(patterns).match_file(path))


_WILDCARD = lazy_compile(r"\*+|\?|\[[^\]]*\]")


@lru_cache(maxsize=256)
def _needed_texts(patterns: tuple[str, ...]) -> tuple[str, ...] | None:
    """For each pattern that can select a path, a text (lower case) every path it matches
    contains; None when a pattern has none to tell (`*.*`, escapes, an unclosed class)."""
    out = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern or pattern.startswith(("!", "#")):
            continue  # a negation only takes paths out, a comment matches nothing
        text = _needed_text(pattern)
        if not text:
            return None
        out.append(text)
    return tuple(out)


def _needed_text(pattern: str) -> str:
    """The longest run of `pattern` without wildcards: a path it matches holds that text.
    `**/` may match no directory at all, so the `/` after a `**` is not part of the run."""
    if "\\" in pattern or "//" in pattern:
        return ""
    pattern = pattern.lstrip("/")
    pieces = _WILDCARD.split(pattern)
    stars = _WILDCARD.findall(pattern)
    for index, star in enumerate(stars, start=1):
        if star.startswith("**") and pieces[index].startswith("/"):
            pieces[index] = pieces[index][1:]
    if any("[" in piece for piece in pieces):
        return ""
    return max(pieces, key=len).lower()
