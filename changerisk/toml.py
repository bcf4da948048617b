"""TOML documents, read with tomllib (tomli below Python 3.11), imported on first use: most
checks read no TOML at all, and the parser's import costs a few milliseconds of every hook run."""

from __future__ import annotations

import sys
from typing import Any


class TomlError(ValueError):
    """The text is not a valid TOML document; the message says where and why."""


def loads(text: str) -> dict[str, Any]:
    """The table of a TOML document; `TomlError` when it is not one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    try:
        table: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
    return table
