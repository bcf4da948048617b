"""The terminal report: verdict first, then findings by file, then one summary line.

The report is laid out here as styled spans. Piped, or with NO_COLOR, it is written as plain
text and rich is not imported at all (a pre-commit hook's output is piped: importing rich
would cost it as much as the check); on a colour terminal rich prints the spans.
"""

from __future__ import annotations

import os
from itertools import groupby
from typing import IO

from changerisk.model import Finding, Severity
from changerisk.report import Report

_STYLE = {
    "none": "green",
    "info": "cyan",
    "low": "cyan",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


class Spans:
    """Text with a style per span (rich style names), laid out by the report itself."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def append(self, text: str, style: str = "") -> None:
        self.items.append((text, style))

    def line(self, text: str = "", style: str = "") -> None:
        self.append(text, style)
        self.append("\n")

    def plain(self) -> str:
        return "".join(text for text, _ in self.items)


def render(
    report: Report, stream: IO[str], color: bool | None = None, width: int | None = None
) -> None:
    no_color = color is False or (color is None and "NO_COLOR" in os.environ)
    is_tty = stream.isatty() if hasattr(stream, "isatty") else False
    if no_color or (not is_tty and not color):
        if width is None and is_tty:
            import shutil

            width = shutil.get_terminal_size().columns
        out = _render(report, width or 110)
        stream.write("".join(line.rstrip() + "\n" for line in out.plain().splitlines()))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=True if color else None,
        color_system="auto",
        highlight=False,
        width=width or (None if is_tty else 110),
        emoji=False,
    )
    text = Text()
    for part, style in _render(report, console.width).items:
        text.append(part, style=style or None)
    with console.capture() as captured:
        console.print(text, soft_wrap=True, end="")
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def _render(report: Report, width: int) -> Spans:
    import textwrap

    out = Spans()
    out.append("changerisk ", style="bold")
    out.line(report.description, style="dim")
    out.append(f"risk {report.level.upper()}", style=_STYLE[report.level])
    out.append(f"   score {report.score}/100   required review: ")
    out.append(report.tier, style="bold")
    if report.ai_assisted:
        out.append("   AI-assisted", style="magenta")
    out.line()
    for reason in report.reasons:
        for index, line in enumerate(textwrap.wrap(reason, max(20, width - 6))):
            out.append("  why " if index == 0 else "      ", style="dim")
            out.line(line)
    for path, group in groupby(report.findings, key=lambda f: f.path):
        out.line()
        out.line(path, style="bold underline")
        _findings(out, list(group), width)
    if report.approvals_checked:
        out.line()
        out.line(f"approvals for {report.tier}:", style="bold")
        for a in report.approvals:
            counts = "counts" if a.counted else f"does not count: {a.note}"
            level = a.level or "not in the team file"
            out.line(f"  {a.identity} ({level}, {a.source}): {counts}")
        if not report.approvals:
            out.line("  none")
        for missing in report.missing_approvals:
            out.line(f"  still needs {missing}", style="bold red")
    if report.expired:
        out.line()
        out.line(f"{len(report.expired)} expired exceptions:", style="yellow")
        for note in report.expired:
            out.line(f"  {note}", style="yellow")
    if report.suppressed:
        out.line()
        out.line(f"{len(report.suppressed)} suppressed:", style="dim")
        for item in report.suppressed:
            f = item.finding
            out.line(f"  {f.path}:{f.line} {f.code}: {item.reason}", style="dim")
    out.line()
    _summary(out, report)
    return out


def _findings(out: Spans, findings: list[Finding], width: int) -> None:
    """The findings of one file as aligned columns (line, code, severity, message), the
    message and its notes wrapped in the width left. Laid out here, not by a rich Table: a
    table costs milliseconds a row, and a monorepo change can have thousands of findings."""
    import textwrap

    # line 0: about the change as a whole (its description), no line to show
    numbers = [f"  {f.line or ''}" for f in findings]
    w_line = max(map(len, numbers))
    w_code = max(len(f.code) for f in findings)
    w_level = max(len(f.severity.label) for f in findings)
    indent = w_line + w_code + w_level + 3
    room = max(20, width - indent)
    for number, finding in zip(numbers, findings, strict=True):
        out.append(number.rjust(w_line), style="dim")
        out.append(" ")
        out.append(finding.code.ljust(w_code), style="bold")
        out.append(" ")
        out.append(finding.severity.label.ljust(w_level), style=_STYLE[finding.severity.label])
        out.append(" ")
        notes: list[tuple[str, str]] = []
        if finding.evidence:
            marker = "-" if finding.side == "old" else "+"
            notes.append((f"{marker} {finding.evidence[:200]}", "dim"))
        if finding.adjustments:
            notes.append((f"context: {'; '.join(finding.adjustments)}", "dim"))
        if finding.hint:
            notes.append((f"hint: {finding.hint}", "italic"))
        first = True
        for text, style in [(finding.message, ""), *notes]:
            for line in textwrap.wrap(text, room, break_on_hyphens=False) or [""]:
                if not first:
                    out.append("\n" + " " * indent)
                out.append(line, style=style)
                first = False
        out.append("\n")


def _summary(text: Spans, report: Report) -> None:
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    tally = ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True) if n)
    files = f"{report.files_checked} file{'s' if report.files_checked != 1 else ''}"
    if report.findings:
        count = len(report.findings)
        text.append(f"{count} finding{'s' if count != 1 else ''} ({tally}) in {files}; ")
    elif report.files_checked == 0:
        text.append("no changes; ")
    else:
        text.append(f"no findings in {files}; ")
    if report.approvals_checked:
        if report.blocks:
            text.append(f"blocked: sign-off for {report.tier} incomplete", style="bold red")
        else:
            text.append(f"passes: signed off for {report.tier}", style="green")
    elif report.blocks:
        text.append(
            f"blocked: level {report.level} is at or above fail-on {report.fail_on}",
            style="bold red",
        )
    else:
        text.append(f"passes (fail-on {report.fail_on})", style="green")
    text.append("\n")
