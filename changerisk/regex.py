"""Regular expressions compiled on first use.

A check imports about two hundred module-level patterns, and most runs use a few of them: a
change without a CloudFormation template never searches for an intrinsic function. Compiling
them all at import cost the hook about 10 ms. `lazy_compile` returns a stand-in that compiles
its pattern the first time any attribute is asked for, then keeps the compiled pattern's
methods as its own, so later calls cost what a compiled pattern's do.

The stand-in is typed as the `re.Pattern` it stands for and answers every attribute of one;
only `re` functions that take a compiled pattern (`re.sub(PATTERN, …)`) and `isinstance`
checks tell it apart, so module patterns are called through their methods.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_BOUND = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _Lazy:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._source)
        for attribute in _BOUND:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source[0]!r}, {self._source[1]})"


def lazy_compile(pattern: AnyStr, flags: int | re.RegexFlag = 0) -> re.Pattern[AnyStr]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    return cast("re.Pattern[AnyStr]", _Lazy(pattern, int(flags)))
