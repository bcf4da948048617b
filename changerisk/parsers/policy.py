"""IAM policy statements, with line numbers, from JSON, CloudFormation YAML and Terraform HCL.

Every front end turns its input into the same small tree of located values (`_Node`), and one
walker finds the statements in it: any mapping with a `Statement` key, a JSON policy held in a
string (a heredoc, a quoted attribute, a YAML block), and `data "aws_iam_policy_document"`
blocks. Nothing that cannot be read raises: a side that does not parse gives fewer statements.
One parse per file side, shared by every rule through `statements_of(change, side)`.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from changerisk.model import FileChange
from changerisk.parsers.hcl import balance_partial, query, syntax_tree
from changerisk.regex import lazy_compile

_MAX_DEPTH = 64
_WS = lazy_compile(r"[ \t\n\r]*")
_STRING = lazy_compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_SURROGATE = lazy_compile("[\ud800-\udfff]")  # a lone "\\ud800" escape cannot be encoded
_NUMBER = lazy_compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_HCL_ESCAPE = lazy_compile(r'\\(["\\nrt]|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})|\$\$\{|%%\{')
_HCL_SUFFIXES = (".tf", ".tofu", ".hcl")
_YAML_SUFFIXES = (".yaml", ".yml", ".template")
_KEYS = {  # normalised key -> field; the plural forms are the aws_iam_policy_document shape
    "effect": "effect",
    "action": "action",
    "actions": "action",
    "notaction": "notaction",
    "notactions": "notaction",
    "resource": "resource",
    "resources": "resource",
    "notresource": "notresource",
    "notresources": "notresource",
    "principal": "principal",
    "principals": "principal",
    "condition": "condition",
    "sid": "sid",
}
_YAML_STATEMENT = lazy_compile(
    r"^( *)(?:[\"']?Statement[\"']?|- +[\"']?(?:Sid|Effect|Action|NotAction)[\"']?) *:(?: |$)"
)
_PLURAL = frozenset({"actions", "notactions", "resources", "notresources"})


class Statement(NamedTuple):
    """One statement of an IAM policy; lines are 1-based in the file it came from.

    `principals` reads "*" or "TYPE:identifier" ("AWS:*", "Service:ec2.amazonaws.com").
    `action_line` / `resource_line` point at a "*" value when there is one, else at the key.
    """

    effect: str  # "Allow", "Deny", or what the source said when it is neither
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    has_condition: bool = False
    line: int = 1
    end_line: int = 1
    action_line: int = 1
    resource_line: int = 1
    sid: str = ""
    conditions: tuple[str, ...] = ()  # the condition keys ("aws:SourceVpc"), one per key
    principal_line: int = 0  # the line of a "*" in the principal, else of its key (0: none)
    condition_line: int = 0  # the line of the `Condition` key (0: none)

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"


@dataclass(frozen=True)
class _Node:
    """A located value: "str", "list", "dict", "null" or "opaque" (an expression we cannot
    evaluate, kept as its source text so it never equals "*")."""

    kind: str
    line: int
    end_line: int
    text: str = ""
    items: tuple[_Node, ...] = ()
    entries: tuple[tuple[str, int, _Node], ...] = ()  # key, line of the key, value
    body_line: int = 0  # for "str": the line of the text's first line if lines map 1:1


def parse_policies(text: str, path: str) -> tuple[Statement, ...]:
    """The statements in `text`, read as Terraform HCL, YAML or JSON by `path`'s suffix."""
    lower = path.lower()
    if lower.endswith(_HCL_SUFFIXES):
        return parse_hcl_policies(text)
    if lower.endswith(_YAML_SUFFIXES):
        return parse_yaml_policies(text)
    if lower.endswith(".json") or text.lstrip().startswith(("{", "[")):
        return parse_json_policies(text)
    return parse_yaml_policies(text)


def statements_of(change: FileChange, side: str) -> tuple[Statement, ...]:
    """The statements of one side ("old"/"new") of a file, parsed once for every rule."""

    def build() -> tuple[Statement, ...]:
        text = change.old_text() if side == "old" else change.new_text()
        path = (change.old_path or change.path) if side == "old" else change.path
        if not text or "action" not in text.lower():
            return ()  # every statement that grants anything names its actions
        if not (path.lower().endswith(_HCL_SUFFIXES) and change.is_partial(side)):
            return parse_policies(text, path)
        # A side rebuilt from hunks may start inside a block, an object or a heredoc: read it
        # as it is, with its braces balanced, and as JSON, keeping the first reading of a span.
        return _union(
            parse_hcl_policies(text),
            parse_hcl_policies(balance_partial(text, change, side)),
            parse_json_policies(text),
        )

    return change.cached(f"policy:{side}", build)


def _union(*readings: tuple[Statement, ...]) -> tuple[Statement, ...]:
    kept: list[Statement] = []
    for reading in readings:
        fresh = [
            s
            for s in reading
            if not any(s.line <= k.end_line and k.line <= s.end_line for k in kept)
        ]
        kept.extend(fresh)
    return tuple(sorted(kept, key=lambda s: (s.line, s.action_line)))


# Statements from located values -------------------------------------------------------------


def _statements(roots: list[_Node], loose: bool = False) -> tuple[Statement, ...]:
    found: list[Statement] = []
    for root in roots:
        for node in root.items if loose and root.kind == "list" else (root,):
            if loose and _looks_like_statement(node):
                found.extend(_statement(node))
            else:
                _walk(node, found, 0)
    return tuple(sorted(dict.fromkeys(found), key=lambda s: (s.line, s.action_line)))


def _walk(node: _Node, found: list[Statement], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if node.kind == "str":
        found.extend(_embedded(node))
    for child in node.items:
        _walk(child, found, depth + 1)
    for key, _, value in node.entries:
        if key.lower() == "statement" and value.kind in ("list", "dict"):
            for item in value.items if value.kind == "list" else (value,):
                found.extend(_statement(item))
        else:
            _walk(value, found, depth + 1)


def _embedded(node: _Node) -> tuple[Statement, ...]:
    """A JSON policy held in a string: a heredoc, an escaped attribute, a YAML block."""
    stripped = node.text.lstrip()
    if not stripped.startswith("{") or "statement" not in stripped.lower():
        return ()
    if node.body_line:
        return parse_json_policies(node.text, first_line=node.body_line)
    return parse_json_policies(node.text, first_line=node.line, flat=True)


def _looks_like_statement(node: _Node) -> bool:
    keys = {_KEYS.get(k.lower().replace("_", "")) for k, _, _ in node.entries}
    return "effect" in keys and bool(keys & {"action", "notaction"})


def _statement(node: _Node) -> tuple[Statement, ...]:
    if node.kind != "dict":
        return ()
    fields: dict[str, tuple[int, _Node]] = {}
    plural = False
    for key, key_line, value in node.entries:
        normal = key.lower().replace("_", "")
        plural = plural or normal in _PLURAL
        if normal in _KEYS:
            fields[_KEYS[normal]] = (key_line, value)
    if "effect" in fields:
        effect = _scalar(fields["effect"][1])
        effect = {"allow": "Allow", "deny": "Deny"}.get(effect.lower(), effect)
    else:  # aws_iam_policy_document statements default to Allow; JSON ones must say
        effect = "Allow" if plural else ""
    action_key = "action" if "action" in fields else "notaction"
    resource_key = "resource" if "resource" in fields else "notresource"
    condition = fields.get("condition")
    return (
        Statement(
            effect=effect,
            actions=_strings(fields.get("action")),
            not_actions=_strings(fields.get("notaction")),
            resources=_strings(fields.get("resource")),
            not_resources=_strings(fields.get("notresource")),
            principals=_principals(fields.get("principal")),
            has_condition=condition is not None and _is_set(condition[1]),
            line=node.line,
            end_line=node.end_line,
            action_line=_wildcard_line(fields.get(action_key), node.line),
            resource_line=_wildcard_line(fields.get(resource_key), node.line),
            sid=_scalar(fields["sid"][1]) if "sid" in fields else "",
            conditions=_condition_keys(condition[1]) if condition is not None else (),
            principal_line=_star_line(fields.get("principal")),
            condition_line=condition[0] if condition is not None else 0,
        ),
    )


def _condition_keys(node: _Node) -> tuple[str, ...]:
    """The keys a condition tests: `{"Bool": {"aws:SecureTransport": …}}` in JSON, or the
    `variable` of each `condition { test variable values }` block of a policy document."""
    keys: list[str] = []
    for _, _, tests in node.entries:  # {operator: {key: values}}
        keys.extend(key for key, _, _ in tests.entries)
    for block in node.items:
        for key, _, value in block.entries:
            if key.lower() == "variable":
                keys.append(_scalar(value))
    unique = {key.lower(): key for key in keys if key}
    return tuple(unique[lower] for lower in sorted(unique))


def _scalar(node: _Node) -> str:
    if node.kind in ("str", "opaque"):
        return node.text
    if node.kind == "null":
        return ""
    return _render(node, 0)


def _strings(entry: tuple[int, _Node] | None) -> tuple[str, ...]:
    if entry is None:
        return ()
    node = entry[1]
    if node.kind == "list":
        return tuple(_scalar(item) for item in node.items if item.kind != "null")
    return () if node.kind == "null" else (_scalar(node),)


def _is_set(node: _Node) -> bool:
    return bool(node.items or node.entries or node.text)


def _wildcard_line(entry: tuple[int, _Node] | None, default: int) -> int:
    if entry is None:
        return default
    key_line, node = entry
    for item in node.items if node.kind == "list" else (node,):
        if item.kind == "str" and item.text == "*":
            return item.line
    return key_line


def _star_line(entry: tuple[int, _Node] | None) -> int:
    """The line of a "*" anywhere in a principal (`{"AWS": "*"}`, `identifiers = ["*"]`),
    else the line of its key."""
    if entry is None:
        return 0
    stack, seen = [entry[1]], 0
    while stack and seen < 256:
        node, seen = stack.pop(), seen + 1
        if node.kind == "str" and node.text == "*":
            return node.line
        stack.extend(node.items)
        stack.extend(value for _, _, value in node.entries)
    return entry[0]


def _principals(entry: tuple[int, _Node] | None) -> tuple[str, ...]:
    if entry is None:
        return ()
    node = entry[1]
    if node.kind in ("str", "opaque"):
        return (node.text,)
    out: list[str] = []
    for key, _, value in node.entries:  # {"AWS": ["arn:…"], "Service": "…"}
        out.extend(f"{key}:{v}" for v in _strings((0, value)))
    for block in node.items:  # principals { type = "AWS"  identifiers = ["*"] }
        fields = {k.lower(): v for k, _, v in block.entries}
        kind = _scalar(fields["type"]) if "type" in fields else ""
        ids = fields.get("identifiers")
        out.extend(f"{kind}:{v}" for v in (_strings((0, ids)) if ids is not None else ()))
    return tuple(out)


def _render(node: _Node, depth: int) -> str:
    """A short source-like text for a value used where a string was expected."""
    if depth > 3:
        return "…"
    if node.kind == "list":
        text = "[" + ", ".join(_render(i, depth + 1) for i in node.items) + "]"
    elif node.kind == "dict":
        inner = ", ".join(f"{k}: {_render(v, depth + 1)}" for k, _, v in node.entries)
        text = "{" + inner + "}"
    elif node.kind == "str":
        text = f'"{node.text}"' if depth else node.text
    else:
        text = node.text or "null"
    return text if len(text) <= 120 else text[:119] + "…"


# JSON -----------------------------------------------------------------------------------------


def parse_json_policies(
    text: str, first_line: int = 1, flat: bool = False
) -> tuple[Statement, ...]:
    """Statements of a JSON document; `flat` puts every one on `first_line` (an escaped string).

    Text that is not JSON (a side rebuilt from diff hunks, a heredoc with `${…}` between
    values) is salvaged: every object that parses on its own is read, and loose statement
    objects count too.
    """
    reader = _JsonReader(text, first_line, flat)
    try:
        root, end = reader.value(0, 0)
        if reader.skip(end) != len(text):
            raise _Unreadable(end)
        return _statements([root])
    except _Unreadable:
        return _statements(reader.salvage(), loose=True)


class _Unreadable(ValueError):
    def __init__(self, position: int, deep: bool = False) -> None:
        super().__init__(f"not JSON at offset {position}")
        self.position = position
        self.deep = deep


class _JsonReader:
    """A JSON reader that keeps the line of every value and key, and of every object read."""

    def __init__(self, text: str, first_line: int, flat: bool) -> None:
        self.text = text
        self.first_line = first_line
        self.flat = flat
        self.newlines = [m.start() for m in re.finditer("\n", text)] if not flat else []
        self.objects: list[tuple[int, int, _Node]] = []  # every object read: start, end, node

    def line(self, position: int) -> int:
        return self.first_line + (0 if self.flat else bisect_left(self.newlines, position))

    def skip(self, position: int) -> int:
        match = _WS.match(self.text, position)
        return match.end() if match else position

    def value(self, position: int, depth: int) -> tuple[_Node, int]:
        start = self.skip(position)
        if depth > _MAX_DEPTH:
            raise _Unreadable(start, deep=True)
        char = self.text[start : start + 1]
        line = self.line(start)
        if char == "{":
            return self._object(start, depth)
        if char == "[":
            return self._array(start, depth)
        if char == '"':
            string, end = self.string(start)
            return _Node("str", line, line, text=string), end
        if self.text.startswith("null", start):
            return _Node("null", line, line), start + 4
        for word in ("true", "false"):
            if self.text.startswith(word, start):
                return _Node("opaque", line, line, text=word), start + len(word)
        match = _NUMBER.match(self.text, start)
        if match and match.end() > start:
            return _Node("opaque", line, line, text=match.group(0)), match.end()
        raise _Unreadable(start)

    def string(self, start: int) -> tuple[str, int]:
        match = _STRING.match(self.text, start)
        if not match:
            raise _Unreadable(start)
        return _SURROGATE.sub("\ufffd", json.loads(match.group(0))), match.end()

    def _array(self, start: int, depth: int) -> tuple[_Node, int]:
        items: list[_Node] = []
        end = self.skip(start + 1)
        if self.text.startswith("]", end):
            return _Node("list", self.line(start), self.line(end)), end + 1
        while True:
            item, end = self.value(end, depth + 1)
            items.append(item)
            end = self.skip(end)
            if self.text.startswith("]", end):
                node = _Node("list", self.line(start), self.line(end), items=tuple(items))
                return node, end + 1
            if not self.text.startswith(",", end):
                raise _Unreadable(end)
            end += 1

    def _object(self, start: int, depth: int) -> tuple[_Node, int]:
        entries: list[tuple[str, int, _Node]] = []
        end = self.skip(start + 1)
        while entries or not self.text.startswith("}", end):
            if not self.text.startswith('"', end):
                raise _Unreadable(end)
            key_line = self.line(end)
            key, end = self.string(end)
            end = self.skip(end)
            if not self.text.startswith(":", end):
                raise _Unreadable(end)
            value, end = self.value(end + 1, depth + 1)
            entries.append((key, key_line, value))
            end = self.skip(end)
            if self.text.startswith("}", end):
                break
            if not self.text.startswith(",", end):
                raise _Unreadable(end)
            end = self.skip(end + 1)
        node = _Node("dict", self.line(start), self.line(end), entries=tuple(entries))
        self.objects.append((start, end + 1, node))
        return node, end + 1

    def salvage(self) -> list[_Node]:
        """Every object that parses on its own, none inside another, in one pass: a read
        that fails at an offset fails there from any `{` it passed, so the objects it
        completed are kept and the search goes on after the failure."""
        found: list[tuple[int, int, _Node]] = []
        position = self.text.find("{")
        while position >= 0:
            self.objects = []
            try:
                _, end = self._object(position, 0)
            except _Unreadable as error:
                end = position + 1 if error.deep else max(error.position, position + 1)
            for start, stop, node in sorted(self.objects, key=lambda o: (o[0], -o[1])):
                if not found or start >= found[-1][1]:
                    found.append((start, stop, node))
            position = self.text.find("{", end)
        return [node for _, _, node in found]


# YAML -----------------------------------------------------------------------------------------


def parse_yaml_policies(text: str) -> tuple[Statement, ...]:
    """Statements of a YAML document (CloudFormation templates with short-form tags).

    Text that is not YAML (a side rebuilt from diff hunks starts deep inside a template) is
    salvaged: each `Statement:` block and each `- Effect:` list item is read on its own.
    """
    roots = _compose(text, 0)
    if roots is not None:
        return _statements(roots)
    lines = text.split("\n")
    roots, read_to = [], 0
    budget = 8 * len(text) + 10_000  # fragments nest: do not re-read the text without end
    for start, end, indent in _yaml_fragments(lines):
        if start < read_to:  # inside a fragment already read
            continue
        fragment = "\n".join(line[indent:] for line in lines[start:end])
        budget -= len(fragment)
        if budget < 0:
            break
        composed = _compose(fragment, start)
        if composed is not None:
            roots.extend(composed)
            read_to = end
    return _statements(roots, loose=True)


def _compose(text: str, offset: int) -> list[_Node] | None:
    import yaml

    try:
        roots = list(yaml.compose_all(text, Loader=_cfn_loader()))
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    converted: dict[int, _Node] = {}
    return [_from_yaml(root, converted, offset, 0) for root in roots if root is not None]


def _yaml_fragments(lines: list[str]) -> Iterator[tuple[int, int, int]]:
    """Blocks that start at a `Statement:` key or a statement list item: first line, the line
    after the last, and the indent to strip."""
    ends = [len(lines)] * len(lines)  # the next line indented no deeper (a monotonic stack)
    later: list[tuple[int, int]] = []
    for number in range(len(lines) - 1, -1, -1):
        stripped = lines[number].lstrip()
        if not stripped:
            continue
        indent = len(lines[number]) - len(stripped)
        while later and later[-1][0] > indent:
            later.pop()
        ends[number] = later[-1][1] if later else len(lines)
        later.append((indent, number))
    for number, line in enumerate(lines):
        match = _YAML_STATEMENT.match(line)
        if match:
            yield number, ends[number], len(match.group(1))


@cache
def _cfn_loader() -> Any:
    """A SafeLoader that reads `!Ref`, `!Sub`, `!GetAtt`… as plain values: composing builds
    nodes only, and construction (if ever used) makes strings, lists and dicts, no objects."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster

    class CloudFormationLoader(base):  # type: ignore[misc]
        pass

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        return None

    CloudFormationLoader.add_multi_constructor("!", intrinsic)
    return CloudFormationLoader


def _from_yaml(node: Any, converted: dict[int, _Node], offset: int, depth: int) -> _Node:
    import yaml

    known = converted.get(id(node))  # aliases share nodes: convert each once
    if known is not None:
        return known
    line = offset + node.start_mark.line + 1
    end = offset + node.end_mark.line + (node.end_mark.column > 0)
    tag = str(node.tag or "")
    result: _Node
    if depth > _MAX_DEPTH:
        result = _Node("opaque", line, line, text="…")
    elif isinstance(node, yaml.ScalarNode):
        value = str(node.value)
        if tag.startswith("!") and tag != "!Sub":  # `!Sub |` may hold a JSON policy
            result = _Node("opaque", line, end, text=f"{tag} {value}")
        elif tag.endswith(":null"):
            result = _Node("null", line, end)
        else:  # a literal block keeps its lines, so JSON inside it maps line for line
            body = line + 1 if node.style == "|" else 0
            result = _Node("str", line, end, text=value, body_line=body)
    else:
        converted[id(node)] = _Node("opaque", line, line, text="…")  # a recursive alias
        if isinstance(node, yaml.SequenceNode):
            items = tuple(_from_yaml(item, converted, offset, depth + 1) for item in node.value)
            entries: tuple[tuple[str, int, _Node], ...] = ()
        else:
            items = ()
            entries = tuple(
                (
                    str(key.value) if isinstance(key, yaml.ScalarNode) else "",
                    offset + key.start_mark.line + 1,
                    _from_yaml(value, converted, offset, depth + 1),
                )
                for key, value in node.value
            )
        # A block collection's end mark is the next token, often on a later line.
        last = max([line, *(i.end_line for i in items), *(v.end_line for _, _, v in entries)])
        kind = "list" if isinstance(node, yaml.SequenceNode) else "dict"
        result = _Node(kind, line, last, items=items, entries=entries)
        if tag.startswith("!"):  # `!Join [...]`, `!If [...]`: a value computed at deploy time
            result = _Node("opaque", line, last, text=f"{tag} {_render(result, 1)}")
    converted[id(node)] = result
    return result


# Terraform HCL --------------------------------------------------------------------------------

_ATTRIBUTES = "(attribute (identifier) @name (expression) @value)"
_BLOCKS = "(block (identifier) @type) @block"


def parse_hcl_policies(text: str) -> tuple[Statement, ...]:
    """Statements of a Terraform file: `jsonencode({…})` literals, JSON policy strings and
    heredocs, and the `statement` blocks of `data "aws_iam_policy_document"`."""
    import tree_sitter

    source = text.encode("utf-8", "replace")
    tree = syntax_tree(text)
    roots: list[_Node] = []
    for _, captures in tree_sitter.QueryCursor(query(_ATTRIBUTES)).matches(tree.root_node):
        name, value = captures["name"][0], captures["value"][0]
        # As a one-key mapping: in a side rebuilt from hunks, `Statement = [...]` of a
        # jsonencode() object can stand alone and parse as an attribute.
        entry = (_node_text(name), _line(name), _Hcl(source).expression(value, 0))
        roots.append(_Node("dict", _line(name), _end_line(value), entries=(entry,)))
    statements: list[_Node] = []
    for _, captures in tree_sitter.QueryCursor(query(_BLOCKS)).matches(tree.root_node):
        block, kind = captures["block"][0], _node_text(captures["type"][0])
        if kind == "statement" and _in_policy_document(block):
            statements.append(_block_node(block, source, 0))
        elif (
            kind == "dynamic" and _labels(block)[:1] == ["statement"] and _in_policy_document(block)
        ):
            statements.extend(  # dynamic "statement" { content { … } }
                _block_node(child, source, 0)
                for child in _body_children(block)
                if child.type == "block" and _block_type(child) == "content"
            )
    listed = _Node("list", 1, 1, items=tuple(statements))
    roots.append(_Node("dict", 1, 1, entries=(("Statement", 1, listed),)))
    return _statements(roots)


def _in_policy_document(block: Any) -> bool:
    """Whether a `statement` block is in a `data "aws_iam_policy_document"`, or in no block:
    a side rebuilt from diff hunks that starts inside the data block (no other Terraform
    block has a top-level `statement`)."""
    parent = block.parent
    while parent is not None and parent.type != "block":
        parent = parent.parent
    if parent is None:
        return True
    return _block_type(parent) == "data" and _labels(parent)[:1] == ["aws_iam_policy_document"]


def _node_text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def _end_line(node: Any) -> int:
    return int(node.end_point[0]) + 1


def _labels(block: Any) -> list[str]:
    return [_node_text(c).strip('"') for c in block.named_children if c.type == "string_lit"]


def _body_children(block: Any) -> list[Any]:
    body = next((c for c in block.named_children if c.type == "body"), None)
    return list(body.named_children) if body is not None else []


def _block_type(node: Any) -> str:
    return _node_text(node.named_children[0]) if node.named_child_count else ""


def _block_node(block: Any, source: bytes, depth: int) -> _Node:
    """A block as a mapping; nested blocks of one type gather into a list under its name."""
    entries: list[tuple[str, int, _Node]] = []
    nested: dict[str, list[_Node]] = {}
    hcl = _Hcl(source)
    for child in _body_children(block):
        if child.type == "attribute" and child.named_child_count >= 2:
            name = _node_text(child.named_children[0])
            entries.append((name, _line(child), hcl.expression(child.named_children[1], 0)))
        elif child.type == "block" and depth < _MAX_DEPTH:
            nested.setdefault(_block_type(child), []).append(_block_node(child, source, depth + 1))
    for name, blocks in nested.items():
        value = _Node("list", blocks[0].line, blocks[-1].end_line, items=tuple(blocks))
        entries.append((name, blocks[0].line, value))
    return _Node("dict", _line(block), _end_line(block), entries=tuple(entries))


class _Hcl(NamedTuple):
    """Evaluates literal HCL expressions; anything else is opaque source text."""

    source: bytes

    def expression(self, node: Any, depth: int) -> _Node:
        line, end = _line(node), _end_line(node)
        if depth > _MAX_DEPTH:
            return _Node("opaque", line, end, text=_node_text(node))
        inner = node.named_children
        if node.type == "expression":
            if len(inner) != 1:
                return _Node("opaque", line, end, text=_node_text(node))
            return self.expression(inner[0], depth + 1)
        if node.type in ("literal_value", "collection_value", "template_expr") and inner:
            return self.expression(inner[0], depth + 1)
        if node.type == "string_lit" or node.type == "quoted_template":
            return _Node("str", line, end, text=self._quoted(node))
        if node.type == "null_lit":
            return _Node("null", line, end)
        if node.type == "tuple":
            items = tuple(self.expression(c, depth + 1) for c in inner if c.type == "expression")
            return _Node("list", line, end, items=items)
        if node.type == "object":
            return _Node("dict", line, end, entries=self._entries(node, depth))
        if node.type == "heredoc_template":
            return self._heredoc(node, line, end)
        if node.type == "function_call" and inner and _node_text(inner[0]) == "jsonencode":
            arguments = next((c for c in inner if c.type == "function_arguments"), None)
            first = next(
                (
                    c
                    for c in (arguments.named_children if arguments else [])
                    if c.type == "expression"
                ),
                None,
            )
            if first is not None:
                return self.expression(first, depth + 1)
        return _Node("opaque", line, end, text=_node_text(node))

    def _entries(self, node: Any, depth: int) -> tuple[tuple[str, int, _Node], ...]:
        entries = []
        for element in node.named_children:
            if element.type != "object_elem":
                continue
            key_node = element.child_by_field_name("key")
            value_node = element.child_by_field_name("val")
            if key_node is None or value_node is None:
                continue
            key = self.expression(key_node, depth + 1)
            name = key.text if key.kind == "str" else _node_text(key_node).strip()
            entries.append((name, _line(key_node), self.expression(value_node, depth + 1)))
        return tuple(entries)

    def _quoted(self, node: Any) -> str:
        parts = []
        for child in node.named_children:
            if child.type == "template_literal":
                parts.append(_HCL_ESCAPE.sub(_unescape, _node_text(child)))
            elif child.type not in ("quoted_template_start", "quoted_template_end"):
                parts.append(_node_text(child))
        return "".join(parts)

    def _heredoc(self, node: Any, line: int, end: int) -> _Node:
        markers = [c for c in node.named_children if c.type == "heredoc_identifier"]
        if len(markers) < 2:
            return _Node("opaque", line, end, text=_node_text(node))
        body = self.source[markers[0].end_byte : markers[-1].start_byte]
        body = body.split(b"\n", 1)[1] if b"\n" in body else b""
        text = body.decode("utf-8", "replace")
        return _Node("str", line, end, text=text, body_line=_line(markers[0]) + 1)


def _unescape(match: re.Match[str]) -> str:
    token = match.group(0)
    if token in ("$${", "%%{"):
        return token[1:]
    code = match.group(1)
    simple = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
    if code in simple:
        return simple[code]
    value = int(code[1:], 16)
    return _SURROGATE.sub("\ufffd", chr(value)) if value <= 0x10FFFF else token
