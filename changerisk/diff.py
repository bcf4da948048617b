"""Unified diff reader: bytes in, `FileChange`s out, or an `InputError` naming what is wrong."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from itertools import pairwise, repeat
from operator import itemgetter

from changerisk.errors import InputError
from changerisk.formats import SAMPLE_CHARS, detect_formats
from changerisk.model import FileChange, Hunk, Line, Status
from changerisk.regex import lazy_compile

_INDEX = lazy_compile(r"^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d+))?$", re.MULTILINE)
_OLD_MODE = lazy_compile(r"^(?:old mode|deleted file mode) (\d+)$", re.MULTILINE)
_NEW_MODE = lazy_compile(r"^(?:new mode|new file mode) (\d+)$", re.MULTILINE)
_DIFF_GIT = lazy_compile(r"^diff --git ", re.MULTILINE)
_HEADER = lazy_compile(r"^(diff --git |--- |\+\+\+ |@@ )", re.MULTILINE)
_HUNK_HEADER = lazy_compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_C_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13}
# Stands for the space of " b/" inside a path while unidiff reads the file header: unidiff
# splits `diff --git a/x b/y b/x b/y` at the last " b/". NUL bytes never reach the parser.
_SPACE = "\x00"


def decode(data: bytes, origin: str) -> str:
    """Decode diff bytes as UTF-8 or fail with the line that is not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_by_file(data, origin)
    if b"\x00" in data and "\x00" in text:  # (a NUL in the text is one in the bytes)
        text = _binary_by_file(text, data, origin)
    return text.removeprefix("\ufeff")


_SECTION_TEXT = lazy_compile(r"^diff --git ", re.MULTILINE)
_PATCH_START = lazy_compile(r"^(?:--- |@@ )", re.MULTILINE)
_SIDE_PATH = lazy_compile(r"^(---|\+\+\+) (.*)$", re.MULTILINE)


def _binary_by_file(text: str, data: bytes, origin: str) -> str:
    """A diff with NUL bytes: each file's part that holds one is read as a binary file when no
    rule reads the file (git diffs a PDF or an image as text when its first 8,000 bytes hold no
    NUL); anywhere else it is an error naming the file and line."""
    starts = [0, *(m.start() for m in _SECTION_TEXT.finditer(text)), len(text)]
    parts = []
    for begin, end in pairwise(starts):
        part = text[begin:end]
        if "\x00" not in part:
            parts.append(part)
            continue
        at = begin + part.index("\x00")
        where = _in_file(data, len(text[:at].encode()))
        path = where.removeprefix(", in ")
        header = _PATCH_START.search(part)
        if (
            not part.startswith("diff --git ")
            or header is None
            or "\x00" in part[: header.start()]
            or _rules_may_read(path)
        ):
            line = text.count("\n", 0, at) + 1
            raise InputError(
                f"{origin}: NUL byte at line {line}{where}: binary data, not a text diff"
            )
        sides = {m.group(1): m.group(2) for m in _SIDE_PATH.finditer(part, header.start())}
        old, new = sides.get("---", "/dev/null"), sides.get("+++", "/dev/null")
        parts.append(f"{part[: header.start()]}Binary files {old} and {new} differ\n")
    return "".join(parts)


def _decode_by_file(data: bytes, origin: str) -> str:
    """Decode a diff with bytes that are not UTF-8, one file's part at a time.

    A file no rule reads (no detected format: a stylesheet, a text fixture of an encoding test)
    is read as Latin-1, which keeps every ASCII character as it is. A file some rule reads
    (Terraform, YAML, SQL, shell, ...), or one whose name gives no format to judge by, is an
    error naming it: what rules would read is never guessed at.

    Parts are decoded together in blocks of about a megabyte, and one by one only in a block
    that fails: each part starts after a newline, so its text is the same either way.
    """
    starts = [0, *_section_starts(data), len(data)]
    last = len(starts) - 1
    parts = []
    first = 0
    while first < last:
        end = min(max(bisect_left(starts, starts[first] + _BLOCK), first + 1), last)
        try:
            parts.append(data[starts[first] : starts[end]].decode("utf-8"))
        except UnicodeDecodeError:
            parts.extend(
                _decode_part(data, starts[index], starts[index + 1], origin)
                for index in range(first, end)
            )
        first = end
    return "".join(parts)


_BLOCK = 1 << 20


def _rules_may_read(path: str) -> bool:
    """Whether a rule may read the file at `path`: a detected format, or a name that gives
    no format to judge by (no path, no extension). Only other files' bytes are taken as they
    come (Latin-1, binary); what rules would read is never guessed at."""
    return not path or "." not in path.rsplit("/", 1)[-1] or bool(detect_formats(path))


def _decode_part(data: bytes, begin: int, end: int, origin: str) -> str:
    part = data[begin:end]
    try:
        return part.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = begin + exc.start
    where = _in_file(data, bad, begin)
    if _rules_may_read(where.removeprefix(", in ")):
        line = data.count(b"\n", 0, bad) + 1
        raise InputError(f"{origin}: not UTF-8 text (invalid byte at line {line}{where})")
    return part.decode("latin-1")


def _section_starts(data: bytes) -> Iterator[int]:
    """Where each `diff --git ` line after the first line starts (what `^diff --git ` finds
    there, without a regex over the whole diff)."""
    at = data.find(b"\ndiff --git ")
    while at >= 0:
        yield at + 1
        at = data.find(b"\ndiff --git ", at + 1)


_FILE_HEADER = lazy_compile(rb"^(?:\+\+\+ (?:b/)?|diff --git a/\S+ b/)(.+)$", re.MULTILINE)


def _in_file(data: bytes, offset: int, begin: int = 0) -> str:
    """`, in <path>` for the file whose part of the diff holds byte `offset`, when known. The
    last file header before it is looked for from `begin` (the start of its part) first."""
    found = [m.group(1) for m in _FILE_HEADER.finditer(data, begin, offset)]
    if not found and begin:
        found = [m.group(1) for m in _FILE_HEADER.finditer(data, 0, begin)]
    if not found:
        return ""
    path = found[-1].decode("utf-8", "replace").split("\t")[0].strip()
    return "" if path == "/dev/null" else f", in {path}"


def parse_diff(data: bytes | str, origin: str = "diff") -> list[FileChange]:
    """Parse a unified diff (git or plain `diff -u`) into file changes.

    An empty diff gives no files. Text that is not a diff, a combined (`--cc`) diff, or a diff
    whose hunks do not add up raises `InputError`.
    """
    if isinstance(data, bytes):
        text = decode(data, origin)
        crlf = b"\r\n" in data  # (searching the bytes is faster than the decoded text)
    else:
        text = data
        crlf = "\r\n" in text
    if crlf:
        text = text.replace("\r\n", "\n")
    if not text or text.isspace():
        return []
    files = _read_git_diff(text)
    return files if files is not None else _read_diff(text, origin)


def _read_diff(text: str, origin: str) -> list[FileChange]:
    """The general reader: plain `diff -u`, mail patches, quoted and spaced names, and every
    malformed diff, which it refuses with the reason."""
    if re.search(r"^diff --(cc|combined) ", text, re.MULTILINE):
        raise InputError(f"{origin}: combined diffs (diff --cc) are not supported; diff one parent")
    if not _HEADER.search(text):
        raise InputError(f"{origin}: no unified diff found (expected 'diff --git' or '---/+++')")
    _check_hunk_lengths(text, origin)
    from unidiff.errors import UnidiffParseError  # lazy: only when there is a diff
    from unidiff.patch import PatchSet

    protected = _protect_header_paths(text)
    try:
        # unidiff reads the headers and validates every hunk's counts; the hunks' lines are
        # taken from the text in one pass below (unidiff's own line objects cost more than the
        # rest of the check on a large diff)
        patch = PatchSet(protected, metadata_only=True)
    except UnidiffParseError as exc:
        reason = " ".join(str(exc).split())  # unidiff ends its message with the bad line
        raise InputError(f"{origin}: malformed diff: {reason}") from None
    reader = _HunkReader(protected)
    files = [_file_change(patched, reader) for patched in patch]
    expected = len(_DIFF_GIT.findall(text))
    if expected and len(files) != expected:
        raise InputError(f"{origin}: malformed diff: {expected} file headers, {len(files)} read")
    if not files:
        raise InputError(f"{origin}: no file changes found in the diff")
    return files


# The fast reader of `git diff` output. It reads only the shape git prints (a `diff --git`
# header naming the file without quotes, tabs or a second " b/", git's extended header lines,
# ---/+++ lines, hunks whose lines add up to their headers) and gives up (None) on anything
# else, which the general reader below (unidiff's header pass, the hunk checks) then reads or
# refuses: on what it accepts, both give the same file changes (tests/engine/test_diff_fast.py).
_GIT_FILE = lazy_compile(
    r'diff --git a/((?:(?! b/)[^\t\n"])+) b/((?:(?! b/)[^\t\n"])+)\n'
    r"((?:(?:old mode|new mode|deleted file mode|new file mode) [0-9]+\n"
    r"|(?:index|similarity index|dissimilarity index|rename from|rename to|copy from|copy to)"
    r" [^\n]*\n)*)"
    r"(?:(Binary files [^\t\n]+ differ\n)|--- [^\n]*\n\+\+\+ ([^\t\n]*)\n)?"
)
_GIT_HUNK = lazy_compile(r"@@ -([0-9]+)(?:,([0-9]+))? \+([0-9]+)(?:,([0-9]+))? @@[ ]?([^\n]*)\n")
# a run of hunk lines of one kind: added, removed, context (a bare empty line is context),
# or "\ No newline at end of file" notes
_RUN = lazy_compile(r"((?:\+[^\n]*\n)+)|((?:-[^\n]*\n)+)|((?:(?: [^\n]*)?\n)+)|((?:\\[^\n]*\n)+)")
_NO_NEWLINE = "\\ No newline at end of file"
_DEV_NULL = "/dev/null"


def _read_git_diff(text: str) -> list[FileChange] | None:
    """The file changes of a diff in git's own shape, or None to leave it to the general
    reader."""
    if not text.startswith("diff --git "):
        return None
    body = text if text.endswith("\n") else text + "\n"
    end = len(body)
    at = 0
    files: list[FileChange] = []
    while at < end:
        head = _GIT_FILE.match(body, at)
        if head is None:
            return None
        # the header text as unidiff keeps it: with a Binary line, without ---/+++
        info = body[at : head.end(4) if head.group(4) else head.end(3)]
        if len(body) > len(text) and at + len(info) == end:
            info = info[:-1]  # the diff's last line, without the newline it lacks
        extended = head.group(3)
        added = "new file mode " in extended
        removed = "deleted file mode " in extended
        if added and removed:
            return None
        source = _DEV_NULL if added else "a/" + head.group(1)
        target = _DEV_NULL if removed else "b/" + head.group(2)
        at = head.end()
        hunks: list[Hunk] = []
        sections: list[str] = []
        if head.group(5) is not None:
            if head.group(5) != target:
                return None  # unidiff: "Target without source"
            while True:
                read = _read_git_hunk(body, at)
                if read is None:
                    return None
                hunk, section, at = read
                hunks.append(hunk)
                sections.append(section)
                while body.startswith("\\", at):
                    if not body.startswith(_NO_NEWLINE, at):
                        return None
                    at = body.index("\n", at) + 1
                if not body.startswith("@@", at):
                    break
        if at < end and not body.startswith("diff --git ", at):
            return None
        # unidiff reads a lone hunk from (or to) line 0 as an added (or deleted) file
        first = hunks[0] if len(hunks) == 1 else None
        from_nothing = first is not None and first.old_start == first.old_len == 0
        to_nothing = first is not None and first.new_start == first.new_len == 0
        files.append(
            _build_file(
                info,
                source,
                target,
                source == _DEV_NULL or from_nothing,
                target == _DEV_NULL or to_nothing,
                head.group(4) is not None,
                tuple(hunks),
                sections,
            )
        )
    return files


def _read_git_hunk(body: str, at: int) -> tuple[Hunk, str, int] | None:
    """The hunk whose header starts at `at`, its section text and where it ends; None when
    its lines do not add up to its header exactly."""
    header = _GIT_HUNK.match(body, at)
    if header is None:
        return None
    old_start, new_start = int(header.group(1)), int(header.group(3))
    old_len = int(header.group(2)) if header.group(2) is not None else 1
    new_len = int(header.group(4)) if header.group(4) is not None else 1
    if old_len == 0 and new_len == 0:
        return None
    at = header.end()
    old_no, new_no = old_start, new_start
    old_left, new_left = old_len, new_len
    out: list[Line] = []
    olds: list[str] = []  # each side's texts in order, for `reconstruct`
    news: list[str] = []
    removed: list[str] = []  # removed lines waiting for the new-side line where they stood
    removed_from = 0  # the old line number of the first of them
    while old_left > 0 or new_left > 0:
        run = _RUN.match(body, at)
        if run is None:
            return None
        kind = run.lastindex
        at = run.end()
        if kind == 4:
            continue  # "\ No newline at end of file"
        if kind == 2:
            texts = body[run.start() + 1 : at - 1].split("\n-")
            count = len(texts)
            if count > old_left:
                return None
            if not removed:
                removed_from = old_no
            removed.extend(texts)
            olds.extend(texts)
            old_no += count
            old_left -= count
            continue
        if removed:
            out.extend(_removed_lines(removed, removed_from, new_no))
            removed = []
        if kind == 1:
            texts = body[run.start() + 1 : at - 1].split("\n+")
            count = len(texts)
            if count > new_left:
                return None
            numbers = range(new_no, new_no + count)
            out.extend(map(_NEW, _LINES, zip(_ADDED, texts, _NONE, numbers, _ZERO, strict=False)))
            news.extend(texts)
            new_no += count
            new_left -= count
        else:
            texts = [line[1:] for line in body[run.start() : at - 1].split("\n")]
            count = len(texts)
            if count > old_left or count > new_left:
                return None
            old_numbers = range(old_no, old_no + count)
            new_numbers = range(new_no, new_no + count)
            out.extend(
                map(
                    _NEW,
                    _LINES,
                    zip(_CONTEXT, texts, old_numbers, new_numbers, _ZERO, strict=False),
                )
            )
            olds.extend(texts)
            news.extend(texts)
            old_no += count
            new_no += count
            old_left -= count
            new_left -= count
    if removed:  # removed lines at the end stand before the line after the hunk
        out.extend(_removed_lines(removed, removed_from, new_start + (new_len or 1)))
    hunk = Hunk(old_start, old_len, new_start, new_len, tuple(out), (tuple(olds), tuple(news)))
    return hunk, header.group(5), at


# Lines are built in C (`tuple.__new__` over zipped fields), not one `Line(...)` call each.
_NEW = tuple.__new__
_LINES = repeat(Line)
_ADDED, _CONTEXT, _REMOVED = repeat("+"), repeat(" "), repeat("-")
_NONE, _ZERO = repeat(None), repeat(0)


def _removed_lines(texts: list[str], first: int, anchor: int) -> Iterator[Line]:
    numbers = range(first, first + len(texts))
    return map(_NEW, _LINES, zip(_REMOVED, texts, numbers, _NONE, repeat(anchor), strict=False))


_HUNK_KINDS = frozenset({"", " ", "-", "+", "\\"})


def _check_hunk_lengths(text: str, origin: str) -> None:
    """Fail on diff lines that no hunk header counts, which a reader would silently drop.

    A `+`/`-` line right after a complete hunk (its header counts fewer lines), or a hunk
    header that does not parse, would hide changed lines from every rule.
    """
    old = new = 0
    after_hunk = False
    headed = 0  # the line number of a `+++` file header still waiting for its first hunk
    previous = ""
    lines = text.split("\n")
    count = len(lines)
    index = 0
    while index < count:
        line = lines[index]
        index += 1
        kind = line[:1]
        if (old > 0 or new > 0) and kind in _HUNK_KINDS:
            # a hunk's lines, counted in a tight loop: their text is content, never a header
            while True:
                if kind == "-":
                    old -= 1
                elif kind == "+":
                    new -= 1
                elif kind != "\\":
                    old -= 1
                    new -= 1
                if old < 0 or new < 0:
                    return  # unidiff reports a hunk longer than its header
                if (old == 0 and new == 0) or index >= count:
                    break
                kind = lines[index][:1]
                if kind not in _HUNK_KINDS:
                    break
                index += 1
            after_hunk = old == 0 and new == 0
            previous = lines[index - 1]
            continue
        number = index
        if headed and not line.startswith(("@@", "+", "-")):
            raise InputError(
                f"{origin}: line {headed}: file header without hunks (a truncated diff?)"
            )
        headed = number if line.startswith("+++ ") and previous.startswith("--- ") else 0
        previous = line
        old = new = 0  # a hunk cut short: unidiff reports it
        header = _HUNK_HEADER.match(line)
        if header:
            old = int(header.group(1) or 1)
            new = int(header.group(2) or 1)
            after_hunk = old == 0 and new == 0
        elif line.startswith("@@ -"):
            raise InputError(f"{origin}: line {number}: malformed hunk header {line[:60]!r}")
        elif after_hunk and kind in ("+", "-") and not _is_file_line(line):
            raise InputError(
                f"{origin}: line {number}: changed line outside any hunk "
                "(the hunk header counts fewer lines)"
            )
        elif kind != "\\":
            after_hunk = line.startswith("+++ ")
    if headed:
        raise InputError(f"{origin}: line {headed}: file header without hunks (a truncated diff?)")


def _is_file_line(line: str) -> bool:
    """A `---`/`+++` file header, or the `-- ` signature that ends `git format-patch` output."""
    return line.startswith(("--- ", "+++ ")) or line == "-- "


def _protect_header_paths(text: str) -> str:
    """Hide the inner " b/" of names in `diff --git` headers and their ---/+++ lines."""
    if not re.search(r'^diff --git .* "?b/.* "?b/', text, re.MULTILINE):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line.startswith("diff --git ") or len(re.findall(r' "?b/', line)) < 2:
            continue
        split = _split_git_header(line, "\n".join(lines[index + 1 : index + 8]))
        if split is None or split[2] < 0:
            continue
        rest = line.removeprefix("diff --git ")
        old, new = (
            part.replace(" b/", f"{_SPACE}b/") for part in (rest[: split[2]], rest[split[2] + 1 :])
        )
        lines[index] = f"diff --git {old} {new}"
        for follow in range(index + 1, min(index + 8, len(lines))):
            marker = lines[follow][:4]
            if marker in ("--- ", "+++ "):
                name, tab, tail = lines[follow][4:].partition("\t")
                lines[follow] = marker + name.replace(" b/", f"{_SPACE}b/") + tab + tail
            if marker == "+++ " or lines[follow].startswith(("@@ ", "diff --git ")):
                break
    return "\n".join(lines)


_MOVED_FROM = lazy_compile(r"^(?:rename|copy) from (.+)$", re.MULTILINE)
_MOVED_TO = lazy_compile(r"^(?:rename|copy) to (.+)$", re.MULTILINE)
_QUOTED_PAIR = lazy_compile(f"({_QUOTED}) ({_QUOTED})")
_GIT_HEADER_LINE = lazy_compile(r"^diff --git .+$", re.MULTILINE)


def _split_git_header(header: str, extended: str) -> tuple[str, str, int] | None:
    """Read a `diff --git` header as git does: the old and new path (without a/ and b/) and
    where the header splits them. Names may be quoted or hold spaces (`a/x b/y b/x b/y`)."""
    moved = None
    if "rename from " in extended or "copy from " in extended:  # (what the patterns need)
        moved_from = _MOVED_FROM.search(extended)
        moved_to = _MOVED_TO.search(extended)
        if moved_from and moved_to:
            moved = (_unquote(moved_from.group(1)), _unquote(moved_to.group(1)))
    rest = header.removeprefix("diff --git ")
    quoted = _QUOTED_PAIR.fullmatch(rest) if '"' in rest else None
    if moved is None and (quoted or '"' not in rest):  # the same name twice
        candidates = [quoted.end(1) if quoted else len(rest) // 2]
    else:
        candidates = [index for index, char in enumerate(rest) if char == " "]
    for index in candidates:
        if rest[index : index + 1] != " ":
            continue
        left, right = _unquote(rest[:index]), _unquote(rest[index + 1 :])
        prefixed = left[1:2] == "/" and right[1:2] == "/"
        if moved:
            if (left, right) == moved or (prefixed and (left[2:], right[2:]) == moved):
                return (*moved, index)
        elif left == right:  # no prefixes
            return left, right, index
        elif prefixed and left[2:] == right[2:]:
            return left[2:], right[2:], index
    return (*moved, -1) if moved else None


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of paths ("a/\\303\\244.txt", "a/\\"q\\".tf")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path

    def unescape(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8) & 0xFF])
        return bytes([_C_ESCAPES.get(escaped, escaped[0])])

    raw = re.sub(rb"\\([0-7]{1,3}|.)", unescape, path[1:-1].encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "replace")


def _strip_prefix(path: str | None, prefix: str) -> str | None:
    if path is None:
        return None
    path = _unquote(path.split("\t")[0])
    if path == "/dev/null":
        return None
    return path[len(prefix) :] if path.startswith(prefix) else path


def _file_change(patched: object, reader: _HunkReader) -> FileChange:
    hunks = tuple(reader.next(h) for h in patched)  # type: ignore[attr-defined]
    # The hunk headers' section text (`@@ … @@ Resources:`) names enclosing lines unseen.
    sections = [str(getattr(h, "section_header", "") or "") for h in patched]  # type: ignore[attr-defined]
    return _build_file(
        str(getattr(patched, "patch_info", "") or ""),
        getattr(patched, "source_file", None),
        getattr(patched, "target_file", None),
        bool(getattr(patched, "is_added_file", False)),
        bool(getattr(patched, "is_removed_file", False)),
        bool(getattr(patched, "is_binary_file", False)),
        hunks,
        sections,
    )


def _build_file(
    info: str,
    source_file: str | None,
    target_file: str | None,
    added_file: bool,
    removed_file: bool,
    binary_file: bool,
    hunks: tuple[Hunk, ...],
    sections: list[str],
) -> FileChange:
    """A file change from what a reader found in one file's part of the diff: its header text
    (`diff --git` and extended lines), the names of its ---/+++ (or `diff --git`) lines, and
    its hunks with their section texts."""
    source = _strip_prefix(source_file, "a/")
    target = _strip_prefix(target_file, "b/")
    header = _GIT_HEADER_LINE.search(info)
    split = _split_git_header(header.group(0).replace(_SPACE, " "), info) if header else None
    names = split[:2] if split else None
    if names:
        source, target = names
    is_added = added_file or "\nnew file mode " in info
    is_deleted = removed_file or "\ndeleted file mode " in info
    if is_added:
        source = None
    if is_deleted:
        target = None
    if source is None and target is None and names:  # "new" and "deleted" both: keep a path
        source, target = names
    is_binary = binary_file or "GIT binary patch" in info
    moded = "mode " in info  # what both mode patterns need
    old_mode = _first(_OLD_MODE, info) if moded else None
    new_mode = _first(_NEW_MODE, info) if moded else None
    status = _status(info, is_added, is_deleted, is_binary, hunks, old_mode, new_mode)
    index = _INDEX.search(info)
    path = target or source or ""
    return FileChange(
        old_path=source,
        new_path=target,
        status=status,
        hunks=hunks,
        formats=detect_formats(path, _sample(sections, hunks)),
        is_binary=is_binary,
        old_mode=old_mode or (index.group(3) if index and not is_added else None),
        new_mode=new_mode or (index.group(3) if index and not is_deleted else None),
        old_blob=index.group(1) if index else None,
        new_blob=index.group(2) if index else None,
    )


def _sample(sections: list[str], hunks: tuple[Hunk, ...]) -> str:
    """The hunks' section texts then their lines, one a line, cut at `SAMPLE_CHARS`: what
    format detection reads (lines past the cut are not joined)."""
    parts = list(sections)
    size = sum(len(part) + 1 for part in parts)
    for hunk in hunks:
        lines = hunk.lines
        for start in range(0, len(lines), 128):
            if size > SAMPLE_CHARS:
                break
            part = "\n".join(map(_TEXT, lines[start : start + 128]))
            parts.append(part)
            size += len(part) + 1
    return "\n".join(parts)[:SAMPLE_CHARS]


_TEXT = itemgetter(1)  # Line.text


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
    if "rename from " in info and re.search(r"^rename from ", info, re.MULTILINE):
        return Status.RENAMED
    if "copy from " in info and re.search(r"^copy from ", info, re.MULTILINE):
        return Status.COPIED
    if is_binary:
        return Status.BINARY
    if not hunks and old_mode and new_mode and old_mode != new_mode:
        return Status.MODE_CHANGED
    return Status.MODIFIED


class _HunkReader:
    """The lines of each hunk, read from the diff text in order, hunk after hunk."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.at = 0

    def next(self, h: object) -> Hunk:
        old_start, old_len = int(h.source_start), int(h.source_length)  # type: ignore[attr-defined]
        new_start, new_len = int(h.target_start), int(h.target_length)  # type: ignore[attr-defined]
        lines = self.lines
        while not lines[self.at].startswith("@@"):
            self.at += 1
        self.at += 1
        old_no, new_no = old_start, new_start
        old_left, new_left = old_len, new_len
        out: list[Line] = []
        removed: list[int] = []  # indexes in `out` of removed lines waiting for their anchor
        while old_left > 0 or new_left > 0:
            raw = lines[self.at]
            self.at += 1
            kind = raw[:1]
            if kind == "\\":
                continue  # "\ No newline at end of file"
            if kind == "-":
                removed.append(len(out))
                out.append(Line("-", raw[1:], old_no, None))
                old_no += 1
                old_left -= 1
                continue
            for index in removed:
                line = out[index]
                out[index] = Line("-", line.text, line.old_no, None, anchor=new_no)
            removed.clear()
            if kind == "+":
                out.append(Line("+", raw[1:], None, new_no))
                new_no += 1
                new_left -= 1
            else:  # a context line; a bare empty line is an empty context line
                out.append(Line(" ", raw[1:], old_no, new_no))
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
        # removed lines at the end stand before the line after the hunk on the new side
        after = new_start + new_len if new_len else new_start + 1
        for index in removed:
            line = out[index]
            out[index] = Line("-", line.text, line.old_no, None, anchor=after)
        while self.at < len(lines) and lines[self.at].startswith("\\"):
            self.at += 1
        return Hunk(old_start, old_len, new_start, new_len, tuple(out))


def hunks_between(old: str, new: str, context: int = 3) -> tuple[Hunk, ...]:
    """The hunks of a unified diff from text `old` to text `new` (as `diff -U context` has
    them), for a change that exists only as two texts: a file an agent is about to write."""
    import difflib

    a, b = _split_lines(old), _split_lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[Hunk] = []
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines: list[Line] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines.extend(Line(" ", a[a1 + k], a1 + k + 1, b1 + k + 1) for k in range(a2 - a1))
                continue
            lines.extend(Line("-", a[k], k + 1, None, anchor=b1 + 1) for k in range(a1, a2))
            lines.extend(Line("+", b[k], None, k + 1) for k in range(b1, b2))
        old_len, new_len = i2 - i1, j2 - j1
        hunks.append(
            Hunk(
                i1 + 1 if old_len else i1,
                old_len,
                j1 + 1 if new_len else j1,
                new_len,
                tuple(lines),
            )
        )
    return tuple(hunks)


def _split_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
