"""The change model: severities, categories, lines, hunks, file changes, change sets, findings."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, compress, repeat
from operator import itemgetter
from typing import NamedTuple, TypeVar


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so `max()` gives the worst."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f'"{text}" is not a level') from None

    def shifted(self, steps: int) -> Severity:
        return Severity(min(max(self + steps, Severity.INFO), Severity.CRITICAL))


LEVEL_NAMES = ("none", *(s.label for s in Severity))


class Category(str, enum.Enum):
    """What kind of blast radius a finding describes."""

    DESTRUCTIVE = "destructive"
    RECREATE = "recreate"
    ACCESS = "access"
    CRITICAL_PATH = "critical-path"
    CHANGE_SHAPE = "change-shape"
    PROVENANCE = "provenance"
    INTEGRITY = "integrity"
    PROCESS = "process"


class Confidence(str, enum.Enum):
    """How sure a rule is: a plan's delete is certain, a text pattern is not."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Status(str, enum.Enum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"
    MODE_CHANGED = "mode-changed"
    BINARY = "binary"


class Line(NamedTuple):
    """One changed or context line of a hunk.

    `old_no` / `new_no` are 1-based line numbers on each side (None where the line does not
    exist on that side). For a removed line, `anchor` is the new-side line number where it stood.
    """

    kind: str  # "+", "-" or " "
    text: str
    old_no: int | None
    new_no: int | None
    anchor: int = 0


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[Line, ...]
    # The texts of the old side's lines (numbered from old_start on) and of the new side's
    # (from new_start on), when the diff reader has them at hand: `reconstruct` then takes
    # them as they are instead of picking them out of `lines` one by one.
    side_texts: tuple[tuple[str, ...], tuple[str, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def added(self) -> tuple[Line, ...]:
        return tuple(_of_kind(self.lines, "+"))

    @property
    def removed(self) -> tuple[Line, ...]:
        return tuple(_of_kind(self.lines, "-"))


_KIND = itemgetter(0)


def _of_kind(lines: tuple[Line, ...], kind: str) -> Iterator[Line]:
    """The lines of one kind, in order (the test runs in C, not once a line in Python)."""
    return compress(lines, map(kind.__eq__, map(_KIND, lines)))


_TEXT, _OLD_NO, _NEW_NO = itemgetter(1), itemgetter(2), itemgetter(3)
_NO_NUMBER: frozenset[None] = frozenset({None})
TextLoader = Callable[[], "str | None"]
T = TypeVar("T")


@dataclass(eq=False)
class FileChange:
    """One file of a change: paths, status, detected formats, hunks, and lazy full texts."""

    old_path: str | None
    new_path: str | None
    status: Status
    hunks: tuple[Hunk, ...] = ()
    formats: frozenset[str] = frozenset()
    is_binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    old_blob: str | None = None
    new_blob: str | None = None
    load_old: TextLoader | None = field(default=None, repr=False)
    load_new: TextLoader | None = field(default=None, repr=False)
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> str:
        """The path a reviewer knows the file by: the new path, or the old one if deleted."""
        return self.new_path or self.old_path or ""

    @cached_property
    def added_lines(self) -> tuple[Line, ...]:
        return tuple(chain.from_iterable(_of_kind(hunk.lines, "+") for hunk in self.hunks))

    @cached_property
    def removed_lines(self) -> tuple[Line, ...]:
        return tuple(chain.from_iterable(_of_kind(hunk.lines, "-") for hunk in self.hunks))

    @cached_property
    def added_text(self) -> str:
        """The added lines' texts, one a line: to look for a word before reading line by
        line (a word without a newline is here exactly when some added line holds it)."""
        return "\n".join(map(_TEXT, self.added_lines))

    @cached_property
    def removed_text(self) -> str:
        """The removed lines' texts, one a line."""
        return "\n".join(map(_TEXT, self.removed_lines))

    @cached_property
    def added_line_numbers(self) -> frozenset[int]:
        return frozenset(map(_NEW_NO, self.added_lines)) - _NO_NUMBER

    @cached_property
    def removed_line_numbers(self) -> frozenset[int]:
        return frozenset(map(_OLD_NO, self.removed_lines)) - _NO_NUMBER

    def old_text(self) -> str | None:
        """Full text before the change (None for added or binary files)."""
        if self.status is Status.ADDED or self.is_binary:
            return None
        return self._text("old", self.load_old, side="old")

    def new_text(self) -> str | None:
        """Full text after the change (None for deleted or binary files)."""
        if self.status is Status.DELETED or self.is_binary:
            return None
        return self._text("new", self.load_new, side="new")

    def _text(self, key: str, loader: TextLoader | None, side: str) -> str | None:
        if key not in self._cache:
            text = loader() if loader is not None else None
            self._cache[f"{key}:partial"] = text is None
            self._cache[key] = text if text is not None else reconstruct(self.hunks, side)
        value = self._cache[key]
        return value if isinstance(value, str) else None

    def is_partial(self, side: str) -> bool:
        """Whether the text of `side` was rebuilt from the hunks (no full text available)."""
        if side == "old":
            self.old_text()
        else:
            self.new_text()
        return bool(self._cache.get(f"{side}:partial", False))

    def shows(self, side: str, first: int, last: int) -> bool:
        """Whether every line `first`..`last` of `side` is known: always with a full text; in
        a text rebuilt from hunks, only when the hunks show them all. A structure spanning an
        unseen line (a blank stand-in) cannot be judged: a YAML mapping may swallow the next
        visible lines, an HCL block may end where it does not."""
        if not self.is_partial(side):
            return True
        seen = self.cached(f"seen:{side}", lambda: self._seen(side))
        return all(number in seen for number in range(first, last + 1))

    def _seen(self, side: str) -> frozenset[int]:
        numbers = (
            line.old_no if side == "old" else line.new_no
            for hunk in self.hunks
            for line in hunk.lines
        )
        return frozenset(n for n in numbers if n is not None)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Memoise a parse of this file so every rule that wants it shares one parse."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]  # type: ignore[return-value]

    def first_changed_line(self) -> tuple[int, str]:
        """Where a whole-file finding points: the first added line (side "new"), else the
        first removed one, else line 1 of the old file (a pure rename or mode change)."""
        added = next((ln.new_no for ln in self.added_lines if ln.new_no), 0)
        if added:
            return added, "new"
        return next((ln.old_no for ln in self.removed_lines if ln.old_no), 1), "old"

    def new_position(self, old_no: int) -> int:
        """The new-side line where old line `old_no` stands (or stood, if removed).

        A hunk side of length 0 names the line before it (`@@ -4,0 +5,2 @@` inserts after
        old line 4), so its first line after is start + 1.
        """
        delta = 0
        for hunk in self.hunks:
            old_after = hunk.old_start + (hunk.old_len or 1)
            if old_no < (hunk.old_start if hunk.old_len else old_after):
                break
            if old_no < old_after:
                for line in hunk.lines:
                    if line.old_no == old_no:
                        return line.new_no if line.new_no is not None else line.anchor
            delta = hunk.new_start + (hunk.new_len or 1) - old_after
        return max(old_no + delta, 1)

    def old_line(self, number: int) -> str:
        return _line_at(self.old_text(), number)

    def new_line(self, number: int) -> str:
        return _line_at(self.new_text(), number)


def _line_at(text: str | None, number: int) -> str:
    if not text or number < 1:
        return ""
    lines = text.splitlines()
    return lines[number - 1] if number <= len(lines) else ""


def reconstruct(hunks: tuple[Hunk, ...], side: str) -> str:
    """Rebuild one side of a file from its hunks, blank lines standing in for unseen ones.

    Line numbers stay true, so findings on a bare diff point at the right lines.
    """
    out: list[str] = []
    for hunk in hunks:
        if hunk.side_texts is not None:
            texts = hunk.side_texts[0 if side == "old" else 1]
            if texts:  # numbered from the hunk's start on: what the loop below would do
                first = hunk.old_start if side == "old" else hunk.new_start
                if len(out) < first - 1:
                    out.extend(repeat("", first - 1 - len(out)))
                out.extend(texts[max(len(out) - (first - 1), 0) :])
            continue
        for line in hunk.lines:
            number = line.old_no if side == "old" else line.new_no
            if number is None:
                continue
            while len(out) < number - 1:
                out.append("")
            if len(out) == number - 1:
                out.append(line.text)
    return "\n".join(out) + ("\n" if out else "")


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    author_email: str
    message: str
    date: str = ""  # author date, ISO 8601
    parents: tuple[str, ...] = ()
    committer_email: str = ""

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass
class ChangeSet:
    """A whole change: its files and where it came from."""

    files: list[FileChange]
    source: str  # "diff", "stdin", "worktree", "staged", "base", "plan"
    description: str = ""
    repo_root: str | None = None
    commits: tuple[Commit, ...] = ()
    base_rev: str | None = None  # the revision the change starts from (CODEOWNERS is read there)
    # unchanged files given to rules as context (a Terraform module's other files beside the one
    # an agent is about to write): rules read them, findings on them are not reported
    context_paths: frozenset[str] = frozenset()
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Memoise an analysis of the whole change (all its Terraform modules, all its SQL) so
        the rules of a family share one; rules read it and never change it."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]  # type: ignore[return-value]


@dataclass(frozen=True)
class Finding:
    """What one rule found: the consequence in production, the evidence, and what to do."""

    code: str
    name: str
    category: Category
    severity: Severity
    path: str
    line: int
    message: str
    evidence: str = ""
    hint: str = ""
    confidence: Confidence = Confidence.HIGH
    side: str = "new"  # "new": line is in the new file; "old": in the old file
    anchor: int = 0  # for side "old": the new-side line where the removed text stood
    base_severity: Severity | None = None  # before context adjustment
    adjustments: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)
