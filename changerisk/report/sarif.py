"""SARIF 2.1.0 output, for code-scanning upload (GitHub, GitLab, Azure DevOps, IDE viewers).

One run: the tool with a descriptor (and help from the docstring) for every rule that ran, one
result per finding, suppressed findings as results with an in-source suppression, and the
verdict (level, tier, score) in `run.properties`. Paths stay relative to the repository root.
A finding on removed text points at the line of the new file where the text stood; the old
line is kept in the result's properties.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from changerisk.model import Confidence, Finding, Severity
from changerisk.report import Report
from changerisk.rule import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "changerisk/v1"

_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}
# GitHub code scanning reads `precision` and `problem.severity` from rule properties.
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_PROBLEM = {"error": "error", "warning": "warning", "note": "recommendation"}


def level_of(severity: Severity) -> str:
    """The SARIF level of a severity: high and critical are errors, medium a warning."""
    return _LEVEL[severity]


def render(report: Report, rules: Sequence[type[Rule]] = ()) -> str:
    """The report as a SARIF 2.1.0 log; `rules` supplies the descriptors (metadata, help)."""
    return json.dumps(sarif_log(report, rules), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report, rules: Sequence[type[Rule]] = ()) -> dict[str, Any]:
    from changerisk import __version__

    by_code = {rule.code: rule for rule in rules}
    codes = sorted(
        set(report.rules_run)
        | {f.code for f in report.findings}
        | {s.finding.code for s in report.suppressed}
    )
    descriptors = [_descriptor(code, by_code.get(code), report) for code in codes]
    index = {code: i for i, code in enumerate(codes)}
    fingerprints = _fingerprints([*report.findings, *(s.finding for s in report.suppressed)])
    results = [_result(f, index[f.code], fingerprints[id(f)]) for f in report.findings]
    for item in report.suppressed:
        result = _result(item.finding, index[item.finding.code], fingerprints[id(item.finding)])
        result["suppressions"] = [{"kind": "inSource", "justification": item.reason}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "changerisk",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }
        },
        "automationDetails": {"id": f"changerisk/{report.source}/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [
            {
                "executionSuccessful": True,
                "properties": {"source": report.source, "description": report.description},
            }
        ],
        "properties": {
            "level": report.level,
            "tier": report.tier,
            "score": report.score,
            "reasons": list(report.reasons),
            "aiAssisted": report.ai_assisted,
            "aiSources": list(report.ai_sources),
            "owners": list(report.owners),
            "failOn": report.fail_on,
            "blocking": report.blocks,
            "authors": [{"identity": a.identity, "level": a.level} for a in report.authors],
            "approvalsChecked": report.approvals_checked,
            "approvals": [
                {"identity": a.identity, "source": a.source, "counted": a.counted, "note": a.note}
                for a in report.approvals
            ],
            "missingApprovals": list(report.missing_approvals),
            "expiredExceptions": list(report.expired),
            "filesChecked": report.files_checked,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _descriptor(code: str, rule: type[Rule] | None, report: Report) -> dict[str, Any]:
    if rule is None:  # a rule not among `rules`: describe it from its findings
        sample = next(
            f for f in (*report.findings, *(s.finding for s in report.suppressed)) if f.code == code
        )
        return {
            "id": code,
            "name": sample.name,
            "defaultConfiguration": {"level": level_of(sample.severity)},
            "properties": {"tags": [sample.category.value]},
        }
    from changerisk.docs import parse_rule_doc, render_markdown

    doc = parse_rule_doc(rule)
    level = level_of(rule.severity)
    markdown = render_markdown(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": doc.summary or rule.name},
        "fullDescription": {"text": doc.why or doc.summary or rule.name},
        "help": {"text": markdown, "markdown": markdown},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["changerisk", rule.category.value],
            "precision": _PRECISION[rule.confidence],
            "problem.severity": _PROBLEM[level],
            "category": rule.category.value,
            "severity": rule.severity.label,
        },
    }


def _result(finding: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
    line = finding.anchor if finding.side == "old" and finding.anchor > 0 else finding.line
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if finding.evidence:
        region["snippet"] = {"text": finding.evidence}
    text = finding.message
    if finding.hint:
        text = f"{text}. Hint: {finding.hint}"
    properties: dict[str, Any] = {
        "severity": finding.severity.label,
        "category": finding.category.value,
        "confidence": finding.confidence.value,
        "side": finding.side,
    }
    if finding.side == "old":
        properties["oldLine"] = finding.line
    if finding.base_severity is not None:
        properties["baseSeverity"] = finding.base_severity.label
    if finding.adjustments:
        properties["adjustments"] = list(finding.adjustments)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level_of(finding.severity),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": to_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": properties,
    }
    if finding.line == 0:  # about the change as a whole (its description): no file to point at
        del result["locations"]
        properties["about"] = finding.path
    return result


def to_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference (spaces and `#` escaped)."""
    return quote(path.replace("\\", "/").lstrip("/"), safe="/-._~!$&'()*+,;=@")


def _fingerprints(findings: Iterable[Finding]) -> dict[int, str]:
    """A fingerprint per finding that survives lines moving: rule, path, side, message and
    evidence, not the line number; repeats of the same text are told apart by their order."""
    seen: Counter[str] = Counter()
    out: dict[int, str] = {}
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.code, f.message)):
        key = "\x00".join(
            (
                finding.code,
                finding.path,
                finding.side,
                finding.message,
                " ".join(finding.evidence.split()),
            )
        )
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\x00{seen[key]}".encode()).hexdigest()[:32]
        out[id(finding)] = digest
    return out
