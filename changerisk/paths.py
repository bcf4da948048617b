"""Path pattern matching (gitignore-style, through pathspec) and environment context."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def compile_patterns(patterns: tuple[str, ...]) -> Any:
    """A pathspec matcher for gitignore-style patterns; ValueError on an invalid one."""
    import pathspec

    try:
        return pathspec.PathSpec.from_lines("gitignore", patterns)
    except Exception as exc:  # pathspec raises its own error types
        raise ValueError(str(exc)) from None


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    patterns = tuple(patterns)
    return bool(patterns) and _matches(path, patterns)


@lru_cache(maxsize=4096)
def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """Many findings share a path: match each path once per pattern set."""
    return bool(compile_patterns(patterns).match_file(path))
