"""Unified diff reader: bytes in, `FileChange`s out, or an `InputError` naming what is wrong."""

from __future__ import annotations

import re

from changerisk.errors import InputError
from changerisk.formats import detect_formats
from changerisk.model import FileChange, Hunk, Line, Status

_INDEX = re.compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d+))?$", re.MULTILINE)
_OLD_MODE = re.compile(r"^(?:old mode|deleted file mode) (\d+)$", re.MULTILINE)
_NEW_MODE = re.compile(r"^(?:new mode|new file mode) (\d+)$", re.MULTILINE)
_DIFF_GIT = re.compile(r"^diff --git ", re.MULTILINE)
_HEADER = re.compile(r"^(diff --git |--- |\+\+\+ |@@ )", re.MULTILINE)
_SAMPLE_CHARS = 4000


def decode(data: bytes, origin: str) -> str:
    """Decode diff bytes as UTF-8 or fail with the line that is not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{origin}: not UTF-8 text (invalid byte at line {line})") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(f"{origin}: NUL byte at line {line}: binary data, not a text diff")
    return text.removeprefix("\ufeff")


def parse_diff(data: bytes | str, origin: str = "diff") -> list[FileChange]:
    """Parse a unified diff (git or plain `diff -u`) into file changes.

    An empty diff gives no files. Text that is not a diff, a combined (`--cc`) diff, or a diff
    whose hunks do not add up raises `InputError`.
    """
    text = decode(data, origin) if isinstance(data, bytes) else data
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if not text.strip():
        return []
    if re.search(r"^diff --(cc|combined) ", text, re.MULTILINE):
        raise InputError(f"{origin}: combined diffs (diff --cc) are not supported; diff one parent")
    if not _HEADER.search(text):
        raise InputError(f"{origin}: no unified diff found (expected 'diff --git' or '---/+++')")
    from unidiff.errors import UnidiffParseError  # lazy: only when there is a diff
    from unidiff.patch import PatchSet

    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise InputError(f"{origin}: malformed diff: {exc}") from None
    files = [_file_change(patched) for patched in patch]
    expected = len(_DIFF_GIT.findall(text))
    if expected and len(files) != expected:
        raise InputError(f"{origin}: malformed diff: {expected} file headers, {len(files)} read")
    if not files:
        raise InputError(f"{origin}: no file changes found in the diff")
    return files


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of paths ("a/\\303\\244.txt")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", "replace")


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    if path is None:
        return None
    path = _unquote(path.split("\t")[0])
    if path == "/dev/null":
        return None
    return path[len(prefix) :] if path.startswith(prefix) else path


def _file_change(patched: object) -> FileChange:
    info = str(getattr(patched, "patch_info", "") or "")
    source = _strip_prefix(getattr(patched, "source_file", None), "a/")
    target = _strip_prefix(getattr(patched, "target_file", None), "b/")
    rename_from = re.search(r"^(?:rename|copy) from (.+)$", info, re.MULTILINE)
    rename_to = re.search(r"^(?:rename|copy) to (.+)$", info, re.MULTILINE)
    if rename_from and rename_to:
        source, target = _unquote(rename_from.group(1)), _unquote(rename_to.group(1))
    is_added = bool(getattr(patched, "is_added_file", False)) or "\nnew file mode " in info
    is_deleted = bool(getattr(patched, "is_removed_file", False)) or "\ndeleted file mode " in info
    if is_added:
        source = None
    if is_deleted:
        target = None
    if source is None and target is None:
        header = re.search(r"^diff --git a/(.+) b/(.+)$", info, re.MULTILINE)
        if header:
            source, target = _unquote(header.group(1)), _unquote(header.group(2))
    is_binary = bool(getattr(patched, "is_binary_file", False)) or "GIT binary patch" in info
    hunks = tuple(_hunk(h) for h in patched)  # type: ignore[attr-defined]
    old_mode = _first(_OLD_MODE, info)
    new_mode = _first(_NEW_MODE, info)
    status = _status(info, is_added, is_deleted, is_binary, hunks, old_mode, new_mode)
    index = _INDEX.search(info)
    path = target or source or ""
    sample = "\n".join(line.text for hunk in hunks for line in hunk.lines)[:_SAMPLE_CHARS]
    return FileChange(
        old_path=source,
        new_path=target,
        status=status,
        hunks=hunks,
        formats=detect_formats(path, sample),
        is_binary=is_binary,
        old_mode=old_mode or (index.group(3) if index and not is_added else None),
        new_mode=new_mode or (index.group(3) if index and not is_deleted else None),
        old_blob=index.group(1) if index else None,
        new_blob=index.group(2) if index else None,
    )


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


def _status(
    info: str,
    is_added: bool,
    is_deleted: bool,
    is_binary: bool,
    hunks: tuple[Hunk, ...],
    old_mode: str | None,
    new_mode: str | None,
) -> Status:
    if is_added:
        return Status.ADDED
    if is_deleted:
        return Status.DELETED
    if re.search(r"^rename from ", info, re.MULTILINE):
        return Status.RENAMED
    if re.search(r"^copy from ", info, re.MULTILINE):
        return Status.COPIED
    if is_binary:
        return Status.BINARY
    if not hunks and old_mode and new_mode and old_mode != new_mode:
        return Status.MODE_CHANGED
    return Status.MODIFIED


def _hunk(h: object) -> Hunk:
    raw = [line for line in h if line.line_type in ("+", "-", " ")]  # type: ignore[attr-defined]
    lines: list[Line] = []
    next_new = int(h.target_start) + int(h.target_length)  # type: ignore[attr-defined]
    for line in reversed(raw):
        text = line.value.rstrip("\n")
        if line.line_type == "-":
            lines.append(Line("-", text, line.source_line_no, None, anchor=next_new))
        else:
            next_new = line.target_line_no
            lines.append(Line(line.line_type, text, line.source_line_no, line.target_line_no))
    lines.reverse()
    return Hunk(
        old_start=int(h.source_start),  # type: ignore[attr-defined]
        old_len=int(h.source_length),  # type: ignore[attr-defined]
        new_start=int(h.target_start),  # type: ignore[attr-defined]
        new_len=int(h.target_length),  # type: ignore[attr-defined]
        lines=tuple(lines),
    )
