"""Markdown output: a pull-request comment or a `$GITHUB_STEP_SUMMARY` page.

The first line is a hidden HTML marker, so a bot can find its earlier comment and update it
instead of adding another. Findings are ordered worst first (then path, line, code), the same
for the same report; long lists fold into collapsed `<details>` blocks. Table cells escape
Markdown and HTML, `|` included, and evidence is a code span with a fence longer than any run
of backticks inside it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from changerisk.model import Finding, Severity
from changerisk.regex import lazy_compile
from changerisk.report import Report, Suppressed

MARKER = "<!-- changerisk-report -->"
OPEN_ROWS = 10  # findings shown before the rest fold away
MAX_ROWS = 300  # a comment is limited to 65,536 characters; the JSON/SARIF report has all
MAX_EVIDENCE = 120

# `_` inside a word never emphasises (GFM), so aws_db_instance stays readable.
_SPECIAL = lazy_compile(r"[\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# A mention in a bot comment would notify the team on every update: shown as code instead.
_MENTION = lazy_compile(r"(?<![\w`])@[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?")
_BADGE = {
    "none": "🟢",
    "info": "🔵",
    "low": "🔵",
    "medium": "🟡",
    "high": "🟠",
    "critical": "🔴",
}


def escape(text: str) -> str:
    """Text for a Markdown table cell: one line, Markdown and HTML inert, `|` escaped."""
    text = " ".join(text.split())
    out = []
    last = 0
    for match in _MENTION.finditer(text):
        out.append(_inert(text[last : match.start()]))
        out.append(f"`{match.group()}`")
        last = match.end()
    out.append(_inert(text[last:]))
    return "".join(out)


def _inert(text: str) -> str:
    return _SPECIAL.sub(lambda m: "\\" + m.group(), text.replace("&", "&amp;"))


def code_span(text: str, limit: int = MAX_EVIDENCE) -> str:
    """`text` as an inline code span that may itself hold backticks; `|` escaped for tables."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    # Inside a table, GitHub splits cells on `|` before it reads code spans: `\|` keeps it.
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def render(report: Report, title: str = "changerisk") -> str:
    lines = [MARKER, *_verdict(report, title), ""]
    findings = sorted(report.findings, key=_order)
    if findings:
        lines += _findings(findings)
    if report.approvals_checked:
        lines += _approvals(report)
    if report.suppressed:
        lines += _suppressed(report.suppressed)
    if report.expired:
        lines += [f"#### Expired exceptions ({len(report.expired)})", ""]
        lines += [f"- {escape(note)}" for note in report.expired]
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines).rstrip("\n") + "\n"


def _order(finding: Finding) -> tuple[int, str, int, str, str]:
    return (-finding.severity, finding.path, finding.line, finding.code, finding.message)


def _verdict(report: Report, title: str) -> list[str]:
    badge = _BADGE[report.level]
    head = (
        f"### {badge} {escape(title)}: risk **{report.level.upper()}** · "
        f"score {report.score}/100 · required review: **{escape(report.tier)}**"
    )
    if report.ai_assisted:
        head += " · AI-assisted"
    out = [head, ""]
    if report.approvals_checked:
        if report.missing_approvals:
            out.append(
                f"**Blocks: sign-off for {escape(report.tier)} incomplete.** Still needs: "
                + "; ".join(escape(m) for m in report.missing_approvals)
                + "."
            )
        else:
            out.append(f"Passes: signed off for {escape(report.tier)}.")
    elif report.blocks:
        out.append(f"**Blocks:** level {report.level} is at or above fail-on {report.fail_on}.")
    else:
        out.append(f"Passes: fail-on is {report.fail_on}.")
    if report.description:
        out[-1] += f" Checked: {escape(report.description)}."
    if report.reasons:
        out.append("")
        reasons = [f"- {escape(reason)}" for reason in report.reasons]
        if len(reasons) > 5:
            out += _details(f"Why ({len(reasons)} reasons)", reasons)
        else:
            out += reasons
    return out


def _findings(findings: Sequence[Finding]) -> list[str]:
    shown = findings[:MAX_ROWS]
    out = [f"#### Findings ({len(findings)})", ""]
    out += _table(shown[:OPEN_ROWS])
    rest = shown[OPEN_ROWS:]
    if rest:
        worst = max(f.severity for f in rest)
        out.append("")
        out += _details(
            f"{len(rest)} more finding{'s' if len(rest) != 1 else ''} "
            f"({_tally(rest)}; worst {Severity(worst).label})",
            _table(rest),
        )
    if len(findings) > MAX_ROWS:
        out += [
            "",
            f"…and {len(findings) - MAX_ROWS} more: see the JSON or SARIF report for all of them.",
        ]
    out.append("")
    return out


def _table(findings: Sequence[Finding]) -> list[str]:
    out = [
        "| severity | rule | where | what happens | how to do it safely |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        where = f"{escape(f.path)}:{f.line}" if f.line else escape(f.path)
        if f.side == "old":
            where += " (removed)"
        what = escape(f.message)
        if f.evidence:
            what += f"<br>{code_span(('- ' if f.side == 'old' else '+ ') + f.evidence)}"
        if f.adjustments:
            what += f"<br>context: {escape('; '.join(f.adjustments))}"
        out.append(
            f"| {f.severity.label} | {f.code} {escape(f.name)} | {where} | {what} "
            f"| {escape(f.hint)} |"
        )
    return out


def _suppressed(items: Sequence[Suppressed]) -> list[str]:
    rows = ["| rule | where | what was suppressed | reason |", "| --- | --- | --- | --- |"]
    for item in sorted(items, key=lambda s: _order(s.finding)):
        f = item.finding
        where = f"{escape(f.path)}:{f.line}"
        rows.append(f"| {f.code} | {where} | {escape(f.message)} | {escape(item.reason)} |")
    return [*_details(f"{len(items)} suppressed inline", rows), ""]


def _approvals(report: Report) -> list[str]:
    rows = ["| approver | level | from | counts |", "| --- | --- | --- | --- |"]
    for a in report.approvals:
        counts = "yes" if a.counted else f"no: {escape(a.note)}"
        rows.append(
            f"| {escape(a.identity)} | {escape(a.level or 'not in the team file')} "
            f"| {escape(a.source)} | {counts} |"
        )
    if not report.approvals:
        rows.append("| no approvals | | | |")
    return [f"#### Approvals for {escape(report.tier)}", "", *rows, ""]


def _details(summary: str, body: Sequence[str]) -> list[str]:
    # A blank line after <summary> lets GitHub render the Markdown inside the block.
    summary = html.escape(summary, quote=False)
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _tally(findings: Sequence[Finding]) -> str:
    counts: dict[Severity, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True))


def _summary(report: Report) -> str:
    files = f"{report.files_checked} file{'s' if report.files_checked != 1 else ''}"
    if report.findings:
        count = len(report.findings)
        text = f"{count} finding{'s' if count != 1 else ''} ({_tally(report.findings)}) in {files}"
    elif report.files_checked == 0:
        text = "No changes"
    else:
        text = f"No findings in {files}"
    from changerisk import __version__

    return f"<sub>{text} · changerisk {__version__}</sub>"
