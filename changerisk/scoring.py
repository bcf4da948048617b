"""From findings to a verdict: context adjustment, level, score, reviewer tier, and the reasons.

The level is monotone: adding a finding never lowers it, nor the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import NamedTuple

from changerisk.config import Config
from changerisk.model import LEVEL_NAMES, Category, Finding, Severity
from changerisk.owners import OwnersOf
from changerisk.paths import matches_any

_BAND = {  # score bands per level: [low, high]
    "none": (0, 0),
    "info": (5, 19),
    "low": (20, 44),
    "medium": (45, 69),
    "high": (70, 89),
    "critical": (90, 100),
}
_WEIGHT = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 4,
    Severity.HIGH: 6,
    Severity.CRITICAL: 8,
}
_UNADJUSTED = {Category.INTEGRITY, Category.PROVENANCE, Category.PROCESS}


class Verdict(NamedTuple):
    level: str
    score: int
    tier: str
    reasons: tuple[str, ...]
    owners: tuple[str, ...] = ()


def environment_of(path: str, config: Config) -> str | None:
    """`non-production`, `production`, or None; non-production wins when both match."""
    if matches_any(path, config.non_production):
        return "non-production"
    if matches_any(path, config.production):
        return "production"
    return None


def adjust(findings: Sequence[Finding], config: Config) -> list[Finding]:
    """Apply path context: non-production lowers a finding one level, production or a
    configured critical path raises it one level (never past critical)."""
    out = []
    for finding in findings:
        if finding.category in _UNADJUSTED:
            out.append(finding)
            continue
        notes: list[str] = []
        env = environment_of(finding.path, config)
        step = 0
        if env == "non-production":
            step, notes = -1, ["non-production path: lowered one level"]
        elif env == "production":
            step, notes = 1, ["production path: raised one level"]
        elif finding.category is not Category.CRITICAL_PATH and any(
            matches_any(finding.path, cp.patterns) for cp in config.critical_paths
        ):
            step, notes = 1, ["configured critical path: raised one level"]
        if step and finding.severity.shifted(step) != finding.severity:
            finding = replace(
                finding,
                base_severity=finding.severity,
                severity=finding.severity.shifted(step),
                adjustments=finding.adjustments + tuple(notes),
            )
        out.append(finding)
    return out


def _component(path: str) -> str:
    parts = PurePosixPath(path).parts
    return parts[0] if len(parts) > 1 else "."


def _where(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}"


def verdict(
    findings: Sequence[Finding],
    config: Config,
    ai_assisted: bool,
    ai_sources: Sequence[str] = (),
    codeowners: tuple[str, OwnersOf] | None = None,
    ai_policy: bool = True,
) -> Verdict:
    """Level, score and tier for already adjusted findings, with the reasons for each.

    Without `ai_policy` (the sign-off policy of `signoff` decides instead), an AI-assisted
    change only has its sources named."""
    reasons: list[str] = []
    if not findings:
        level = "none"
    else:
        worst = max(f.severity for f in findings)
        level_sev = worst
        top = [f for f in findings if f.severity == worst]
        shown = "; ".join(f"{f.code} {f.message} ({_where(f)})" for f in top[:3])
        more = f"; and {len(top) - 3} more" if len(top) > 3 else ""
        reasons.append(f"level {worst.label}: {shown}{more}")
        significant = [f for f in findings if f.severity >= Severity.MEDIUM]
        categories = sorted({f.category.value for f in significant})
        components = sorted({_component(f.path) for f in significant})
        if len(categories) >= config.breadth_categories:
            level_sev = worst.shifted(1)
            reasons.append(
                f"breadth: medium-or-worse findings in {len(categories)} categories "
                f"({', '.join(categories)}) raise the level to {level_sev.label}"
            )
        elif len(components) >= config.breadth_components:
            level_sev = worst.shifted(1)
            reasons.append(
                f"breadth: medium-or-worse findings across {len(components)} top-level components "
                f"({', '.join(components[:6])}) raise the level to {level_sev.label}"
            )
        level = level_sev.label
    for env, effect in (("production", "raised"), ("non-production", "lowered")):
        paths = sorted({f.path for f in findings if environment_of(f.path, config) == env})
        if paths:
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            reasons.append(
                f"environment {env}: {', '.join(paths[:3])}{more} (findings there {effect} "
                "one level)"
            )
    score = _score(level, findings)
    tier = config.tier_for_level[level]
    reasons.append(f"tier {tier}: level {level} maps to {tier}")
    if ai_assisted:
        more = f"; and {len(ai_sources) - 3} more" if len(ai_sources) > 3 else ""
        source = f" ({'; '.join(ai_sources[:3])}{more})" if ai_sources else ""
        if not ai_policy:
            reasons.append(f"AI-assisted change{source}")
        elif _rank(level) >= _rank(config.ai_min_level):
            order = config.tiers
            if order.index(config.ai_min_tier) > order.index(tier):
                reasons.append(
                    f"tier {config.ai_min_tier}: AI-assisted change{source} at level "
                    f"{config.ai_min_level} or above needs at least {config.ai_min_tier}"
                )
                tier = config.ai_min_tier
            else:
                reasons.append(
                    f"AI-assisted change{source}: tier {tier} already meets the AI policy"
                )
        else:
            reasons.append(
                f"AI-assisted change{source}: below {config.ai_min_level}, "
                "the AI policy adds nothing"
            )
    owners: list[str] = []
    for cp in config.critical_paths:
        if cp.owners and any(matches_any(f.path, cp.patterns) for f in findings):
            owners.extend(o for o in cp.owners if o not in owners)
    if owners:
        reasons.append(f"owners: {', '.join(owners)} own critical paths in this change")
    if codeowners is not None:
        location, owners_of = codeowners
        by_owners: dict[tuple[str, ...], list[str]] = {}
        for path in sorted({f.path for f in findings if f.severity >= Severity.MEDIUM}):
            found = owners_of(path)
            if found:
                by_owners.setdefault(found, []).append(path)
        for found, paths in by_owners.items():
            owners.extend(o for o in found if o not in owners)
            listed = ", ".join(paths[:3]) + (
                f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            )
            reasons.append(f"owners ({location}): {' '.join(found)} for {listed}")
    return Verdict(
        level=level, score=score, tier=tier, reasons=tuple(reasons), owners=tuple(owners)
    )


def _rank(level: str) -> int:
    return LEVEL_NAMES.index(level)


def _score(level: str, findings: Sequence[Finding]) -> int:
    low, high = _BAND[level]
    if level == "none":
        return 0
    extra = sum(_WEIGHT[f.severity] for f in findings) - max(_WEIGHT[f.severity] for f in findings)
    return min(high, low + extra)
