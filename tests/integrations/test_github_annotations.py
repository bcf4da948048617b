"""GitHub workflow commands: levels, locations, and the escaping rules of the runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from changerisk.model import Category, Finding, Severity
from changerisk.report import Report
from changerisk.report.github import annotation, escape_data, escape_property, render
from changerisk.testing import run_diff

REPO = Path(__file__).resolve().parents[2]


def _finding(**kw) -> Finding:
    base = dict(
        code="SH101",
        name="terraform-destroy-command",
        category=Category.DESTRUCTIVE,
        severity=Severity.HIGH,
        path="scripts/reset.sh",
        line=7,
        message="runs terraform destroy: deletes every resource in the workspace",
        evidence="terraform destroy",
        hint="destroy from a reviewed plan",
    )
    base.update(kw)
    return Finding(**base)


def _unescape(text: str) -> str:  # what the runner does
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


@pytest.mark.parametrize(
    ("severity", "command"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "notice"),
        (Severity.INFO, "notice"),
    ],
)
def test_levels(severity: Severity, command: str) -> None:
    assert annotation(_finding(severity=severity)).startswith(
        f"::{command} file=scripts/reset.sh,line=7,"
    )


def test_exact_annotation() -> None:
    assert annotation(_finding()) == (
        "::error file=scripts/reset.sh,line=7,title=SH101 terraform-destroy-command (high)"
        "::runs terraform destroy: deletes every resource in the workspace"
        "%0Ahint: destroy from a reviewed plan"
    )


def test_escaping_rules() -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_hostile_text_cannot_start_a_command() -> None:
    sneaky = _finding(
        path="dir,line=1/x:y.sh",
        message="oops\n::add-mask::secret\r\n::error::forged",
        hint="50% off",
    )
    line = annotation(sneaky)
    assert "\n" not in line and "\r" not in line
    head, _, data = line[2:].partition("::")
    props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
    assert _unescape(props["file"]) == "dir,line=1/x:y.sh"
    assert props["line"] == "7"
    assert _unescape(data) == "oops\n::add-mask::secret\r\n::error::forged\nhint: 50% off"


def test_removed_text_points_at_the_new_file() -> None:
    line = annotation(_finding(side="old", line=12, anchor=5, evidence="resource x"))
    assert line.startswith("::error file=scripts/reset.sh,line=5,")
    assert "%0Aremoved line 12: resource x" in line


def test_report_worst_first_and_a_verdict() -> None:
    report = run_diff((REPO / "examples" / "mixed-change.diff").read_text())
    lines = render(report).splitlines()
    assert len(lines) == len(report.findings) + 1
    assert [ln.split(" ", 1)[0] for ln in lines] == [
        "::error",
        "::error",
        "::error",
        "::warning",
        "::notice",
        "::error",
    ]
    assert lines[-1].startswith("::error title=changerisk verdict::risk critical (score ")
    assert "blocked: level critical is at or above fail-on high" in lines[-1]


def test_passing_verdict_is_a_notice() -> None:
    report = Report(
        level="none",
        score=0,
        tier="any reviewer",
        reasons=(),
        findings=(),
        ai_assisted=False,
        fail_on="high",
        source="diff",
        description="x",
        files_checked=2,
    )
    assert render(report) == (
        "::notice title=changerisk verdict::risk none (score 0/100), required review: "
        "any reviewer; 0 findings in 2 files; passes (fail-on high)\n"
    )
