"""Inline suppressions: `changerisk: ignore[CODE] reason` on the finding's line or the line above.

A suppression needs a reason; one without is ignored (and INT101 reports it). Findings of the
integrity category cannot be suppressed inline: a change must not hide its own guardrail edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from changerisk.model import Category, FileChange, Finding

PATTERN = re.compile(r"changerisk:\s*ignore\[\s*([A-Za-z0-9_,\s]*)\]([^\n]*)")
_CLOSERS = re.compile(r"\s*(\*/|-->|#}|%}|\}\}|\"\"\"|''')\s*$")


@dataclass(frozen=True)
class Suppression:
    line: int
    codes: tuple[str, ...]
    reason: str


def parse_line(text: str, number: int) -> Suppression | None:
    match = PATTERN.search(text)
    if not match:
        return None
    codes = tuple(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    reason = _CLOSERS.sub("", match.group(2)).strip(" \t-:—")
    return Suppression(line=number, codes=codes, reason=reason)


def suppressions_in(text: str) -> dict[int, Suppression]:
    found: dict[int, Suppression] = {}
    if "changerisk:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(line, number)
        if parsed is not None:
            found[number] = parsed
    return found


def added_suppressions(change: FileChange) -> Iterator[Suppression]:
    for line in change.added_lines:
        if line.new_no is not None:
            parsed = parse_line(line.text, line.new_no)
            if parsed is not None:
                yield parsed


def covering(finding: Finding, table: dict[int, Suppression]) -> Suppression | None:
    """The suppression with a reason that covers `finding`, if any."""
    if finding.category is Category.INTEGRITY:
        return None
    line = finding.line if finding.side == "new" else finding.anchor
    for number in (line, line - 1):
        entry = table.get(number)
        if entry and entry.reason and any(finding.code.startswith(c) for c in entry.codes):
            return entry
    return None
