"""The words an access check needs: whether a text can hold a guard or a marker at all,
answered without parsing it (and without importing the parser, `changerisk.parsers.guards`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from changerisk.regex import lazy_compile

LANGUAGES = ("python", "javascript", "typescript", "go", "java")

# Every guard name holds one of these words once lowercased (as `is_guard` reads names): the
# strong and weak words (`oauth2`, `superuser` hold `auth`, `user`), the special names'
# (`denyAll`, `protect`, `secured`), the mixins' and the dependencies'. A text without any
# cannot hold a guard, and need not be parsed to look for one.
_GUARD_WORDS = lazy_compile(
    r"auth|jwt|permission|rbac|acl|guard|passport|bearer|csrf|login|logged|signed|admin|"
    r"user|staff|session|token|role|scope|key|member|protect|secured|deny"
)
# Where a guard can come from in Python (decorators, `...RequiredMixin` bases,
# `permission_classes`, `Depends`/`Security` dependencies) and in Java (annotations): a text
# with none of these holds no guard whatever its words.
_GUARD_SYNTAX = {
    "python": ("@", "Mixin", "permission_classes", "Depends", "Security"),
    "java": ("@",),
}
# Every marker needs one of these words in the text once folded (`fold`): `csrf_exempt`,
# the public decorators, `permission_classes`, `authentication_classes`, `AllowAny`, the
# JWT options and calls (`verify_signature`, `verify=`, `ParseUnverified`, `algorithms`,
# `ignoreExpiration`, `UnsafeAllowNoneSignatureType`), Spring's `permitAll` and `csrf`.
_MARKER_WORDS = lazy_compile(
    r"csrf|public|anonymous|skipauth|noauth|permitall|skipjwt|unprotected|permission_classes|"
    r"authentication_classes|allowany|verif|algorithm|ignoreexpiration|unsafeallownone"
)


def fold(text: str) -> str:
    """`text` lowercased so that what a case-insensitive pattern matches holds the lowercase
    word: `re.I` also matches `i` to `İ` and `ı`, and `s` to `ſ`."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return lowered.replace("\u0307", "").replace("\u0131", "i").replace("\u017f", "s")


def may_guard(text: str, language: str = "") -> bool:
    """False when `surface(text, language)` can have no guard: the text holds no word a guard
    needs, or (Python, Java) none of the syntax that carries one."""
    syntax = _GUARD_SYNTAX.get(language)
    if syntax is not None and not any(mark in text for mark in syntax):
        return False
    return _search_words(_GUARD_WORDS, text.lower())


def may_mark(text: str) -> bool:
    """False when `surface(text)` can have no marker: the text holds no word a marker needs."""
    return _search_words(_MARKER_WORDS, fold(text))


def _search_words(words: re.Pattern[str], text: str) -> bool:
    """Whether `text` holds one of `words` (an alternation of plain words): RE2 looks for
    all of them in one pass, Python's engine tries each word at each place (which only tells
    on a long text: a short one is not worth loading RE2 for)."""
    linear = _linear(words.pattern) if len(text) > _LONG_TEXT else None
    return (linear or words).search(text) is not None


_LONG_TEXT = 20_000


@cache
def _linear(pattern: str) -> Any:
    from changerisk.paths import linear_regex

    return linear_regex(pattern)


def language_of(path: str, formats: frozenset[str]) -> str:
    for language in LANGUAGES:
        if language in formats:
            return language
    return ""
