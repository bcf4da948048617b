"""Path patterns: the text a pattern needs tells most paths apart without pathspec, and never
turns a match into a miss."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.paths import _needed_text, compile_patterns, matches_any

_PIECES = ["a", "b", "Deploy", "prod", ".", "/", "//", "*", "**", "***", "**/", "/**", "?"]
_PIECES += ["[ab]", "[!a]", "_", "x", "a/"]
patterns = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("".join)
paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "deploy", "Deploy", "prod", ".", "_", "x"]), min_size=1)
    .map("".join)
    .filter(lambda part: part not in (".", "..")),
    min_size=1,
    max_size=4,
).map("/".join)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(patterns, patterns.map(lambda p: "!" + p)), min_size=1, max_size=3), paths
)
@example(["**/deploy/**"], "deploy/a")
@example(["/**/x"], "x")
@example(["a/**/b"], "a/b")
@example(["**/**/x"], "x")
@example(["**/**/**"], "x")
def test_the_needed_text_never_loses_a_match(pats: list[str], path: str) -> None:
    try:
        spec = compile_patterns(tuple(pats))
    except ValueError:
        return
    assert matches_any(path, pats) == bool(spec.match_file(path))


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        ("**/deploy/**", "deploy/"),
        (".github/workflows/*deploy*", ".github/workflows/"),
        ("**/*Payment*.*", "payment"),
        ("/infra/prod", "infra/prod"),
        ("**", ""),
        ("a/**/b", "a/"),
        ("**/**/deploy", "deploy"),
        ("a//b", ""),
        ("[ab", ""),
        ("a\\*b", ""),
    ],
)
def test_needed_text(pattern: str, needed: str) -> None:
    assert _needed_text(pattern) == needed


def test_a_path_without_any_needed_text_does_not_load_pathspec() -> None:
    """Checked in a fresh interpreter: the test process has long imported pathspec."""
    import subprocess
    import sys

    code = (
        "import sys; from changerisk.paths import matches_any;"
        "assert not matches_any('app/handlers.py', ('**/payments/**', '**/*auth*.*'));"
        "assert 'pathspec' not in sys.modules;"
        "assert matches_any('app/payments/x.py', ('**/payments/**',))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
