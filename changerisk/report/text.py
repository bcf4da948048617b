"""The terminal report (rich): verdict first, then findings by file, then one summary line.

Plain when piped or when NO_COLOR is set; rich is imported only here.
"""

from __future__ import annotations

import os
from itertools import groupby
from typing import IO, TYPE_CHECKING

from changerisk.model import Finding, Severity
from changerisk.report import Report

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_STYLE = {
    "none": "green",
    "info": "cyan",
    "low": "cyan",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


def render(
    report: Report, stream: IO[str], color: bool | None = None, width: int | None = None
) -> None:
    from rich.console import Console

    no_color = color is False or (color is None and "NO_COLOR" in os.environ)
    is_tty = stream.isatty() if hasattr(stream, "isatty") else False
    console = Console(
        file=stream,
        no_color=no_color,
        force_terminal=True if color else None,
        color_system=None if no_color else "auto",
        highlight=False,
        width=width or (None if is_tty else 110),
        emoji=False,
    )
    with console.capture() as captured:
        _render(report, console)
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def _render(report: Report, console: Console) -> None:
    import textwrap

    from rich.text import Text

    head = Text()
    head.append("changerisk ", style="bold")
    head.append(f"{report.description}\n", style="dim")
    head.append(f"risk {report.level.upper()}", style=_STYLE[report.level])
    head.append(f"   score {report.score}/100   required review: ")
    head.append(report.tier, style="bold")
    if report.ai_assisted:
        head.append("   AI-assisted", style="magenta")
    console.print(head)
    width = console.width
    if report.reasons:
        reasons = Text()
        for reason in report.reasons:
            for index, line in enumerate(textwrap.wrap(reason, max(20, width - 6))):
                reasons.append("  why " if index == 0 else "      ", style="dim")
                reasons.append(line + "\n")
        reasons.rstrip()
        console.print(reasons, soft_wrap=True)
    for path, group in groupby(report.findings, key=lambda f: f.path):
        console.print()
        console.print(Text(path, style="bold underline"))
        console.print(_findings(list(group), width), soft_wrap=True)
    if report.approvals_checked:
        console.print()
        console.print(Text(f"approvals for {report.tier}:", style="bold"))
        for a in report.approvals:
            counts = "counts" if a.counted else f"does not count: {a.note}"
            level = a.level or "not in the team file"
            console.print(Text(f"  {a.identity} ({level}, {a.source}): {counts}"))
        if not report.approvals:
            console.print(Text("  none"))
        for missing in report.missing_approvals:
            console.print(Text(f"  still needs {missing}", style="bold red"))
    if report.expired:
        console.print()
        console.print(Text(f"{len(report.expired)} expired exceptions:", style="yellow"))
        for note in report.expired:
            console.print(Text(f"  {note}", style="yellow"))
    if report.suppressed:
        console.print()
        console.print(Text(f"{len(report.suppressed)} suppressed:", style="dim"))
        for item in report.suppressed:
            f = item.finding
            console.print(Text(f"  {f.path}:{f.line} {f.code}: {item.reason}", style="dim"))
    console.print()
    console.print(_summary(report))


def _findings(findings: list[Finding], width: int) -> Text:
    """The findings of one file as aligned columns (line, code, severity, message), the
    message and its notes wrapped in the width left. Laid out here, not by a rich Table: a
    table costs milliseconds a row, and a monorepo change can have thousands of findings."""
    import textwrap

    from rich.text import Text

    # line 0: about the change as a whole (its description), no line to show
    numbers = [f"  {f.line or ''}" for f in findings]
    w_line = max(map(len, numbers))
    w_code = max(len(f.code) for f in findings)
    w_level = max(len(f.severity.label) for f in findings)
    indent = w_line + w_code + w_level + 3
    room = max(20, width - indent)
    out = Text()
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
    out.rstrip()
    return out


def _summary(report: Report) -> object:
    from rich.text import Text

    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    tally = ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True) if n)
    text = Text()
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
    return text
