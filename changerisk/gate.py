"""The sign-off gate: applies the sign-off policy to a verdict, checks the change description
and, with `--approvals`, whether the people the tier asks for have approved.

Its findings (POL101 missing description sections, POL102 a configured exception without a
reason or running too long) are verdict-level: they depend on the tier, which exists only once
every rule has run, so no rule can produce them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from changerisk.config import Config, ConfigException
from changerisk.description import missing_sections
from changerisk.forge import Review
from changerisk.model import Category, ChangeSet, Confidence, Finding, Severity
from changerisk.owners import OwnersOf
from changerisk.paths import matches_any
from changerisk.scoring import Verdict
from changerisk.signoff import (
    Approval,
    AuthorLevel,
    author_levels,
    from_reviews,
    from_trailers,
    judge,
    missing_approvals,
    raise_tier,
)
from changerisk.team import Author

DESCRIPTION_CODE = "POL101"
EXCEPTION_CODE = "POL102"


class SignoffInputs(NamedTuple):
    """What the forge and the command line say about the change's people and description."""

    authors: tuple[Author, ...] = ()
    description: str | None = None  # None: no description to check
    description_source: str = ""
    reviews: tuple[Review, ...] | None = None  # None: approvals are not checked
    head_sha: str = ""
    notes: tuple[str, ...] = ()  # said in the reasons (where the team file was read)


@dataclass(frozen=True)
class GateResult:
    tier: str
    reasons: tuple[str, ...] = ()
    authors: tuple[AuthorLevel, ...] = ()
    findings: tuple[Finding, ...] = ()
    approvals: tuple[Approval, ...] = ()
    missing: tuple[str, ...] = ()
    checked: bool = False
    owners_by_file: dict[str, tuple[str, ...]] = field(default_factory=dict)


def critical_files(changeset: ChangeSet, config: Config) -> list[str]:
    return sorted(
        {
            path
            for change in changeset.files
            for path in (change.new_path, change.old_path)
            if path and any(matches_any(path, cp.patterns) for cp in config.critical_paths)
        }
    )


def risky_files(
    findings: Sequence[Finding],
    critical: Sequence[str],
    config: Config,
    codeowners: tuple[str, OwnersOf] | None,
) -> dict[str, tuple[str, ...]]:
    """Each file with a medium-or-worse finding or on a critical path, and its owners."""
    paths = {
        f.path
        for f in findings
        if f.severity >= Severity.MEDIUM and f.category is not Category.PROCESS
    }
    paths.update(critical)
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(paths):
        owners: list[str] = []
        for cp in config.critical_paths:
            if matches_any(path, cp.patterns):
                owners.extend(o for o in cp.owners if o not in owners)
        if codeowners is not None:
            owners.extend(o for o in codeowners[1](path) if o not in owners)
        out[path] = tuple(owners)
    return out


def apply(
    result: Verdict,
    findings: Sequence[Finding],
    changeset: ChangeSet,
    config: Config,
    inputs: SignoffInputs,
    ai_assisted: bool,
    codeowners: tuple[str, OwnersOf] | None,
) -> GateResult:
    team = config.team
    tier = result.tier
    reasons: list[str] = list(inputs.notes)
    critical = critical_files(changeset, config)
    levels: tuple[AuthorLevel, ...] = ()
    if config.signoff.enabled:
        levels = author_levels(inputs.authors, team)
        tier, steps = raise_tier(
            tier,
            result.level,
            tiers=config.tiers,
            steps=config.signoff.steps,
            team=team,
            ai_assisted=ai_assisted,
            authors=levels,
            critical=critical,
        )
        reasons.extend(steps)
    extra: list[Finding] = []
    sections_missing: list[str] = []
    if config.signoff.enabled and config.tiers.index(tier) >= config.tiers.index(
        config.signoff.description_tier
    ):
        if inputs.description is None:
            reasons.append(
                f"description: tier {tier} asks for one, but this change has none to check "
                "(pull request body, commit messages of --base, or --description-file)"
            )
        else:
            sections_missing = missing_sections(inputs.description, config.signoff.sections)
            if sections_missing:
                extra.append(_description_finding(sections_missing, inputs, tier, result.level))
            else:
                reasons.append(
                    f"description ({inputs.description_source}) has every section tier {tier} "
                    "asks for"
                )
    owners = risky_files(findings, critical, config, codeowners)
    approvals: tuple[Approval, ...] = ()
    missing: list[str] = []
    if inputs.reviews is not None:
        raw = from_reviews(inputs.reviews, inputs.head_sha, config.signoff.stale_approvals)
        if config.signoff.trailer_approvals:
            raw += from_trailers(changeset.commits)
        approvals = judge(raw, inputs.authors, team)
        missing = missing_approvals(
            config.requirement(tier), approvals, team, inputs.authors, owners
        )
        if sections_missing:
            missing.append(
                f"the description's missing sections ({', '.join(sections_missing)}), "
                f"{DESCRIPTION_CODE}"
            )
        unowned = sorted(path for path, found in owners.items() if not found)
        if config.requirement(tier).owner and unowned:
            shown = ", ".join(unowned[:3]) + (
                f" and {len(unowned) - 3} more" if len(unowned) > 3 else ""
            )
            reasons.append(
                f"no owner is listed for {shown} (CODEOWNERS, critical-paths owners): "
                "no owner approval is asked for it"
            )
        counted = [a.identity for a in approvals if a.counted]
        if missing:
            reasons.append(
                f"sign-off for tier {tier} incomplete: approved by "
                f"{', '.join(counted) or 'no one who counts'}; still needs " + "; ".join(missing)
            )
        else:
            reasons.append(f"sign-off for tier {tier} complete: approved by {', '.join(counted)}")
    return GateResult(
        tier=tier,
        reasons=tuple(reasons),
        authors=levels,
        findings=tuple(extra),
        approvals=approvals,
        missing=tuple(missing),
        checked=inputs.reviews is not None,
        owners_by_file=owners,
    )


def _description_finding(
    missing: Sequence[str], inputs: SignoffInputs, tier: str, level: str
) -> Finding:
    severity = max(Severity.MEDIUM, Severity.parse(level) if level != "none" else Severity.MEDIUM)
    return Finding(
        code=DESCRIPTION_CODE,
        name="description-sections-missing",
        category=Category.PROCESS,
        severity=severity,
        path=inputs.description_source or "change description",
        line=0,  # not a line of a file: annotations and SARIF results carry no location
        message=f"the change description ({inputs.description_source or 'given'}) lacks "
        f"{_and(missing)}: the {tier} sign-off needs them",
        hint="add a heading or a labelled line for each (e.g. `## Rollback` or `Rollback: …`); "
        "`changerisk describe` prints a skeleton",
        confidence=Confidence.HIGH,
    )


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def exception_findings(
    used: Sequence[ConfigException], config: Config, today: date
) -> list[Finding]:
    """POL102 for each configured exception this change met that lacks a reason or runs
    further ahead than `exceptions.max-days`."""
    out = []
    for entry in used:
        problems = []
        if not entry.reason:
            problems.append("gives no reason, so it suppresses nothing")
        if entry.until is not None and (entry.until - today).days > config.max_exception_days:
            problems.append(
                f"runs until {entry.until}, more than {config.max_exception_days} days ahead"
            )
        if not problems:
            continue
        out.append(
            Finding(
                code=EXCEPTION_CODE,
                name="config-exception-unjustified",
                category=Category.PROCESS,
                severity=Severity.MEDIUM,
                path=config.source.rsplit("/", 1)[-1] if config.source else "config",
                line=1,
                message=f"exception exceptions.ignore[{entry.index}] for {', '.join(entry.codes)} "
                + " and ".join(problems),
                hint=f"give a reason and an until date at most {config.max_exception_days} days "
                "ahead",
            )
        )
    return out
