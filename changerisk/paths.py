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
    return bool(patterns) and bool(compile_patterns(patterns).match_file(path))
