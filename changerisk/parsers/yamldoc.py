"""A line-aware YAML reader shared by the Kubernetes, CloudFormation and Ansible rules.

YAML is read with PyYAML's composer only (libyaml when present): the result is a tree of nodes
with line numbers, nothing is ever constructed, so a hostile file cannot build objects. Unknown
tags (`!Ref`, `!GetAtt`, `!Sub`, `!vault`…) are kept on the node as text. A multi-document stream
is read one document at a time: one broken document does not hide the others. Helm templates
(`{{ … }}`) are masked before parsing, line for line, so their structure still reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from changerisk.model import FileChange
from changerisk.regex import lazy_compile

MAX_DEPTH = 64  # deeper nesting is read as an opaque value (alias bombs, hostile input)
_SEPARATOR = lazy_compile(r"^---(?:\s|$)")
_TEMPLATE = lazy_compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_ACTION_LINE = lazy_compile(r"^\s*(?:\{\{-?.*?-?\}\}\s*)+$")


@dataclass(frozen=True, eq=False)
class YNode:
    """One YAML node: a mapping (`entries`), a sequence (`items`) or a scalar (`value`).

    `line` and `end_line` are 1-based lines of the file (not of the document). `tag` is a
    local tag such as `!Ref` (empty for plain nodes); `value` of a null scalar is "".
    """

    kind: str  # "map" | "seq" | "scalar"
    line: int
    end_line: int
    value: str = ""
    tag: str = ""
    items: tuple[YNode, ...] = ()
    entries: tuple[tuple[YNode, YNode], ...] = ()
    null: bool = False

    def get(self, key: str) -> YNode | None:
        """The value of `key` in a mapping (the last one if repeated), else None."""
        found = None
        for k, v in self.entries:
            if k.kind == "scalar" and k.value == key:
                found = v
        return found

    def key_line(self, key: str) -> int:
        """The line of `key` in a mapping (0 when absent)."""
        line = 0
        for k, _ in self.entries:
            if k.kind == "scalar" and k.value == key:
                line = k.line
        return line

    def at(self, *path: str | int) -> YNode | None:
        """The node at a path of keys and sequence indexes, or None."""
        node: YNode | None = self
        for step in path:
            if node is None:
                return None
            if isinstance(step, int):
                node = node.items[step] if node.kind == "seq" and step < len(node.items) else None
            else:
                node = node.get(step) if node.kind == "map" else None
        return node

    def text(self, *path: str | int) -> str | None:
        """The scalar value at `path` (None when absent, null or not a scalar)."""
        node = self.at(*path)
        if node is None or node.kind != "scalar" or node.null:
            return None
        return node.value

    def keys(self) -> list[str]:
        return [k.value for k, _ in self.entries if k.kind == "scalar"]

    def plain(self) -> object:
        """A comparable Python value: dicts, lists and strings; a tagged node is `{tag: value}`.

        Nodes shared through aliases are converted once and shared (an alias bomb stays small).
        """
        return self._plain({})

    def _plain(self, memo: dict[int, object]) -> object:
        if id(self) in memo:
            return memo[id(self)]
        value: object
        if self.kind == "map":
            value = {
                k.value if k.kind == "scalar" else repr(k._plain(memo)): v._plain(memo)
                for k, v in self.entries
            }
        elif self.kind == "seq":
            value = [item._plain(memo) for item in self.items]
        else:
            value = None if self.null else self.value
        result = {self.tag: value} if self.tag else value
        memo[id(self)] = result
        return result


class Document(NamedTuple):
    """One document of a stream: its root (None when it did not parse) and its lines."""

    root: YNode | None
    start: int  # first line of the document (1-based)
    end: int  # last line
    error: str = ""

    @property
    def parsed(self) -> bool:
        return self.root is not None


@dataclass(frozen=True)
class Stream:
    """All documents of a YAML text."""

    documents: tuple[Document, ...] = field(default_factory=tuple)

    @property
    def roots(self) -> list[YNode]:
        return [d.root for d in self.documents if d.root is not None]

    @property
    def complete(self) -> bool:
        """True when every non-empty document parsed."""
        return all(d.parsed or not d.error for d in self.documents)


def mask_templates(text: str) -> str:
    """Helm/Go templates made YAML-neutral, keeping every line where it was.

    A line holding only template actions (`{{- if … }}`, `{{ include … | nindent 4 }}`) becomes
    blank; an expression inside a value becomes a same-line placeholder string.
    """
    if "{{" not in text:
        return text
    lines = text.split("\n")
    out = [("" if _ACTION_LINE.match(line) else line) for line in lines]
    masked = "\n".join(out)
    return _TEMPLATE.sub(_placeholder, masked)


def _placeholder(match: re.Match[str]) -> str:
    newlines = match.group(0).count("\n")
    return "TEMPLATE" + "\n" * newlines


def parse_stream(text: str, *, templated: bool = False, mask: bool = True) -> Stream:
    """Every document of `text`, each parsed on its own (never raises).

    `mask=False` reads `{{ … }}` as written: for formats whose templates sit inside valid
    YAML strings (Ansible's Jinja), where the rules need the expression itself.
    """
    if mask and (templated or "{{" in text):
        text = mask_templates(text)
    lines = text.split("\n")
    documents: list[Document] = []
    start = 0
    bounds: list[tuple[int, int]] = []
    for number, line in enumerate(lines):
        if _SEPARATOR.match(line) and number > start:
            bounds.append((start, number))
            start = number
        elif _SEPARATOR.match(line):
            start = number
    bounds.append((start, len(lines)))
    for first, stop in bounds:
        body = lines[first:stop]
        if body and _SEPARATOR.match(body[0]):
            body = ["", *body[1:]]  # keep the offset; drop the marker and anything after it
        if not any(line.strip() and not line.lstrip().startswith("#") for line in body):
            continue
        documents.append(_parse_document("\n".join(body), first))
    return Stream(tuple(documents))


def _parse_document(text: str, offset: int) -> Document:
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    end = offset + text.count("\n") + 1
    try:
        node = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {offset + mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        return Document(None, offset + 1, end, error=f"{problem}{where}")
    if node is None:
        return Document(None, offset + 1, end)
    return Document(_convert(node, offset, {}, 0), offset + 1, end)


def _convert(node: Any, offset: int, seen: dict[int, YNode], depth: int) -> YNode:
    import yaml

    known = seen.get(id(node))
    if known is not None:  # aliases share nodes: convert each once
        return known
    line = offset + node.start_mark.line + 1
    tag = str(node.tag or "")
    local_tag = tag if tag.startswith("!") else ""
    if depth > MAX_DEPTH:
        return YNode("scalar", line, line, value="…", tag="!opaque")
    if isinstance(node, yaml.ScalarNode):
        end = offset + node.end_mark.line + (1 if node.end_mark.column > 0 else 0)
        null = tag.endswith(":null") or (
            not node.style and node.value in ("", "~", "null", "Null", "NULL")
        )
        result = YNode(
            "scalar", line, max(line, end), value=str(node.value), tag=local_tag, null=null
        )
        seen[id(node)] = result
        return result
    seen[id(node)] = YNode("scalar", line, line, value="…", tag="!recursive")  # a cycle
    if isinstance(node, yaml.SequenceNode):
        items = tuple(_convert(item, offset, seen, depth + 1) for item in node.value)
        last = max([line, *(i.end_line for i in items)])
        result = YNode("seq", line, last, tag=local_tag, items=items)
    else:
        entries = tuple(
            (_convert(k, offset, seen, depth + 1), _convert(v, offset, seen, depth + 1))
            for k, v in node.value
        )
        entries = _merge_keys(entries)
        last = max([line, *(v.end_line for _, v in entries)])
        result = YNode("map", line, last, tag=local_tag, entries=entries)
    seen[id(node)] = result
    return result


def _merge_keys(entries: tuple[tuple[YNode, YNode], ...]) -> tuple[tuple[YNode, YNode], ...]:
    """Apply `<<: *alias` merge keys: the merged entries come first, explicit keys override."""
    if not any(k.kind == "scalar" and k.value == "<<" and not k.tag for k, _ in entries):
        return entries
    merged: list[tuple[YNode, YNode]] = []
    own: list[tuple[YNode, YNode]] = []
    for key, value in entries:
        if key.kind == "scalar" and key.value == "<<":
            sources = value.items if value.kind == "seq" else (value,)
            for source in sources:
                merged.extend(source.entries)
        else:
            own.append((key, value))
    explicit = {k.value for k, _ in own if k.kind == "scalar"}
    return tuple([(k, v) for k, v in merged if k.value not in explicit] + own)


def walk(node: YNode) -> Iterator[YNode]:
    """`node` and every node below it, depth first (shared alias nodes may repeat)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current.kind == "map":
            stack.extend(v for _, v in reversed(current.entries))
        elif current.kind == "seq":
            stack.extend(reversed(current.items))


def stream_of(change: FileChange, side: str, *, mask: bool = True) -> Stream:
    """The parsed YAML documents of one side ("old"/"new") of a file, parsed once per run
    (`mask=False`: templates read as written, see `parse_stream`)."""

    def build() -> Stream:
        text = change.old_text() if side == "old" else change.new_text()
        if not text:
            return Stream()
        return parse_stream(text, templated="helm" in change.formats, mask=mask)

    return change.cached(f"yaml:{side}" if mask else f"yaml-unmasked:{side}", build)
