"""Environment faults: each is a defined outcome - the check runs on what it can read, or one
line on stderr and exit 2. (Not a repository, bad refs, a crashing rule and broken plugins are
tested beside their modules: tests/cli/test_git_inputs.py, tests/engine/test_plugins.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import GitRepo

DB = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n'


def one_line_error(result, *words: str) -> None:
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("changerisk: error: ")
    for word in words:
        assert word in lines[0]


def history(repo: GitRepo, commits: int = 4) -> None:
    repo.commit("infra", {"infra/db.tf": DB})
    for number in range(commits):
        repo.commit(f"c{number}", {"notes.txt": f"{number}\n"})


def test_missing_git_binary(git_repo: GitRepo, run_cli, monkeypatch, tmp_path: Path) -> None:
    history(git_repo)
    git_repo.remove("infra/db.tf")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for argv in (("check",), ("check", "--staged"), ("check", "--base", "main"), ("history",)):
        one_line_error(run_cli(*argv), "git is not installed or not on PATH")


def test_a_diff_file_needs_no_git(git_repo: GitRepo, run_cli, monkeypatch, tmp_path: Path) -> None:
    history(git_repo)
    git_repo.remove("infra/db.tf")
    patch = tmp_path / "change.diff"
    patch.write_text(git_repo.git("diff"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_cli("check", str(patch), "--select", "TF", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/db.tf", 1)}


@pytest.fixture
def shallow(git_repo: GitRepo, git_env: Path, monkeypatch) -> GitRepo:
    """A depth-1 clone with one new commit on a branch, as CI checks out by default."""
    from conftest import GitRepo

    history(git_repo)
    clone = git_env / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{git_repo.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    repo = GitRepo(clone)
    repo.git("checkout", "-q", "-b", "feature")
    repo.git("rm", "-q", "infra/db.tf")
    repo.commit("drop the database")
    monkeypatch.chdir(clone)
    return repo


def test_shallow_clone_with_the_base_present(shallow: GitRepo, run_cli) -> None:
    result = run_cli("check", "--base", "origin/main", "--select", "TF", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/db.tf", 1)}


def test_shallow_clone_with_the_base_missing(shallow: GitRepo, run_cli) -> None:
    one_line_error(run_cli("check", "--base", "HEAD~3"), "shallow clone", "fetch more history")


def test_shallow_clone_without_a_merge_base(shallow: GitRepo, git_repo: GitRepo, run_cli) -> None:
    git_repo.git("checkout", "-q", "-b", "other", "HEAD~3")
    git_repo.commit("other", {"other.txt": "x\n"})
    shallow.git("fetch", "-q", "--depth", "1", "origin", "other:refs/remotes/origin/other")
    one_line_error(run_cli("check", "--base", "origin/other"), "no merge base", "--unshallow")


def test_detached_head(git_repo: GitRepo, run_cli) -> None:
    history(git_repo)
    git_repo.git("checkout", "-q", "--detach", "HEAD~1")
    git_repo.git("rm", "-q", "infra/db.tf")
    assert run_cli("check", "--select", "TF", "--format", "json").found() == {
        ("TF101", "infra/db.tf", 1)
    }
    git_repo.commit("drop")
    result = run_cli("check", "--base", "main", "--select", "TF", "--format", "json")
    assert result.found() == {("TF101", "infra/db.tf", 1)}


def test_repository_mid_rebase(git_repo: GitRepo, run_cli) -> None:
    """A stopped rebase: the worktree and the index are what the user resolves and checks."""
    history(git_repo, commits=1)
    git_repo.git("checkout", "-q", "-b", "topic", "HEAD~1")
    git_repo.commit("conflicting", {"notes.txt": "mine\n"})
    rebase = subprocess.run(
        ["git", "rebase", "main"], cwd=git_repo.path, capture_output=True, check=False
    )
    assert rebase.returncode != 0
    assert (git_repo.path / ".git" / "rebase-merge").exists() or (
        git_repo.path / ".git" / "rebase-apply"
    ).exists()
    git_repo.git("rm", "-q", "infra/db.tf")
    for argv in (("check",), ("check", "--staged")):
        result = run_cli(*argv, "--select", "TF", "--format", "json")
        assert result.code == 1, result.err
        assert result.found() == {("TF101", "infra/db.tf", 1)}


@pytest.mark.parametrize("kind", ["directory", "broken link", "not utf-8", "not toml"])
def test_unreadable_config(git_repo: GitRepo, run_cli, kind: str) -> None:
    history(git_repo, commits=0)
    git_repo.remove("infra/db.tf")
    config = git_repo.path / ".changerisk.toml"
    if kind == "directory":
        config.mkdir()
    elif kind == "broken link":
        config.symlink_to(git_repo.path / "missing.toml")
    elif kind == "not utf-8":
        config.write_bytes(b'fail-on = "\xff"\n')
    else:
        config.write_text("fail-on = [\n")
    one_line_error(run_cli("check"), ".changerisk.toml")
