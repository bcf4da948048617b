"""Every kind of unusual diff has a defined outcome, end to end through the installed command:
what can be read is checked (exit 0 or 1), what cannot is one line on stderr and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CHANGERISK = str(Path(sys.executable).with_name("changerisk"))

GIT = (
    "diff --git a/infra/db.tf b/infra/db.tf\n"
    "index 1111111..2222222 100644\n--- a/infra/db.tf\n+++ b/infra/db.tf\n"
)
DROP = '@@ -1,3 +0,0 @@\n-resource "aws_db_instance" "x" {\n-  engine = "pg"\n-}\n'
README = (
    "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-a\n+b\n"
)

# name, input, exit code, words on the single stderr line (exit 2) or finding codes (exit 0/1)
CASES: list[tuple[str, bytes, int, tuple[str, ...]]] = [
    ("empty", b"", 0, ()),
    ("blank lines", b"\n\n  \n", 0, ()),
    ("garbage", b"hello\nnot a diff\n", 2, ("no unified diff found",)),
    ("truncated hunk", (GIT + DROP[:50]).encode(), 2, ("malformed diff",)),
    ("hunk counts too few", (GIT + DROP.replace("-1,3", "-1,2")).encode(), 2, ("line 8",)),
    ("hunk counts too many", (GIT + DROP.replace("-1,3", "-1,5")).encode(), 2, ("malformed",)),
    ("hunk header garbled", (GIT + "@@ -x,3 +0,0 @@\n-a\n").encode(), 2, ("hunk header",)),
    ("file header without hunks", GIT.encode(), 2, ("line 4", "without hunks")),
    ("hunk without a file", b"@@ -1 +1 @@\n-a\n+b\n", 2, ("malformed diff",)),
    (
        "only a binary file",
        b"diff --git a/l.png b/l.png\nBinary files a/l.png and b/l.png differ\n",
        0,
        (),
    ),
    (
        "GIT binary patch",
        b"diff --git a/l.png b/l.png\nnew file mode 100644\nindex 0000000..1111111\n"
        b"GIT binary patch\nliteral 4\nLcmZ?wbK(d900001\n\nliteral 0\nHcmV?d00001\n\n",
        0,
        (),
    ),
    ("mode only", b"diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n", 0, ()),
    (
        "submodule bump",
        b"diff --git a/vendor/lib b/vendor/lib\nindex 1111111..2222222 160000\n--- a/vendor/lib\n"
        b"+++ b/vendor/lib\n@@ -1 +1 @@\n-Subproject commit " + b"1" * 40 + b"\n"
        b"+Subproject commit " + b"2" * 40 + b"\n",
        0,
        (),
    ),
    ("no newline at end", (GIT + DROP + "\\ No newline at end of file\n").encode(), 1, ("TF101",)),
    ("CRLF line ends", (GIT + DROP).replace("\n", "\r\n").encode(), 1, ("TF101",)),
    ("not UTF-8", (GIT + DROP).encode().replace(b"pg", b"p\xe9g"), 2, ("not UTF-8", "line 7")),
    (
        "UTF-8 and Latin-1 mixed",
        (GIT + DROP + README).encode() + "caf\xe9\n".encode("latin-1"),
        2,
        ("not UTF-8",),
    ),
    (
        "Latin-1 in a file no rule reads",
        (GIT + DROP).encode()
        + b"diff --git a/t/latin1.css b/t/latin1.css\n--- a/t/latin1.css\n+++ b/t/latin1.css\n"
        + b"@@ -1 +1 @@\n-a\n+/* caf\xe9 */\n",
        1,
        ("TF101",),
    ),
    ("NUL byte", (GIT + DROP).encode().replace(b"pg", b"p\x00g"), 2, ("NUL byte", "line 7")),
    (
        "a 1 MiB line",
        (
            GIT.replace("1111111..2222222", "1..2")
            + "@@ -1,3 +1,3 @@\n"
            + '-resource "aws_db_instance" "x" {\n'
            + '+resource "aws_db_instance" "x" { # '
            + "a" * 2**20
            + '\n   engine = "pg"\n }\n'
        ).encode(),
        0,
        (),
    ),
    (
        "combined diff",
        b"diff --cc a.txt\nindex 1,2..3\n--- a/a.txt\n+++ b/a.txt\n@@@ -1,1 -1,1 +1,1 @@@\n- a\n -b\n++c\n",
        2,
        ("combined diffs",),
    ),
    (
        "plain diff -u",
        ("--- infra/db.tf\t2024-01-01\n+++ /dev/null\t2024-01-01\n" + DROP).encode(),
        1,
        ("TF101",),
    ),
    (
        "---/+++ without git header",
        ("--- a/infra/db.tf\n+++ b/infra/db.tf\n" + DROP).encode(),
        1,
        ("TF101",),
    ),
]


def run(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    target = tmp_path / "change.diff"
    target.write_bytes(data)
    return subprocess.run(
        [CHANGERISK, "check", str(target), "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("name", "data", "code", "expect"), CASES, ids=[c[0] for c in CASES])
def test_outcome(
    tmp_path: Path, name: str, data: bytes, code: int, expect: tuple[str, ...]
) -> None:
    proc = run(data, tmp_path)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code == 2:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert proc.stdout == ""
        for word in expect:
            assert word in lines[0]
    else:
        import json

        report = json.loads(proc.stdout)
        assert sorted({f["code"] for f in report["findings"]}) == list(expect)


def test_many_files(tmp_path: Path) -> None:
    """A diff of 5,000 files, each a one-line change: read, checked, quiet."""
    one = "diff --git a/f{0}.txt b/f{0}.txt\nindex 1..2 100644\n--- a/f{0}.txt\n+++ b/f{0}.txt\n@@ -1 +1 @@\n-a\n+b\n"
    proc = run("".join(one.format(i) for i in range(5000)).encode(), tmp_path)
    assert proc.returncode == 0, proc.stderr
    import json

    assert json.loads(proc.stdout)["files_checked"] == 5000


def _pdf(size: int = 20_000) -> bytes:
    """A file git diffs as text: no NUL in its first 8,000 bytes, NUL bytes after them."""
    head = b"%PDF-1.4\n" + b"% text-like header line\n" * 400
    return head + b"stream\n" + bytes(range(256)) * (size // 256) + b"\nendstream\n"


def test_nul_bytes_git_shows_as_text_in_a_file_no_rule_reads(git_repo: Any) -> None:
    """git diffs a PDF as text when its first 8,000 bytes hold no NUL: that file is read as
    binary, and the rest of the change is still checked."""
    repo = git_repo.path
    git_repo.commit(files={"README.md": "hello\n"})
    (repo / "docs").mkdir()
    (repo / "docs" / "logos.pdf").write_bytes(_pdf())
    git_repo.write("infra/db.tf", 'resource "aws_db_instance" "orders" {\n}\n')
    git_repo.commit()
    git_repo.write("infra/db.tf", "")
    (repo / "docs" / "logos.pdf").write_bytes(_pdf(30_000))
    git_repo.commit()
    diff = subprocess.run(
        ["git", "diff", "HEAD~1", "HEAD"], cwd=repo, capture_output=True, check=True
    ).stdout
    assert b"\x00" in diff and b"Binary files" not in diff  # git really shows it as text
    proc = subprocess.run(
        [CHANGERISK, "check", "--base", "HEAD~1", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert [f["code"] for f in report["findings"]] == ["TF101"]


def test_nul_bytes_in_a_file_a_rule_reads_are_an_error(tmp_path: Path) -> None:
    data = (
        b"diff --git a/infra/db.tf b/infra/db.tf\n--- a/infra/db.tf\n+++ b/infra/db.tf\n"
        b"@@ -1 +1 @@\n-a\n+b\x00\n"
        b"diff --git a/docs/a.pdf b/docs/a.pdf\n--- a/docs/a.pdf\n+++ b/docs/a.pdf\n"
        b"@@ -1 +1 @@\n-a\n+b\x00\n"
    )
    proc = run(data, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"changerisk: error: {tmp_path / 'change.diff'}: NUL byte at line 6, in infra/db.tf: "
        "binary data, not a text diff"
    )
    assert run(data[data.index(b"diff --git a/docs") :], tmp_path).returncode == 0
