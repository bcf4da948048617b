"""The report: what `check` returns, and the formatters that print it."""

from __future__ import annotations

from dataclasses import dataclass, field

from changerisk.model import LEVEL_NAMES, Finding
from changerisk.signoff import Approval, AuthorLevel

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Suppressed:
    finding: Finding
    reason: str


@dataclass(frozen=True)
class Report:
    """The result of checking one change."""

    level: str
    score: int
    tier: str
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
    ai_assisted: bool
    fail_on: str
    source: str
    description: str
    files_checked: int
    rules_run: tuple[str, ...] = ()
    ai_sources: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    suppressed: tuple[Suppressed, ...] = field(default=())
    authors: tuple[AuthorLevel, ...] = ()
    approvals_checked: bool = False
    approvals: tuple[Approval, ...] = ()
    missing_approvals: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        """Exit code 1: with approvals checked, whether the sign-off is incomplete; else
        whether the level is at or above the fail-on level."""
        if self.approvals_checked:
            return bool(self.missing_approvals)
        if self.fail_on == "none":
            return False
        return LEVEL_NAMES.index(self.level) >= LEVEL_NAMES.index(self.fail_on)
