"""Path pattern matching (gitignore-style, through pathspec) and environment context."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any


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
_END_OF_TEXT = re.compile(r"(?<!\\)((?:\\\\)*)\\Z")


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


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    patterns = tuple(patterns)
    return bool(patterns) and _matches(path, patterns)


@lru_cache(maxsize=4096)
def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """Many findings share a path: match each path once per pattern set."""
    return bool(compile_patterns(patterns).match_file(path))
