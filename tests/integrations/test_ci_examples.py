"""The CI examples parse, and every changerisk command in them is one the CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
import yaml
from changerisk.cli.main import cli

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def _commands(script: str) -> list[list[str]]:
    """`changerisk …` invocations of a shell script, variables given dummy values."""
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("changerisk "):
            words = shlex.split(line)
            out.append([w.replace("$", "") for w in words[1:]])
    return out


def _accepts(argv: list[str]) -> None:
    with cli.make_context("changerisk", list(argv), resilient_parsing=False) as ctx:
        sub = cli.get_command(ctx, argv[0])
        if sub is None:
            raise click.UsageError(f"no command {argv[0]!r}")
        sub.make_context(argv[0], argv[1:], parent=ctx)


def test_github_workflow() -> None:
    workflow = yaml.safe_load((CI / "github-workflow.yml").read_text())
    assert workflow[True] == {"pull_request": None}  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["changerisk"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    commands = [c for s in steps for c in _commands(s.get("run", ""))]
    assert commands, "no changerisk command"
    for argv in commands:
        _accepts(argv)
    check = commands[0]
    assert "--base" in check and "sarif:changerisk.sarif" in check
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "changerisk.sarif"
    assert "always()" in upload["if"]
    comment = next(s for s in steps if s.get("name") == "Comment on the pull request")
    assert "<!-- changerisk-report -->" in comment["run"]


def test_gitlab_job() -> None:
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["changerisk"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    commands = [c for line in job["script"] for c in _commands(line)]
    assert len(commands) == 1
    _accepts(commands[0])
    assert "CI_MERGE_REQUEST_DIFF_BASE_SHA" in commands[0][2]
    written = {arg.split(":", 1)[1] for arg in commands[0] if arg.count(":") == 1}
    assert written == set(job["artifacts"]["paths"])


def test_pre_commit_config() -> None:
    config = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    manifest = {
        h["id"]: h for h in yaml.safe_load((CI.parents[1] / ".pre-commit-hooks.yaml").read_text())
    }
    assert set(hooks) == set(manifest)
    for hook_id, hook in hooks.items():
        for key in ("entry", "language", "pass_filenames", "always_run"):
            assert hook[key] == manifest[hook_id][key], (hook_id, key)
        _accepts(shlex.split(hook["entry"])[1:])


@pytest.mark.parametrize("argv", [["check", "--no-such-option"], ["nope"]])
def test_the_checker_rejects_bad_commands(argv: list[str]) -> None:
    with pytest.raises(click.UsageError):
        _accepts(argv)


def test_github_signoff_workflow() -> None:
    workflow = yaml.safe_load((CI / "github-signoff-workflow.yml").read_text())
    assert set(workflow[True]) == {"pull_request", "pull_request_review"}
    assert workflow[True]["pull_request_review"]["types"] == ["submitted", "dismissed"]
    assert "edited" in workflow[True]["pull_request"]["types"]  # the description is checked
    steps = workflow["jobs"]["signoff"]["steps"]
    fetch = next(s for s in steps if s.get("name") == "Fetch the reviews")
    assert "--paginate > reviews.json" in fetch["run"]
    commands = [c for s in steps for c in _commands(s.get("run", ""))]
    assert len(commands) == 1
    _accepts(commands[0])
    assert commands[0][commands[0].index("--approvals") + 1] == "reviews.json"


def test_gitlab_signoff_job() -> None:
    job = yaml.safe_load((CI / "gitlab-signoff.yml").read_text())["changerisk-signoff"]
    commands = [c for line in job["script"] for c in _commands(line)]
    assert len(commands) == 1
    _accepts(commands[0])
    assert "approvals.json" in commands[0]
    assert any("--output approvals.json" in line for line in job["script"])
