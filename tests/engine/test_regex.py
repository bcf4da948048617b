"""`lazy_compile`: a module pattern compiled on first use answers like `re.compile`'s."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from changerisk.regex import lazy_compile

WORD = lazy_compile(r"(?P<word>[a-z]+)(\d*)", re.I)


def test_compiles_on_first_use_and_then_keeps_the_compiled_methods() -> None:
    pattern = lazy_compile(r"x+")
    assert "search" not in vars(pattern)
    assert pattern.search("axxb") is not None
    assert vars(pattern)["search"].__self__ is re.compile(r"x+")  # the `re` cache's own


@given(st.text(alphabet="ab1 C-", max_size=20))
def test_every_method_answers_as_the_compiled_pattern(text: str) -> None:
    compiled = re.compile(r"(?P<word>[a-z]+)(\d*)", re.I)
    for name in ("search", "match", "fullmatch", "findall", "split"):
        got, expected = getattr(WORD, name)(text), getattr(compiled, name)(text)
        if isinstance(expected, re.Match):
            assert isinstance(got, re.Match) and got.span() == expected.span()
        else:
            assert got == expected
    assert [m.span() for m in WORD.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert WORD.sub("<\\g<word>>", text) == compiled.sub("<\\g<word>>", text)
    assert WORD.subn("", text, count=1) == compiled.subn("", text, count=1)
    assert (WORD.pattern, WORD.flags, WORD.groups) == (
        compiled.pattern,
        compiled.flags,
        compiled.groups,
    )
    assert WORD.groupindex == compiled.groupindex


def test_bytes_patterns() -> None:
    pattern = lazy_compile(rb"^From \S+")
    assert pattern.match(b"From abc 2024") is not None
    assert pattern.match(b"To x") is None
