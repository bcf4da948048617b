"""Calls in Ruby source, read with tree-sitter-ruby: what a Rails migration asks for.

`calls(text)` returns every method call (`drop_table :users`, `t.remove :email`,
`execute <<~SQL … SQL`) as the `Call` records of `changerisk.parsers.python`: symbols and
strings (heredoc bodies included) with their values, `key: value` options as keyword arguments,
the methods around it (`up`, `down`, `change`) and the call whose block it is in (`change_table`,
`dir.down`). Accepts any text and never raises.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from changerisk.parsers.python import Arg, Call, text_of
from changerisk.parsers.treesitter import parse

_MAX_BYTES = 2_000_000


@cache
def _language() -> Any:
    import tree_sitter
    import tree_sitter_ruby

    return tree_sitter.Language(tree_sitter_ruby.language())


@cache
def _query() -> Any:
    import tree_sitter

    source = "(call) @call (heredoc_beginning) @begin (heredoc_body) @body"
    return tree_sitter.Query(_language(), source)


def calls(text: str) -> list[Call]:
    """Every call in `text`, in source order."""
    data = text.encode("utf-8", "replace")
    if len(data) > _MAX_BYTES:
        return []
    import tree_sitter

    tree = parse(_language(), data)
    if tree is None:
        return []
    captures = tree_sitter.QueryCursor(_query()).captures(tree.root_node)
    nodes = sorted(captures.get("call", []), key=lambda n: n.start_byte)
    begins = sorted(captures.get("begin", []), key=lambda n: n.start_byte)
    bodies = sorted(captures.get("body", []), key=lambda n: n.start_byte)
    heredocs = {b.id: body for b, body in zip(begins, bodies, strict=False)}
    index = {n.id: i for i, n in enumerate(nodes)}
    out: list[Call] = []
    for node in nodes:
        method = node.child_by_field_name("method")
        if method is None:
            continue
        receiver = node.child_by_field_name("receiver")
        arguments = node.child_by_field_name("arguments")
        args = tuple(_args(arguments, heredocs)) if arguments is not None else ()
        scopes, parent = _context(node, index)
        out.append(
            Call(
                text_of(method),
                text_of(receiver) if receiver is not None else "",
                args,
                node.start_point.row + 1,
                node.end_point.row + 1,
                scopes,
                parent,
            )
        )
    return out


def _args(arguments: Any, heredocs: dict[int, Any]) -> list[Arg]:
    out: list[Arg] = []
    for child in arguments.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key is not None and value is not None:
                out.append(_arg(value, _key_name(key), heredocs))
        elif child.type == "hash":
            for pair in child.named_children:
                key = pair.child_by_field_name("key")
                value = pair.child_by_field_name("value")
                if pair.type == "pair" and key is not None and value is not None:
                    out.append(_arg(value, _key_name(key), heredocs))
        elif child.type != "comment":
            out.append(_arg(child, "", heredocs))
    return out


def _key_name(key: Any) -> str:
    return text_of(key).lstrip(":").strip("\"'").rstrip(":")


def _arg(node: Any, keyword: str, heredocs: dict[int, Any]) -> Arg:
    line = node.start_point.row + 1
    kind = node.type
    if kind in ("simple_symbol", "delimited_symbol", "hash_key_symbol"):
        name = text_of(node).lstrip(":").strip("\"'")
        return Arg(keyword, "symbol", name, text_of(node), line)
    if kind == "string":
        value, exact = _string(node)
        return Arg(keyword, "string", value, text_of(node), line, exact=exact)
    if kind == "heredoc_beginning":
        body = heredocs.get(node.id)
        if body is None:
            return Arg(keyword, "other", "", text_of(node), line)
        value, exact = _string(body)
        return Arg(keyword, "string", value, text_of(body), body.start_point.row + 1, exact=exact)
    if kind in ("true", "false"):
        return Arg(keyword, "bool", kind, kind, line)
    if kind in ("identifier", "constant", "scope_resolution"):
        return Arg(keyword, "identifier", text_of(node), text_of(node), line)
    if kind == "array":
        items = tuple(_arg(c, "", heredocs) for c in node.named_children if c.type != "comment")
        return Arg(keyword, "list", "", text_of(node), line, items)
    return Arg(keyword, "other", "", text_of(node), line)


def _string(node: Any) -> tuple[str, bool]:
    """Content of a string or heredoc body, line breaks kept; False when it interpolates."""
    value, exact = "", True
    position = node.start_byte
    data: bytes = node.text or b""
    for child in node.named_children:
        if child.type in ("string_content", "escape_sequence", "heredoc_content"):
            gap = data[position - node.start_byte : child.start_byte - node.start_byte]
            value += "\n" * gap.count(b"\n") + text_of(child)
            position = child.end_byte
        elif child.type == "interpolation":
            exact = False
            value += " "
            position = child.end_byte
    return value, exact


def _context(node: Any, index: dict[int, int]) -> tuple[tuple[str, ...], int]:
    scopes: list[str] = []
    parent = -1
    current = node.parent
    while current is not None:
        if current.type in ("method", "singleton_method", "class", "module"):
            name = current.child_by_field_name("name")
            if name is not None:
                scopes.append(text_of(name))
        elif current.type == "call" and parent < 0 and current.id in index:
            parent = index[current.id]
        current = current.parent
    return tuple(reversed(scopes)), parent
