"""Property tests: any text from a change stays inside its Markdown cell or its workflow
command, `--output` specs parse or fail as usage errors, and pre-push input never crashes."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import click
import pytest
from changerisk.cli.hooks import push_ranges
from changerisk.cli.main import FORMATS, OutputSpec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from changerisk.errors import GitError
from changerisk.model import Category, Finding, Severity
from changerisk.report import Report
from changerisk.report.github import annotation
from changerisk.report.markdown import code_span, escape, render

MD = MarkdownIt("commonmark").enable("table")
# Text a diff can carry: printable characters of any script, punctuation Markdown cares about.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("|`*_[]()<>!#&\\~@:,%=-+ \t\r\n"),
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    ),
    max_size=60,
)


def _finding(message: str, evidence: str, hint: str, path: str) -> Finding:
    return Finding(
        code="TF101",
        name="terraform-resource-removed",
        category=Category.DESTRUCTIVE,
        severity=Severity.HIGH,
        path=path,
        line=3,
        message=message,
        evidence=evidence,
        hint=hint,
    )


def _report(finding: Finding) -> Report:
    return Report(
        level="high",
        score=75,
        tier="senior",
        reasons=(),
        findings=(finding,),
        ai_assisted=False,
        fail_on="high",
        source="diff",
        description="x",
        files_checked=1,
    )


def _plain(cell_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell_html))


def _norm(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(message=TEXT, evidence=TEXT, hint=TEXT, path=TEXT)
@example(message="a | b `c` <b>x</b>", evidence="``|``", hint="\\|", path="x|y")
@example(message="*a* _b_ [l](u) ![i](u)", evidence="` `", hint="&amp; &#124;", path="@team/x")
def test_markdown_text_stays_in_its_cell(message: str, evidence: str, hint: str, path: str) -> None:
    text = render(_report(_finding(message, evidence, hint, path or "p")))
    rendered = MD.render(text)
    rows = re.findall(r"<tr>\n(.*?)</tr>", rendered, flags=re.S)
    body = [re.findall(r"<td>(.*?)</td>", row, flags=re.S) for row in rows if "<td>" in row]
    assert len(body) == 1 and len(body[0]) == 5
    cells = body[0]
    assert _plain(cells[2]) == f"{_norm(path or 'p')}:3"
    assert _plain(cells[4]) == _norm(hint)
    what = cells[3].split("<br>")[0]
    assert _plain(what) == _norm(message)
    for cell in cells:  # only the code spans and line breaks the report itself makes
        assert not re.search(r"</?(?!(?:code|br)>)[a-z]", cell), cell


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_code_span_shows_its_text(text: str) -> None:
    span = code_span(text, limit=1000)
    if not _norm(text):
        assert span == ""
        return
    row = MD.render(f"| a |\n| --- |\n| {span} |\n")
    (cell,) = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
    assert cell.startswith("<code>") and cell.endswith("</code>")
    assert _plain(cell) == _norm(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escape_is_inert(text: str) -> None:
    rendered = MD.render(f"| a |\n| --- |\n| {escape(text)} |\n")
    (cell,) = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    assert _plain(cell) == _norm(text)
    assert not re.search(r"</?(?!code>)[a-z]", cell), cell


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


@settings(max_examples=300, deadline=None)
@given(message=TEXT, hint=TEXT, path=TEXT)
def test_annotation_is_one_command(message: str, hint: str, path: str) -> None:
    line = annotation(_finding(message, "", hint, path or "p"))
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error file=")
    head, sep, data = line[2:].partition("::")
    assert sep
    props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
    assert set(props) == {"file", "line", "title"}
    assert _unescape(props["file"]) == (path or "p")
    expected = message + (f"\nhint: {hint}" if hint else "")
    assert _unescape(data) == expected


@given(st.text(max_size=40))
@example("sarif:")
@example("json:a:b")
def test_output_spec_parses_or_is_a_usage_error(value: str) -> None:
    try:
        fmt, path = OutputSpec().convert(value, None, None)
    except click.BadParameter:
        return
    assert fmt in FORMATS and path.strip() and value.lower().startswith(fmt)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("push-repo")
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path), "PATH": "/usr/bin:/bin"}
    for argv in (
        ["git", "init", "-q"],
        [
            "git",
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
    ):
        subprocess.run(argv, cwd=path, env=env, check=True)
    return path


HEX = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
LINES = st.lists(
    st.one_of(
        st.tuples(TEXT, HEX, TEXT, HEX).map(lambda t: " ".join(t)),
        TEXT,
    ),
    max_size=4,
).map("\n".join)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(LINES)
@example("refs/heads/a -x refs/heads/b --output=/tmp/x")
def test_pre_push_input_never_crashes(repo: Path, stdin: str) -> None:
    try:
        ranges = push_ranges(str(repo), {}, stdin.encode("utf-8", "surrogatepass"))
    except GitError:
        return
    for r in ranges:
        assert not r.base.startswith("-") and not r.head.startswith("-")
