"""Blob lookups of a diff read inside a repository: one batch call says which blobs exist."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from changerisk import git
from changerisk.errors import GitMissing
from changerisk.inputs import from_diff_bytes


def _edited_notes(git_repo: Any) -> tuple[str, bytes]:
    """A committed 29-line file with one line edited in the work tree: its old text and the
    `git diff` of the edit."""
    old = "".join(f"line {i}\n" for i in range(1, 30))
    git_repo.commit(files={"notes.txt": old})
    git_repo.write("notes.txt", old.replace("line 15\n", "line fifteen\n"))
    diff = subprocess.run(["git", "diff"], cwd=git_repo.path, capture_output=True, check=True)
    return old, diff.stdout


def test_blobs_present_in_one_call(git_repo: Any) -> None:
    git_repo.commit(files={"app.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    sha = git_repo.git("rev-parse", "HEAD:app.tf").strip()
    missing = "1" * 40
    assert git.blobs_present(str(git_repo.path), [sha, sha[:7], missing]) == {sha, sha[:7]}
    assert git.blobs_present(str(git_repo.path), []) == set()


def test_a_diff_from_elsewhere_is_read_from_its_hunks(git_repo: Any) -> None:
    """Blob ids this repository has give full texts; others fall back to the hunks."""
    old, here = _edited_notes(git_repo)
    elsewhere = here.replace(b"index ", b"index 1111111..2222222 100644\n#", 1)
    elsewhere = b"\n".join(line for line in elsewhere.split(b"\n") if not line.startswith(b"#"))
    root = str(git_repo.path)
    [change] = from_diff_bytes(here, origin="here", source="diff", root=root).files
    assert change.old_text() == old
    [change] = from_diff_bytes(elsewhere, origin="elsewhere", source="diff", root=root).files
    assert change.old_blob == "1111111"
    assert change.is_partial("old")


def test_blobs_are_looked_up_while_the_diff_is_read(git_repo: Any, monkeypatch: Any) -> None:
    """The lookup starts in the background on the index lines' ids; an id the diff reader
    finds that no index line gave (none does today) is still asked, then."""
    old, here = _edited_notes(git_repo)
    root = str(git_repo.path)
    asked: list[list[str]] = []
    later = git.blobs_present_later
    monkeypatch.setattr(
        git, "blobs_present_later", lambda r, ids: asked.append(list(ids)) or later(r, ids)
    )
    [change] = from_diff_bytes(here, origin="here", source="diff", root=root).files
    assert asked == [[change.old_blob, change.new_blob]]
    assert change.old_text() == old
    monkeypatch.setattr("changerisk.inputs._INDEX_IDS", re.compile(rb"(?!)(x)(y)"))
    [change] = from_diff_bytes(here, origin="here", source="diff", root=root).files
    assert asked[-1] == []
    assert change.old_text() == old


def test_a_failed_background_lookup_fails_the_read(monkeypatch: Any) -> None:
    def broken(root: str, blobs: Any) -> set[str]:
        raise GitMissing("git is not installed or not on PATH")

    monkeypatch.setattr(git, "blobs_present", broken)
    answer = git.blobs_present_later("/nowhere", ["abc1234"])
    with pytest.raises(GitMissing, match="not installed"):
        answer()
