"""The public rule API: everything a rule (built-in or third-party) imports.

A rule is a small stateless class: metadata as class attributes, the formats it wants, and a
`check` that yields findings. See `changerisk explain CODE` for any rule's documentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from changerisk.model import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Hunk,
    Line,
    Severity,
    Status,
)
from changerisk.paths import matches_any as path_matches
from changerisk.paths import path_name, path_parts
from changerisk.suppression import Suppression, added_suppressions

__all__ = [
    "Category",
    "ChangeSet",
    "Confidence",
    "CriticalPath",
    "FileChange",
    "Finding",
    "Hunk",
    "Line",
    "Rule",
    "RuleSettings",
    "Severity",
    "Status",
    "Suppression",
    "added_suppressions",
    "path_matches",
    "path_name",
    "path_parts",
]


@dataclass(frozen=True)
class CriticalPath:
    """A configured critical area: gitignore-style patterns, a severity, owners, a reason."""

    patterns: tuple[str, ...]
    severity: Severity
    owners: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class RuleSettings:
    """Read-only settings a rule may consult (from the configuration)."""

    critical_paths: tuple[CriticalPath, ...] = ()
    options: dict[str, object] = field(default_factory=dict)


class Rule:
    """Base class of every rule.

    Subclasses set the metadata attributes and implement `check` (per file, for files whose
    detected formats meet `formats`; an empty `formats` means every text file) or, with
    `scope = "changeset"`, `check_changeset` once for the whole change.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    formats: ClassVar[frozenset[str]] = frozenset()
    scope: ClassVar[str] = "file"
    confidence: ClassVar[Confidence] = Confidence.HIGH
    since: ClassVar[str] = "0.1.0"

    def __init__(self, settings: RuleSettings | None = None) -> None:
        self.settings = settings or RuleSettings()

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""

    def wants(self, change: FileChange) -> bool:
        if self.scope != "file":
            return False
        if not self.formats:
            return not change.is_binary
        return bool(self.formats & change.formats)

    def check(self, change: FileChange) -> Iterator[Finding]:
        return iter(())

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        return iter(())

    def finding(
        self,
        change: FileChange,
        line: int,
        message: str,
        *,
        hint: str = "",
        evidence: str | None = None,
        side: str = "new",
        anchor: int = 0,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
    ) -> Finding:
        """Build a finding of this rule; the evidence defaults to the text of `line`."""
        if evidence is None:
            evidence = change.old_line(line) if side == "old" else change.new_line(line)
        return Finding(
            code=self.code,
            name=self.name,
            category=self.category,
            severity=severity or self.severity,
            path=(change.old_path or change.path) if side == "old" else change.path,
            line=line,
            message=message,
            evidence=evidence.strip(),
            hint=hint,
            confidence=confidence or self.confidence,
            side=side,
            anchor=anchor,
        )
