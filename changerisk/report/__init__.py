"""The report: what `check` returns, and the formatters that print it."""

from __future__ import annotations

from dataclasses import dataclass, field

from changerisk.model import LEVEL_NAMES, Finding

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

    @property
    def blocks(self) -> bool:
        """Whether the level is at or above the fail-on level (exit code 1)."""
        if self.fail_on == "none":
            return False
        return LEVEL_NAMES.index(self.level) >= LEVEL_NAMES.index(self.fail_on)
