"""Blob lookups of a diff read inside a repository: one batch call says which blobs exist."""

from __future__ import annotations

import subprocess
from typing import Any

from changerisk import git
from changerisk.inputs import from_diff_bytes


def test_blobs_present_in_one_call(git_repo: Any) -> None:
    git_repo.commit(files={"app.tf": 'resource "aws_s3_bucket" "b" {}\n'})
    sha = git_repo.git("rev-parse", "HEAD:app.tf").strip()
    missing = "1" * 40
    assert git.blobs_present(str(git_repo.path), [sha, sha[:7], missing]) == {sha, sha[:7]}
    assert git.blobs_present(str(git_repo.path), []) == set()


def test_a_diff_from_elsewhere_is_read_from_its_hunks(git_repo: Any) -> None:
    """Blob ids this repository has give full texts; others fall back to the hunks."""
    old = "".join(f"line {i}\n" for i in range(1, 30))
    git_repo.commit(files={"notes.txt": old})
    git_repo.write("notes.txt", old.replace("line 15\n", "line fifteen\n"))
    here = subprocess.run(
        ["git", "diff"], cwd=git_repo.path, capture_output=True, check=True
    ).stdout
    elsewhere = here.replace(b"index ", b"index 1111111..2222222 100644\n#", 1)
    elsewhere = b"\n".join(line for line in elsewhere.split(b"\n") if not line.startswith(b"#"))
    root = str(git_repo.path)
    [change] = from_diff_bytes(here, origin="here", source="diff", root=root).files
    assert change.old_text() == old
    [change] = from_diff_bytes(elsewhere, origin="elsewhere", source="diff", root=root).files
    assert change.old_blob == "1111111"
    assert change.is_partial("old")
