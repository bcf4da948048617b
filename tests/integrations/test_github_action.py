"""The GitHub Action: action.yml's inputs and outputs, and its script run locally with the
variables and files a runner provides (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP…)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "github-action.sh"
BIN = str(Path(sys.executable).parent)
DB = 'resource "aws_db_instance" "main" {\n  engine = "postgres"\n}\n'


def test_action_metadata() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"fail-on", "base", "config", "sarif-file", "version", "args"} <= set(action["inputs"])
    assert set(action["outputs"]) >= {"level", "score", "tier", "blocking", "exit-code"}
    (step,) = action["runs"]["steps"]
    assert step["run"] == 'sh "$GITHUB_ACTION_PATH/scripts/github-action.sh"'
    assert "${{" not in step["run"]  # inputs reach the script as variables, never as code
    for key, value in step["env"].items():
        if key.startswith("INPUT_"):
            name = key[len("INPUT_") :].lower().replace("_", "-")
            assert value == f"${{{{ inputs.{name} }}}}"
            assert name in action["inputs"]


@pytest.fixture
def runner(git_env: Path, tmp_path: Path):
    """A clone of a repository with a remote, as actions/checkout leaves it, and runner files."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    seed = tmp_path / "seed"
    _run(["git", "clone", "-q", str(remote), str(seed)], tmp_path)
    _run(["git", "checkout", "-q", "-b", "main"], seed)
    (seed / "infra").mkdir()
    (seed / "infra" / "db.tf").write_text(DB)
    (seed / "README.md").write_text("hello\n")
    _run(["git", "add", "-A"], seed)
    _run(["git", "commit", "-q", "-m", "base"], seed)
    _run(["git", "push", "-q", "origin", "main"], seed)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    (temp / "output").touch()
    (temp / "summary").touch()
    env = {
        **os.environ,
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(temp),
        "GITHUB_OUTPUT": str(temp / "output"),
        "GITHUB_STEP_SUMMARY": str(temp / "summary"),
        "INPUT_INSTALL": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    return Runner(tmp_path, remote, seed, temp, env)


class Runner:
    def __init__(self, root: Path, remote: Path, seed: Path, temp: Path, env: dict) -> None:
        self.root, self.remote, self.seed, self.temp, self.env = root, remote, seed, temp, env

    def pull_request(self, edit, shallow: bool = False) -> Path:
        """Push a feature branch changed by `edit(path)`, check it out as a runner would."""
        _run(["git", "checkout", "-q", "-B", "feature", "main"], self.seed)
        edit(self.seed)
        _run(["git", "add", "-A"], self.seed)
        _run(["git", "commit", "-q", "-m", "change"], self.seed)
        _run(["git", "push", "-q", "-f", "origin", "feature"], self.seed)
        work = self.root / "work"
        depth = ["--depth", "1", "--no-single-branch"] if shallow else []
        _run(["git", "clone", "-q", *depth, f"file://{self.remote}", str(work)], self.root)
        _run(["git", "checkout", "-q", "feature"], work)
        # actions/checkout fetches only the pull request's ref: no origin/main
        _run(["git", "update-ref", "-d", "refs/remotes/origin/main"], work)
        return work

    def run(self, work: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **inputs}
        return subprocess.run(
            ["sh", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, check=False
        )

    def outputs(self) -> dict[str, str]:
        lines = (self.temp / "output").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)


def _run(argv: list[str], cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)


def _drop_db(path: Path) -> None:
    (path / "infra" / "db.tf").unlink()


def _edit_docs(path: Path) -> None:
    (path / "README.md").write_text("hello, world\n")


def test_pull_request_that_destroys_a_database(runner) -> None:
    work = runner.pull_request(_drop_db)
    proc = runner.run(work, GITHUB_BASE_REF="main")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("::error file=infra/db.tf,line=1,title=TF101 ")
    out = runner.outputs()
    assert out.pop("score").isdigit()
    assert out == {
        "exit-code": "1",
        "sarif-file": "changerisk.sarif",
        "level": "critical",
        "tier": "senior + owner",
        "blocking": "true",
    }
    summary = (runner.temp / "summary").read_text()
    assert summary.startswith("<!-- changerisk-report -->")
    assert "Checked: origin/main...HEAD." in summary
    sarif = json.loads((work / "changerisk.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["TF101"]


def test_harmless_pull_request_passes(runner) -> None:
    work = runner.pull_request(_edit_docs)
    proc = runner.run(work, GITHUB_BASE_REF="main", INPUT_MARKDOWN_FILE="comment.md")
    assert proc.returncode == 0, proc.stderr
    out = runner.outputs()
    assert (out["level"], out["blocking"], out["exit-code"]) == ("none", "false", "0")
    assert (work / "comment.md").read_text() == (runner.temp / "summary").read_text()


def test_inputs_fail_on_args_and_sarif_file(runner) -> None:
    work = runner.pull_request(_drop_db)
    proc = runner.run(
        work,
        GITHUB_BASE_REF="main",
        INPUT_FAIL_ON="none",
        INPUT_SARIF_FILE="reports/cr.sarif",
        INPUT_ARGS="--ai-assisted --ignore CRIT",
    )
    assert proc.returncode == 0, proc.stderr
    assert (work / "reports" / "cr.sarif").is_file()
    assert "AI-assisted" in (runner.temp / "summary").read_text()


def test_push_event_uses_the_commit_before(runner) -> None:
    work = runner.pull_request(_drop_db)
    before = subprocess.run(
        ["git", "rev-parse", "HEAD^"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = runner.run(work, CHANGERISK_EVENT_BEFORE=before)
    assert proc.returncode == 1, proc.stderr
    assert f"Checked: {before}...HEAD." in (runner.temp / "summary").read_text()


def test_shallow_clone_is_deepened(runner) -> None:
    work = runner.pull_request(_drop_db, shallow=True)
    proc = runner.run(work, GITHUB_BASE_REF="main")
    assert proc.returncode == 1, proc.stderr
    assert "shallow clone" in proc.stderr
    assert runner.outputs()["level"] == "critical"


def test_a_bad_base_is_exit_2(runner) -> None:
    work = runner.pull_request(_edit_docs)
    proc = runner.run(work, INPUT_BASE="no-such-branch")
    assert proc.returncode == 2
    assert "unknown revision 'no-such-branch'" in proc.stderr
    assert runner.outputs() == {"exit-code": "2", "sarif-file": "changerisk.sarif"}


def test_no_changerisk_on_path(runner) -> None:
    work = runner.pull_request(_edit_docs)
    proc = runner.run(work, GITHUB_BASE_REF="main", PATH="/usr/bin:/bin")
    assert proc.returncode == 2
    assert (
        "::error title=changerisk::install is false, but there is no changerisk on PATH"
        in proc.stdout
    )


@pytest.mark.slow
def test_installs_changerisk_from_the_action_checkout(runner) -> None:
    work = runner.pull_request(_drop_db)
    env_path = os.environ["PATH"].split(os.pathsep)
    path = os.pathsep.join(p for p in env_path if Path(p) != Path(BIN))  # no changerisk on PATH
    # the runner checks the action out on its own: a clone, so pip builds outside this tree
    action = runner.root / "action"
    _run(["git", "clone", "-q", str(REPO), str(action)], runner.root)
    proc = runner.run(
        work,
        GITHUB_BASE_REF="main",
        INPUT_INSTALL="true",
        PATH=path,
        GITHUB_ACTION_PATH=str(action),
    )
    if proc.returncode == 2 and re.search(r"pip install .* failed", proc.stderr):
        pytest.skip(f"pip cannot install changerisk here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (runner.temp / "changerisk-venv" / "bin" / "changerisk").is_file()
    assert runner.outputs()["level"] == "critical"


DESCRIBED = "Impact: none\nBlast radius: the db\nRollback: restore\nTesting: a plan\n"
SIGNOFF_CONFIG = """\
[team.people]
"@lead" = "senior"

[[critical-paths]]
paths = ["infra/"]
owners = ["@lead"]
"""


def _review(login: str, sha: str) -> dict:
    return {
        "id": 1,
        "user": {"login": login, "type": "User"},
        "state": "APPROVED",
        "submitted_at": "2026-11-20T10:00:00Z",
        "commit_id": sha,
    }


def test_approvals_file_gates_on_sign_off(runner) -> None:
    work = runner.pull_request(_drop_db)
    config = runner.root / "signoff.toml"
    config.write_text(SIGNOFF_CONFIG)
    (runner.root / "pr.md").write_text(DESCRIBED)
    described = f"--description-file {runner.root / 'pr.md'}"
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
    none = runner.root / "none.json"
    none.write_text("[]")
    proc = runner.run(
        work, GITHUB_BASE_REF="main", INPUT_CONFIG=str(config), INPUT_APPROVALS=str(none)
    )
    assert proc.returncode == 1, proc.stderr
    assert "sign-off incomplete, still needs an approval from a senior or above: @lead" in (
        proc.stdout
    )
    approved = runner.root / "approved.json"
    approved.write_text(json.dumps([_review("lead", sha)]))
    (runner.temp / "output").write_text("")
    proc = runner.run(
        work,
        GITHUB_BASE_REF="main",
        INPUT_CONFIG=str(config),
        INPUT_APPROVALS=str(approved),
        INPUT_ARGS=described,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = runner.outputs()
    assert (out["level"], out["blocking"], out["exit-code"]) == ("critical", "false", "0")


def test_approvals_github_fetches_reviews_with_gh(runner) -> None:
    work = runner.pull_request(_drop_db)
    config = runner.root / "signoff.toml"
    config.write_text(SIGNOFF_CONFIG)
    (runner.root / "pr.md").write_text(DESCRIBED)
    described = f"--description-file {runner.root / 'pr.md'}"
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
    stub = runner.root / "stub-bin"
    stub.mkdir()
    pages = json.dumps([]) + json.dumps([_review("lead", sha)])
    (stub / "gh").write_text(
        f"#!/bin/sh\necho \"$@\" > {runner.root / 'gh-args'}\ncat <<'EOF'\n{pages}\nEOF\n"
    )
    (stub / "gh").chmod(0o755)
    proc = runner.run(
        work,
        GITHUB_BASE_REF="main",
        GITHUB_REPOSITORY="acme/shop",
        CHANGERISK_PR_NUMBER="12",
        INPUT_CONFIG=str(config),
        INPUT_APPROVALS="github",
        INPUT_ARGS=described,
        PATH=f"{stub}{os.pathsep}{runner.env['PATH']}",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (runner.root / "gh-args").read_text().split() == [
        "api",
        "repos/acme/shop/pulls/12/reviews",
        "--paginate",
    ]
    # without a pull request there is nothing to fetch: exit 2, said so
    proc = runner.run(work, GITHUB_BASE_REF="main", INPUT_APPROVALS="github")
    assert proc.returncode == 2
    assert "approvals: github needs a pull_request or pull_request_review event" in proc.stderr
