"""CloudFormation and SAM templates read for the CloudFormation rules: the resources of each
side of a file with their lines, from YAML (short-form tags such as `!Ref` kept) or JSON.

A side with its full text is parsed whole. A side rebuilt from the hunks of a bare diff is read
only where the hunks show it: each resource block that starts inside a hunk is parsed on its
own, and a node that may continue past the hunk is marked unknown, so the rules compare only
what they can see and stay quiet about the rest.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from changerisk.datafiles import read_text
from changerisk.parsers.yamldoc import MAX_DEPTH, YNode, parse_stream
from changerisk.regex import lazy_compile
from changerisk.rule import FileChange, Severity

RESOURCE_TYPE = lazy_compile(r"^(?:AWS|Alexa)::\w+::\w+$|^Custom::[\w.-]+$")
GENERATED_DIRS = frozenset({"cdk.out", ".aws-sam"})


@cache
def table() -> dict[str, Any]:
    """The curated table (changerisk/data/cfn_replacement.json): kinds, types, properties."""
    text = read_text("cfn_replacement.json")
    data: dict[str, Any] = json.loads(text)
    return data


class Kind(NamedTuple):
    """What losing a resource of some kind means."""

    name: str
    noun: str
    severity: Severity
    replace: str
    delete: str


def kind_of(resource: Resource) -> Kind | None:
    """The kind of a resource from the table; an RDS instance in a cluster holds no data."""
    entry = table()["resources"].get(resource.type)
    if entry is None:
        return None
    name = entry["kind"]
    if resource.type == "AWS::RDS::DBInstance" and resource.prop("DBClusterIdentifier"):
        name = "database-instance"
    spec = table()["kinds"][name]
    return Kind(
        name, spec["noun"], Severity.parse(spec["severity"]), spec["replace"], spec["delete"]
    )


def is_ephemeral(resource_type: str) -> bool:
    return resource_type in table()["ephemeral"] or resource_type.startswith("Custom::")


def supports_snapshot(resource_type: str) -> bool:
    return resource_type in table()["snapshot"]


class Resource(NamedTuple):
    """One resource of a template side: its logical ID, type, the line of its logical ID and
    its mapping. `known_until` (0: all) is the last line read of a block cut by a hunk's end;
    a `shallow` resource had only its type and policies read, not its properties."""

    logical_id: str
    type: str
    line: int
    node: YNode
    known_until: int = 0
    shallow: bool = False

    @property
    def label(self) -> str:
        return f"{self.type} {self.logical_id}"

    def knows(self, node: YNode | None) -> bool:
        """Whether `node` was read whole (a node cut by the end of a hunk is not)."""
        return node is None or not self.known_until or node.end_line <= self.known_until

    @property
    def properties(self) -> YNode | None:
        return self.node.get("Properties") if self.node.kind == "map" else None

    def prop(self, path: str) -> YNode | None:
        """The node at a dotted path under `Properties`, or None."""
        node = self.properties
        for step in path.split("."):
            if node is None or node.kind != "map":
                return None
            node = node.get(step)
        return node

    def knows_prop(self, path: str) -> bool:
        """Whether the presence and value of a property are known on this side."""
        if self.shallow:
            return False
        node = self.prop(path)
        if node is not None:
            return self.knows(node)
        return not self.known_until  # absent: known only when the whole block was read

    def policy(self, attribute: str) -> str | None:
        """`DeletionPolicy` or `UpdateReplacePolicy` in effect: the value, the documented
        default, or None when it is computed or cannot be seen."""
        node = self.node.get(attribute) if self.node.kind == "map" else None
        if node is None:
            if self.known_until:
                return None
            return self.default_policy(attribute)
        if not self.knows(node) or node.kind != "scalar" or node.tag or node.null:
            return None
        return node.value

    def default_policy(self, attribute: str) -> str:
        """Delete, except Snapshot on deletion of RDS clusters and of RDS instances outside a
        cluster (the DeletionPolicy reference)."""
        if attribute == "DeletionPolicy" and (
            self.type == "AWS::RDS::DBCluster"
            or (self.type == "AWS::RDS::DBInstance" and self.prop("DBClusterIdentifier") is None)
        ):
            return "Snapshot"
        return "Delete"


@dataclass(frozen=True)
class Template:
    """The resources of one side of a template file. `readable` is False when the side
    exists but could not be read: the rules then say nothing about it."""

    resources: dict[str, Resource] = field(default_factory=dict)
    readable: bool = True
    partial: bool = False


def is_generated(path: str | None) -> bool:
    """CDK synth output (`cdk.out/`) and SAM build output (`.aws-sam/`) are not sources."""
    return bool(path) and any(part in GENERATED_DIRS for part in (path or "").split("/"))


def template_of(change: FileChange, side: str) -> Template:
    """The template of one side of a file, read once per run."""

    def build() -> Template:
        text = change.old_text() if side == "old" else change.new_text()
        if text is None:
            return Template()
        is_json = _looks_like_json(change.path, text)
        if not change.is_partial(side):
            root = parse_json(text) if is_json else _yaml_root(text)
            if root is None:
                return Template(readable=False)
            return Template(_resources_of(root))
        runs = _runs(change, side)
        if is_json:
            return Template(_json_fragments(text, runs), partial=True)
        return Template(_yaml_fragments(text, runs), partial=True)

    return change.cached(f"cfn:{side}", build)


def _looks_like_json(path: str, text: str) -> bool:
    """JSON by name or by its first visible line (a side rebuilt from hunks may start inside)."""
    first = text.lstrip()
    return (
        path.lower().endswith(".json")
        or first.startswith("{")
        or bool(re.match(r'"[^"\n]*"\s*:\s*(\{|\[|"|-?\d|true|false|null)', first))
    )


def _yaml_root(text: str) -> YNode | None:
    stream = parse_stream(text)
    for document in stream.documents:
        root = document.root
        if root is not None and _resources_node(root) is not None:
            return root
    return None if any(d.error for d in stream.documents) else YNode("map", 1, 1)


def _resources_node(root: YNode) -> YNode | None:
    """`Resources`, or a Serverless Framework file's `resources.Resources`."""
    if root.kind != "map":
        return None
    node = root.get("Resources")
    if node is None:
        outer = root.get("resources")
        node = outer.get("Resources") if outer is not None and outer.kind == "map" else None
    return node if node is not None and node.kind == "map" else None


def _resources_of(root: YNode) -> dict[str, Resource]:
    found: dict[str, Resource] = {}
    section = _resources_node(root)
    if section is None:
        return found
    for key, value in section.entries:
        resource = _resource(key, value)
        if resource is not None:
            found.setdefault(resource.logical_id, resource)
    return found


def _resource(key: YNode, value: YNode, known_until: int = 0) -> Resource | None:
    if key.kind != "scalar" or value.kind != "map":
        return None
    rtype = value.text("Type")
    if not rtype or not RESOURCE_TYPE.match(rtype):
        return None
    return Resource(key.value, rtype, key.line, value, known_until)


# -- bare diffs: what the hunks show ------------------------------------------------------------

_YAML_HEADER = lazy_compile(
    r"""^( *)(?:"([A-Za-z0-9]+)"|'([A-Za-z0-9]+)'|([A-Za-z0-9]+)) *:\s*(#.*)?$"""
)
_JSON_HEADER = lazy_compile(r'^(\s*)"([A-Za-z0-9]+)"\s*:\s*\{\s*$')
_TYPE_LINE = lazy_compile(r"""^(\s*)["']?Type["']?\s*:\s*["']?([\w:.-]+)["']?\s*,?\s*(#.*)?$""")


def _runs(change: FileChange, side: str) -> list[tuple[int, int]]:
    """The line ranges of one side that the hunks show (context and changed lines)."""
    runs = []
    for hunk in change.hunks:
        start, length = (
            (hunk.old_start, hunk.old_len) if side == "old" else (hunk.new_start, hunk.new_len)
        )
        if length > 0:
            runs.append((start, start + length - 1))
    return runs


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blocks(
    lines: list[str], first: int, last: int, header: re.Pattern[str]
) -> Iterator[tuple[int, int, bool, int]]:
    """Blocks inside lines first..last (1-based) that look like a resource: a key line with a
    `Type: AWS::…` child. Yields (header line, last line, whether the run cut the block, the
    line of its type)."""
    number = first
    while number <= last:
        match = header.match(lines[number - 1])
        if match is None:
            number += 1
            continue
        indent = len(match.group(1))
        end = number
        child: int | None = None
        typed = 0
        cut = True
        for following in range(number + 1, last + 1):
            text = lines[following - 1]
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if _indent(text) <= indent:
                cut = False
                break
            end = following
            child = _indent(text) if child is None else child
            type_match = _TYPE_LINE.match(text)
            if (
                not typed
                and type_match
                and _indent(text) == child
                and RESOURCE_TYPE.match(type_match.group(2))
            ):
                typed = following
        if typed:
            yield number, end, cut, typed
            number = end + 1
        else:
            number += 1


def _yaml_fragments(text: str, runs: list[tuple[int, int]]) -> dict[str, Resource]:
    lines = text.split("\n")
    found: dict[str, Resource] = {}
    for first, last in runs:
        last = min(last, len(lines))
        for start, end, cut, _ in _blocks(lines, first, last, _YAML_HEADER):
            indent = _indent(lines[start - 1])
            body = [line[min(indent, _indent(line)) :] for line in lines[start - 1 : end]]
            stream = parse_stream("\n" * (start - 1) + "\n".join(body))
            roots = stream.roots
            if len(roots) != 1 or roots[0].kind != "map" or len(roots[0].entries) != 1:
                continue
            key, value = roots[0].entries[0]
            # A block the hunk cut may go on: its last line is not known to be whole.
            resource = _resource(key, value, known_until=end - 1 if cut else 0)
            if resource is not None:
                found.setdefault(resource.logical_id, resource)
    return found


def _json_fragments(text: str, runs: list[tuple[int, int]]) -> dict[str, Resource]:
    """A JSON side rebuilt from hunks: parsed whole when the hunks form valid JSON (then only
    what lies inside one hunk is trusted), else resource headers and types only."""
    root = parse_json(text)
    found: dict[str, Resource] = {}
    if root is not None:
        for logical_id, resource in _resources_of(root).items():
            run = next((r for r in runs if r[0] <= resource.line <= r[1]), None)
            type_node = resource.node.get("Type")
            if run is None or type_node is None or not run[0] <= type_node.line <= run[1]:
                continue
            within = resource.node.end_line <= run[1]
            found[logical_id] = Resource(
                resource.logical_id,
                resource.type,
                resource.line,
                resource.node,
                0 if within else run[1],
            )
        return found
    lines = text.split("\n")
    for first, last in runs:
        last = min(last, len(lines))
        for start, end, cut, type_line in _blocks(lines, first, last, _JSON_HEADER):
            block = _json_block(lines, start, end, cut) or _json_tokens(
                lines, start, end, cut, type_line
            )
            if block is not None:
                found.setdefault(block.logical_id, block)
    return found


def _json_block(lines: list[str], start: int, end: int, cut: bool) -> Resource | None:
    """One resource block of a JSON side rebuilt from hunks, parsed on its own: wrapped in
    braces, and closed where the hunk cut it (what the closing brackets end is unknown)."""
    if start < 2:
        return None
    body = lines[start - 1 : end]
    if not cut and end < len(lines):
        body.append(lines[end].rstrip().rstrip(","))  # the block's own closing brace
    else:
        body[-1] = body[-1].rstrip().rstrip(",")
        body.append(_closers("\n".join(body)))
    root = parse_json("\n" * (start - 2) + "{\n" + "\n".join(body) + "\n}")
    if root is None or root.kind != "map" or len(root.entries) != 1:
        return None
    key, value = root.entries[0]
    return _resource(key, value, known_until=end if cut else 0)


def _closers(text: str) -> str:
    """The brackets that close what a JSON fragment leaves open (strings skipped)."""
    stack: list[str] = []
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', text):
        char = token.group(0)
        if char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}" and stack:
            stack.pop()
    return "".join(reversed(stack))


def _json_tokens(
    lines: list[str], start: int, end: int, cut: bool, type_line: int
) -> Resource | None:
    """A block that does not parse: its logical ID, type and policies, read line by line."""
    header = _JSON_HEADER.match(lines[start - 1])
    type_match = _TYPE_LINE.match(lines[type_line - 1])
    if header is None or type_match is None:
        return None
    entries = [_token_entry("Type", type_line, type_match.group(2))]
    child = _indent(lines[type_line - 1])
    for number in range(start + 1, end + 1):
        policy = _JSON_POLICY.match(lines[number - 1])
        if policy and _indent(lines[number - 1]) == child:
            entries.append(_token_entry(policy.group(1), number, policy.group(2)))
    node = YNode("map", start + 1, end, entries=tuple(entries))
    # Only the type and the policies were read: properties stay unknown.
    logical_id = header.group(2)
    return Resource(logical_id, type_match.group(2), start, node, start if cut else 0, True)


_JSON_POLICY = lazy_compile(r'^\s*"(DeletionPolicy|UpdateReplacePolicy)"\s*:\s*"(\w+)"\s*,?\s*$')


def _token_entry(key: str, line: int, value: str) -> tuple[YNode, YNode]:
    return YNode("scalar", line, line, value=key), YNode("scalar", line, line, value=value)


# -- JSON with line numbers ---------------------------------------------------------------------

_WS = lazy_compile(r"[ \t\r\n]*")
_STRING = lazy_compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_NUMBER = lazy_compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SURROGATE = lazy_compile("[\ud800-\udfff]")


class _NotJson(ValueError):
    pass


def parse_json(text: str) -> YNode | None:
    """A JSON document as YNodes with file line numbers, or None when it is not JSON (or
    nests deeper than the YAML reader would read)."""
    reader = _JsonReader(text)
    try:
        node, end = reader.value(0, 0)
    except (_NotJson, RecursionError):
        return None
    if _skip(text, end) != len(text):
        return None
    return node


def _skip(text: str, position: int) -> int:
    match = _WS.match(text, position)
    return match.end() if match else position


class _JsonReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, position: int) -> int:
        return bisect_left(self.newlines, position) + 1

    def skip(self, position: int) -> int:
        return _skip(self.text, position)

    def value(self, position: int, depth: int) -> tuple[YNode, int]:
        start = self.skip(position)
        if depth > MAX_DEPTH:
            raise _NotJson(start)
        char = self.text[start : start + 1]
        line = self.line(start)
        if char == "{":
            return self._object(start, depth)
        if char == "[":
            return self._array(start, depth)
        if char == '"':
            value, end = self.string(start)
            return YNode("scalar", line, line, value=value), end
        for word in ("true", "false", "null"):
            if self.text.startswith(word, start):
                node = YNode("scalar", line, line, value=word, null=word == "null")
                return node, start + len(word)
        match = _NUMBER.match(self.text, start)
        if match is None or match.end() == start:
            raise _NotJson(start)
        return YNode("scalar", line, line, value=match.group(0)), match.end()

    def string(self, start: int) -> tuple[str, int]:
        match = _STRING.match(self.text, start)
        if match is None:
            raise _NotJson(start)
        return _SURROGATE.sub("\ufffd", json.loads(match.group(0))), match.end()

    def _array(self, start: int, depth: int) -> tuple[YNode, int]:
        items: list[YNode] = []
        end = self.skip(start + 1)
        if not self.text.startswith("]", end):
            while True:
                item, end = self.value(end, depth + 1)
                items.append(item)
                end = self.skip(end)
                if not self.text.startswith(",", end):
                    break
                end += 1
            if not self.text.startswith("]", end):
                raise _NotJson(end)
        node = YNode("seq", self.line(start), self.line(end), items=tuple(items))
        return node, end + 1

    def _object(self, start: int, depth: int) -> tuple[YNode, int]:
        entries: list[tuple[YNode, YNode]] = []
        end = self.skip(start + 1)
        if not self.text.startswith("}", end):
            while True:
                end = self.skip(end)
                key_line = self.line(end)
                key, end = self.string(end)
                end = self.skip(end)
                if not self.text.startswith(":", end):
                    raise _NotJson(end)
                value, end = self.value(end + 1, depth + 1)
                entries.append((YNode("scalar", key_line, key_line, value=key), value))
                end = self.skip(end)
                if not self.text.startswith(",", end):
                    break
                end += 1
            if not self.text.startswith("}", end):
                raise _NotJson(end)
        node = YNode("map", self.line(start), self.line(end), entries=tuple(entries))
        return node, end + 1


# -- values -------------------------------------------------------------------------------------


def canonical(node: YNode | None, depth: int = 0) -> object:
    """A comparable value: the short form `!Ref X` and the long form `{"Ref": "X"}` read
    alike, and so do YAML and JSON booleans."""
    if node is None or depth > MAX_DEPTH:
        return None
    value: object
    if node.kind == "map":
        value = _same_region(
            {
                k.value if k.kind == "scalar" else repr(canonical(k, depth + 1)): canonical(
                    v, depth + 1
                )
                for k, v in node.entries
            }
        )
    elif node.kind == "seq":
        value = [canonical(item, depth + 1) for item in node.items]
    elif node.null:
        value = None
    else:
        value = node.value.lower() if node.value.lower() in ("true", "false") else node.value
    if not node.tag or node.tag.startswith("!opaque") or node.tag == "!recursive":
        return value
    name = node.tag[1:]
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"
    return _same_region({key: value})


def _same_region(value: dict[str, object]) -> dict[str, object]:
    """`Fn::GetAZs: ""` means the stack's region, as `Fn::GetAZs: !Ref AWS::Region` does."""
    if value.get("Fn::GetAZs") == {"Ref": "AWS::Region"}:
        return {"Fn::GetAZs": ""}
    return value


def is_computed(value: object) -> bool:
    """Whether a canonical value holds an intrinsic function (its result is not in the text)."""
    if isinstance(value, dict):
        if any(k == "Ref" or k.startswith("Fn::") for k in value):
            return True
        return any(is_computed(v) for v in value.values())
    if isinstance(value, list):
        return any(is_computed(v) for v in value)
    return False
