"""The fast reader of git's own diff shape gives the same file changes as the general reader,
or leaves the diff to it; decoding a diff block by block gives the same text as file by file."""

from __future__ import annotations

import difflib
import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk import diff
from changerisk.errors import InputError
from changerisk.model import FileChange, reconstruct

FIXTURES = Path(__file__).parent / "fixtures"
FIELDS = (
    "old_path",
    "new_path",
    "status",
    "hunks",
    "formats",
    "is_binary",
    "old_mode",
    "new_mode",
    "old_blob",
    "new_blob",
)


def shape(files: list[FileChange]) -> list[tuple[object, ...]]:
    return [tuple(getattr(f, name) for name in FIELDS) for f in files]


def general(text: str) -> list[FileChange] | str:
    try:
        return diff._read_diff(text, "x")
    except InputError as exc:
        return str(exc)


def assert_same(text: str) -> bool:
    """Whether the fast reader took the diff; if it did, the general one reads it alike."""
    fast = diff._read_git_diff(text)
    if fast is None:
        return False
    slow = general(text)
    assert not isinstance(slow, str), f"the general reader refuses what the fast one read: {slow}"
    assert shape(fast) == shape(slow)
    for quick, plain in zip(fast, slow, strict=True):  # each side rebuilt from the side texts
        assert all(h.side_texts is not None for h in quick.hunks)
        assert all(h.side_texts is None for h in plain.hunks)
        for side in ("old", "new"):
            assert reconstruct(quick.hunks, side) == reconstruct(plain.hunks, side)
        assert quick.added_text == "\n".join(line.text for line in plain.added_lines)
        assert quick.removed_text == "\n".join(line.text for line in plain.removed_lines)
    return True


def test_git_fixtures_take_the_fast_reader() -> None:
    taken = {
        p.name
        for p in FIXTURES.glob("*.diff")
        if assert_same(p.read_text(encoding="utf-8").replace("\r\n", "\n"))
    }
    assert {"added.diff", "deleted.diff", "modified.diff", "renamed_edit.diff"} <= taken
    assert {"mode_only.diff", "binary_differ.diff", "no_newline.diff", "copied.diff"} <= taken
    # quoted names, mail patches, plain `diff -u`, combined diffs: the general reader's
    assert not {"unicode_quoted.diff", "format_patch.diff", "plain_diff_u.diff"} & taken
    assert "combined.diff" not in taken


def test_the_fast_reader_gives_the_parse() -> None:
    text = (FIXTURES / "modified.diff").read_text(encoding="utf-8")
    assert diff.parse_diff(text) is not None
    assert shape(diff.parse_diff(text)) == shape(diff._read_git_diff(text) or [])


# --- generated git diffs ----------------------------------------------------------------------

WORDS = ["", " ", "a", "b = 1", "-- x", "++ y", "@@ z", "\\ n", "diff --git a/q b/q", "+", "-"]
LINE = st.sampled_from(WORDS) | st.text(alphabet="ab -+@\\\t\r€", max_size=6)
PATH = st.sampled_from(["x.tf", "app/views.py", "a b/c.yaml", "db/V1__x.sql", "dir/x"])


@st.composite
def git_file(draw: st.DrawFn) -> str:
    """One file's part of a `git diff`, written as git writes it (difflib for the hunks)."""
    old_path = draw(PATH)
    new_path = old_path if draw(st.booleans()) else draw(PATH)
    old = draw(st.lists(LINE, max_size=12))
    new = draw(st.lists(LINE, max_size=12))
    kind = draw(st.sampled_from(["modified", "added", "deleted", "renamed", "mode"]))
    header = [f"diff --git a/{old_path} b/{new_path}"]
    source, target = f"a/{old_path}", f"b/{new_path}"
    if kind == "added":
        header.append("new file mode 100644")
        old, source = [], "/dev/null"
    elif kind == "deleted":
        header.append("deleted file mode 100644")
        new, target = [], "/dev/null"
    elif kind == "renamed" and old_path != new_path:
        header += ["similarity index 90%", f"rename from {old_path}", f"rename to {new_path}"]
    elif kind == "mode":
        header += ["old mode 100644", "new mode 100755"]
    header.append("index 1234567..89abcde" + (" 100644" if kind == "modified" else ""))
    context = draw(st.integers(min_value=0, max_value=3))
    hunks = list(difflib.unified_diff(old, new, source, target, n=context, lineterm=""))
    if not hunks:
        return "\n".join(header[:1] + [h for h in header[1:] if "index" not in h]) + "\n"
    body = "\n".join(header + hunks) + "\n"
    if draw(st.booleans()) and body.endswith("\n"):
        body += "\\ No newline at end of file\n"
    return body


@st.composite
def git_diffs(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(git_file(), min_size=1, max_size=3)))
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=0, max_value=2))):  # then damage it a little
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        else:
            lines.insert(index, draw(LINE | st.sampled_from(WORDS)))
    text = "\n".join(lines)
    return text if draw(st.booleans()) else text.rstrip("\n")


@settings(max_examples=400, deadline=None)
@given(git_diffs())
@example("diff --git a/x b/x\nnew file mode 100644\n")  # an empty new file
@example("diff --git a/x b/x\nnew file mode 100644")  # ... as the diff's last line
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file")
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+a\n")  # read as an added file
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +0,0 @@\n-a\n")  # read as a deleted file
@example("diff --git a/x b/x\n--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n")  # target without source
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n")  # hunk too long
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n\n")  # empty context line
@example("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n\\ x\n-b\n+c\n+d\n")
@example("diff --git a/x b/y b/x b/y\n--- a/x b/y\n+++ b/x b/y\n@@ -1 +1 @@\n-a\n+b\n")
@example(  # overlapping hunks, then one past unseen lines: rebuilt texts skip and pad alike
    "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    "@@ -2,1 +2,2 @@\n-b\n+d\n+e\n@@ -9 +10 @@\n-f\n+g\n"
)
def test_generated_diffs_read_alike(text: str) -> None:
    assert_same(text)


def test_generated_shapes_take_the_fast_reader() -> None:
    """The generator writes diffs the fast reader takes (else the test above checks little)."""
    taken = 0
    for old, new in ((["a", "b"], ["a", "c"]), ([], ["x"]), (["x", "", "y"], ["x", "z"])):
        hunks = "\n".join(difflib.unified_diff(old, new, "a/f.py", "b/f.py", lineterm=""))
        taken += assert_same(f"diff --git a/f.py b/f.py\nindex 1..2 100644\n{hunks}\n")
    assert taken == 3


# --- decoding ---------------------------------------------------------------------------------


def decode_each_part(data: bytes) -> str:
    """The reference: every file's part decoded alone, Latin-1 where UTF-8 fails (the parts
    here are all of files no rule reads)."""
    starts = [0, *(m.start() for m in re.finditer(rb"^diff --git ", data, re.MULTILINE))]
    out = []
    for begin, end in pairwise([*starts, len(data)]):
        try:
            out.append(data[begin:end].decode("utf-8"))
        except UnicodeDecodeError:
            out.append(data[begin:end].decode("latin-1"))
    return "".join(out)


PART = st.sampled_from(
    [
        b"diff --git a/s.css b/s.css\n--- a/s.css\n+++ b/s.css\n@@ -1 +1 @@\n-caf\xe9\n+cafe\n",
        "diff --git a/r.txt b/r.txt\n--- a/r.txt\n+++ b/r.txt\n@@ -1 +1 @@\n"
        "-\u65e5\n+\U0001f600\n".encode(),
        b"diff --git a/n.css b/n.css\n--- a/n.css\n+++ b/n.css\n@@ -1 +1 @@\n-\xc3\n+\x80\n",
    ]
)


@settings(max_examples=100)
@given(st.lists(PART, min_size=1, max_size=8), st.integers(min_value=1, max_value=200))
def test_block_decoding_matches_decoding_each_part(parts: list[bytes], block: int) -> None:
    data = b"".join(parts)
    original = diff._BLOCK
    diff._BLOCK = block  # blocks of a few parts, so blocks both hold and split bad parts
    try:
        assert diff.decode(data, "x") == decode_each_part(data)
    finally:
        diff._BLOCK = original


def test_a_bad_byte_in_a_file_rules_read_names_it() -> None:
    data = b"diff --git a/a.css b/a.css\n--- a/a.css\n+++ b/a.css\n@@ -1 +1 @@\n-a\n+b\n" * 3
    data += b"diff --git a/x.tf b/x.tf\n--- a/x.tf\n+++ b/x.tf\n@@ -1 +1 @@\n-a\n+\xe9\n"
    with pytest.raises(InputError, match=r"invalid byte at line 24, in x\.tf\)"):
        diff.decode(data, "x")


# --- paths ------------------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.text(alphabet=list("ab./_-A. "), max_size=14))
@example("")
@example(".")
@example("./a")
@example("a/.")
@example("//a/b")
@example("a//b/")
@example(".bashrc")
@example("x.tar.gz")
@example("name.")
def test_paths_are_read_as_pathlib_reads_them(path: str) -> None:
    from pathlib import PurePosixPath

    from changerisk.formats import _path_view
    from changerisk.paths import path_name, path_parts

    p = PurePosixPath(path)
    assert _path_view(path) == (p.as_posix(), p.parts, p.name, p.suffixes)
    assert (path_parts(path), path_name(path)) == (p.parts, p.name)
