"""Terraform / OpenTofu structure from HCL (tree-sitter-hcl) or `.tf.json`.

One parse per file side, shared by every rule through `terraform_of(change, side)`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

from changerisk.model import FileChange
from changerisk.regex import lazy_compile

# Every block; nesting is checked after, so blocks inside an ERROR node (a partial file
# rebuilt from diff hunks starts mid-block) still count as top-level.
_BLOCKS = "(block (identifier) @type) @block"
_ADDRESS = lazy_compile(r"^[A-Za-z0-9_.\[\]\"\-*]+$")


@dataclass(frozen=True)
class Block:
    """A top-level block: `resource "aws_db_instance" "main" { … }` and friends."""

    kind: str  # resource, data, module, moved, removed, import, variable, output, …
    labels: tuple[str, ...]
    line: int
    end_line: int
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    nested: dict[str, dict[str, str]] = field(default_factory=dict, hash=False, compare=False)
    # Where each attribute is: "name" for top-level ones, "lifecycle.prevent_destroy" nested.
    lines: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    # Nested blocks in order: (type, labels, line), e.g. ("backend", ("s3",), 3).
    children: tuple[tuple[str, tuple[str, ...], int], ...] = field(
        default=(), hash=False, compare=False
    )

    def line_of(self, name: str) -> int:
        """The line of attribute `name` ("a" or "block.a"), or the block's first line."""
        return self.lines.get(name, self.line)

    @property
    def address(self) -> str:
        if self.kind == "resource" and len(self.labels) == 2:
            return f"{self.labels[0]}.{self.labels[1]}"
        if self.kind == "data" and len(self.labels) == 2:
            return f"data.{self.labels[0]}.{self.labels[1]}"
        if self.kind == "module" and self.labels:
            return f"module.{self.labels[0]}"
        return ""


class TerraformFile(NamedTuple):
    blocks: tuple[Block, ...]

    def addressed(self) -> dict[str, Block]:
        """Resources, data sources and module calls by address."""
        return {b.address: b for b in self.blocks if b.address}

    def moves(self) -> dict[str, str]:
        """`moved` blocks: from-address -> to-address."""
        out = {}
        for block in self.blocks:
            if block.kind == "moved" and "from" in block.attributes and "to" in block.attributes:
                out[_strip_index(block.attributes["from"])] = _strip_index(block.attributes["to"])
        return out

    def forgets(self) -> set[str]:
        """Addresses of `removed` blocks that keep the real object (`destroy = false`)."""
        out = set()
        for block in self.blocks:
            if block.kind == "removed" and "from" in block.attributes:
                lifecycle = block.nested.get("lifecycle", {})
                if lifecycle.get("destroy", "true").strip() == "false":
                    out.add(_strip_index(block.attributes["from"]))
        return out

    def removals(self) -> set[str]:
        """Addresses of every `removed` block, whether it destroys or forgets."""
        return {
            _strip_index(b.attributes["from"])
            for b in self.blocks
            if b.kind == "removed" and "from" in b.attributes
        }


def _strip_index(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address.strip())


@cache
def language() -> Any:
    """The tree-sitter HCL language, loaded once."""
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Language(tree_sitter_hcl.language())


@cache
def query(source: str) -> Any:
    """A compiled tree-sitter query over HCL, compiled once per source."""
    import tree_sitter

    return tree_sitter.Query(language(), source)


@lru_cache(maxsize=32)
def syntax_tree(text: str) -> Any:
    """The tree-sitter tree of an HCL text, shared by every reader of the same text (the
    Terraform structure and the IAM policies of one file are read from one parse)."""
    import tree_sitter

    return tree_sitter.Parser(language()).parse(text.encode("utf-8", "replace"))


def parse_hcl(text: str) -> TerraformFile:
    """The top-level blocks of an HCL file; syntax errors leave the parseable blocks."""
    import tree_sitter

    tree = syntax_tree(text)
    cursor = tree_sitter.QueryCursor(query(_BLOCKS))
    blocks = []
    for _, captures in cursor.matches(tree.root_node):
        node = captures["block"][0]
        if _inside_block(node):
            continue
        kind = _text(captures["type"][0])
        labels = _labels(node)
        attributes, nested, lines, children = _attributes(node)
        blocks.append(
            Block(
                kind=kind,
                labels=labels,
                line=node.start_point[0] + 1,
                end_line=node.end_point[0] + 1,
                attributes=attributes,
                nested=nested,
                lines=lines,
                children=children,
            )
        )
    return TerraformFile(tuple(blocks))


def _inside_block(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "block":
            return True
        parent = parent.parent
    return False


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _body(node: Any) -> Any:
    return next((c for c in node.named_children if c.type == "body"), None)


def _labels(block: Any) -> tuple[str, ...]:
    return tuple(
        _text(child).strip('"')
        for child in block.named_children[1:]
        if child.type in ("string_lit", "identifier")
    )


def _attributes(
    block: Any,
) -> tuple[
    dict[str, str],
    dict[str, dict[str, str]],
    dict[str, int],
    tuple[tuple[str, tuple[str, ...], int], ...],
]:
    """A block's attributes, its nested blocks' attributes (one level, merged by type), the
    line of each, and its nested blocks in order."""
    attributes: dict[str, str] = {}
    nested: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    children: list[tuple[str, tuple[str, ...], int]] = []
    body = _body(block)
    if body is None:
        return attributes, nested, lines, ()
    for child in body.named_children:
        if child.type == "attribute" and child.named_child_count >= 2:
            name = _text(child.named_children[0])
            attributes[name] = _text(child.named_children[1])
            lines[name] = child.start_point[0] + 1
        elif child.type == "block" and child.named_child_count:
            kind = _text(child.named_children[0])
            children.append((kind, _labels(child), child.start_point[0] + 1))
            inner, _, inner_lines, _ = _attributes(child)
            nested.setdefault(kind, {}).update(inner)
            lines.setdefault(kind, child.start_point[0] + 1)
            for name, line in inner_lines.items():
                lines[f"{kind}.{name}"] = line
    return attributes, nested, lines, tuple(children)


def parse_tf_json(text: str) -> TerraformFile:
    """The blocks of a `.tf.json` file; line numbers point at each block's name key."""
    try:
        data = json.loads(text)
    except ValueError:
        return TerraformFile(())
    if not isinstance(data, dict):
        return TerraformFile(())
    lines = text.splitlines()
    blocks = []
    for kind in ("resource", "data"):
        for rtype, named in _dict(data.get(kind)).items():
            for name, body in _dict(named).items():
                blocks.append(Block(kind, (rtype, name), _line_of(lines, name), 0, _flat(body)))
    for name, body in _dict(data.get("module")).items():
        blocks.append(Block("module", (name,), _line_of(lines, name), 0, _flat(body)))
    for kind in ("moved", "removed"):
        entries = data.get(kind)
        for body in entries if isinstance(entries, list) else [entries] if entries else []:
            blocks.append(
                Block(
                    kind, (), 1, 0, _flat(body), {"lifecycle": _flat(_dict(body).get("lifecycle"))}
                )
            )
    return TerraformFile(tuple(blocks))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _flat(body: object) -> dict[str, str]:
    return {k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in _dict(body).items()}


def _line_of(lines: list[str], key: str) -> int:
    needle = f'"{key}"'
    return next((i for i, line in enumerate(lines, 1) if needle in line), 1)


def balance_partial(text: str, change: FileChange, side: str) -> str:
    """Make a text rebuilt from hunks parseable: each hunk may start inside a block whose
    opening line is unseen (its lines are blanked) and end inside one (closed at its end)."""
    lines = text.split("\n")
    for hunk in change.hunks:
        numbers = [
            n for n in ((ln.old_no if side == "old" else ln.new_no) for ln in hunk.lines) if n
        ]
        depth = 0
        for position, number in enumerate(numbers):
            line = _code_part(lines[number - 1])
            depth += line.count("{") - line.count("}")
            if depth < 0:
                for blank in numbers[: position + 1]:
                    lines[blank - 1] = ""
                depth = 0
        if depth > 0 and numbers:
            lines[numbers[-1] - 1] += " " + "}" * depth
    return "\n".join(lines)


def _code_part(line: str) -> str:
    """The line without comments and string contents, for brace counting."""
    line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
    return re.split(r"#|//", line, maxsplit=1)[0]


def terraform_of(change: FileChange, side: str) -> TerraformFile:
    """The parsed Terraform structure of one side ("old"/"new") of a file, parsed once."""

    def build() -> TerraformFile:
        text = change.old_text() if side == "old" else change.new_text()
        if not text:
            return TerraformFile(())
        if change.path.endswith(".json"):
            return parse_tf_json(text)
        if change.is_partial(side):
            text = balance_partial(text, change, side)
        return parse_hcl(text)

    return change.cached(f"terraform:{side}", build)
