"""Shell commands of a change: what a script, CI job, recipe or `RUN` line will execute.

`commands()` reads shell source with tree-sitter-bash and returns every simple command with its
argv (wrappers such as `sudo` stripped, `bash -c` strings read too) and its line in the file;
`parse()` also returns the variable assignments, so a rule can tell whether `$DIR` may be empty
and `$TF destroy` can be read as `terraform destroy`. The shell inside other formats (CI YAML,
Makefiles, Dockerfiles, package.json scripts) is found by `changerisk.parsers.scripts`. Both
accept any text and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, NamedTuple

from changerisk.model import FileChange
from changerisk.parsers.scripts import (
    declared_variables,
    has_scripts,
    script_lines_of,
    script_units,
)
from changerisk.regex import lazy_compile

if TYPE_CHECKING:
    from tree_sitter import Language, Node


class Assignment(NamedTuple):
    """`NAME=value` (also `export`, `local`, `for NAME in …`, `read NAME`, make and CI
    variables); `value` is None when it is read at run time (`read`, `for x in $(…)`)."""

    name: str
    value: str | None
    line: int


class ParsedScript(NamedTuple):
    commands: tuple[Command, ...]
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class Command:
    """One simple command: `argv` unquoted (expansions kept as source), lines 1-based."""

    argv: tuple[str, ...]
    line: int
    text: str
    end_line: int = 0  # last line of a multi-line command; 0 means `line`
    wrappers: tuple[str, ...] = ()  # stripped prefixes such as ("sudo", "xargs")
    unit: int = 0  # the script, CI job or make target it belongs to (see `commands_of`)
    stdin: str = ""  # the text a heredoc (`<<EOF`) or here-string (`<<<`) feeds it

    @property
    def lines(self) -> range:
        return range(self.line, max(self.end_line, self.line) + 1)

    @cached_property
    def program(self) -> str:  # read by every rule for every command: computed once
        return program_name(self.argv[0]) if self.argv else ""


# Wrapper programs that run their arguments as a command, with the options that take a value.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group"}
        | {"--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user"}
        | {"--command-timeout"}
    ),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nohup": frozenset(),
    "xargs": frozenset(
        {"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--eof"}
        | {"--replace", "--max-lines", "--max-args", "--max-procs", "--max-chars"}
        | {"--process-slot-var"}
    ),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "command": frozenset(),
    "npx": frozenset({"-p", "--package"}),  # node_modules/.bin programs: cdk, rimraf, …
    "bunx": frozenset({"-p", "--package"}),
    "pnpx": frozenset(),
}
_ASSIGNING = frozenset({"sudo", "env"})  # accept NAME=value before the command
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"})
_ASSIGNMENT = lazy_compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# GitHub `${{ … }}` expressions, and runs of non-ASCII characters: the bash grammar's scanner
# reads out of bounds on some code points (e.g. "{" then U+EFA13 crashes the process), and no
# command name we look for is non-ASCII, so both are parsed as ASCII placeholders.
_MASKED = lazy_compile(r"\$\{\{.*?\}\}|[^\x00-\x7f]+")
_MAX_DEPTH = 4


def program_name(word: str) -> str:
    """`/usr/local/bin/terraform` and `terraform.exe` are both `terraform`."""
    name = word.rsplit("/", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name


def unwrap(argv: Sequence[str]) -> tuple[int, tuple[str, ...]]:
    """Index of the real program in `argv` after wrappers (`sudo -E env X=1 nohup …`)."""
    index, wrappers = 0, list[str]()
    while index < len(argv) and len(wrappers) < 8:
        name = program_name(argv[index])
        if name not in _WRAPPERS:
            break
        start = _after_options(argv, index + 1, _WRAPPERS[name])
        if name == "command" and any(a in ("-v", "-V") for a in argv[index + 1 : start]):
            break  # `command -v terraform` looks a program up, it does not run it
        if name in _ASSIGNING:
            while start < len(argv) and _ASSIGNMENT.match(argv[start]):
                start += 1
        if name == "timeout":
            start += 1  # the duration
        if start >= len(argv):
            break
        wrappers.append(name)
        index = start
    return index, tuple(wrappers)


def _after_options(argv: Sequence[str], start: int, valued: frozenset[str]) -> int:
    i = start
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return i + 1
        if not arg.startswith("-") or arg == "-":
            return i
        if arg.startswith("--"):
            i += 2 if arg in valued else 1
            continue
        i += 1
        for position, letter in enumerate(arg[1:], start=1):
            if f"-{letter}" in valued:
                i += 1 if position == len(arg) - 1 else 0
                break
    return i


@cache
def _language() -> Language:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Language(tree_sitter_bash.language())


# The node types `_parse` reads. A cursor walk finds them in document order: a tree-sitter
# query would too, but compiling one against the bash grammar costs about 5 ms, more than
# walking a 50 KB script.
_WANTED = {"command": 0, "variable_assignment": 1, "for_statement": 2}


def _wanted_nodes(root: Node) -> tuple[list[Node], list[Node], list[Node]]:
    """The commands, variable assignments and `for` loops under `root`, in document order."""
    found: tuple[list[Node], list[Node], list[Node]] = ([], [], [])
    cursor = root.walk()
    while True:
        node = cursor.node
        kind = _WANTED.get(node.type) if node is not None else None
        # a zero-width node is one error recovery made up (`a |` ends with an empty command)
        if node is not None and kind is not None and node.end_byte > node.start_byte:
            found[kind].append(node)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


def commands(script: str, first_line: int = 1) -> list[Command]:
    """Every simple command in `script`, in source order; line 1 of `script` is `first_line`.

    Finds commands in pipelines, lists, subshells, compound statements, functions and command
    substitutions, and inside `bash -c '…'`, `su -c '…'`, `eval '…'` and `bash <<EOF` bodies.
    Comments, arguments and other heredoc bodies are not commands. Never raises.
    """
    return list(parse(script, first_line).commands)


def parse(script: str, first_line: int = 1) -> ParsedScript:
    """The commands of `script` (as `commands()`) and its variable assignments."""
    seen: set[tuple[int, tuple[str, ...]]] = set()
    found: list[Command] = []
    assigned: list[Assignment] = []
    _parse(script, first_line, 0, found, assigned)
    out = []
    for command in found:
        key = (command.line, command.argv)
        if key not in seen:
            seen.add(key)
            out.append(command)
    return ParsedScript(tuple(out), tuple(dict.fromkeys(assigned)))


def _parse(
    script: str, first_line: int, depth: int, out: list[Command], assigned: list[Assignment]
) -> None:
    masked, restore = _mask_expressions(script)
    import tree_sitter

    tree = tree_sitter.Parser(_language()).parse(masked.encode("utf-8", "replace"))
    commands, assignments, loops = _wanted_nodes(tree.root_node)
    for node in assignments:
        _assignment(node, first_line, restore, assigned)
    for node in loops:
        _loop_variable(node, first_line, restore, assigned)
    for node in commands:
        words = _arguments(node)
        if not words:
            continue
        argv = tuple(restore(_word(w)) for w in words)
        index, wrappers = unwrap(argv)
        line = first_line + node.start_point.row
        if program_name(argv[index]) == "read":
            assigned.extend(Assignment(name, None, line) for name in _read_names(argv[index:]))
        out.append(
            Command(
                argv=argv[index:],
                line=line,
                text=restore(_text(node)),
                end_line=first_line + _last_row(node),
                wrappers=wrappers,
                stdin=restore(_stdin(node)),
            )
        )
        if depth < _MAX_DEPTH:
            for inner, source in _inner_scripts(node, argv, words, index):
                inner_first = first_line + source.start_point.row
                last = first_line + source.end_point.row
                nested: list[Command] = []
                _parse(restore(inner), inner_first, depth + 1, nested, assigned)
                out.extend(_clamped(command, last) for command in nested)


def _assignment(
    node: Node, first_line: int, restore: Callable[[str], str], out: list[Assignment]
) -> None:
    name = node.child_by_field_name("name")
    if name is None or name.type != "variable_name":
        return  # `arr[0]=…` sets one element
    value = node.child_by_field_name("value")
    text = restore(_word(value)) if value is not None else ""
    out.append(Assignment(_text(name), text, first_line + node.start_point.row))


def _loop_variable(
    node: Node, first_line: int, restore: Callable[[str], str], out: list[Assignment]
) -> None:
    name = node.child_by_field_name("variable")
    if name is None:
        return
    line = first_line + node.start_point.row
    values = node.children_by_field_name("value")
    if not values:  # `for x; do` iterates over "$@"
        out.append(Assignment(_text(name), None, line))
    for value in values:
        word = restore(_word(value))
        literal = value.type in ("word", "string", "raw_string") and "$" not in word
        out.append(Assignment(_text(name), word if literal else None, line))


_READ_VALUED = frozenset("adeinNptu")


def _read_names(argv: tuple[str, ...]) -> list[str]:
    names, i = [], 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("-") and len(arg) > 1:
            if arg[-1] in _READ_VALUED:
                i += 1
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", arg):
            names.append(arg)
    return names


def _clamped(command: Command, last: int) -> Command:
    """Keep a nested command inside the lines of its source (unquoting can drop newlines)."""
    line = min(command.line, last)
    end = min(max(command.end_line, line), last)
    if (line, end) == (command.line, command.end_line):
        return command
    return replace(command, line=line, end_line=end)


def _mask_expressions(script: str) -> tuple[str, Callable[[str], str]]:
    """Hide GitHub `${{ … }}` expressions (not shell; they derail the grammar) and non-ASCII
    text (the grammar's scanner is unsafe on it) behind ASCII placeholders."""
    if "${{" not in script and script.isascii():
        return script, _identity
    found: list[str] = []

    def mark(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return f"__changerisk_expr_{len(found) - 1}__"

    masked = _MASKED.sub(mark, script)

    def restore(text: str) -> str:
        return re.sub(r"__changerisk_expr_(\d+)__", lambda m: _original(m, found), text)

    return masked, restore


def _original(match: re.Match[str], found: list[str]) -> str:
    index = int(match.group(1))
    return found[index] if index < len(found) else match.group(0)


def _identity(text: str) -> str:
    return text


def _arguments(node: Node) -> list[Node]:
    name = node.child_by_field_name("name")
    if name is None or not name.named_children:
        return []
    return [name.named_children[0], *node.children_by_field_name("argument")]


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _word(node: Node) -> str:
    """A shell word with its quoting removed; expansions and substitutions stay as source."""
    text = _text(node)
    kind = node.type
    if kind == "word":
        return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.DOTALL)
    if kind == "raw_string":
        return text[1:-1] if len(text) >= 2 and text.endswith("'") else text[1:]
    if kind == "string":
        inner = text[1:-1] if len(text) >= 2 and text.endswith('"') else text[1:]
        return re.sub(r'\\([$`"\\\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), inner)
    if kind == "ansi_c_string":
        return text[2:-1] if len(text) >= 3 and text.endswith("'") else text[2:]
    if kind == "translated_string" and node.named_children:
        return _word(node.named_children[0])
    if kind == "concatenation":
        return _joined(node)
    return text


def _joined(node: Node) -> str:
    raw = node.text or b""
    parts, at = [], 0
    for child in node.children:
        begin, end = child.start_byte - node.start_byte, child.end_byte - node.start_byte
        parts.append(raw[at:begin].decode("utf-8", "replace"))
        parts.append(_word(child))
        at = end
    parts.append(raw[at:].decode("utf-8", "replace"))
    return "".join(parts)


def _inner_scripts(
    node: Node, argv: tuple[str, ...], words: list[Node], index: int
) -> Iterator[tuple[str, Node]]:
    """Shell source a command runs itself: `bash -c S`, `su -c S`, `eval …`, `bash <<EOF`."""
    name = program_name(argv[index])
    if name == "eval" and index + 1 < len(argv):
        yield " ".join(argv[index + 1 :]), words[index + 1]
    elif name == "su":
        for i in range(index + 1, len(argv)):
            if argv[i] in ("-c", "--command") and i + 1 < len(argv):
                yield argv[i + 1], words[i + 1]
            elif argv[i].startswith("--command="):
                yield argv[i].partition("=")[2], words[i]
    elif name in _SHELLS:
        mode, at = _shell_mode(argv, index + 1)
        if mode == "c" and at < len(argv):
            yield argv[at], words[at]
        elif mode == "stdin":
            body = _heredoc_body(node)
            if body is not None:
                yield _text(body), body


def _shell_mode(argv: tuple[str, ...], start: int) -> tuple[str, int]:
    """How a shell gets its script: ("c", index of the string), ("stdin", _) or ("file", _)."""
    i, dash_c, dash_s = start, False, False
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if arg in ("--rcfile", "--init-file"):
            i += 2
        elif arg.startswith("--"):
            i += 1
        elif arg[:1] in ("-", "+") and len(arg) > 1:
            dash_c = dash_c or (arg[0] == "-" and "c" in arg[1:])
            dash_s = dash_s or (arg[0] == "-" and "s" in arg[1:])
            i += 2 if arg[-1] in "oO" else 1  # `-euo pipefail`: -o takes the next word
        else:
            break
    if dash_c:
        return "c", i
    return ("stdin", i) if dash_s or i >= len(argv) else ("file", i)


def _last_row(node: Node) -> int:
    """The last row of a command, its heredoc body included: a change to the body is a
    change to what the command does."""
    body = _heredoc_body(node)
    return max(node.end_point.row, body.end_point.row if body is not None else 0)


def _stdin(node: Node) -> str:
    """The text of a heredoc or here-string fed to the command `node`, or ""."""
    body = _heredoc_body(node)
    if body is not None:
        return _text(body)
    for child in node.children:
        if child.type == "herestring_redirect" and child.named_children:
            return _word(child.named_children[-1])
    return ""


def _heredoc_body(node: Node) -> Node | None:
    parent = node.parent
    if parent is None or parent.type != "redirected_statement":
        return None
    for redirect in parent.children_by_field_name("redirect"):
        if redirect.type == "heredoc_redirect":
            for child in redirect.children:
                if child.type == "heredoc_body":
                    return child
    return None


@dataclass(frozen=True)
class FileScripts:
    """The shell of one side of a file: its commands, variables and units."""

    commands: tuple[Command, ...] = ()
    variables: dict[str, tuple[str | None, ...]] = field(default_factory=dict)
    units: tuple[tuple[int, int], ...] = ()  # line ranges; a command's `unit` is 1 + an index


def commands_of(change: FileChange) -> tuple[Command, ...]:
    """The commands of the new side of `change`, parsed once and shared by every rule.

    A command whose program is a variable (`$TF destroy`, `$(KUBECTL) delete …`) is read as
    the program the file assigns to it, when every assignment names the same one. Each command
    carries the index of its unit: the script, CI job or make target it runs in.
    """
    return scripts_of(change).commands


def variables_of(change: FileChange) -> dict[str, tuple[str | None, ...]]:
    """Every value the new side of `change` assigns to each variable (shell, make, CI `env`,
    Dockerfile `ENV`/`ARG`); None stands for a value read at run time."""
    return scripts_of(change).variables


def scripts_of(change: FileChange) -> FileScripts:
    """Commands, variables and units of the new side of `change`, computed once per file."""

    def build() -> FileScripts:
        if not has_scripts(change.formats, change.path):
            return FileScripts()
        text = change.new_text()
        if not text:
            return FileScripts()
        regions = known_regions(change)
        if regions and "shell" in change.formats:
            text = blank_heredoc_tails(text, regions)
        found: list[Command] = []
        values: dict[str, list[str | None]] = {}
        for name, value in declared_variables(change.formats, text):
            values.setdefault(name, []).append(value)
        for script, first_line in script_lines_of(change.formats, text, change.path, regions):
            parsed = parse(script, first_line)
            found.extend(parsed.commands)
            for assignment in parsed.assignments:
                values.setdefault(assignment.name, []).append(assignment.value)
        variables = {name: tuple(dict.fromkeys(v)) for name, v in values.items()}
        units = tuple(script_units(change.formats, text, change.path))
        resolved = tuple(_in_unit(_resolved(command, variables), units) for command in found)
        return FileScripts(resolved, variables, units)

    return change.cached("shell-commands", build)


def known_regions(change: FileChange) -> tuple[tuple[int, int], ...]:
    """The new-side line ranges a bare diff shows, when the new text was rebuilt from them."""
    if not change.is_partial("new"):
        return ()
    return tuple(
        (hunk.new_start, hunk.new_start + hunk.new_len - 1)
        for hunk in change.hunks
        if hunk.new_len > 0
    )


_TERMINATOR = lazy_compile(r"^\t*([A-Z_][A-Z0-9_]*)\s*$")
_OPENER = lazy_compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def blank_heredoc_tails(text: str, regions: Sequence[tuple[int, int]]) -> str:
    """Blank the lines of a rebuilt text that open a hunk inside a heredoc body.

    A hunk that starts in the middle of `cat <<EOF … EOF` shows body lines without the line
    that opened it; they are text, not commands. The sign is a lone terminator word (`EOF`,
    `SQL`: upper case, as heredoc words are) before any `<<WORD` in the hunk.
    """
    lines = text.split("\n")
    for first, last in regions:
        opened: set[str] = set()
        for number in range(first, min(last, len(lines)) + 1):
            line = lines[number - 1]
            match = _TERMINATOR.match(line)
            if match and match.group(1) not in opened:
                for blank in range(first, number + 1):
                    lines[blank - 1] = ""
                break
            opened.update(m.group(2) for m in _OPENER.finditer(line))
    return "\n".join(lines)


_PROGRAM_VARIABLE = lazy_compile(
    r"^\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}"
    r"|\((?P<make>[A-Za-z_][A-Za-z0-9_]*)\)|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))$"
)


def _resolved(command: Command, variables: dict[str, tuple[str | None, ...]]) -> Command:
    """`$TF destroy` as `terraform destroy` when the file sets TF to one program only."""
    if not command.argv:
        return command
    match = _PROGRAM_VARIABLE.match(command.argv[0])
    if match is None:
        return command
    name = match.group("braced") or match.group("make") or match.group("plain") or ""
    candidates = list(variables.get(name, ()))
    if match.group("default"):
        candidates.append(match.group("default"))
    words = [_split(_own_default(name, value)) for value in candidates if value is not None]
    programs = {program_name(w[0]) for w in words if w}
    if len(programs) != 1 or len(words) != len(candidates) or not all(words):
        return command
    argv = (*words[0], *command.argv[1:])
    index, wrappers = unwrap(argv)
    return replace(command, argv=argv[index:], wrappers=command.wrappers + wrappers)


def _own_default(name: str, value: str) -> str:
    """`TF="${TF:-terraform}"` lets the caller choose, and otherwise runs terraform."""
    match = _PROGRAM_VARIABLE.match(value)
    if match and match.group("braced") == name and match.group("default"):
        return match.group("default")
    return value


def _split(value: str) -> list[str]:
    import shlex

    try:
        words = shlex.split(value)
    except ValueError:
        return []
    return [] if not words or "$" in words[0] else words


def _in_unit(command: Command, units: Sequence[tuple[int, int]]) -> Command:
    """`command` with the index (1-based) of the unit holding its line; units are sorted and,
    being the innermost, do not overlap."""
    import bisect

    at = bisect.bisect_right(units, (command.line, float("inf"))) - 1
    if at >= 0 and units[at][0] <= command.line <= units[at][1]:
        return replace(command, unit=at + 1)
    return command
