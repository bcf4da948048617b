"""Inline suppressions: `changerisk: ignore[CODE] reason` on the finding's line or the line above.

A suppression needs a reason; one without is ignored (and INT101 reports it). It may carry an
expiry, `changerisk: ignore[TF101] until=2026-12-31 reason`: from the day after, it suppresses
nothing and the report says it expired. Findings of the integrity and process categories cannot
be suppressed inline: a change must not hide its own guardrail edits or its sign-off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from changerisk.model import Category, FileChange, Finding
from changerisk.regex import lazy_compile

PATTERN = lazy_compile(r"changerisk:\s*ignore\[\s*([A-Za-z0-9_,\s]*)\]([^\n]*)")
_UNTIL = lazy_compile(r"(?:^|\s)until\s*[=:]\s*(\S*)", re.I)
_CLOSERS = lazy_compile(r"\s*(\*/|-->|#}|%}|\}\}|\"\"\"|''')\s*$")


class Suppression(NamedTuple):
    line: int
    codes: tuple[str, ...]
    reason: str
    until_text: str = ""  # the expiry as written ("" when none)

    @property
    def until(self) -> date | None:
        """The last day it suppresses; None without an expiry or when it is not a date."""
        try:
            return date.fromisoformat(self.until_text) if self.until_text else None
        except ValueError:
            return None

    def expired(self, today: date) -> bool:
        """Past its expiry, or with an expiry that is not a date (fail closed)."""
        if not self.until_text:
            return False
        until = self.until
        return until is None or until < today


def parse_line(text: str, number: int) -> Suppression | None:
    match = PATTERN.search(text)
    if not match:
        return None
    codes = tuple(c.strip().upper() for c in match.group(1).split(",") if c.strip())
    rest = _CLOSERS.sub("", match.group(2))
    until = _UNTIL.search(rest)
    until_text = ""
    if until:
        until_text = until.group(1).strip().rstrip(".,;")
        rest = rest[: until.start()] + " " + rest[until.end() :]
    reason = " ".join(rest.split()).strip(" \t-:—")
    return Suppression(line=number, codes=codes, reason=reason, until_text=until_text)


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
    """The suppressions on the added lines, read once per file for every rule that asks."""
    return iter(change.cached("suppressions:added", lambda: tuple(_added(change))))


def _added(change: FileChange) -> Iterator[Suppression]:
    if "changerisk:" not in change.added_text:
        return  # what `PATTERN` needs: most files hold none
    for line in change.added_lines:
        if line.new_no is not None:
            parsed = parse_line(line.text, line.new_no)
            if parsed is not None:
                yield parsed


def covering(finding: Finding, table: dict[int, Suppression]) -> Suppression | None:
    """The suppression with a reason that covers `finding`, if any (expired or not)."""
    if finding.category in (Category.INTEGRITY, Category.PROCESS):
        return None
    line = finding.line if finding.side == "new" else finding.anchor
    for number in (line, line - 1):
        entry = table.get(number)
        if entry and entry.reason and any(finding.code.startswith(c) for c in entry.codes):
            return entry
    return None
