"""GitHub Actions workflow commands: one annotation per finding, then the verdict.

`::error file=…,line=…,title=…::message` puts the finding on the line of the pull request;
high and critical are errors, medium a warning, low and info a notice. Worst first, since
GitHub shows only the first annotations of each kind per step. Data escapes `%`, CR and LF;
property values also escape `:` and `,` (the workflow-command rules).
"""

from __future__ import annotations

from changerisk.model import Finding, Severity
from changerisk.report import Report

_COMMAND = {
    Severity.INFO: "notice",
    Severity.LOW: "notice",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): as data, and `:` and `,` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    # Removed text: the line of the new file where it stood, so the note sits in the diff.
    line = finding.anchor if finding.side == "old" and finding.anchor > 0 else finding.line
    properties = {
        "file": finding.path,
        "line": str(max(line, 1)),
        "title": f"{finding.code} {finding.name} ({finding.severity.label})",
    }
    if finding.line == 0:  # about the change as a whole (its description), not a file
        del properties["file"], properties["line"]
    body = finding.message
    if finding.side == "old":
        body += f"\nremoved line {finding.line}: {finding.evidence}" if finding.evidence else ""
    if finding.hint:
        body += f"\nhint: {finding.hint}"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{_COMMAND[finding.severity]} {props}::{escape_data(body)}"


def render(report: Report) -> str:
    findings = sorted(
        report.findings, key=lambda f: (-f.severity, f.path, f.line, f.code, f.message)
    )
    lines = [annotation(f) for f in findings]
    verdict = (
        f"risk {report.level} (score {report.score}/100), required review: {report.tier}; "
        f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} "
        f"in {report.files_checked} file{'s' if report.files_checked != 1 else ''}"
    )
    if report.approvals_checked:
        command = "error" if report.blocks else "notice"
        verdict += (
            f"; blocked: sign-off incomplete, still needs {'; '.join(report.missing_approvals)}"
            if report.blocks
            else f"; signed off for {report.tier}"
        )
    elif report.blocks:
        command = "error"
        verdict += f"; blocked: level {report.level} is at or above fail-on {report.fail_on}"
    else:
        command = "notice"
        verdict += f"; passes (fail-on {report.fail_on})"
    if report.reasons:
        verdict += "\n" + "\n".join(f"why: {reason}" for reason in report.reasons)
    lines.append(
        f"::{command} title={escape_property('changerisk verdict')}::{escape_data(verdict)}"
    )
    return "\n".join(lines) + "\n"
