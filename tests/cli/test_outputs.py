"""`check --format` for every format, `--output FORMAT:PATH` (repeatable), write errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from changerisk.cli.main import FORMATS

EXAMPLES = Path(__file__).parents[2] / "examples"
MIXED = str(EXAMPLES / "mixed-change.diff")
DOCS = str(EXAMPLES / "docs-change.diff")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHANGERISK_AI_ASSISTED", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


@pytest.mark.parametrize(
    ("fmt", "starts"),
    [
        ("text", "changerisk "),
        ("json", "{"),
        ("sarif", "{"),
        ("markdown", "<!-- changerisk-report -->\n"),
        ("github", "::error file=infra/queues.tf,line=1,title=TF101 "),
    ],
)
def test_every_format_on_stdout(workdir: Path, run_cli, fmt: str, starts: str) -> None:
    result = run_cli("check", MIXED, "--format", fmt)
    assert result.code == 1, result.err
    assert result.err == ""
    assert result.out.startswith(starts)


def test_outputs_are_written_beside_stdout(workdir: Path, run_cli) -> None:
    result = run_cli(
        "check",
        MIXED,
        "--format",
        "github",
        "--output",
        "sarif:reports/changerisk.sarif",
        "--output",
        f"json:{workdir / 'report.json'}",
        "--output",
        "markdown:summary.md",
        "--output",
        "text:report.txt",
    )
    assert result.code == 1  # the outputs do not change the verdict's exit code
    assert result.out.startswith("::error ")  # stdout keeps --format
    sarif = json.loads((workdir / "reports" / "changerisk.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    report = json.loads((workdir / "report.json").read_text())
    assert report["level"] == "critical"
    assert {f["code"] for f in report["findings"]} == {
        r["ruleId"] for r in sarif["runs"][0]["results"]
    }
    assert (workdir / "summary.md").read_text().startswith("<!-- changerisk-report -->")
    text = (workdir / "report.txt").read_text()
    assert "risk CRITICAL" in text and "\x1b[" not in text


def test_output_of_a_passing_change(workdir: Path, run_cli) -> None:
    result = run_cli("check", DOCS, "--output", "markdown:out.md", "--output", "json:out.json")
    assert result.code == 0
    assert json.loads((workdir / "out.json").read_text())["level"] == "none"
    assert "risk **NONE**" in (workdir / "out.md").read_text()


def test_output_format_is_case_insensitive(workdir: Path, run_cli) -> None:
    assert run_cli("check", DOCS, "--output", "JSON:out.json").code == 0
    assert json.loads((workdir / "out.json").read_text())["level"] == "none"


def test_a_path_may_hold_colons(workdir: Path, run_cli) -> None:
    assert run_cli("check", DOCS, "--output", "json:a:b.json").code == 0
    assert (workdir / "a:b.json").exists()


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("sarif", "is not FORMAT:PATH"),
        ("pdf:out.pdf", "is not FORMAT:PATH"),
        ("sarif:", "names no file"),
        (":out.json", "is not FORMAT:PATH"),
    ],
)
def test_bad_output_spec_is_a_usage_error(workdir: Path, run_cli, spec: str, words: str) -> None:
    result = run_cli("check", DOCS, "--output", spec)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("changerisk: error: ")
    assert words in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_unwritable_output_is_one_line_and_exit_2(workdir: Path, run_cli) -> None:
    (workdir / "taken").write_text("a file, not a folder")
    result = run_cli("check", MIXED, "--output", "sarif:taken/changerisk.sarif")
    assert result.code == 2  # even though the change would block (1): the report is missing
    assert result.err.startswith(
        "changerisk: error: taken/changerisk.sarif: cannot write the sarif"
    )
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_output_to_a_directory(workdir: Path, run_cli) -> None:
    (workdir / "out").mkdir()
    result = run_cli("check", DOCS, "--output", "json:out")
    assert result.code == 2
    assert result.err.startswith("changerisk: error: out: cannot write the json report: ")


def test_formats_listed_in_help(run_cli) -> None:
    result = run_cli("check", "--help")
    for fmt in FORMATS:
        assert fmt in result.out
    assert "--output" in result.out and "FORMAT:PATH" in result.out


def test_head_needs_base(workdir: Path, run_cli) -> None:
    result = run_cli("check", "--head", "HEAD")
    assert result.code == 2
    assert "--head goes with --base" in result.err


def test_pre_push_excludes_other_inputs(workdir: Path, run_cli) -> None:
    result = run_cli("check", "--pre-push", "--staged")
    assert result.code == 2
    assert "give only one of DIFF, --staged, --base and --pre-push" in result.err


def test_shell_completion_as_documented() -> None:
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("changerisk"))
    env = {"PATH": "/usr/bin:/bin", "_CHANGERISK_COMPLETE": "bash_source"}
    source = subprocess.run([exe], env=env, capture_output=True, text=True, check=False)
    assert source.returncode == 0
    assert "_changerisk_completion()" in source.stdout
    env = {
        "PATH": "/usr/bin:/bin",
        "_CHANGERISK_COMPLETE": "bash_complete",
        "COMP_WORDS": "changerisk check --format ",
        "COMP_CWORD": "3",
    }
    words = subprocess.run([exe], env=env, capture_output=True, text=True, check=False)
    assert words.stdout.split() == [f"plain,{fmt}" for fmt in FORMATS]
