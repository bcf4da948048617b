"""Calls in JavaScript and TypeScript source, read with tree-sitter-typescript: what a Knex,
TypeORM or Sequelize migration asks for.

`calls(text, path)` returns every call (`knex.schema.dropTable("users")`, `t.dropColumn("x")`,
`queryRunner.query(\\`ALTER TABLE …\\`)`) as the `Call` records of `changerisk.parsers.python`,
with the functions around it by the name they are known by (`up` for `exports.up = …`,
`export async function up`, `async up(queryRunner)`, `up: async () => …`). Template strings
with substitutions are marked inexact. Accepts any text and never raises.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from changerisk.parsers.python import Arg, Call, text_of
from changerisk.parsers.treesitter import parse

_MAX_BYTES = 2_000_000


@cache
def _language(tsx: bool) -> Any:
    import tree_sitter
    import tree_sitter_typescript

    if tsx:
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    return tree_sitter.Language(tree_sitter_typescript.language_typescript())


@cache
def _query(tsx: bool) -> Any:
    import tree_sitter

    return tree_sitter.Query(_language(tsx), "(call_expression) @call")


def calls(text: str, path: str = "") -> list[Call]:
    """Every call in `text`, in source order (TypeScript grammar for `.ts`, TSX otherwise)."""
    data = text.encode("utf-8", "replace")
    if len(data) > _MAX_BYTES:
        return []
    import tree_sitter

    tsx = not path.endswith((".ts", ".mts", ".cts"))
    tree = parse(_language(tsx), data)
    if tree is None:
        return []
    nodes = tree_sitter.QueryCursor(_query(tsx)).captures(tree.root_node).get("call", [])
    nodes = sorted(nodes, key=lambda n: n.start_byte)
    index = {n.id: i for i, n in enumerate(nodes)}
    out: list[Call] = []
    for node in nodes:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None:
            continue
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            obj = function.child_by_field_name("object")
            name = text_of(prop) if prop is not None else ""
            receiver = text_of(obj) if obj is not None else ""
        else:
            name, receiver = text_of(function), ""
        args = tuple(_arg(a) for a in arguments.named_children) if arguments is not None else ()
        scopes, parent = _context(node, index)
        out.append(
            Call(
                name,
                receiver,
                tuple(a for a in args if a is not None),
                node.start_point.row + 1,
                node.end_point.row + 1,
                scopes,
                parent,
            )
        )
    return out


def _arg(node: Any) -> Arg | None:
    if node.type == "comment":
        return None
    line = node.start_point.row + 1
    if node.type in ("string", "template_string"):
        value, exact = _string(node)
        return Arg("", "string", value, text_of(node), line, exact=exact)
    if node.type in ("identifier", "member_expression"):
        return Arg("", "identifier", text_of(node), text_of(node), line)
    if node.type in ("true", "false"):
        return Arg("", "bool", node.type, node.type, line)
    if node.type == "array":
        items = tuple(a for a in (_arg(c) for c in node.named_children) if a is not None)
        return Arg("", "list", "", text_of(node), line, items)
    return Arg("", "other", "", text_of(node), line)


def _string(node: Any) -> tuple[str, bool]:
    value, exact = "", True
    position = node.start_byte + 1
    data: bytes = node.text or b""
    for child in node.named_children:
        if child.type in ("string_fragment", "escape_sequence"):
            gap = data[position - node.start_byte : child.start_byte - node.start_byte]
            value += "\n" * gap.count(b"\n") + text_of(child)
            position = child.end_byte
        elif child.type == "template_substitution":
            exact = False
            value += " "
            position = child.end_byte
    return value, exact


_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition"}
    | {"generator_function_declaration", "function"}
)


def _function_name(node: Any) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return text_of(name)
    holder = node.parent
    while holder is not None and holder.type in ("parenthesized_expression", "await_expression"):
        holder = holder.parent
    if holder is None:
        return ""
    if holder.type == "variable_declarator":
        target = holder.child_by_field_name("name")
    elif holder.type == "pair":
        target = holder.child_by_field_name("key")
    elif holder.type == "assignment_expression":
        target = holder.child_by_field_name("left")
        if target is not None and target.type == "member_expression":
            target = target.child_by_field_name("property")
    else:
        return ""
    return text_of(target).strip("\"'") if target is not None else ""


def _context(node: Any, index: dict[int, int]) -> tuple[tuple[str, ...], int]:
    scopes: list[str] = []
    parent = -1
    current = node.parent
    while current is not None:
        if current.type in _FUNCTIONS:
            name = _function_name(current)
            if name:
                scopes.append(name)
        elif current.type in ("class_declaration", "class"):
            name_node = current.child_by_field_name("name")
            if name_node is not None:
                scopes.append(text_of(name_node))
        elif current.type == "call_expression" and parent < 0 and current.id in index:
            parent = index[current.id]
        current = current.parent
    return tuple(reversed(scopes)), parent
