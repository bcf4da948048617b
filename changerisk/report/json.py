"""JSON output, schema version 1.0 (documented in README and in data/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from changerisk.model import Finding
from changerisk.report import SCHEMA_VERSION, Report
from changerisk.signoff import Approval


def finding_dict(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "category": finding.category.value,
        "severity": finding.severity.label,
        "confidence": finding.confidence.value,
        "path": finding.path,
        "line": finding.line,
        "side": finding.side,
        "message": finding.message,
        "evidence": finding.evidence,
        "hint": finding.hint,
    }
    if finding.base_severity is not None:
        data["base_severity"] = finding.base_severity.label
    if finding.adjustments:
        data["adjustments"] = list(finding.adjustments)
    return data


def report_dict(report: Report) -> dict[str, Any]:
    from changerisk import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "changerisk", "version": __version__},
        "level": report.level,
        "score": report.score,
        "tier": report.tier,
        "reasons": list(report.reasons),
        "ai_assisted": report.ai_assisted,
        "ai_sources": list(report.ai_sources),
        "owners": list(report.owners),
        "fail_on": report.fail_on,
        "blocking": report.blocks,
        "source": {"kind": report.source, "description": report.description},
        "files_checked": report.files_checked,
        "findings": [finding_dict(f) for f in report.findings],
        "suppressed": [{**finding_dict(s.finding), "reason": s.reason} for s in report.suppressed],
        "expired_exceptions": list(report.expired),
        "authors": [
            {"identity": a.identity, "source": a.source, "level": a.level, "known": a.known}
            for a in report.authors
        ],
        "approvals_checked": report.approvals_checked,
        "approvals": [approval_dict(a) for a in report.approvals],
        "missing_approvals": list(report.missing_approvals),
    }


def approval_dict(approval: Approval) -> dict[str, Any]:
    return {
        "identity": approval.identity,
        "source": approval.source,
        "level": approval.level,
        "counted": approval.counted,
        "note": approval.note,
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
