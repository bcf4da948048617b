"""The change description: which required sections it has, and a skeleton to start one from.

A section counts when a Markdown heading (`## Rollback`), a bold line (`**Rollback**`) or a
labelled line (`Rollback: revert the PR`) names it or one of its synonyms, case-insensitively,
and something other than a placeholder follows: an empty section, an HTML comment, `TODO` or
`TBD` is missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from changerisk.regex import lazy_compile
from changerisk.signoff import Section

_HEADING = lazy_compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$")
_BOLD = lazy_compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*(.*)$")
_LABEL = lazy_compile(r"^\s*(?:[-*+]\s+)?([A-Za-z][A-Za-z /&'-]{1,60}?)\s*:\s*(.*)$")
_PLACEHOLDER = lazy_compile(
    r"^[\s\-*_.…:>|`]*(?:todo|tbd|tba|fill (?:this )?in|\?+)?[\s\-*_.…:]*$", re.I
)
_WORDS = lazy_compile(r"[^a-z0-9+]+")


def _norm(text: str) -> str:
    return " ".join(_WORDS.split(text.lower())).strip()


class Block(NamedTuple):
    title: str
    body: str
    is_heading: bool


def blocks(text: str, sections: Sequence[Section] = ()) -> list[Block]:
    """The description cut at its Markdown headings, and at bold or labelled lines that name
    one of `sections` (other labels, `Note: …`, stay in the text they belong to)."""
    names = {_norm(s) for section in sections for s in section.synonyms}
    text = _without_comments(text)
    out: list[Block] = []
    title, heading = "", True
    body: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        is_heading = match is not None
        bold = None if match else _BOLD.match(line)
        if bold and _norm(bold.group(1)) in names:
            match = bold
        label = None if match else _LABEL.match(line)
        if label and _norm(label.group(1)) not in names:
            label = None
        if match:
            out.append(Block(title, "\n".join(body), heading))
            title = match.group(2).rstrip(" \t#") if is_heading else match.group(1)
            body = [] if is_heading else [match.group(2)]
            heading = True
        elif label:
            out.append(Block(title, "\n".join(body), heading))
            title, body, heading = label.group(1), [label.group(2)], False
        else:
            body.append(line)
    out.append(Block(title, "\n".join(body), heading))
    return [b for b in out if b.title]


def _without_comments(text: str) -> str:
    """HTML comments removed (an unclosed one runs to the end), in linear time."""
    out: list[str] = []
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        end = text.find("-->", start + 4)
        if end < 0:
            return "".join(out)
        position = end + 3


def _names(block: Block, section: Section) -> bool:
    title = _norm(block.title)
    for synonym in section.synonyms:
        wanted = _norm(synonym)
        if title == wanted or (block.is_heading and title.startswith(wanted + " ")):
            return True
    return False


def _filled(body: str) -> bool:
    return any(not _PLACEHOLDER.match(line) for line in body.splitlines())


def missing_sections(text: str, sections: Sequence[Section]) -> list[str]:
    """The names of `sections` the description lacks or leaves empty, in their order."""
    found = blocks(text, sections)
    return [
        section.name
        for section in sections
        if not any(_names(b, section) and _filled(b.body) for b in found)
    ]
