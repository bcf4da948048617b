"""User git configuration never changes what changerisk reads: each setting that alters diff or
log output, alone, in each way a change is read from a repository (worktree, --staged, --base)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import GitRepo

DB = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n'
BUCKET = 'resource "aws_s3_bucket" "logs" {\n  bucket = "acme-logs"\n}\n'
VARS = "".join(f'variable "v{i}" {{}}\n' for i in range(12))

# (key, value): every one of them changes git's output when nothing overrides it.
SETTINGS = [
    ("diff.noprefix", "true"),
    ("diff.mnemonicPrefix", "true"),
    ("diff.external", "false"),
    ("diff.renames", "false"),
    ("diff.context", "0"),
    ("diff.interHunkContext", "10"),
    ("diff.suppressBlankEmpty", "true"),
    ("diff.algorithm", "histogram"),
    ("diff.relative", "true"),
    ("diff.orderFile", "order.txt"),
    ("diff.srcPrefix", "SRC/"),
    ("diff.dstPrefix", "DST/"),
    ("color.ui", "always"),
    ("color.diff", "always"),
    ("core.quotepath", "true"),
    ("core.fsmonitor", "touch FSMONITOR_RAN; false"),
    ("log.showSignature", "true"),
    ("i18n.logOutputEncoding", "ISO-8859-1"),
    ("format.pretty", "oneline"),
    ("log.abbrevCommit", "true"),
]


def scenario(repo: GitRepo, mode: str) -> None:
    """A database destroyed on a quoted unicode path, a rename, a trailer naming an agent."""
    repo.commit(
        "infra",
        {"infra/prod db/ä.tf": DB, "infra/variables.tf": VARS, "infra/main.tf": BUCKET},
    )
    if mode == "base":
        repo.git("checkout", "-q", "-b", "feature")
    repo.git("rm", "-q", "infra/prod db/ä.tf")
    repo.git("mv", "infra/variables.tf", "infra/vars.tf")
    repo.write("infra/main.tf", "")
    if mode == "base":
        repo.commit("Drop the database\n\nCo-authored-by: Claude <noreply@anthropic.com>")
    elif mode == "staged":
        repo.stage()


ARGS = {"worktree": (), "staged": ("--staged",), "base": ("--base", "main")}


@pytest.mark.parametrize("mode", sorted(ARGS))
@pytest.mark.parametrize(("key", "value"), SETTINGS, ids=[key for key, _ in SETTINGS])
def test_setting_changes_nothing(
    git_repo: GitRepo, run_cli, monkeypatch, git_env: Path, mode: str, key: str, value: str
) -> None:
    scenario(git_repo, mode)
    argv = ("check", *ARGS[mode], "--select", "TF", "--format", "json")
    clean = run_cli(*argv)
    git_repo.write("order.txt", "infra/vars.tf\ninfra/main.tf\n")
    git_repo.git("config", "--global", key, value)
    if key == "diff.relative":
        monkeypatch.chdir(git_repo.path / "infra")  # relative diffs would cut paths here
    hostile = run_cli(*argv)
    assert hostile.err == clean.err == ""
    assert hostile.code == clean.code == 1
    assert hostile.json()["findings"] == clean.json()["findings"]
    assert hostile.json()["ai_assisted"] == clean.json()["ai_assisted"] == (mode == "base")
    assert clean.found() == {
        ("TF101", "infra/prod db/ä.tf", 1),
        ("TF101", "infra/main.tf", 1),
    }
    assert not (git_repo.path / "FSMONITOR_RAN").exists()
    assert not (git_repo.path / "infra" / "FSMONITOR_RAN").exists()
