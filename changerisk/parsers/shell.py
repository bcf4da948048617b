"""Shell commands of a change: what a script, CI job, recipe or `RUN` line will execute.

`commands()` reads shell source with tree-sitter-bash and returns every simple command with its
argv (wrappers such as `sudo` stripped, `bash -c` strings read too) and its line in the file.
`script_lines_of()` finds the shell inside other formats: CI YAML keys, Makefile recipes,
Dockerfile `RUN` instructions. Both accept any text and never raise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from changerisk.model import FileChange

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Query


@dataclass(frozen=True)
class Command:
    """One simple command: `argv` unquoted (expansions kept as source), lines 1-based."""

    argv: tuple[str, ...]
    line: int
    text: str
    end_line: int = 0  # last line of a multi-line command; 0 means `line`
    wrappers: tuple[str, ...] = ()  # stripped prefixes such as ("sudo", "xargs")

    @property
    def lines(self) -> range:
        return range(self.line, max(self.end_line, self.line) + 1)

    @property
    def program(self) -> str:
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
}
_ASSIGNING = frozenset({"sudo", "env"})  # accept NAME=value before the command
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# GitHub `${{ … }}` expressions, and runs of non-ASCII characters: the bash grammar's scanner
# reads out of bounds on some code points (e.g. "{" then U+EFA13 crashes the process), and no
# command name we look for is non-ASCII, so both are parsed as ASCII placeholders.
_MASKED = re.compile(r"\$\{\{.*?\}\}|[^\x00-\x7f]+")
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


@cache
def _query() -> Query:
    import tree_sitter

    query: Query = tree_sitter.Query(_language(), "(command) @command")
    return query


def commands(script: str, first_line: int = 1) -> list[Command]:
    """Every simple command in `script`, in source order; line 1 of `script` is `first_line`.

    Finds commands in pipelines, lists, subshells, compound statements, functions and command
    substitutions, and inside `bash -c '…'`, `su -c '…'`, `eval '…'` and `bash <<EOF` bodies.
    Comments, arguments and other heredoc bodies are not commands. Never raises.
    """
    seen: set[tuple[int, tuple[str, ...]]] = set()
    out = []
    for command in _commands(script, first_line, 0):
        key = (command.line, command.argv)
        if key not in seen:
            seen.add(key)
            out.append(command)
    return out


def _commands(script: str, first_line: int, depth: int) -> list[Command]:
    masked, restore = _mask_expressions(script)
    import tree_sitter

    tree = tree_sitter.Parser(_language()).parse(masked.encode("utf-8", "replace"))
    captured = tree_sitter.QueryCursor(_query()).captures(tree.root_node).get("command", [])
    out: list[Command] = []
    for node in sorted(captured, key=lambda n: n.start_byte):
        words = _arguments(node)
        if not words:
            continue
        argv = tuple(restore(_word(w)) for w in words)
        index, wrappers = unwrap(argv)
        out.append(
            Command(
                argv=argv[index:],
                line=first_line + node.start_point.row,
                text=restore(_text(node)),
                end_line=first_line + node.end_point.row,
                wrappers=wrappers,
            )
        )
        if depth < _MAX_DEPTH:
            for inner, source in _inner_scripts(node, argv, words, index):
                inner_first = first_line + source.start_point.row
                last = first_line + source.end_point.row
                for nested in _commands(restore(inner), inner_first, depth + 1):
                    out.append(_clamped(nested, last))
    return out


def _clamped(command: Command, last: int) -> Command:
    """Keep a nested command inside the lines of its source (unquoting can drop newlines)."""
    line = min(command.line, last)
    end = min(max(command.end_line, line), last)
    if (line, end) == (command.line, command.end_line):
        return command
    return Command(command.argv, line, command.text, end, command.wrappers)


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


def commands_of(change: FileChange) -> tuple[Command, ...]:
    """The commands of the new side of `change`, parsed once and shared by every rule."""

    def build() -> tuple[Command, ...]:
        text = change.new_text()
        if not text:
            return ()
        found: list[Command] = []
        for script, first_line in script_lines_of(change.formats, text):
            found.extend(commands(script, first_line))
        return tuple(found)

    return change.cached("shell-commands", build)


def script_lines_of(formats: Collection[str], text: str) -> list[tuple[str, int]]:
    """The shell scripts in a file of `formats`, each with the file line where it starts."""
    if "shell" in formats:
        return [(text, 1)]
    if "ci" in formats or "github-workflow" in formats:
        if "yaml" not in formats and "github-workflow" not in formats:
            steps = jenkins_sh_steps(text)  # a Jenkinsfile is Groovy
            if steps:
                return steps
        documents = _yaml_documents(text)
        if documents is None:  # a bare diff rebuilds only the hunks: scan the lines instead
            return _scan_ci_lines(text)
        return _ci_scripts_in(documents)
    if "makefile" in formats:
        return makefile_recipes(text)
    if "dockerfile" in formats:
        return dockerfile_runs(text)
    return []


# --- CI YAML -------------------------------------------------------------------------------

_SCRIPT_KEYS = frozenset(
    {
        "run",  # GitHub Actions, CircleCI
        "script",  # GitLab, Travis, Bitbucket, Azure
        "before_script",
        "after_script",
        "command",  # CircleCI, Buildkite
        "commands",  # Buildkite, Drone, CodeBuild
        "cmds",  # Taskfile
        "bash",  # Azure Pipelines
        "inlineScript",  # Azure CLI task
        "install",  # Travis
        "before_install",
        "after_success",
        "after_failure",
    }
)
_NOT_SHELL = re.compile(r"^\s*(python|node|perl|ruby)\b")  # `shell: python {0}`


def ci_scripts(text: str) -> list[tuple[str, int]]:
    """Shell scripts of a CI YAML file with the 1-based line where each one's content starts.

    Reads the node tree only (`yaml.compose_all`, safe loader: nothing is constructed).
    Malformed YAML gives [].
    """
    documents = _yaml_documents(text)
    return [] if documents is None else _ci_scripts_in(documents)


def _yaml_documents(text: str) -> list[Any] | None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return list(yaml.compose_all(text, Loader=loader))
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _ci_scripts_in(documents: list[Any]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    seen: set[object] = set()
    for document in documents:
        _walk(document, out, seen)
    return sorted(set(out), key=lambda item: (item[1], item[0]))


def _walk(node: Any, out: list[tuple[str, int]], seen: set[object]) -> None:
    import yaml

    if id(node) in seen:  # aliases share nodes; cycles and "billion laughs" end here
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, out, seen)
    elif isinstance(node, yaml.MappingNode):
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        shell = keys.get("shell")
        uses = keys.get("uses")
        not_shell = isinstance(shell, yaml.ScalarNode) and _NOT_SHELL.match(str(shell.value))
        github_script = isinstance(uses, yaml.ScalarNode) and "github-script" in str(uses.value)
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name == "with" and github_script:
                continue  # actions/github-script takes JavaScript
            if name in _SCRIPT_KEYS and not not_shell:
                _collect(value, out, seen)
            else:
                _walk(value, out, seen)


def _collect(node: Any, out: list[tuple[str, int]], seen: set[object]) -> None:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        value = str(node.value)
        if value.strip():
            block = node.style in ("|", ">")
            out.append((value, node.start_mark.line + (2 if block else 1)))
    elif isinstance(node, yaml.SequenceNode):
        if ("script", id(node)) in seen:  # an alias of a list already read as scripts
            return
        seen.add(("script", id(node)))
        for item in node.value:
            _collect(item, out, seen)
    else:
        _walk(node, out, seen)


_CI_KEY_LINE = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)?)(?P<key>[A-Za-z_]+)[ \t]*:(?:[ \t]+(?P<rest>.*))?$"
)
_ITEM_LINE = re.compile(r"^(?P<lead>[ \t]*)-[ \t]+(?P<rest>.*)$")


def _scan_ci_lines(text: str) -> list[tuple[str, int]]:
    """Line-based fallback for YAML that does not compose (a hunk rebuilt from a bare diff)."""
    lines = text.split("\n")
    out: list[tuple[str, int]] = []
    for number, line in enumerate(lines):
        match = _CI_KEY_LINE.match(line)
        if not match or match.group("key") not in _SCRIPT_KEYS:
            continue
        rest = (match.group("rest") or "").strip()
        if rest:
            out.extend(_scalar_at(lines, number, rest, len(match.group("lead"))))
        else:
            out.extend(_items_below(lines, number, _indent(line)))
    return sorted(set(out), key=lambda item: (item[1], item[0]))


def _items_below(lines: list[str], number: int, floor: int) -> list[tuple[str, int]]:
    """The `- item` scalars of a block sequence that starts below line `number`."""
    out: list[tuple[str, int]] = []
    column = -1
    for below in range(number + 1, len(lines)):
        line = lines[below]
        if not line.strip():
            continue
        item = _ITEM_LINE.match(line)
        indent = _indent(line)
        if item is not None and indent >= floor and column in (-1, indent):
            column = indent
            out.extend(_scalar_at(lines, below, item.group("rest").strip(), indent))
        elif column == -1 or indent <= column:
            break
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _scalar_at(lines: list[str], number: int, rest: str, column: int) -> list[tuple[str, int]]:
    if rest[:1] in ("|", ">"):
        body = []
        for below in range(number + 1, len(lines)):
            line = lines[below]
            if line.strip() and _indent(line) <= column:
                break
            body.append(line)
        return [(_dedent("\n".join(body)), number + 2)] if "".join(body).strip() else []
    if rest[:1] in ("[", "{", "&", "*", "!"):
        return []
    if rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
        import json

        try:
            rest = str(json.loads(rest))
        except ValueError:
            rest = rest[1:-1]
    elif rest.startswith("'") and rest.endswith("'") and len(rest) >= 2:
        rest = rest[1:-1].replace("''", "'")
    return [(rest, number + 1)]


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


_JENKINS_SH = re.compile(
    r"\bsh\s*\(?\s*(?:script\s*:\s*)?('''|\"\"\"|'|\")(?P<body>.*?)(?<!\\)\1", re.DOTALL
)


def jenkins_sh_steps(text: str) -> list[tuple[str, int]]:
    """`sh '…'` / `sh \"\"\"…\"\"\"` steps of a Jenkinsfile."""
    return [
        (match.group("body"), text.count("\n", 0, match.start("body")) + 1)
        for match in _JENKINS_SH.finditer(text)
    ]


# --- Makefile and Dockerfile -----------------------------------------------------------------

_MAKE_DIRECTIVE = re.compile(
    r"^(export|unexport|override|include|-include|sinclude|ifeq|ifneq|ifdef|ifndef|else|endif|"
    r"vpath|set|alias|import|mod)\b"
)
_MAKE_ASSIGNMENT = re.compile(r"^[^:#=\s]+\s*(:=|::=|:::=|\?=|\+=|!=|=)")


def makefile_recipes(text: str) -> list[tuple[str, int]]:
    """Each recipe line of a Makefile (or justfile), `@`/`-`/`+` prefixes stripped."""
    lines = text.split("\n")
    out: list[tuple[str, int]] = []
    in_rule = in_define = False
    number = 0
    while number < len(lines):
        line = lines[number]
        stripped = line.strip()
        if in_define:
            in_define = stripped != "endef" and not stripped.startswith("endef ")
            number += 1
            continue
        is_recipe = line.startswith("\t") or (in_rule and line[:1] == " " and bool(stripped))
        if not is_recipe:
            if stripped.startswith("define ") or stripped == "define":
                in_define = True
            elif stripped and not line[:1].isspace() and not stripped.startswith("#"):
                in_rule = _is_rule_header(stripped)
                while lines[number].endswith("\\") and number + 1 < len(lines):
                    number += 1  # a header or assignment continued on the next lines
            number += 1
            continue
        start, body = number, [_recipe_text(line)]
        while _continues(lines[number], "\\") and number + 1 < len(lines):
            number += 1
            body.append(lines[number].removeprefix("\t"))
        script = "\n".join(body).replace("$$", "$")
        if script.strip() and not script.lstrip().startswith("#"):
            out.append((script, start + 1))
        number += 1
    return out


def _is_rule_header(line: str) -> bool:
    return ":" in line and not _MAKE_ASSIGNMENT.match(line) and not _MAKE_DIRECTIVE.match(line)


def _recipe_text(line: str) -> str:
    return line.lstrip(" \t").lstrip("@-+ \t")


def _continues(line: str, escape: str) -> bool:
    trailing = len(line) - len(line.rstrip(escape))
    return trailing % 2 == 1 if escape == "\\" else trailing > 0


_RUN = re.compile(r"^\s*(?:ONBUILD\s+)?RUN(?:\s+(?P<body>.*))?$", re.IGNORECASE)
_RUN_FLAGS = re.compile(r"^(?:--\S+\s+)*")
_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)
_HEREDOC_ONLY = re.compile(r"^<<-?\s*(['\"]?)(?P<word>\w+)\1\s*$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")


def dockerfile_runs(text: str) -> list[tuple[str, int]]:
    """The shell of each `RUN` instruction (shell form, exec form, heredocs, continuations)."""
    lines = text.split("\n")
    escape = _escape_character(lines)
    out: list[tuple[str, int]] = []
    number = 0
    while number < len(lines):
        start, match = number, _RUN.match(lines[number])
        body = [lines[number]]
        while number + 1 < len(lines) and (
            _continues(lines[number], escape) or (number > start and _is_comment(lines[number]))
        ):
            number += 1
            body.append("\\" if _is_comment(lines[number]) else lines[number])
        number += 1
        if match is None:
            continue
        body[0] = _RUN_FLAGS.sub("", match.group("body") or "")
        if escape != "\\":
            body = [part[:-1] + "\\" if part.endswith(escape) else part for part in body]
        words = [m.group("word") for m in _HEREDOC.finditer("\n".join(body))]
        if words:
            end = _heredoc_end(lines, number, words)
            if _HEREDOC_ONLY.match(body[0].strip()):
                out.append(("\n".join(lines[number:end]), number + 1))
                number = end + 1
                continue
            body.extend(lines[number : end + 1])
            number = end + 1
        out.append((_exec_form("\n".join(body)), start + 1))
    return out


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _escape_character(lines: list[str]) -> str:
    for line in lines:
        match = _ESCAPE_DIRECTIVE.match(line.strip())
        if match:
            return match.group(1)
        if not line.startswith("#"):
            break
    return "\\"


def _heredoc_end(lines: list[str], start: int, words: list[str]) -> int:
    """Index of the line closing the last of `words` (heredocs close in order)."""
    at = start
    for word in words:
        while at < len(lines) and lines[at].strip() != word:
            at += 1
        if at >= len(lines):
            return len(lines) - 1
        at += 1
    return at - 1


def _exec_form(body: str) -> str:
    """`RUN ["sh", "-c", "…"]` as the command line it runs."""
    import json
    import shlex

    stripped = body.strip()
    if not stripped.startswith("["):
        return body
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return body
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return shlex.join(parsed)
    return body
