"""Safety of the tool itself: it reads the change, it never runs it, never reads outside the
repository through a link, and no pattern from a config or the repository can hang it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from changerisk.owners import codeowners_of
from changerisk.paths import linear_regex, matches_any

if TYPE_CHECKING:
    from conftest import GitRepo

CHANGERISK = str(Path(sys.executable).with_name("changerisk"))
DB = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n'
# Each backtracks for minutes (exponentially in the stars) in Python's regular expressions.
EVIL_GLOB = "*a" * 12 + "b"
EVIL_PATH = "a" * 200


def test_config_glob_cannot_hang_the_run(git_repo: GitRepo, run_cli) -> None:
    git_repo.commit("init", {"infra/db.tf": DB})
    git_repo.write(EVIL_PATH, "x\n")
    git_repo.write(
        ".changerisk.toml",
        f'[[critical-paths]]\npaths = ["{EVIL_GLOB}", "infra/**"]\nseverity = "high"\n',
    )
    result = run_cli("check", "--select", "CRIT101", "--format", "json")
    assert result.found() == set()  # nothing changed under infra/; the evil path matches nothing
    git_repo.write("infra/db.tf", DB + "# note\n")
    assert ("CRIT101", "infra/db.tf", 4) in run_cli(
        "check", "--select", "CRIT101", "--format", "json"
    ).found()


def test_codeowners_from_the_repository_cannot_hang_the_run(git_repo: GitRepo) -> None:
    git_repo.commit(
        "owners",
        {"CODEOWNERS": f"* @all\n{EVIL_GLOB} @evil\n/infra/ @infra\n", "x": ""},
    )
    found = codeowners_of(str(git_repo.path), "HEAD")
    assert found is not None
    location, owners_of = found
    assert location == "CODEOWNERS"
    assert owners_of(EVIL_PATH) == ("@all",)
    assert owners_of("infra/db.tf") == ("@infra",)
    assert owners_of("a" * 20 + "b") == ("@evil",)


def test_linear_regex_keeps_python_anchors() -> None:
    end = linear_regex(r"(?:\A|/)docs(?:\Z|/)")
    assert end is not None
    assert end.search("a/docs") and end.search("docs/x") and not end.search("docsx")
    literal = linear_regex(r"x\\Z")  # a backslash, then the letter Z
    assert literal is not None and literal.search("x\\Z")
    assert linear_regex(r"(a)\1") is None  # backreferences have no linear-time match


def test_matches_any_on_a_hostile_glob() -> None:
    assert not matches_any(EVIL_PATH, (EVIL_GLOB,))
    assert matches_any("a" * 30 + "b", (EVIL_GLOB,))


def test_a_link_out_of_the_repository_is_not_followed(
    git_repo: GitRepo, run_cli, tmp_path: Path
) -> None:
    """git stores a symbolic link as the name it points to; that is all the check reads."""
    secret = tmp_path / "outside.tf"
    secret.write_text('resource "aws_s3_bucket" "SECRET_OUTSIDE" {}\n')
    git_repo.commit("init", {"infra/main.tf": DB})
    target = git_repo.path / "infra" / "main.tf"
    target.unlink()
    target.symlink_to(secret)
    from changerisk.api import read_change

    # git shows a type change as the file deleted and a link added
    (link,) = [c for c in read_change().files if c.new_path is not None]
    assert link.new_text() == str(secret)  # the link, as git stores it
    result = run_cli("check", "--format", "json")
    assert "SECRET_OUTSIDE" not in result.out
    assert result.code in (0, 1), result.err
    assert ("TF101", "infra/main.tf", 1) in result.found()  # the database block is gone


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_an_endless_file_is_not_read(git_repo: GitRepo) -> None:
    git_repo.commit("init", {"infra/main.tf": DB})
    (git_repo.path / "infra" / "zero.tf").symlink_to("/dev/zero")
    git_repo.git("add", "-A")
    proc = subprocess.run(
        [CHANGERISK, "check", "--format", "json"],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_code_in_the_repository_is_never_run(git_repo: GitRepo) -> None:
    """Modules a careless tool might import or run: none of them may leave its marker."""
    marker = "import pathlib; pathlib.Path('{}').write_text('ran')\n"
    files = {
        name: marker.format(git_repo.path / f"RAN_{index}")
        for index, name in enumerate(
            (
                "sitecustomize.py",
                "conftest.py",
                "setup.py",
                "changerisk.py",
                "rules/__init__.py",
                "changerisk_rules.py",
            )
        )
    }
    files["Makefile"] = f"all:\n\ttouch {git_repo.path}/RAN_make\n"
    files["package.json"] = '{"scripts": {"preinstall": "touch RAN_npm"}}\n'
    files["infra/main.tf"] = DB
    git_repo.commit("init", files)
    git_repo.remove("infra/main.tf")
    for name in files:
        if name.endswith(".py"):
            git_repo.write(name, files[name] + "# edited\n")
    proc = subprocess.run(
        [CHANGERISK, "check", "--format", "json"],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert sorted(p.name for p in git_repo.path.glob("RAN_*")) == []


def _new_file(path: str, text: str) -> str:
    lines = text.splitlines()
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)
    )


def _laughs() -> str:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n"
        '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    )
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        text += f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    return text


HOSTILE = {
    "billion laughs YAML": _new_file("k8s/lol.yaml", _laughs()),
    "deep JSON policy": _new_file("iam/p.json", '{"Statement": ' + "[" * 5000 + "]" * 5000 + "}"),
    "deep HCL": _new_file("infra/d.tf", "locals {\n  x = " + "[" * 3000 + "]" * 3000 + "\n}"),
    "deep YAML": _new_file(
        "k8s/deep.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  x: "
        + "[" * 3000
        + "]" * 3000,
    ),
    "deep shell": _new_file("scripts/d.sh", "#!/bin/sh\n" + "$(" * 2000 + "echo" + ")" * 2000),
    "deep Python": _new_file("app/migrations/0002_d.py", "x = " + "(" * 3000 + "1" + ")" * 3000),
    "deep SQL": _new_file("db/migrations/V3__d.sql", "SELECT " + "(" * 3000 + "1" + ")" * 3000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_structure_is_bounded(tmp_path: Path, name: str) -> None:
    """Alias bombs and deep nesting: the check ends, in bounded memory, with a report."""
    diff = tmp_path / "change.diff"
    diff.write_text(HOSTILE[name])
    probe = (
        "import resource, subprocess, sys; "
        "p = subprocess.run(sys.argv[1:], capture_output=True, timeout=60); "
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, CHANGERISK, "check", str(diff), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    code, peak_kb = map(int, proc.stdout.split())
    assert code in (0, 1)
    assert peak_kb < 400 * 1024
