"""The shell inside other formats: CI YAML keys, Jenkinsfile `sh` steps, Makefile recipes,
Dockerfile `RUN` instructions, package.json `scripts`, Ansible `shell`/`command`/`raw` tasks.
Each function takes any text, returns `(script, first line)` pairs, and never raises. Beside
the scripts: the variables each format declares outside the shell (make assignments, CI `env`,
Dockerfile `ENV`/`ARG`) and its units (CI jobs, make targets, package.json entries, Ansible
plays), the scope of a delete-then-recreate sequence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import PurePosixPath
from typing import Any

from changerisk.regex import lazy_compile

Region = tuple[int, int]  # first and last line, 1-based, inclusive


def is_package_json(path: str) -> bool:
    return PurePosixPath(path).name == "package.json"


def has_scripts(formats: Collection[str], path: str) -> bool:
    """Whether a file of `formats` at `path` can hold shell that `script_lines_of` reads."""
    kinds = {"shell", "ci", "github-workflow", "makefile", "dockerfile", "ansible"}
    return bool(kinds & set(formats)) or ("json" in formats and is_package_json(path))


def script_lines_of(
    formats: Collection[str], text: str, path: str = "", regions: Sequence[Region] = ()
) -> list[tuple[str, int]]:
    """The shell scripts in a file of `formats`, each with the file line where it starts.

    `regions` are the line ranges a bare diff shows when `text` was rebuilt from its hunks
    (empty for a full text): a CI hunk that starts inside a `run: |` block is read from them.
    """
    if "shell" in formats:
        return [(text, 1)]
    if "ansible" in formats:
        from changerisk.parsers.ansible import is_deployed, task_scripts

        return task_scripts(text) if is_deployed(path) else []
    if "ci" in formats or "github-workflow" in formats:
        if "yaml" not in formats and "github-workflow" not in formats:
            steps = jenkins_sh_steps(text)  # a Jenkinsfile is Groovy
            if steps:
                return steps
        documents = _yaml_documents(text)
        # a bare diff rebuilds only the hunks, which may not compose: scan the lines instead
        found = _scan_ci_lines(text) if documents is None else _ci_scripts_in(documents)
        if regions:
            found = sorted(set(found) | set(_block_bodies(text, regions, found)), key=_by_line)
        return found
    if "makefile" in formats:
        return makefile_recipes(text)
    if "dockerfile" in formats:
        return dockerfile_runs(text)
    if "json" in formats and is_package_json(path):
        return package_scripts(text)
    return []


def _by_line(item: tuple[str, int]) -> tuple[int, str]:
    return item[1], item[0]


def declared_variables(formats: Collection[str], text: str) -> list[tuple[str, str | None]]:
    """Variables a file declares outside its shell: make assignments, CI `env`/`variables`,
    Dockerfile `ENV` and `ARG` (None for an `ARG` without a default)."""
    if "makefile" in formats:
        return make_variables(text)
    if "dockerfile" in formats:
        return dockerfile_variables(text)
    if ("ci" in formats or "github-workflow" in formats) and (
        "yaml" in formats or "github-workflow" in formats
    ):
        documents = _yaml_documents(text)
        return [] if documents is None else _ci_variables(documents)
    return []


def script_units(formats: Collection[str], text: str, path: str = "") -> list[Region]:
    """The units a file's commands run in, as line ranges: each CI job, make target,
    package.json script or Ansible play. A line in none of them belongs to the file as a
    whole."""
    if "shell" in formats:
        return []
    if "ansible" in formats:
        from changerisk.parsers.ansible import plays_in

        return plays_in(text)
    if ("ci" in formats or "github-workflow" in formats) and (
        "yaml" in formats or "github-workflow" in formats
    ):
        documents = _yaml_documents(text)
        return _ci_jobs_by_lines(text) if documents is None else _ci_jobs(documents)
    if "makefile" in formats:
        return make_targets(text)
    if "json" in formats and is_package_json(path):
        return [(line, line + script.count("\n")) for script, line in package_scripts(text)]
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
_NOT_SHELL = lazy_compile(r"^\s*(python|node|perl|ruby)\b")  # `shell: python {0}`


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


_JOB_KEYS = frozenset({"steps", "script"})  # GitHub/CircleCI jobs, GitLab jobs
_ENV_KEYS = frozenset({"env", "variables", "environment"})


def _ci_jobs(documents: list[Any]) -> list[Region]:
    """Line ranges of each mapping that holds `steps` or `script`: a CI job."""
    import yaml

    out: list[Region] = []
    stack = list(documents)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
            continue
        names = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        if names & _JOB_KEYS:
            first = node.start_mark.line + 1
            out.append((first, max(node.end_mark.line, first)))
        else:
            stack.extend(value for _, value in node.value)
    return sorted(out)


_MAPPING_KEY = lazy_compile(r"^(?P<lead>[ \t]*)[\w.\-]+[ \t]*:[ \t]*(?:#.*)?$")
_JOB_KEY_LINE = lazy_compile(r"^[ \t]*(?:steps|script)[ \t]*:")


def _ci_jobs_by_lines(text: str) -> list[Region]:
    """`_ci_jobs` for YAML that does not compose (a hunk rebuilt from a bare diff): a `key:`
    line whose first child lines include `steps:` or `script:`, up to the next line indented
    no deeper than the key."""
    lines = text.split("\n")
    out: list[Region] = []
    for number, line in enumerate(lines):
        match = _MAPPING_KEY.match(line)
        if not match:
            continue
        column, child, end, is_job = len(match.group("lead")), -1, number + 1, False
        for below in range(number + 1, len(lines)):
            text_below = lines[below]
            if not text_below.strip():
                continue
            indent = _indent(text_below)
            if indent <= column:
                break
            end = below + 1
            child = indent if child == -1 else child
            is_job = is_job or (indent == child and bool(_JOB_KEY_LINE.match(text_below)))
        if is_job:
            out.append((number + 1, end))
    return [r for r in out if not any(o != r and r[0] <= o[0] <= o[1] <= r[1] for o in out)]


def _ci_variables(documents: list[Any]) -> list[tuple[str, str | None]]:
    """`env:` / `variables:` / `environment:` entries with a scalar value, anywhere."""
    import yaml

    out: list[tuple[str, str | None]] = []
    stack = list(documents)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name in _ENV_KEYS and isinstance(value, yaml.MappingNode):
                    out.extend(_env_entries(value))
                stack.append(value)
    return out


def _env_entries(node: Any) -> list[tuple[str, str | None]]:
    import yaml

    out: list[tuple[str, str | None]] = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if isinstance(value, yaml.MappingNode):  # GitLab: NAME: {value: …, description: …}
            value = next((v for k, v in value.value if getattr(k, "value", None) == "value"), None)
        if isinstance(value, yaml.ScalarNode):
            out.append((str(key.value), str(value.value)))
    return out


_CI_KEY_LINE = lazy_compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)?)(?P<key>[A-Za-z_]+)[ \t]*:(?:[ \t]+(?P<rest>.*))?$"
)
_ITEM_LINE = lazy_compile(r"^(?P<lead>[ \t]*)-[ \t]+(?P<rest>.*)$")


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


_STRUCTURE = lazy_compile(r"^\s*(?:-(?:\s|$)|[\w.\-\"']+\s*:(?:\s|$)|#)")


def _block_bodies(
    text: str, regions: Sequence[Region], found: Sequence[tuple[str, int]]
) -> list[tuple[str, int]]:
    """Hunks of a rebuilt CI file that start inside a block scalar (`run: |`) or a list of
    commands (`script:`) whose key the diff does not show.

    A block body is the indented lines up to the first line indented less, taken as shell when
    it parses as shell without errors (a `script: |` of JavaScript does not). A list is the
    `- scalar` items at the first item's column; the other lists of CI files (`tags:`,
    `needs:`, `only:`, `paths:`) hold names, which are no destructive commands.
    """
    lines = text.split("\n")
    covered = {line + offset for script, line in found for offset in range(script.count("\n") + 1)}
    out: list[tuple[str, int]] = []
    for first, last in regions:
        start = next(
            (n for n in range(first, min(last, len(lines)) + 1) if lines[n - 1].strip()), None
        )
        if start is None or start in covered:
            continue
        head = lines[start - 1]
        column = _indent(head)
        if _ITEM_LINE.match(head) and not _CI_KEY_LINE.match(head):
            out.extend(_items_below(lines, start - 2, column))
            continue
        if column == 0 or _STRUCTURE.match(head):
            continue
        body = []
        for number in range(start, min(last, len(lines)) + 1):
            line = lines[number - 1]
            if line.strip() and _indent(line) < column:
                break
            body.append(line)
        script = _dedent("\n".join(body))
        if _parses_as_shell(script):
            out.append((script, start))
    return out


_JAVASCRIPT = lazy_compile(
    r"^[ \t]*(?:const|let|var|await|function|import|module\.exports)\b|=>|"
    r"\b(?:core|github|context|console|exec|io)\.\w+\(",
    re.MULTILINE,
)


_PROSE = lazy_compile(r"^[ \t]*[A-Za-z][\w,'()-]*(?: [\w,'()`-]+){3,}[.:][ \t]*$", re.MULTILINE)


def _parses_as_shell(script: str) -> bool:
    import tree_sitter
    import tree_sitter_bash

    if not script.isascii() or _JAVASCRIPT.search(script) or _PROSE.search(script):
        return False  # the grammar is lenient: JavaScript and sentences often parse
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return not parser.parse(script.encode("utf-8")).root_node.has_error


_JENKINS_SH = lazy_compile(
    r"\bsh\s*\(?\s*(?:script\s*:\s*)?('''|\"\"\"|'|\")(?P<body>.*?)(?<!\\)\1", re.DOTALL
)


def jenkins_sh_steps(text: str) -> list[tuple[str, int]]:
    """`sh '…'` / `sh \"\"\"…\"\"\"` steps of a Jenkinsfile."""
    return [
        (match.group("body"), text.count("\n", 0, match.start("body")) + 1)
        for match in _JENKINS_SH.finditer(text)
    ]


# --- Makefile and Dockerfile -----------------------------------------------------------------

_MAKE_DIRECTIVE = lazy_compile(
    r"^(export|unexport|override|include|-include|sinclude|ifeq|ifneq|ifdef|ifndef|else|endif|"
    r"vpath|set|alias|import|mod)\b"
)
_MAKE_ASSIGNMENT = lazy_compile(r"^[^:#=\s]+\s*(:=|::=|:::=|\?=|\+=|!=|=)")


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


_RUN = lazy_compile(r"^\s*(?:ONBUILD\s+)?RUN(?:\s+(?P<body>.*))?$", re.IGNORECASE)
_RUN_FLAGS = lazy_compile(r"^(?:--\S+\s+)*")
_ESCAPE_DIRECTIVE = lazy_compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)
_HEREDOC_ONLY = lazy_compile(r"^<<-?\s*(['\"]?)(?P<word>\w+)\1\s*$")
_HEREDOC = lazy_compile(r"<<-?\s*(['\"]?)(?P<word>\w+)\1")


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


_MAKE_VARIABLE = lazy_compile(
    r"^(?:(?:override|export|private)\s+)*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?P<op>:::=|::=|:=|\?=|\+=|!=|=)\s*(?P<value>.*)$"
)


def make_variables(text: str) -> list[tuple[str, str | None]]:
    """`NAME = value` (and `:=`, `?=`, `+=`, `!=`) at the top level of a Makefile; the value
    of `!=` (a shell command's output) counts as set."""
    out: list[tuple[str, str | None]] = []
    for line in text.split("\n"):
        if line[:1].isspace():
            continue
        match = _MAKE_VARIABLE.match(line.strip())
        if match:
            value = match.group("value").split(" #", 1)[0].strip()
            out.append((match.group("name"), value))
    return out


def make_targets(text: str) -> list[Region]:
    """Line ranges of each rule: its header and its recipe lines."""
    lines = text.split("\n")
    out: list[Region] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        is_header = bool(stripped) and not line[:1].isspace() and not stripped.startswith("#")
        if is_header and _is_rule_header(stripped):
            if start:
                out.append((start, number - 1))
            start = number
        elif is_header and start:
            out.append((start, number - 1))
            start = 0
    if start:
        out.append((start, len(lines)))
    return out


_DOCKER_VARIABLE = lazy_compile(r"^\s*(?P<kind>ENV|ARG)\s+(?P<rest>.+)$", re.IGNORECASE)


def dockerfile_variables(text: str) -> list[tuple[str, str | None]]:
    """`ENV NAME=value`, `ENV NAME value`, `ARG NAME=default` (`ARG NAME`: None)."""
    import shlex

    out: list[tuple[str, str | None]] = []
    for line in text.split("\n"):
        match = _DOCKER_VARIABLE.match(line)
        if not match:
            continue
        try:
            words = shlex.split(match.group("rest").rstrip("\\"))
        except ValueError:
            continue
        if not words:
            continue
        if "=" not in words[0] and match.group("kind").upper() == "ENV":
            out.append((words[0], " ".join(words[1:])))
            continue
        for word in words:
            name, equals, value = word.partition("=")
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                out.append((name, value if equals else None))
    return out


# --- package.json --------------------------------------------------------------------------

_SCRIPT_ENTRY = lazy_compile(
    r'^\s*"(?P<key>(?:[^"\\]|\\.)*)"\s*:\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*,?\s*$'
)
_SCRIPTS_KEY = lazy_compile(r'^(?P<lead>\s*)"scripts"\s*:\s*\{\s*$')


def package_scripts(text: str) -> list[tuple[str, int]]:
    """The `scripts` of a package.json, each with its line.

    npm runs each with `sh -c`. Entries are read one per line inside the `"scripts": {`
    block, as npm writes them; when the whole file is JSON, only entries of its top-level
    `scripts` object count. A rebuilt file whose hunk does not show the block's opening line
    gives nothing.
    """
    import json

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    top: dict[str, Any] | None = None
    if isinstance(data, dict):
        scripts = data.get("scripts")
        if not isinstance(scripts, dict):
            return []
        top = scripts
    lines = text.split("\n")
    out: list[tuple[str, int]] = []
    depth_lead: int | None = None
    for number, line in enumerate(lines, start=1):
        if depth_lead is None:
            opening = _SCRIPTS_KEY.match(line)
            if opening:
                depth_lead = len(opening.group("lead"))
            continue
        if line.strip().startswith("}") and _indent(line) <= depth_lead:
            depth_lead = None
            continue
        entry = _SCRIPT_ENTRY.match(line)
        if not entry:
            continue
        try:
            key = json.loads(f'"{entry.group("key")}"')
            value = json.loads(f'"{entry.group("value")}"')
        except ValueError:
            continue
        if top is not None and top.get(key) != value:
            continue
        if isinstance(value, str) and value.strip():
            out.append((value, number))
    return out
