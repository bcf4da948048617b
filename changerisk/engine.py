"""Runs the selected rules over a change and turns their findings into a report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial

from changerisk.config import Config, ConfigException
from changerisk.errors import RuleCrash
from changerisk.gate import SignoffInputs, apply, exception_findings
from changerisk.model import Category, ChangeSet, FileChange, Finding, Severity
from changerisk.owners import codeowners_of
from changerisk.paths import matches_any
from changerisk.registry import family, matches
from changerisk.report import Report, Suppressed
from changerisk.rule import Rule, RuleSettings
from changerisk.scoring import adjust, verdict
from changerisk.suppression import Suppression, covering, suppressions_in


def run_rules(changeset: ChangeSet, rules: Sequence[type[Rule]], config: Config) -> list[Finding]:
    """Every finding of every rule; a rule that raises stops the run with `RuleCrash`."""
    settings = RuleSettings(critical_paths=config.critical_paths, options=config.rule_options())
    instances = [rule(settings) for rule in _gated(changeset, rules)]
    per_file = [r for r in instances if r.scope == "file"]
    whole = [r for r in instances if r.scope == "changeset"]
    findings: list[Finding] = []
    wanting = _Wanting(per_file)
    for change in changeset.files:
        for rule in wanting.rules_for(change):
            findings.extend(_guarded(rule, change.path, partial(rule.check, change)))
    for rule in whole:
        findings.extend(_guarded(rule, "the change", partial(rule.check_changeset, changeset)))
    return findings


def _gated(changeset: ChangeSet, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """`rules` but the built-in ones whose family's gate the change keeps closed: none of them
    could report (`registry.rules_for` did not import them for a check; rules given directly,
    as in tests, are asked the same way)."""
    from changerisk.gates import GATES, closed

    if not {family(rule) for rule in rules} & GATES.keys():
        return list(rules)
    shut = closed(changeset)
    return [rule for rule in rules if family(rule) not in shut]


class _Wanting:
    """Which per-file rules want a file, in their order: `Rule.wants` asked only of rules
    that override it; the others are looked up by the file's formats (a large change has
    thousands of files and dozens of rules, most wanting none of them)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.own: list[int] = []  # rules with their own `wants`
        self.any_text: list[int] = []  # no formats: every text file
        self.by_format: dict[str, list[int]] = {}
        for index, rule in enumerate(rules):
            if type(rule).wants is not Rule.wants:
                self.own.append(index)
            elif not rule.formats:
                self.any_text.append(index)
            else:
                for name in rule.formats:
                    self.by_format.setdefault(name, []).append(index)

    def rules_for(self, change: FileChange) -> list[Rule]:
        chosen = set(self.own)
        if not change.is_binary:
            chosen.update(self.any_text)
        for name in change.formats:
            chosen.update(self.by_format.get(name, ()))
        rules = (self.rules[index] for index in sorted(chosen))
        return [rule for rule in rules if rule.wants(change)] if self.own else list(rules)


def _guarded(rule: Rule, where: str, call: Callable[[], Iterable[Finding]]) -> list[Finding]:
    try:
        return list(call())
    except RuleCrash:
        raise
    except Exception as exc:
        raise RuleCrash(rule.code, where, exc) from exc


def _anchored(by_path: dict[str, FileChange], findings: Iterable[Finding]) -> list[Finding]:
    out = []
    for finding in findings:
        if finding.side == "old" and not finding.anchor and finding.path in by_path:
            finding = replace(finding, anchor=by_path[finding.path].new_position(finding.line))
        out.append(finding)
    return out


def _by_path(changeset: ChangeSet) -> dict[str, FileChange]:
    """Each file change under its old and its new path (findings on removed text carry the old)."""
    out: dict[str, FileChange] = {}
    for change in changeset.files:
        for path in (change.old_path, change.new_path):
            if path:
                out.setdefault(path, change)
    return out


def _path_ignored(finding: Finding, config: Config) -> bool:
    return any(
        matches(finding.code, codes) and matches_any(finding.path, (glob,))
        for glob, codes in config.per_path_ignores
    )


def apply_exceptions(
    findings: list[Finding], config: Config, today: date
) -> tuple[list[Finding], list[Suppressed], list[str], list[ConfigException]]:
    """Configured exceptions: kept findings, suppressed ones, expiry notes, exceptions met."""
    kept: list[Finding] = []
    dropped: list[Suppressed] = []
    expired: list[str] = []
    used: list[ConfigException] = []
    for finding in findings:
        entry = next(
            (
                e
                for e in config.exceptions
                if matches(finding.code, e.codes)
                and (not e.paths or matches_any(finding.path, e.paths))
                and finding.category not in (Category.INTEGRITY, Category.PROCESS)
            ),
            None,
        )
        if entry is None:
            kept.append(finding)
            continue
        if entry not in used:
            used.append(entry)
        if entry.until is not None and entry.until < today:
            kept.append(finding)
            expired.append(
                f"exception exceptions.ignore[{entry.index}] ({', '.join(entry.codes)}) expired "
                f"on {entry.until}: {finding.code} at {finding.path}:{finding.line} is reported"
            )
        elif not entry.reason:
            kept.append(finding)
        else:
            until = f" until {entry.until}" if entry.until else ""
            dropped.append(Suppressed(finding, f"config exception{until}: {entry.reason}"))
    return kept, dropped, expired, used


def apply_suppressions(
    by_path: dict[str, FileChange], findings: list[Finding], today: date | None = None
) -> tuple[list[Finding], list[Suppressed], list[str]]:
    """Inline suppressions: kept findings, suppressed ones, and notes on expired ones."""
    today = today or date.today()
    tables: dict[str, dict[int, Suppression]] = {}
    kept: list[Finding] = []
    dropped: list[Suppressed] = []
    expired: list[str] = []
    for finding in findings:
        change = by_path.get(finding.path)
        if change is None:
            kept.append(finding)
            continue
        if finding.path not in tables:
            tables[finding.path] = suppressions_in(change.new_text() or "")
        entry = covering(finding, tables[finding.path])
        if entry is None:
            kept.append(finding)
        elif entry.expired(today):
            kept.append(finding)
            when = (
                f"on {entry.until}" if entry.until else f"(until {entry.until_text!r} is no date)"
            )
            expired.append(
                f"suppression of {', '.join(entry.codes)} at {finding.path}:{entry.line} expired "
                f"{when}: {finding.code} at {finding.path}:{finding.line} is reported"
            )
        else:
            until = f" (until {entry.until})" if entry.until else ""
            dropped.append(Suppressed(finding, entry.reason + until))
    return kept, dropped, expired


def build_report(
    changeset: ChangeSet,
    rules: Sequence[type[Rule]],
    config: Config,
    ai_assisted: bool = False,
    ai_sources: Sequence[str] = (),
    signoff: SignoffInputs | None = None,
) -> Report:
    today = config.today or date.today()
    signoff = signoff or SignoffInputs()
    by_path = _by_path(changeset)
    raw = _anchored(by_path, run_rules(changeset, rules, config))
    raw = [f for f in raw if not _path_ignored(f, config) and f.path not in changeset.context_paths]
    raw, by_config, expired_config, used = apply_exceptions(raw, config, today)
    kept, suppressed, expired = apply_suppressions(by_path, raw, today)
    kept.extend(exception_findings(used, config, today))
    unique = sorted(set(adjust(kept, config)), key=lambda f: (f.path, f.line, f.code, f.message))
    codeowners = None
    if any(f.severity >= Severity.MEDIUM for f in unique) or signoff.reviews is not None:
        codeowners = codeowners_of(changeset.repo_root, changeset.base_rev)
    result = verdict(
        unique, config, ai_assisted, ai_sources, codeowners, ai_policy=not config.signoff.enabled
    )
    gate = apply(result, unique, changeset, config, signoff, ai_assisted, codeowners)
    findings = sorted((*unique, *gate.findings), key=lambda f: (f.path, f.line, f.code, f.message))
    notes = [*expired_config, *expired]
    reasons = [*result.reasons, *gate.reasons]
    if notes:
        reasons.append(f"expired exceptions: {len(notes)} no longer suppress (see expired)")
    return Report(
        level=result.level,
        score=result.score,
        tier=gate.tier,
        reasons=tuple(reasons),
        findings=tuple(findings),
        authors=gate.authors,
        approvals_checked=gate.checked,
        approvals=gate.approvals,
        missing_approvals=gate.missing,
        expired=tuple(notes),
        ai_assisted=ai_assisted,
        ai_sources=tuple(ai_sources),
        fail_on=config.fail_on,
        source=changeset.source,
        description=changeset.description,
        files_checked=len(changeset.files),
        rules_run=tuple(r.code for r in rules),
        owners=result.owners,
        suppressed=(*by_config, *suppressed),
    )
