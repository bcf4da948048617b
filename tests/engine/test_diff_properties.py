"""Hostile input: any bytes give a list of file changes or an InputError, and the CLI exits
0, 1 or 2 with at most one error line, never an internal error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from changerisk.cli.main import main
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from changerisk.diff import parse_diff
from changerisk.errors import InputError
from changerisk.model import FileChange, Line

FIXTURES = Path(__file__).parent / "fixtures"
VALID = sorted(p.name for p in FIXTURES.glob("*.diff") if p.name != "combined.diff")

# Lines that mean something to a diff reader, to splice into valid diffs.
SPLICE = [
    "",
    "+",
    "-",
    " ",
    "+added",
    "-removed",
    " context",
    "--- a/x.tf",
    "+++ b/x.tf",
    "--- /dev/null",
    "+++ /dev/null",
    "@@ -1 +1 @@",
    "@@ -1,3 +1,2 @@ resource",
    "@@ -0,0 +1 @@",
    "@@ -a +b @@",
    "diff --git a/x.tf b/x.tf",
    "diff --git a/x b/y b/x b/y",
    'diff --git "a/\\303\\244.tf" "b/\\303\\244.tf"',
    'diff --git "a/unterminated b/x',
    "diff --cc x.tf",
    "new file mode 100644",
    "deleted file mode 100644",
    "old mode 100644",
    "new mode 100755",
    "rename from x.tf",
    "rename to y.tf",
    "copy from x.tf",
    "similarity index 90%",
    "index 0000000..1111111 100644",
    "Binary files a/x and b/x differ",
    "GIT binary patch",
    "literal 3",
    "\\ No newline at end of file",
    "-- ",
]


def check_parse(data: bytes) -> list[FileChange] | None:
    """Parse; the only acceptable outcomes are file changes or a one-line InputError."""
    try:
        changes = parse_diff(data, origin="fuzz.diff")
    except InputError as exc:
        message = str(exc)
        assert message.startswith("fuzz.diff: ")
        assert "\n" not in message
        return None
    assert isinstance(changes, list)
    for change in changes:
        assert isinstance(change, FileChange)
        assert change.old_path is not None or change.new_path is not None
        for hunk in change.hunks:
            for line in hunk.lines:
                assert isinstance(line, Line)
                assert line.kind in ("+", "-", " ")
                assert (line.old_no is None) == (line.kind == "+")
                assert (line.new_no is None) == (line.kind == "-")
                if line.kind == "-":
                    assert line.anchor >= 1
    return changes


@given(st.text())
@example("diff --git a/x b/x\n")
@example("--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n+c\n")  # hunk longer than its header
@example("--- a\n+++ b\n@@ -x +y @@\n-a\n")  # unreadable hunk header
@example('diff --git "a/€\\"x.tf" "b/€\\"x.tf"\nnew file mode 100644\n')  # latin-1 unquote
@example("@@ -1 +1 @@\n-a\n+b\n")  # unidiff's message ends with a newline
def test_any_text(text: str) -> None:
    check_parse(text.encode("utf-8", "surrogatepass"))


@given(st.binary())
@example(b"\xff\xfe")
@example(b"--- a\n+++ b\n@@ -1 +1 @@\n-\x00\n+b\n")
def test_any_bytes(data: bytes) -> None:
    check_parse(data)


@st.composite
def mutated_diffs(draw: st.DrawFn) -> bytes:
    """A valid diff (or two concatenated) with lines deleted, duplicated or spliced in."""
    names = draw(st.lists(st.sampled_from(VALID), min_size=1, max_size=2))
    lines = "".join((FIXTURES / n).read_text(encoding="utf-8") for n in names).split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "insert-text"]))
        if action == "delete" and lines:
            del lines[index]
        elif action == "duplicate" and lines:
            lines.insert(index, lines[index])
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(SPLICE)))
        else:
            lines.insert(index, draw(st.text(max_size=20)).replace("\n", ""))
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=300)
@given(mutated_diffs())
@example((FIXTURES / "modified.diff").read_bytes().replace(b"@@ -9,4", b"@@ -9,3"))
def test_mutated_real_diffs(data: bytes) -> None:
    check_parse(data)


@pytest.mark.parametrize("name", VALID)
def test_every_fixture_parses(name: str) -> None:
    assert check_parse((FIXTURES / name).read_bytes())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.one_of(mutated_diffs(), st.binary(max_size=200)))
@example(b"")
@example(b"not a diff\n")
@example((FIXTURES / "deleted.diff").read_bytes())  # TF101 critical: exit 1
@example('diff --git "a/€\\"x.tf" "b/€\\"x.tf"\nnew file mode 100644\n'.encode())
def test_cli_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.chdir(tmp)  # outside any repository, no config file
        path = Path(tmp) / "change.diff"
        path.write_bytes(data)
        capsys.readouterr()
        code = main(["check", str(path), "--select", "TF"])
        out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    if code == 2:
        assert err.startswith("changerisk: error: ")
        assert err.count("\n") == 1
        assert "internal error" not in err
    else:
        assert err == ""


# --- paths round-trip through git's quoting ---------------------------------------------------

_C_ESCAPES = {0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r"}


def git_quote(name: str, quotepath: bool) -> str:
    """A name as git prints it (quote_c_style): C escapes, octal for the rest."""
    raw = name.encode("utf-8")
    special = [b < 0x20 or b in (0x22, 0x5C, 0x7F) or (quotepath and b >= 0x80) for b in raw]
    if not any(special):
        return name
    out = bytearray(b'"')
    for byte, is_special in zip(raw, special, strict=True):
        if byte in (0x22, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte in _C_ESCAPES:
            out += b"\\" + _C_ESCAPES[byte].encode()
        elif is_special:
            out += f"\\{byte:03o}".encode()
        else:
            out.append(byte)
    return out.decode("utf-8") + '"'


def prefixed(prefix: str, name: str, quotepath: bool) -> str:
    quoted = git_quote(name, quotepath)
    return f'"{prefix}{quoted[1:]}' if quoted.startswith('"') else prefix + name


def file_line(marker: str, prefix: str, name: str, quotepath: bool) -> str:
    """A ---/+++ line; git ends it with a tab when the name holds a space."""
    return f"{marker} {prefixed(prefix, name, quotepath)}" + ("\t" if " " in name else "")


SEGMENT = st.text(alphabet=list('ab xyz.-_/"\\\täé€日'), min_size=1, max_size=6)
PATHS = (
    st.lists(SEGMENT, min_size=1, max_size=3)
    .map("/".join)
    .filter(lambda p: all(part not in ("", ".", "..") for part in p.split("/")))
)


def git_diff_for(kind: str, old: str, new: str, quotepath: bool) -> str:
    head = f"diff --git {prefixed('a/', old, quotepath)} {prefixed('b/', new, quotepath)}\n"
    if kind == "modified":
        return (
            head
            + "index 1111111..2222222 100644\n"
            + file_line("---", "a/", old, quotepath)
            + "\n"
            + file_line("+++", "b/", new, quotepath)
            + "\n@@ -1 +1 @@\n-a\n+b\n"
        )
    if kind == "deleted":
        return (
            head
            + "deleted file mode 100644\nindex 1111111..0000000\n"
            + file_line("---", "a/", old, quotepath)
            + "\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n"
        )
    if kind == "mode":
        return head + "old mode 100644\nnew mode 100755\n"
    if kind == "empty-new":
        return head + "new file mode 100644\nindex 0000000..e69de29\n"
    if kind == "binary":
        return (
            head
            + "index 1111111..2222222 100644\n"
            + f"Binary files {prefixed('a/', old, quotepath)} and {prefixed('b/', new, quotepath)}"
            + " differ\n"
        )
    # a rename with an edit
    return (
        head
        + "similarity index 90%\n"
        + f"rename from {git_quote(old, quotepath)}\nrename to {git_quote(new, quotepath)}\n"
        + "index 1111111..2222222 100644\n"
        + file_line("---", "a/", old, quotepath)
        + "\n"
        + file_line("+++", "b/", new, quotepath)
        + "\n@@ -1 +1 @@\n-a\n+b\n"
    )


@settings(max_examples=300)
@given(
    st.sampled_from(["modified", "deleted", "mode", "empty-new", "binary", "renamed"]),
    PATHS,
    PATHS,
    st.booleans(),
)
@example("deleted", "envs/a b/db.tf", "", False)  # unidiff split at the inner " b/"
@example("modified", "x b/y b/z.tf", "", False)
@example("modified", 'ä"q.tf', "", False)  # quoted with raw UTF-8 inside
@example("modified", '€"x.tf', "", False)  # beyond latin-1
@example("renamed", "a b/old.tf", "b/a b/new.tf", True)
def test_paths_round_trip(kind: str, old: str, new: str, quotepath: bool) -> None:
    if kind != "renamed" or not new:
        new = old
    (change,) = parse_diff(git_diff_for(kind, old, new, quotepath).encode("utf-8"))
    expected = {
        "modified": (old, new),
        "deleted": (old, None),
        "mode": (old, new),
        "empty-new": (None, new),
        "binary": (old, new),
        "renamed": (old, new),
    }[kind]
    assert (change.old_path, change.new_path) == expected
