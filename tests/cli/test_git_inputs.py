"""Reading a change from a real git repository: worktree, --staged, --base, and hostile setups."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from changerisk.api import read_change
from changerisk.model import Status

if TYPE_CHECKING:
    from conftest import GitRepo

CHANGERISK = str(Path(sys.executable).with_name("changerisk"))

DB = """\
resource "aws_db_instance" "main" {
  engine         = "postgres"
  instance_class = "db.t3.micro"
}
"""
WEB = """\
resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "t3.micro"
}
"""
BUCKET = """\
resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
"""
HEADER_DB = 'resource "aws_db_instance" "main" {'
HEADER_WEB = 'resource "aws_instance" "web" {'


def infra(repo: GitRepo) -> None:
    """A first commit: infra/main.tf (web + db), infra/logs.tf, a variables file."""
    repo.commit(
        "infra",
        {
            "infra/main.tf": WEB + "\n" + DB,
            "infra/logs.tf": BUCKET,
            "infra/variables.tf": "".join(f'variable "v{i}" {{}}\n' for i in range(12)),
        },
    )


def findings(run) -> list[dict[str, object]]:
    return run.json()["findings"]


# --- the three modes ----------------------------------------------------------------------


def test_worktree_sees_staged_and_unstaged_changes(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    git_repo.write("infra/main.tf", WEB)  # unstaged: the db block is gone
    git_repo.remove("infra/logs.tf")
    git_repo.stage("infra/logs.tf")  # staged: the bucket file is gone
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("TF101", "infra/main.tf", 6), ("TF101", "infra/logs.tf", 1)}
    assert result.json()["source"] == {
        "kind": "worktree",
        "description": "uncommitted changes (git diff HEAD)",
    }


def test_worktree_reads_the_new_text_from_the_working_tree(git_repo: GitRepo) -> None:
    infra(git_repo)
    git_repo.write("infra/main.tf", WEB + "# edited\n")
    (change,) = read_change().files
    assert change.new_text() == WEB + "# edited\n"
    assert change.old_text() == WEB + "\n" + DB
    assert not change.is_partial("old") and not change.is_partial("new")


def test_clean_worktree_is_no_change(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 0
    assert result.json()["files_checked"] == 0
    assert result.json()["level"] == "none"


def test_staged_sees_only_the_index(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    git_repo.remove("infra/logs.tf")
    git_repo.stage("infra/logs.tf")
    git_repo.write("infra/main.tf", WEB)  # not staged: must not be seen
    result = run_cli("check", "--staged", "--select", "TF", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/logs.tf", 1)}
    assert result.json()["source"]["kind"] == "staged"


def test_staged_new_text_comes_from_the_index_not_the_file(git_repo: GitRepo, run_cli) -> None:
    """Stage the removal of the db block, then put it back in the working tree only."""
    infra(git_repo)
    git_repo.write("infra/main.tf", WEB)
    git_repo.stage("infra/main.tf")
    git_repo.write("infra/main.tf", WEB + "\n" + DB)
    staged = run_cli("check", "--staged", "--select", "TF", "--format", "json")
    assert staged.found() == {("TF101", "infra/main.tf", 6)}
    assert findings(staged)[0]["evidence"] == HEADER_DB
    worktree = run_cli("check", "--select", "TF", "--format", "json")
    assert worktree.code == 0
    assert worktree.found() == set()


def test_base_uses_the_merge_base(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit("drop web", {"infra/main.tf": DB})
    git_repo.git("checkout", "-q", "main")
    git_repo.remove("infra/logs.tf")
    git_repo.commit("main moves on: drop the bucket")  # after branching: not in the PR
    git_repo.git("checkout", "-q", "feature")
    result = run_cli("check", "--base", "main", "--select", "TF", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("TF101", "infra/main.tf", 1)}
    (finding,) = findings(result)
    assert finding["severity"] == "high"
    assert finding["evidence"] == HEADER_WEB
    assert result.json()["source"] == {"kind": "base", "description": "main...HEAD"}


def test_base_lists_the_commits_of_the_branch(git_repo: GitRepo) -> None:
    infra(git_repo)
    git_repo.git("checkout", "-q", "-b", "feature")
    first = git_repo.commit("one", {"a.tf": "# a\n"})
    second = git_repo.commit("two\n\nwith a body", {"b.tf": "# b\n"})
    changeset = read_change(base="main")
    assert [c.sha for c in changeset.commits] == [second, first]
    assert changeset.commits[0].message == "two\n\nwith a body"
    assert changeset.commits[0].author == "Ann Example"
    assert changeset.commits[0].author_email == "ann@example.com"


def test_base_from_a_subdirectory(git_repo: GitRepo, run_cli, monkeypatch) -> None:
    infra(git_repo)
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit("drop web", {"infra/main.tf": DB})
    monkeypatch.chdir(git_repo.path / "infra")
    result = run_cli("check", "--base", "main", "--select", "TF", "--format", "json")
    assert result.found() == {("TF101", "infra/main.tf", 1)}


# --- moves are not destroys -----------------------------------------------------------------


def test_rename_in_the_same_directory_is_not_a_destroy(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    git_repo.git("mv", "infra/main.tf", "infra/compute.tf")
    (change,) = read_change().files
    assert change.status is Status.RENAMED
    assert (change.old_path, change.new_path) == ("infra/main.tf", "infra/compute.tf")
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 0, result.out
    assert result.found() == set()


def test_block_moved_to_another_file_is_not_a_destroy(git_repo: GitRepo, run_cli) -> None:
    infra(git_repo)
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit("split", {"infra/main.tf": WEB, "infra/db.tf": DB})
    result = run_cli("check", "--base", "main", "--select", "TF", "--format", "json")
    assert result.code == 0, result.out
    assert result.found() == set()


def test_deleting_a_database_file_is_critical(git_repo: GitRepo, run_cli) -> None:
    git_repo.commit("db", {"infra/db.tf": DB})
    git_repo.git("rm", "-q", "infra/db.tf")
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 1
    (finding,) = findings(result)
    assert (finding["code"], finding["path"], finding["line"]) == ("TF101", "infra/db.tf", 1)
    assert finding["severity"] == "critical"
    assert finding["evidence"] == HEADER_DB
    assert "aws_db_instance.main" in finding["message"]


# --- hostile configuration and environment ----------------------------------------------------

HOSTILE_GITCONFIG = """\
[diff]
\tnoprefix = true
\tmnemonicPrefix = true
\texternal = false
\trenames = false
\tcontext = 0
\tsuppressBlankEmpty = true
\talgorithm = histogram
\trelative = true
[color]
\tdiff = always
\tui = always
[core]
\tquotepath = true
"""


def hostile_scenario(repo: GitRepo) -> None:
    repo.commit(
        "infra",
        {
            "infra/main.tf": WEB + "\n" + DB,
            "infra/variables.tf": "".join(f'variable "v{i}" {{}}\n' for i in range(12)),
            "infra/prod db/ä.tf": BUCKET,
        },
    )
    repo.git("rm", "-q", "infra/prod db/ä.tf")  # a destroy, on a quoted path
    repo.git("mv", "infra/variables.tf", "infra/vars.tf")  # a rename: no finding
    repo.write("infra/main.tf", WEB)  # a destroy in a modified file


def test_hostile_user_gitconfig_changes_nothing(
    git_repo: GitRepo, run_cli, monkeypatch, git_env: Path
) -> None:
    hostile_scenario(git_repo)
    clean = run_cli("check", "--select", "TF", "--format", "json")
    (git_env / ".gitconfig").write_text(HOSTILE_GITCONFIG, encoding="utf-8")
    assert git_repo.git("config", "--global", "diff.noprefix") == "true\n"  # it is in effect
    monkeypatch.chdir(git_repo.path / "infra")  # diff.relative would cut paths here
    hostile = run_cli("check", "--select", "TF", "--format", "json")
    assert hostile.code == clean.code == 1
    assert hostile.err == clean.err == ""
    assert hostile.json()["findings"] == clean.json()["findings"]
    assert clean.found() == {
        ("TF101", "infra/prod db/ä.tf", 1),
        ("TF101", "infra/main.tf", 6),
    }
    paths = {(c.old_path, c.new_path) for c in read_change().files}
    assert paths == {
        ("infra/prod db/ä.tf", None),
        ("infra/variables.tf", "infra/vars.tf"),
        ("infra/main.tf", "infra/main.tf"),
    }


def test_inherited_git_environment_is_ignored(
    git_repo: GitRepo, run_cli, monkeypatch, git_env: Path
) -> None:
    """A hook or CI step may leave GIT_DIR / GIT_INDEX_FILE pointing at another repository."""
    other = git_env / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    git_repo.commit("db", {"infra/db.tf": DB})
    git_repo.git("rm", "-q", "infra/db.tf")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.found() == {("TF101", "infra/db.tf", 1)}


def test_gitattributes_cannot_hide_terraform(git_repo: GitRepo, run_cli) -> None:
    """Bug: `*.tf -diff` made git print "Binary files differ", so TF101 saw nothing (exit 0).

    The change itself can add that line, switching off the check for its own deletions.
    """
    infra(git_repo)
    git_repo.write(".gitattributes", "*.tf -diff\n")
    git_repo.write("infra/main.tf", WEB)
    git_repo.write("assets/logo.png", "\x89PNG\r\n\x1a\n\x00\x00")  # really binary
    git_repo.stage(".gitattributes", "infra/main.tf", "assets/logo.png")
    raw = git_repo.git("diff", "--cached", "--", "infra/main.tf")
    assert "Binary files" in raw  # git itself hides the lines
    result = run_cli("check", "--staged", "--select", "TF", "--format", "json")
    assert result.code == 1, result.out
    assert result.found() == {("TF101", "infra/main.tf", 6)}
    by_path = {c.path: c for c in read_change(staged=True).files}
    assert by_path["assets/logo.png"].is_binary
    assert not by_path["infra/main.tf"].is_binary
    assert by_path["infra/main.tf"].removed_lines


# --- awkward paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["infra/prod db/ä.tf", "infra/a b/db.tf", 'infra/q"uote ö.tf', "infra/日本/db.tf"],
    ids=["space-umlaut", "dir-named-a-b", "quote", "cjk"],
)
def test_paths_with_spaces_and_unicode(git_repo: GitRepo, run_cli, path: str) -> None:
    git_repo.commit("db", {path: DB})
    git_repo.git("rm", "-q", path)
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("TF101", path, 1)}
    assert findings(result)[0]["evidence"] == HEADER_DB


def test_modified_file_in_a_directory_named_a_b(git_repo: GitRepo, run_cli) -> None:
    git_repo.commit("db", {"envs/a b/main.tf": WEB + "\n" + DB})
    git_repo.write("envs/a b/main.tf", WEB)
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("TF101", "envs/a b/main.tf", 6)}


# --- no commits, no repository, bad refs ------------------------------------------------------


def test_repository_without_commits(git_repo: GitRepo, run_cli) -> None:
    git_repo.write("infra/main.tf", WEB + "\n" + DB)
    git_repo.write("README.md", "# infra\n")
    git_repo.stage("infra/main.tf", "README.md")
    for argv in (("check",), ("check", "--staged")):
        result = run_cli(*argv, "--select", "TF", "--format", "json")
        assert result.code == 0, result.err
        assert result.json()["files_checked"] == 2
        assert result.found() == set()
    assert {c.status for c in read_change().files} == {Status.ADDED}


def test_outside_a_repository(git_env: Path, run_cli, monkeypatch) -> None:
    outside = git_env / "not-a-repo"
    outside.mkdir()
    monkeypatch.chdir(outside)
    result = run_cli("check", "--select", "TF")
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "changerisk: error: not inside a git repository: "
        "give a diff file or '-' for standard input\n"
    )


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("nonexistent-ref", "unknown revision 'nonexistent-ref'"),
        ("--output=pwned.txt", "unknown revision '--output=pwned.txt'"),
        ("", "--base needs a ref"),  # Bug: an empty --base silently checked the worktree
    ],
    ids=["unknown", "option-like", "empty"],
)
def test_bad_base_ref(git_repo: GitRepo, run_cli, ref: str, words: str) -> None:
    infra(git_repo)
    git_repo.write("infra/main.tf", WEB)  # a worktree change that must not be checked instead
    result = run_cli("check", "--base", ref, "--select", "TF")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("changerisk: error: ")
    assert words in result.err
    assert result.err.count("\n") == 1
    assert not (git_repo.path / "pwned.txt").exists()


# --- full texts come from git -------------------------------------------------------------

COMMENTED = (
    ["/*"]
    + ["# The orders database.", "# Owned by payments.", "# Daily backups.", "# See OPS-12.", ""]
    + [HEADER_DB]
    + [f'  tag_{i} = "v{i}"' for i in range(10)]
    + ["}", "*/", "", *WEB.splitlines()]
)


def commented_out(repo: GitRepo, delete_bucket: bool = True) -> None:
    """Wrap the db block (and the comment above it) in /* */: only lines 1 and 18 change.

    Deleting infra/logs.tf too takes a block header away in the same module.
    """
    lines = [line for line in COMMENTED if line not in ("/*", "*/")]
    repo.commit("db", {"infra/main.tf": "\n".join(lines) + "\n", "infra/logs.tf": BUCKET})
    repo.write("infra/main.tf", "\n".join(COMMENTED) + "\n")
    if delete_bucket:
        repo.git("rm", "-q", "infra/logs.tf")


def test_evidence_outside_the_hunks_comes_from_the_blob(git_repo: GitRepo, run_cli) -> None:
    commented_out(git_repo)
    body = [ln for ln in git_repo.git("diff", "HEAD").splitlines() if ln[:1] in (" ", "+", "-")]
    assert not any(HEADER_DB in ln for ln in body)  # more than 3 lines from both hunks
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.code == 1
    assert result.found() == {("TF101", "infra/main.tf", 6), ("TF101", "infra/logs.tf", 1)}
    evidence = {f["path"]: f["evidence"] for f in findings(result)}
    assert evidence["infra/main.tf"] == HEADER_DB


def test_a_diff_file_inside_the_repository_reads_blobs(
    git_repo: GitRepo, run_cli, git_env: Path, monkeypatch
) -> None:
    commented_out(git_repo)
    patch = git_env / "change.diff"
    patch.write_text(git_repo.git("diff", "HEAD"), encoding="utf-8")
    inside = run_cli("check", str(patch), "--select", "TF", "--format", "json")
    assert inside.found() == {("TF101", "infra/main.tf", 6), ("TF101", "infra/logs.tf", 1)}
    assert {f["path"]: f["evidence"] for f in findings(inside)}["infra/main.tf"] == HEADER_DB
    monkeypatch.chdir(git_env)  # the same diff with no repository: only the hunks are known
    outside = run_cli("check", str(patch), "--select", "TF", "--format", "json")
    assert outside.found() == {("TF101", "infra/logs.tf", 1)}


def test_block_comment_alone_destroys(git_repo: GitRepo, run_cli) -> None:
    commented_out(git_repo, delete_bucket=False)
    result = run_cli("check", "--select", "TF", "--format", "json")
    assert result.found() == {("TF101", "infra/main.tf", 6)}


# --- the real console script ----------------------------------------------------------------


def test_console_script_worktree_with_stdin_closed(git_repo: GitRepo) -> None:
    git_repo.commit("db", {"infra/db.tf": DB})
    git_repo.git("rm", "-q", "infra/db.tf")
    proc = subprocess.run(
        [CHANGERISK, "check", "--select", "TF", "--format", "json"],
        cwd=git_repo.path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    report = json.loads(proc.stdout)
    assert [(f["code"], f["path"]) for f in report["findings"]] == [("TF101", "infra/db.tf")]


def test_console_script_empty_pipe_falls_back_to_the_repository(git_repo: GitRepo) -> None:
    git_repo.commit("db", {"infra/db.tf": DB})
    git_repo.git("rm", "-q", "infra/db.tf")
    proc = subprocess.run(
        [CHANGERISK, "check", "--select", "TF", "--format", "json"],
        cwd=git_repo.path,
        input="",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["source"]["kind"] == "worktree"


def test_console_script_piped_diff_wins_over_the_repository(git_repo: GitRepo) -> None:
    git_repo.commit("db", {"infra/db.tf": DB})
    git_repo.git("rm", "-q", "infra/db.tf")  # the worktree has a critical change ...
    piped = (Path(__file__).parents[1] / "engine" / "fixtures" / "modified.diff").read_text()
    proc = subprocess.run(  # ... but the piped diff is what gets checked
        [CHANGERISK, "check", "--select", "TF", "--format", "json"],
        cwd=git_repo.path,
        input=piped,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["source"]["kind"] == "stdin"
    assert report["findings"] == []


def test_console_script_outside_a_repository(git_env: Path) -> None:
    proc = subprocess.run(
        [CHANGERISK, "check"],
        cwd=git_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("changerisk: error: not inside a git repository")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_formats_come_from_the_full_text_in_a_repository(git_repo: GitRepo, run_cli) -> None:
    # An extensionless script edited far from its shebang: the hunk alone does not say shell.
    body = "".join(f'echo "step {i}"\n' for i in range(40))
    git_repo.commit(files={"bin/deploy": "#!/usr/bin/env bash\nset -eu\n" + body})
    git_repo.write("bin/deploy", "#!/usr/bin/env bash\nset -eu\n" + body + "terraform destroy\n")
    result = run_cli("check", "--select", "SH", "--format", "json")
    assert result.code == 1, result.err
    assert result.found() == {("SH101", "bin/deploy", 43)}


def test_worktree_includes_new_untracked_files(git_repo: GitRepo, run_cli) -> None:
    """A migration or module not yet `git add`ed is part of what is about to be committed."""
    git_repo.commit("init", {"README.md": "x\n", ".gitignore": "build/\n"})
    git_repo.write("db/drop.sql", "DROP TABLE users;\n")
    git_repo.write("build/drop.sql", "DROP TABLE users;\n")  # ignored: not part of any change
    index = (git_repo.path / ".git" / "index").read_bytes()
    status = git_repo.git("status", "--porcelain")
    result = run_cli("check", "--select", "SQL101", "--format", "json")
    assert result.found() == {("SQL101", "db/drop.sql", 1)}
    assert (git_repo.path / ".git" / "index").read_bytes() == index  # the index is untouched
    assert git_repo.git("status", "--porcelain") == status
    assert run_cli("check", "--staged", "--select", "SQL101", "--format", "json").found() == set()


def test_untracked_files_in_a_repository_without_commits(git_repo: GitRepo, run_cli) -> None:
    git_repo.write("infra/main.tf", 'resource "aws_s3_bucket" "b" {\n  force_destroy = true\n}\n')
    paths = {c.path for c in read_change().files}
    assert paths == {"infra/main.tf"}
    assert run_cli("check", "--format", "json").code in (0, 1)
