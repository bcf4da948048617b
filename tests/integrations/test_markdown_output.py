"""Markdown report: marker, stable order, folding, escaping checked with a real renderer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from changerisk import __version__
from changerisk.model import Category, Finding, Severity
from changerisk.report import Report, Suppressed
from changerisk.report.markdown import MARKER, OPEN_ROWS, code_span, escape, render
from changerisk.testing import run_diff

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.diff"))
MD = MarkdownIt("commonmark").enable("table")


def _finding(line: int, severity: Severity = Severity.HIGH, **kw) -> Finding:
    base = dict(
        code="TF101",
        name="terraform-resource-removed",
        category=Category.DESTRUCTIVE,
        severity=severity,
        path="infra/main.tf",
        line=line,
        message=f"destroys aws_instance.web{line} on the next apply",
        evidence=f'resource "aws_instance" "web{line}" {{',
        hint="add a moved block",
    )
    base.update(kw)
    return Finding(**base)


def _report(*findings: Finding, **kw) -> Report:
    values = dict(
        level="high",
        score=75,
        tier="senior",
        reasons=("level high: TF101 destroys aws_instance.web1",),
        findings=tuple(findings),
        ai_assisted=False,
        fail_on="high",
        source="diff",
        description="change.diff",
        files_checked=1,
    )
    values.update(kw)
    return Report(**values)


def _cells(markdown: str) -> list[list[str]]:
    """Body rows of every table, as the text of each cell after rendering."""
    html = MD.render(markdown)
    rows = re.findall(r"<tr>\n(.*?)</tr>", html, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        for row in rows
        if "<td>" in row
    ]


@pytest.mark.parametrize("diff", EXAMPLES, ids=lambda p: p.name)
def test_examples_render(diff: Path) -> None:
    report = run_diff(diff.read_text(encoding="utf-8"))
    text = render(report)
    assert text.startswith(MARKER + "\n")
    assert f"risk **{report.level.upper()}**" in text
    assert f"score {report.score}/100" in text
    rows = _cells(text)
    assert len(rows) == len(report.findings)
    assert all(len(row) == 5 for row in rows)
    assert render(report) == text  # the same report, the same text


def test_verdict_and_blocking_line() -> None:
    text = render(_report(_finding(1)))
    assert "### 🟠 changerisk: risk **HIGH** · score 75/100 · required review: **senior**" in text
    assert "**Blocks:** level high is at or above fail-on high." in text
    passing = render(_report(_finding(1, Severity.LOW), level="low", score=30, tier="any reviewer"))
    assert "Passes: fail-on is high." in passing and "Blocks" not in passing


def test_worst_first_then_path_and_line() -> None:
    findings = [
        _finding(9, Severity.LOW, path="b.tf"),
        _finding(5, Severity.CRITICAL, path="z.tf"),
        _finding(2, Severity.LOW, path="a.tf"),
        _finding(1, Severity.CRITICAL, path="z.tf"),
    ]
    rows = _cells(render(_report(*findings)))
    assert [(r[0], r[2]) for r in rows] == [
        ("critical", "z.tf:1"),
        ("critical", "z.tf:5"),
        ("low", "a.tf:2"),
        ("low", "b.tf:9"),
    ]
    assert render(_report(*findings)) == render(_report(*reversed(findings)))


def test_long_lists_fold_into_details() -> None:
    findings = [_finding(n, Severity.MEDIUM) for n in range(1, 26)]
    text = render(_report(*findings))
    before, _, folded = text.partition("<details>")
    assert before.count("| medium |") == OPEN_ROWS
    assert "<summary>15 more findings (15 medium; worst medium)</summary>" in folded
    assert folded.count("| medium |") == 15
    assert len(_cells(text)) == 25  # GitHub renders the table inside <details> too


def test_short_lists_do_not_fold() -> None:
    assert "<details>" not in render(_report(*[_finding(n) for n in range(1, OPEN_ROWS + 1)]))


def test_pipes_backticks_and_html_stay_inside_their_cell() -> None:
    nasty = _finding(
        1,
        message="drops table `a|b` <script>alert(1)</script> *now* [x](y) & more",
        evidence="echo `whoami` | tee ``out``",
        hint="a | b",
    )
    text = render(_report(nasty))
    (row,) = _cells(text)
    assert len(row) == 5
    assert row[3].startswith(
        "drops table `a|b` &lt;script&gt;alert(1)&lt;/script&gt; *now* [x](y) &amp; more"
    )
    assert "+ echo `whoami` | tee ``out``" in row[3]
    assert row[4] == "a | b"
    html = MD.render(text)
    assert "<script>" not in html and "<em>" not in html and "<a href" not in html


def test_mentions_do_not_ping() -> None:
    text = render(
        _report(_finding(1), reasons=("owners (.github/CODEOWNERS): @acme/platform for x",))
    )
    assert "`@acme/platform`" in text
    assert "ann@example.com" in escape("mail ann@example.com")  # an address is not a mention


def test_suppressed_findings_fold_away() -> None:
    item = Suppressed(_finding(3), "retired in OPS-42")
    text = render(_report(_finding(1), suppressed=(item,)))
    assert "<summary>1 suppressed inline</summary>" in text
    assert "| TF101 | infra/main.tf:3 | destroys aws\\_instance.web3" not in text
    assert (
        "| TF101 | infra/main.tf:3 | destroys aws_instance.web3 on the next apply | retired in OPS-42 |"
        in text
    )


def test_no_findings() -> None:
    text = render(_report(level="none", score=0, tier="any reviewer", reasons=()))
    assert "Findings" not in text and "<table" not in MD.render(text)
    assert text.rstrip().endswith(f"No findings in 1 file · changerisk {__version__}</sub>")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("plain", "`plain`"),
        ("a `b` c", "`` a `b` c ``"),
        ("``x``", "``` ``x`` ```"),
        ("a|b", "`a\\|b`"),
        ("", ""),
    ],
)
def test_code_span(text: str, span: str) -> None:
    assert code_span(text) == span


def test_escape_keeps_words_readable() -> None:
    assert escape("aws_db_instance.main") == "aws_db_instance.main"
    assert escape("_x_ *y* a|b <c>") == "\\_x\\_ \\*y\\* a\\|b \\<c\\>"
