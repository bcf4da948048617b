"""The literal values of Terraform blocks, nested blocks kept apart, with their lines.

`changerisk.parsers.hcl` gives each top-level block's attributes as source text (nested blocks
of one type merged); rules that compare a security group's `ingress` blocks one by one, or a
role binding's `members` list, need the values themselves: strings, numbers, booleans, lists,
objects, and nested blocks as a list per type. Literals are evaluated, anything else (a
variable, a function call other than `jsonencode`) is kept as opaque source text, which never
equals a literal. One parse per file side, shared by every rule through `blocks_of`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.model import FileChange
from changerisk.parsers.hcl import balance_partial, query, syntax_tree
from changerisk.parsers.policy import _block_node, _block_type, _labels, _Node

Value = _Node  # kind "str" | "list" | "dict" | "null" | "opaque" (numbers, booleans, refs)

_BLOCKS = "(block (identifier) @type) @block"


class TfBlock(NamedTuple):
    """A top-level block: kind (`resource`, `data`, `module`…), labels, lines, and its body
    as a `Value` mapping."""

    kind: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    body: Value

    @property
    def type(self) -> str:
        return self.labels[0] if self.labels else ""

    @property
    def address(self) -> str:
        if self.kind == "resource" and len(self.labels) == 2:
            return f"{self.labels[0]}.{self.labels[1]}"
        if self.kind == "data" and len(self.labels) == 2:
            return f"data.{self.labels[0]}.{self.labels[1]}"
        if self.kind == "module" and self.labels:
            return f"module.{self.labels[0]}"
        return ""


def parse_blocks(text: str) -> tuple[TfBlock, ...]:
    """The top-level blocks of an HCL text; syntax errors leave the blocks that parse."""
    import tree_sitter

    tree = syntax_tree(text)
    source = text.encode("utf-8", "replace")
    found = []
    for _, captures in tree_sitter.QueryCursor(query(_BLOCKS)).matches(tree.root_node):
        node = captures["block"][0]
        parent = node.parent
        while parent is not None and parent.type != "block":
            parent = parent.parent
        if parent is not None:
            continue
        found.append(
            TfBlock(
                _block_type(node),
                tuple(_labels(node)),
                node.start_point[0] + 1,
                node.end_point[0] + 1,
                _block_node(node, source, 0),
            )
        )
    return tuple(found)


def blocks_of(change: FileChange, side: str) -> tuple[TfBlock, ...]:
    """The blocks of one side ("old"/"new") of a Terraform file, parsed once per run."""

    def build() -> tuple[TfBlock, ...]:
        path = (change.old_path or change.path) if side == "old" else change.path
        if path.endswith(".json"):
            return ()
        text = change.old_text() if side == "old" else change.new_text()
        if not text:
            return ()
        if change.is_partial(side):
            text = balance_partial(text, change, side)
        return parse_blocks(text)

    return change.cached(f"tfvalues:{side}", build)


def get(node: Value | None, name: str) -> Value | None:
    """The value of attribute (or nested block list) `name` of a mapping."""
    if node is None or node.kind != "dict":
        return None
    found = None
    for key, _, value in node.entries:
        if key == name:
            found = value
    return found


def key_line(node: Value, name: str) -> int:
    """The line of attribute `name` in a mapping, else the mapping's first line."""
    for key, line, _ in node.entries:
        if key == name:
            return line
    return node.line


def scalar(node: Value | None) -> str | None:
    """A literal string, number or boolean as text; None for anything else."""
    if node is None:
        return None
    if node.kind == "str":
        return node.text
    if node.kind == "opaque" and _is_literal(node.text):
        return node.text.strip()
    return None


def strings(node: Value | None) -> list[Value]:
    """The literal items of a list (or the value itself): each a `Value` with its line."""
    if node is None:
        return []
    items = node.items if node.kind == "list" else (node,)
    return [item for item in items if scalar(item) is not None]


def nested(node: Value, name: str) -> list[Value]:
    """The nested blocks `name { … }` of a block body (and `dynamic` ones are skipped)."""
    value = get(node, name)
    if value is None or value.kind != "list":
        return []
    return [item for item in value.items if item.kind == "dict"]


def is_true(node: Value | None) -> bool:
    return scalar(node) == "true"


def walk(node: Value, depth: int = 0) -> Iterator[Value]:
    """Every value under `node`, itself included."""
    yield node
    if depth > 64:
        return
    for item in node.items:
        yield from walk(item, depth + 1)
    for _, _, value in node.entries:
        yield from walk(value, depth + 1)


def _is_literal(text: str) -> bool:
    stripped = text.strip()
    if stripped in ("true", "false"):
        return True
    try:
        float(stripped)
    except ValueError:
        return False
    return True
