"""Calls in Python source, read with tree-sitter-python: what a migration file asks for.

`calls(text)` returns every call with its callee's last name (`RemoveField`, `drop_column`),
its receiver (`migrations`, `op`, `batch_op`), its arguments (strings with their value, names,
lists), the functions and classes around it, the call it is nested in (or, inside
`with op.batch_alter_table("users") as batch_op:`, that call), and the keyword argument it sits
under (`state_operations=[…]`). The `Arg` and `Call` records are shared by the Ruby and
JavaScript readers. Comments and strings are never calls. Accepts any text and never raises.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from changerisk.parsers.treesitter import parse

_MAX_BYTES = 2_000_000


class Arg(NamedTuple):
    """One argument: `kind` is "string", "symbol", "identifier", "list", "bool" or "other"."""

    keyword: str  # "" for a positional argument
    kind: str
    value: str  # a string's content, a symbol's or identifier's name
    text: str  # the source text
    line: int
    items: tuple[Arg, ...] = ()  # a list's or tuple's elements
    exact: bool = True  # False for a string with interpolations

    def strings(self) -> list[Arg]:
        """This string, or the strings of this list."""
        if self.kind == "string":
            return [self]
        return [item for item in self.items if item.kind == "string"]


class Call(NamedTuple):
    name: str  # the callee's last name: `drop_table` of `op.drop_table`
    receiver: str  # the source text before it: `op`, `migrations`, `knex.schema`
    args: tuple[Arg, ...]
    line: int
    end_line: int
    scopes: tuple[str, ...] = ()  # enclosing functions, methods, classes: outermost first
    parent: int = -1  # index of the enclosing call in the list, -1 for none
    keyword: str = ""  # the keyword argument of the enclosing call it sits under

    def arg(self, index: int = -1, keyword: str = "") -> Arg | None:
        """The argument given by `keyword`, else the `index`-th positional one."""
        if keyword:
            for a in self.args:
                if a.keyword == keyword:
                    return a
        positional = [a for a in self.args if not a.keyword]
        return positional[index] if 0 <= index < len(positional) else None

    def value(self, index: int = -1, keyword: str = "") -> str:
        a = self.arg(index, keyword)
        return a.value if a is not None and a.kind in ("string", "symbol") else ""


def text_of(node: Any) -> str:
    data: bytes = node.text or b""
    return data.decode("utf-8", "replace")


@cache
def _language() -> Any:
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Language(tree_sitter_python.language())


@cache
def _query() -> Any:
    import tree_sitter

    return tree_sitter.Query(_language(), "(call) @call")


def calls(text: str) -> list[Call]:
    """Every call in `text`, in source order."""
    data = text.encode("utf-8", "replace")
    if len(data) > _MAX_BYTES:
        return []
    import tree_sitter

    tree = parse(_language(), data)
    if tree is None:
        return []
    nodes = tree_sitter.QueryCursor(_query()).captures(tree.root_node).get("call", [])
    nodes = sorted(nodes, key=lambda n: n.start_byte)
    index = {n.id: i for i, n in enumerate(nodes)}
    out: list[Call] = []
    for node in nodes:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None:
            continue
        if function.type == "attribute":
            attr = function.child_by_field_name("attribute")
            obj = function.child_by_field_name("object")
            name = text_of(attr) if attr is not None else ""
            receiver = text_of(obj) if obj is not None else ""
        else:
            name, receiver = text_of(function), ""
        args = tuple(_args(arguments)) if arguments is not None else ()
        scopes, parent, keyword = _context(node, index)
        out.append(
            Call(
                name,
                receiver,
                args,
                node.start_point.row + 1,
                node.end_point.row + 1,
                scopes,
                parent,
                keyword,
            )
        )
    return out


def _args(arguments: Any) -> list[Arg]:
    out = []
    for child in arguments.named_children:
        if child.type == "comment":
            continue
        if child.type == "keyword_argument":
            name = child.child_by_field_name("name")
            value = child.child_by_field_name("value")
            if name is not None and value is not None:
                out.append(_arg(value, text_of(name)))
        else:
            out.append(_arg(child, ""))
    return out


def _arg(node: Any, keyword: str) -> Arg:
    line = node.start_point.row + 1
    kind = node.type
    if kind in ("string", "concatenated_string"):
        value, exact = string_value(node)
        return Arg(keyword, "string", value, text_of(node), line, exact=exact)
    if kind in ("identifier", "attribute"):
        return Arg(keyword, "identifier", text_of(node), text_of(node), line)
    if kind in ("true", "false"):
        return Arg(keyword, "bool", kind, kind, line)
    if kind in ("list", "tuple"):
        items = tuple(_arg(c, "") for c in node.named_children if c.type != "comment")
        return Arg(keyword, "list", "", text_of(node), line, items)
    return Arg(keyword, "other", "", text_of(node), line)


def string_value(node: Any) -> tuple[str, bool]:
    """The content of a string or of adjacent strings, newlines kept where the parts are on
    separate lines (so line offsets in the value hold); False when it interpolates."""
    parts = node.named_children if node.type == "concatenated_string" else [node]
    value, exact, last_row = "", True, node.start_point.row
    for part in parts:
        if part.type != "string":
            continue
        value += "\n" * max(part.start_point.row - last_row, 0)
        last_row = part.start_point.row
        for child in part.named_children:
            if child.type == "string_content":
                value += text_of(child)
                last_row = child.end_point.row
            elif child.type == "interpolation":
                exact = False
                value += " "
    return value, exact


_SCOPES = frozenset({"function_definition", "class_definition"})


def _context(node: Any, index: dict[int, int]) -> tuple[tuple[str, ...], int, str]:
    scopes: list[str] = []
    parent, keyword = -1, ""
    child, current = node, node.parent
    while current is not None:
        if current.type in _SCOPES:
            name = current.child_by_field_name("name")
            if name is not None:
                scopes.append(text_of(name))
        elif current.type == "keyword_argument" and parent < 0 and not keyword:
            name = current.child_by_field_name("name")
            keyword = text_of(name) if name is not None else ""
        elif current.type == "call" and parent < 0 and current.id in index:
            parent = index[current.id]
        elif current.type == "with_statement" and parent < 0 and child.type == "block":
            item_call = _with_call(current)
            if item_call is not None and item_call.id in index:
                parent = index[item_call.id]
        child, current = current, current.parent
    return tuple(reversed(scopes)), parent, keyword


def _with_call(with_statement: Any) -> Any:
    for clause in with_statement.named_children:
        if clause.type != "with_clause":
            continue
        for item in clause.named_children:
            value = item.child_by_field_name("value")
            if value is not None and value.type == "as_pattern":
                value = value.named_children[0] if value.named_children else None
            if value is not None and value.type == "call":
                return value
    return None
