"""The command line: help texts, JSON report, exit codes, selection, config errors, output."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from changerisk.cli.main import cli
from click.testing import CliRunner

from changerisk.config import parse_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHANGERISK = str(Path(sys.executable).with_name("changerisk"))
FIXTURES = Path(__file__).parents[1] / "engine" / "fixtures"

# TF101 critical: a database is destroyed.
DROP_DB = (FIXTURES / "deleted.diff").read_text(encoding="utf-8")

# TF101 high: a plain instance is destroyed.
DROP_WEB = """\
diff --git a/infra/main.tf b/infra/main.tf
index 1111111..2222222 100644
--- a/infra/main.tf
+++ b/infra/main.tf
@@ -1,7 +1,3 @@
 provider "aws" {
   region = "eu-west-1"
 }
-
-resource "aws_instance" "web" {
-  ami = "ami-123"
-}
"""

# INT102 medium: the change adds a suppression (with a reason).
SUPPRESS = """\
diff --git a/infra/net.tf b/infra/net.tf
index 1111111..2222222 100644
--- a/infra/net.tf
+++ b/infra/net.tf
@@ -1,3 +1,4 @@
+# changerisk: ignore[TF102] the network module moves to its own stack (OPS-7)
 resource "aws_vpc" "main" {
   cidr_block = "10.0.0.0/16"
 }
"""

NOTHING = (FIXTURES / "modified.diff").read_text(encoding="utf-8")  # variables renamed only


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory outside any repository, with no config and no inherited switches."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHANGERISK_AI_ASSISTED", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], ["check", "rules", "explain", "init", "install-hook", "--debug"]),
        (
            ["check"],
            ["--staged", "--base", "--head", "--pre-push", "--fail-on", "--format", "--output"],
        ),
        (["rules"], ["--format"]),
        (["explain"], ["CODE"]),
        (["init"], ["--pyproject"]),
    ],
    ids=["group", "check", "rules", "explain", "init"],
)
def test_help(argv: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    for word in words:
        assert word in result.output


def test_short_help_option_and_version() -> None:
    assert CliRunner().invoke(cli, ["check", "-h"]).exit_code == 0
    version = CliRunner().invoke(cli, ["--version"])
    assert version.exit_code == 0
    assert version.output.startswith("changerisk, version ")


def test_help_through_main_exits_0(run_cli) -> None:
    result = run_cli("check", "--help")
    assert result.code == 0
    assert "Usage: changerisk check" in result.out


# --- JSON report --------------------------------------------------------------------------


def test_json_report_shape(workdir: Path, run_cli) -> None:
    result = run_cli(
        "check", write(workdir, "c.diff", DROP_DB), "--select", "TF", "--format", "json"
    )
    assert result.code == 1
    assert result.err == ""
    report = json.loads(result.out)
    for key in (
        "schema_version",
        "level",
        "score",
        "tier",
        "reasons",
        "ai_assisted",
        "findings",
    ):
        assert key in report
    assert report["schema_version"] == "1.0"
    assert (report["level"], report["tier"], report["ai_assisted"]) == (
        "critical",
        "senior + owner",
        False,
    )
    assert isinstance(report["score"], int) and 90 <= report["score"] <= 100
    assert report["reasons"] and all(isinstance(r, str) for r in report["reasons"])
    (finding,) = report["findings"]
    assert {k: finding[k] for k in ("code", "category", "severity", "path", "line")} == {
        "code": "TF101",
        "category": "destructive",
        "severity": "critical",
        "path": "infra/db.tf",
        "line": 1,
    }
    assert "destroys aws_db_instance.main" in finding["message"]


def test_the_cycle_collector_waits_during_a_check_and_only_then(
    workdir: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from changerisk import api

    seen: list[bool] = []
    check = api.check
    monkeypatch.setattr(api, "check", lambda *a, **k: seen.append(gc.isenabled()) or check(*a, **k))
    assert gc.isenabled()
    assert run_cli("check", write(workdir, "c.diff", DROP_DB), "--fail-on", "none").code == 0
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        run_cli("check", write(workdir, "c.diff", DROP_DB), "--fail-on", "none")
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()


def test_no_findings_report(workdir: Path, run_cli) -> None:
    result = run_cli("check", write(workdir, "c.diff", NOTHING), "--format", "json")
    assert result.code == 0
    report = json.loads(result.out)
    assert (report["level"], report["score"], report["findings"]) == ("none", 0, [])


# --- exit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "fail_on", "code"),
    [
        (DROP_DB, None, 1),  # critical >= high (the default)
        (DROP_DB, "critical", 1),
        (DROP_DB, "none", 0),  # none never fails
        (DROP_WEB, None, 1),  # high >= high
        (DROP_WEB, "critical", 0),
        (DROP_WEB, "CRITICAL", 0),  # case-insensitive
        (SUPPRESS, None, 0),  # medium < high
        (SUPPRESS, "medium", 1),
        (SUPPRESS, "low", 1),
        (NOTHING, "info", 0),  # level none is below everything
    ],
    ids=[
        "critical-default",
        "critical-at-critical",
        "critical-at-none",
        "high-default",
        "high-at-critical",
        "high-at-CRITICAL",
        "medium-default",
        "medium-at-medium",
        "medium-at-low",
        "none-at-info",
    ],
)
def test_fail_on(workdir: Path, run_cli, diff: str, fail_on: str | None, code: int) -> None:
    argv = ["check", write(workdir, "c.diff", diff), "--select", "TF,INT"]
    result = run_cli(*argv, *(["--fail-on", fail_on] if fail_on else []))
    assert result.code == code, result.out + result.err


def test_fail_on_from_config(workdir: Path, run_cli) -> None:
    write(workdir, ".changerisk.toml", 'fail-on = "critical"\n')
    diff = write(workdir, "c.diff", DROP_WEB)
    assert run_cli("check", diff, "--select", "TF").code == 0
    assert run_cli("check", diff, "--select", "TF", "--fail-on", "high").code == 1


def test_bad_fail_on_is_a_usage_error(workdir: Path, run_cli) -> None:
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--fail-on", "severe")
    assert result.code == 2
    assert result.err.startswith("changerisk: error: ")
    assert "'severe' is not one of" in result.err
    assert result.err.count("\n") == 1


# --- AI-assisted ----------------------------------------------------------------------------


def test_ai_assisted_flag_raises_a_medium_change_to_senior(workdir: Path, run_cli) -> None:
    diff = write(workdir, "c.diff", SUPPRESS)
    plain = run_cli("check", diff, "--select", "TF,INT", "--format", "json").json()
    assert (plain["level"], plain["tier"], plain["ai_assisted"]) == ("medium", "peer", False)
    ai = run_cli("check", diff, "--select", "TF,INT", "--format", "json", "--ai-assisted").json()
    assert (ai["level"], ai["tier"], ai["ai_assisted"]) == ("medium", "senior", True)
    assert ai["ai_sources"] == ["--ai-assisted"]
    assert any("AI-assisted" in r and "--ai-assisted" in r and "senior" in r for r in ai["reasons"])


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_ai_assisted_from_the_environment(workdir: Path, run_cli, monkeypatch, value: str) -> None:
    monkeypatch.setenv("CHANGERISK_AI_ASSISTED", value)
    diff = write(workdir, "c.diff", SUPPRESS)
    report = run_cli("check", diff, "--select", "TF,INT", "--format", "json").json()
    assert (report["tier"], report["ai_assisted"]) == ("senior", True)
    assert report["ai_sources"] == ["CHANGERISK_AI_ASSISTED"]
    assert any("CHANGERISK_AI_ASSISTED" in r for r in report["reasons"])


@pytest.mark.parametrize("value", ["0", "", "false", "no"])
def test_ai_assisted_environment_off(workdir: Path, run_cli, monkeypatch, value: str) -> None:
    monkeypatch.setenv("CHANGERISK_AI_ASSISTED", value)
    report = run_cli(
        "check", write(workdir, "c.diff", SUPPRESS), "--select", "INT", "--format", "json"
    ).json()
    assert (report["tier"], report["ai_assisted"]) == ("peer", False)


def test_ai_assisted_below_medium_adds_nothing(workdir: Path, run_cli) -> None:
    report = run_cli(
        "check", write(workdir, "c.diff", NOTHING), "--ai-assisted", "--format", "json"
    ).json()
    assert (report["level"], report["tier"], report["ai_assisted"]) == (
        "none",
        "any reviewer",
        True,
    )
    assert any("below medium" in r for r in report["reasons"])


def test_ai_assisted_text_report_says_so(workdir: Path, run_cli) -> None:
    result = run_cli(
        "check", write(workdir, "c.diff", SUPPRESS), "--select", "INT", "--ai-assisted"
    )
    assert "senior" in result.out
    assert "AI-assisted" in result.out


# --- select / ignore ----------------------------------------------------------------------

BOTH = DROP_DB + SUPPRESS


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ([], {"TF101", "INT102"}),
        (["--select", "TF"], {"TF101"}),
        (["--select", "tf101"], {"TF101"}),
        (["--select", "TF,INT"], {"TF101", "INT102"}),
        (["--select", "TF", "--select", "INT102"], {"TF101", "INT102"}),
        (["--ignore", "TF101"], {"INT102"}),
        (["--select", "TF", "--ignore", "TF101"], set()),
        (["--select", "TF101", "--ignore", "TF"], {"TF101"}),  # the more specific wins
        (["--select", "ALL", "--ignore", "INT"], {"TF101"}),
        (["--ignore", "TF, INT"], set()),
    ],
    ids=[
        "default",
        "prefix",
        "lowercase",
        "comma",
        "repeated",
        "ignore-code",
        "select-prefix-ignore-code",
        "select-code-ignore-prefix",
        "all-ignore-prefix",
        "ignore-with-space",
    ],
)
def test_select_and_ignore(workdir: Path, run_cli, options: list[str], codes: set[str]) -> None:
    result = run_cli("check", write(workdir, "c.diff", BOTH), "--format", "json", *options)
    assert result.err == ""
    assert {f["code"] for f in result.json()["findings"]} == codes


def test_select_from_config_and_cli_ignore(workdir: Path, run_cli) -> None:
    write(workdir, ".changerisk.toml", 'select = ["INT"]\n')
    diff = write(workdir, "c.diff", BOTH)
    assert {f["code"] for f in run_cli("check", diff, "--format", "json").json()["findings"]} == {
        "INT102"
    }
    cli_select = run_cli("check", diff, "--format", "json", "--select", "TF").json()
    assert {f["code"] for f in cli_select["findings"]} == {"TF101"}  # the command line wins


# --- configuration errors -----------------------------------------------------------------

CONFIG_ERRORS = [
    (".changerisk.toml", 'fail_on = "high"\n', [".changerisk.toml", "fail_on", "unknown key"]),
    (".changerisk.toml", 'fail-on = "severe"\n', [".changerisk.toml", "fail-on", '"severe"']),
    (".changerisk.toml", "fail-on = \n", [".changerisk.toml", "invalid TOML"]),
    (
        ".changerisk.toml",
        '[ai-assisted]\nmin-level = "huge"\n',
        [".changerisk.toml", "ai-assisted.min-level", '"huge"'],
    ),
    (".changerisk.toml", 'select = ["tf101"]\n', [".changerisk.toml", "select", '"tf101"']),
    (
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.changerisk]\nfail-on = "severe"\n',
        ["pyproject.toml", "[tool.changerisk] fail-on", '"severe"'],
    ),
    (
        "pyproject.toml",
        "[tool.changerisk]\nunknown = 1\n",
        ["pyproject.toml", "[tool.changerisk] unknown", "unknown key"],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "words"),
    CONFIG_ERRORS,
    ids=[
        "unknown-key",
        "bad-level",
        "invalid-toml",
        "bad-nested-level",
        "bad-code",
        "pyproject-level",
        "pyproject-key",
    ],
)
def test_bad_config(workdir: Path, run_cli, name: str, text: str, words: list[str]) -> None:
    write(workdir, name, text)
    result = run_cli("check", write(workdir, "c.diff", DROP_DB))
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("changerisk: error: ")
    assert result.err.count("\n") == 1
    for word in words:
        assert word in result.err
    assert "Traceback" not in result.err


def test_bad_config_given_with_option(workdir: Path, run_cli) -> None:
    config = workdir / "conf" / "strict.toml"
    config.parent.mkdir()
    config.write_text('[breadth]\ncategories = "three"\n', encoding="utf-8")
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--config", str(config))
    assert result.code == 2
    assert "strict.toml" in result.err and "breadth.categories" in result.err


def test_config_option_to_a_missing_file(workdir: Path, run_cli) -> None:
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--config", "missing.toml")
    assert result.code == 2
    assert result.err == "changerisk: error: missing.toml: no such config file\n"


def test_config_option_is_used(workdir: Path, run_cli) -> None:
    config = write(workdir, "lenient.toml", 'fail-on = "none"\n')
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--config", config)
    assert result.code == 0


# --- unreadable input and usage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["check", "missing.diff"], "missing.diff: no such file"),
        (["check", "."], "is a directory"),
        (["check", ""], "DIFF is an empty path"),  # Bug: was ": is a directory"
        (["check", "x.diff", "--staged"], "give only one of DIFF, --staged, --base and --pre-push"),
        (
            ["check", "--staged", "--base", "main"],
            "give only one of DIFF, --staged, --base and --pre-push",
        ),
        (["check", "--bogus"], "No such option"),  # Bug: click printed three lines
        (["nope"], "No such command 'nope'"),
        (["explain", "NOPE"], "no rule 'NOPE'"),
    ],
    ids=[
        "missing",
        "directory",
        "empty",
        "diff-and-staged",
        "staged-and-base",
        "bad-option",
        "bad-command",
        "explain-unknown",
    ],
)
def test_errors_are_one_line(workdir: Path, run_cli, argv: list[str], words: str) -> None:
    result = run_cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("changerisk: error: ")
    assert result.err.count("\n") == 1
    assert words in result.err


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfe garbage\n", "not UTF-8 text"),
        (b"this is not a diff\n", "no unified diff found"),
        ((FIXTURES / "combined.diff").read_bytes(), "diff --cc"),
    ],
    ids=["binary", "prose", "combined"],
)
def test_malformed_diff_file(workdir: Path, run_cli, data: bytes, words: str) -> None:
    path = workdir / "c.diff"
    path.write_bytes(data)
    result = run_cli("check", str(path))
    assert result.code == 2
    assert result.err.startswith(f"changerisk: error: {path}: ")
    assert words in result.err


def test_debug_shows_the_traceback(workdir: Path, run_cli) -> None:
    result = run_cli("--debug", "check", "missing.diff")
    assert result.code == 2
    assert "Traceback" in result.err
    assert result.err.endswith("changerisk: error: missing.diff: no such file\n")


# --- output -------------------------------------------------------------------------------

ANSI = "\x1b["


def test_piped_text_output_has_no_escapes(workdir: Path, run_cli) -> None:
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--select", "TF")
    assert result.code == 1
    assert ANSI not in result.out
    assert "TF101" in result.out and "infra/db.tf" in result.out
    assert "risk CRITICAL" in result.out


def test_no_color_environment(workdir: Path, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = run_cli("check", write(workdir, "c.diff", DROP_DB), "--select", "TF")
    assert ANSI not in result.out


def test_color_can_be_forced_and_disabled(workdir: Path, run_cli) -> None:
    diff = write(workdir, "c.diff", DROP_DB)
    assert ANSI in run_cli("check", diff, "--select", "TF", "--color").out
    assert ANSI not in run_cli("check", diff, "--select", "TF", "--no-color").out


def test_console_script_pipe_and_no_color(workdir: Path) -> None:
    diff = write(workdir, "c.diff", DROP_DB)
    for env_extra in ({}, {"NO_COLOR": "1", "TERM": "xterm-256color", "FORCE_COLOR": ""}):
        proc = subprocess.run(
            [CHANGERISK, "check", diff, "--select", "TF"],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), **env_extra},
        )
        assert proc.returncode == 1, proc.stderr
        assert ANSI not in proc.stdout + proc.stderr
        assert "TF101" in proc.stdout


# --- standard input -------------------------------------------------------------------------


def set_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_dash_reads_stdin(workdir: Path, run_cli, monkeypatch) -> None:
    set_stdin(monkeypatch, DROP_DB.encode())
    result = run_cli("check", "-", "--select", "TF", "--format", "json")
    assert result.code == 1
    report = result.json()
    assert report["source"] == {"kind": "stdin", "description": "stdin"}
    assert [f["path"] for f in report["findings"]] == ["infra/db.tf"]


def test_dash_with_empty_stdin_is_an_empty_change(workdir: Path, run_cli, monkeypatch) -> None:
    set_stdin(monkeypatch, b"")
    result = run_cli("check", "-", "--format", "json")
    assert result.code == 0
    assert result.json()["files_checked"] == 0


def test_dash_with_garbage_stdin(workdir: Path, run_cli, monkeypatch) -> None:
    set_stdin(monkeypatch, b"hello\n")
    result = run_cli("check", "-")
    assert result.code == 2
    assert result.err.startswith("changerisk: error: stdin: ")


def test_console_script_dash(workdir: Path) -> None:
    proc = subprocess.run(
        [CHANGERISK, "check", "-", "--select", "TF", "--format", "json"],
        input=DROP_DB,
        capture_output=True,
        text=True,
        check=False,
        cwd=workdir,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["code"] == "TF101"


# --- rules, explain, init -------------------------------------------------------------------


def test_rules_lists_installed_rules(run_cli) -> None:
    result = run_cli("rules")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert any(line.split()[:2] == ["TF101", "terraform-resource-removed"] for line in lines)
    rows = json.loads(run_cli("rules", "--format", "json").out)
    by_code = {row["code"]: row for row in rows}
    assert by_code["TF101"]["severity"] == "high"
    assert by_code["TF101"]["category"] == "destructive"
    assert [row["code"] for row in rows] == sorted(by_code)


@pytest.mark.parametrize("name", ["TF101", "tf101", "terraform-resource-removed"])
def test_explain(run_cli, name: str) -> None:
    result = run_cli("explain", name)
    assert result.code == 0
    assert result.out.startswith("# TF101 terraform-resource-removed")
    for section in ("## Why it matters", "## Bad", "## Good", "```diff"):
        assert section in result.out


def test_init_is_a_valid_config(run_cli) -> None:
    result = run_cli("init")
    assert result.code == 0
    config = parse_config(tomllib.loads(result.out), "init: ")
    assert config.fail_on == "high"


def test_init_pyproject_is_a_valid_config(run_cli) -> None:
    result = run_cli("init", "--pyproject")
    assert result.code == 0
    data = tomllib.loads(result.out)
    assert set(data) == {"tool"}
    config = parse_config(data["tool"]["changerisk"], "pyproject.toml: [tool.changerisk] ")
    assert config.fail_on == "high"
    assert config.critical_paths  # the example table came along


def test_init_output_round_trips_through_load(workdir: Path, run_cli) -> None:
    write(workdir, ".changerisk.toml", run_cli("init").out)
    write(workdir, "pyproject.toml", run_cli("init", "--pyproject").out)
    result = run_cli("check", write(workdir, "c.diff", NOTHING))
    assert result.code == 0, result.err
