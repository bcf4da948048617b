"""What a pre-push check looks at: pre-commit's refs, git's pre-push lines, `--head`."""

from __future__ import annotations

import io
import sys

import pytest
from changerisk.cli.hooks import PushRange, push_ranges

from changerisk.git import EMPTY_TREE

DB = 'resource "aws_db_instance" "main" {\n  engine = "postgres"\n}\n'
BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
ZERO = "0" * 40


@pytest.fixture
def history(git_repo):
    """main: base (a database and a bucket); feature: drops the database, then edits a README."""
    base = git_repo.commit("base", {"infra/db.tf": DB, "infra/s3.tf": BUCKET})
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.remove("infra/db.tf")
    drop = git_repo.commit("drop the database")
    tip = git_repo.commit("docs", {"README.md": "hello\n"})
    git_repo.git("checkout", "-q", "main")
    return git_repo, base, drop, tip


def test_pre_commit_refs_win(history) -> None:
    repo, base, _, tip = history
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    assert push_ranges(str(repo.path), env, b"ignored") == [PushRange(base, tip)]


def test_stdin_is_not_read_when_pre_commit_gives_the_range(history) -> None:
    repo, base, _, tip = history

    def never() -> bytes:
        raise AssertionError("read stdin")

    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip}
    assert push_ranges(str(repo.path), env, never) == [PushRange(base, tip)]
    line = f"refs/heads/feature {tip} refs/heads/feature {base}\n".encode()
    assert push_ranges(str(repo.path), {}, lambda: line) == [PushRange(base, tip)]


@pytest.mark.parametrize("name", ["PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"])
def test_a_ref_that_looks_like_an_option_is_refused(history, name: str) -> None:
    from changerisk.errors import GitError

    repo, base, _, tip = history
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": tip, name: "--output=/tmp/x"}
    with pytest.raises(GitError, match=f"{name} is not a revision"):
        push_ranges(str(repo.path), env, None)


def test_git_lines_of_an_update(history) -> None:
    repo, base, _, tip = history
    line = f"refs/heads/feature {tip} refs/heads/feature {base}\n".encode()
    assert push_ranges(str(repo.path), {}, line) == [PushRange(base, tip)]


def test_a_deletion_pushes_nothing(history) -> None:
    repo, base, _, _ = history
    line = f"(delete) {ZERO} refs/heads/old {base}\n".encode()
    assert push_ranges(str(repo.path), {}, line) == []


def test_a_new_branch_starts_after_what_the_remotes_have(history) -> None:
    repo, base, _, tip = history
    repo.git("update-ref", "refs/remotes/origin/main", base)
    line = f"refs/heads/feature {tip} refs/heads/feature {ZERO}\n".encode()
    assert push_ranges(str(repo.path), {}, line) == [PushRange(f"{_first_after(repo, base)}^", tip)]


def test_a_new_history_is_checked_from_the_empty_tree(history) -> None:
    repo, _, _, tip = history  # no remote-tracking branch at all: every commit is new
    line = f"refs/heads/feature {tip} refs/heads/feature {ZERO}\n".encode()
    assert push_ranges(str(repo.path), {}, line) == [PushRange(EMPTY_TREE, tip)]


def test_nothing_new_to_push(history) -> None:
    repo, _, _, tip = history
    repo.git("update-ref", "refs/remotes/origin/feature", tip)
    line = f"refs/heads/copy {tip} refs/heads/copy {ZERO}\n".encode()
    assert push_ranges(str(repo.path), {}, line) == []


def test_pre_commit_root_push(history) -> None:
    repo, _, _, _ = history  # pre-commit sets only the branch names for a whole new history
    env = {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/feature", "PRE_COMMIT_REMOTE_NAME": "origin"}
    assert push_ranges(str(repo.path), env, None) == [PushRange(EMPTY_TREE, "refs/heads/feature")]


def test_upstream_when_nothing_else_says(history) -> None:
    repo, base, _, _ = history
    repo.git("remote", "add", "origin", str(repo.path / "nowhere.git"))
    repo.git("update-ref", "refs/remotes/origin/main", base)
    repo.git("checkout", "-q", "feature")
    repo.git("branch", "-q", "--set-upstream-to=origin/main")
    assert push_ranges(str(repo.path), {}, None) == [PushRange("origin/main", "HEAD")]


def test_no_range_at_all_is_an_error(history) -> None:
    from changerisk.errors import GitError

    repo, *_ = history
    with pytest.raises(GitError, match="nothing says what is pushed"):
        push_ranges(str(repo.path), {}, None)


def test_garbage_on_stdin_is_an_error(history) -> None:
    from changerisk.errors import GitError

    repo, *_ = history
    with pytest.raises(GitError, match="not a pre-push line"):
        push_ranges(str(repo.path), {}, b"hello world\n")


def _first_after(repo, base: str) -> str:
    return repo.git("rev-list", "--reverse", f"{base}..feature").split()[0]


# --- through the command line ---------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    monkeypatch.setattr("changerisk.cli.main._stdin_is_piped", lambda: True)


def test_check_pre_push_from_pre_commit_env(history, run_cli, monkeypatch) -> None:
    _repo, base, _, tip = history
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", base)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", tip)
    result = run_cli("check", "--pre-push", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("TF101", "infra/db.tf", 1)}
    assert result.json()["source"]["description"] == f"push: {base[:12]}...{tip[:12]}"


def test_check_pre_push_from_git_lines(history, run_cli, monkeypatch) -> None:
    _repo, _base, drop, tip = history
    _stdin(monkeypatch, f"refs/heads/feature {tip} refs/heads/feature {drop}\n".encode())
    result = run_cli("check", "--pre-push", "--format", "json")
    assert result.code == 0, result.err  # the database went in an earlier push
    assert result.json()["files_checked"] == 1


def test_check_pre_push_several_refs(history, run_cli, monkeypatch) -> None:
    repo, base, drop, tip = history
    repo.git("branch", "other", drop)
    lines = (
        f"refs/heads/feature {tip} refs/heads/feature {drop}\n"
        f"refs/heads/other {drop} refs/heads/other {base}\n"
    )
    _stdin(monkeypatch, lines.encode())
    result = run_cli("check", "--pre-push", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/db.tf", 1)}
    assert result.json()["files_checked"] == 2


def test_check_pre_push_nothing_new(history, run_cli, monkeypatch) -> None:
    _repo, base, _, _ = history
    _stdin(monkeypatch, f"(delete) {ZERO} refs/heads/old {base}\n".encode())
    result = run_cli("check", "--pre-push", "--format", "json")
    assert result.code == 0
    data = result.json()
    assert (data["files_checked"], data["source"]["description"]) == (0, "push: no new commits")


def test_check_base_with_head(history, run_cli) -> None:
    _repo, _base, _drop, _tip = history  # HEAD is main: --head names the commits to check
    result = run_cli("check", "--base", "main", "--head", "feature", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/db.tf", 1)}
    assert result.json()["source"]["description"] == "main...feature"
    assert run_cli("check", "--base", "main", "--format", "json").json()["files_checked"] == 0
