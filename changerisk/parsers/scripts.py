"""The shell inside other formats: CI YAML keys, Jenkinsfile `sh` steps, Makefile recipes,
Dockerfile `RUN` instructions. Each function takes any text, returns `(script, first line)`
pairs, and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any


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
