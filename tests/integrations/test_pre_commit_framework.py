"""The real pre-commit framework runs the hooks of .pre-commit-hooks.yaml and the example config.

`pre-commit try-repo` clones this repository (its HEAD, plus uncommitted changes) and installs
it with pip into a hook environment, as a user's `pre-commit install` would. These tests skip
when pre-commit is absent or when pip cannot reach the packages changerisk depends on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("pre_commit", reason="the pre-commit framework is not installed")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DB = 'resource "aws_db_instance" "main" {\n  engine = "postgres"\n}\n'
BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
_OFFLINE = re.compile(
    r"No matching distribution|Could not find a version|Temporary failure in name resolution|"
    r"Max retries exceeded|Network is unreachable|Failed to establish a new connection"
)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store per test session: each hook environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def pre_commit(git_env: Path, pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.setenv("PIP_CACHE_DIR", PIP_CACHE)  # HOME moved to tmp_path: keep pip's cache
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        _skip_if_offline(proc.stdout + proc.stderr)
        return proc

    return run


def _skip_if_offline(output: str) -> None:
    if "An unexpected error has occurred" in output and _OFFLINE.search(output):
        tail = " | ".join(output.strip().splitlines()[-3:])
        pytest.skip(f"pip cannot install the hook environment here: {tail}")


def _git(repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo.path, capture_output=True, text=True, check=False
    )


@pytest.fixture
def infra(git_repo):
    git_repo.commit("base", {"infra/db.tf": DB, "infra/s3.tf": BUCKET, "README.md": "hi\n"})
    return git_repo


def test_hook_manifest() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"changerisk", "changerisk-pre-push"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["always_run"] is True  # no files filter can hide Terraform, SQL, YAML…
        assert "files" not in hook and "types" not in hook
    assert hooks["changerisk"]["entry"] == "changerisk check --staged"
    assert hooks["changerisk"]["stages"] == ["pre-commit"]
    assert hooks["changerisk-pre-push"]["entry"] == "changerisk check --pre-push"
    assert "pre-push" in hooks["changerisk-pre-push"]["stages"]


def test_try_repo_blocks_a_destroyed_database(infra, pre_commit) -> None:
    infra.remove("infra/db.tf")
    infra.stage("infra/db.tf")
    proc = pre_commit("try-repo", str(REPO), "changerisk", cwd=infra.path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert re.search(r"changerisk \(staged change\)\.+Failed", out)
    assert "- exit code: 1" in out
    assert "1 TF101 critical destroys aws_db_instance.main on the next apply" in out
    assert "blocked: level critical is at or above fail-on high" in out


def test_try_repo_passes_a_harmless_change(infra, pre_commit) -> None:
    infra.write("README.md", "Run `terraform destroy` only from the runbook.\n")
    infra.stage("README.md")
    proc = pre_commit("try-repo", str(REPO), "changerisk", cwd=infra.path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"changerisk \(staged change\)\.+Passed", proc.stdout)


def test_try_repo_pre_push_reads_the_pushed_range(infra, pre_commit) -> None:
    base = infra.git("rev-parse", "HEAD").strip()
    infra.remove("infra/db.tf")
    tip = infra.commit("drop the database")
    args = ["try-repo", str(REPO), "changerisk-pre-push", "--hook-stage", "pre-push"]
    proc = pre_commit(*args, "--from-ref", base, "--to-ref", tip, cwd=infra.path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"changerisk push: {base[:12]}...{tip[:12]}" in proc.stdout
    assert "destroys aws_db_instance.main" in proc.stdout
    later = infra.commit("docs", {"README.md": "more\n"})
    proc = pre_commit(*args, "--from-ref", tip, "--to-ref", later, cwd=infra.path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _example_config(tmp: Path) -> Path:
    """examples/ci/pre-commit-config.yaml, installing changerisk from this checkout (by git,
    so that pip builds in a clone of its own, not in the source tree)."""
    config = yaml.safe_load((REPO / "examples" / "ci" / "pre-commit-config.yaml").read_text())
    source = f"changerisk @ git+file://{REPO}" if (REPO / ".git").exists() else str(REPO)
    for hook in config["repos"][0]["hooks"]:
        assert hook["additional_dependencies"] == ["changerisk"]
        hook["additional_dependencies"] = [source]
    path = tmp / "pre-commit-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_example_config_blocks_a_real_commit_and_push(infra, pre_commit, tmp_path: Path) -> None:
    config = _example_config(tmp_path)
    infra.write(".pre-commit-config.yaml", config.read_text())
    infra.commit("pre-commit config")
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    infra.git("remote", "add", "origin", str(bare))
    infra.git("push", "-q", "origin", "main")
    installed = pre_commit(
        "install", "--hook-type", "pre-commit", "--hook-type", "pre-push", cwd=infra.path
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    infra.remove("infra/db.tf")
    infra.stage("infra/db.tf")
    commit = _git(infra, "commit", "-m", "drop the database")
    _skip_if_offline(commit.stdout + commit.stderr)
    assert commit.returncode == 1, commit.stdout + commit.stderr
    assert "destroys aws_db_instance.main" in commit.stdout + commit.stderr
    assert re.search(r"changerisk \(staged change\)\.+Failed", commit.stdout + commit.stderr)

    # signed off by a person: the commit goes in without the hook, the push is still checked
    assert _git(infra, "commit", "--no-verify", "-m", "drop the database").returncode == 0
    push = _git(infra, "push", "origin", "main")
    assert push.returncode != 0, push.stdout + push.stderr
    assert re.search(r"changerisk \(pushed commits\)\.+Failed", push.stdout + push.stderr)
    assert "destroys aws_db_instance.main" in push.stdout + push.stderr
