"""Ansible playbooks, role task files and handlers, read as tasks.

A task is a mapping with one module key (`ansible.builtin.file:`, `mysql_db:`, `shell:`…)
whose value is a mapping of parameters or a free-form string (`name=test state=absent`, or a
command). Plays (`hosts:`) and blocks (`block:`, `rescue:`, `always:`) are walked into. YAML is
read without masking `{{ … }}`, so a parameter's Jinja expression is seen as written. The
shell of `shell`, `command` and `raw` tasks is given to the shell rules
(`changerisk.parsers.scripts`), with each Jinja expression read as a shell variable.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

from changerisk.parsers.yamldoc import YNode, parse_stream
from changerisk.regex import lazy_compile

FORMATS = frozenset({"ansible"})
# Playbooks that never touch a real host: Molecule scenarios, tests, examples, docs.
_NOT_DEPLOYED = lazy_compile(
    r"(?i)(^|/)(molecule|tests?|testdata|fixtures?|examples?|samples?|docs?)/"
)
_PLAY_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
_BLOCK_LISTS = ("block", "rescue", "always")
# Task keywords (playbook_keywords, Task): everything else on a task is its module.
_KEYWORDS = frozenset(
    {
        "action",
        "any_errors_fatal",
        "args",
        "async",
        "become",
        "become_exe",
        "become_flags",
        "become_method",
        "become_user",
        "changed_when",
        "check_mode",
        "collections",
        "connection",
        "debugger",
        "delay",
        "delegate_facts",
        "delegate_to",
        "diff",
        "environment",
        "failed_when",
        "ignore_errors",
        "ignore_unreachable",
        "listen",
        "local_action",
        "loop",
        "loop_control",
        "module_defaults",
        "name",
        "no_log",
        "notify",
        "poll",
        "port",
        "register",
        "remote_user",
        "retries",
        "run_once",
        "tags",
        "throttle",
        "timeout",
        "until",
        "vars",
        "when",
        *_BLOCK_LISTS,
    }
)
_JINJA = lazy_compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


@dataclass(frozen=True, eq=False)
class Task:
    """One task: its module as written, its parameters, its free-form string and loop."""

    node: YNode
    module: str  # as written: `ansible.builtin.file`, `file`
    module_line: int
    params: dict[str, YNode]
    free: YNode | None  # a free-form string (a command, or `k=v` words)
    loop: YNode | None

    @property
    def short(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    def param(self, *names: str) -> YNode | None:
        return next((self.params[n] for n in names if n in self.params), None)

    def text(self, *names: str) -> str | None:
        """A scalar parameter as written (quotes and Jinja kept), or None."""
        node = self.param(*names)
        if node is None or node.kind != "scalar" or node.null:
            return None
        return node.value.strip()

    def is_true(self, *names: str) -> bool:
        value = self.text(*names)
        return value is not None and value.lower() in ("true", "yes", "y", "on", "1")

    def touched(self, added: Collection[int], *nodes: YNode | None) -> bool:
        """The task's module line or a line of one of `nodes` is in `added`."""
        if self.module_line in added:
            return True
        return any(
            n is not None and any(n.line <= a <= max(n.end_line, n.line) for a in added)
            for n in nodes
        )

    @property
    def signature(self) -> tuple[str, object]:
        """What the task does, without its name: the same task moved elsewhere matches."""
        free = self.free.value if self.free is not None else None
        loop = self.loop.plain() if self.loop is not None else None
        return (self.short, repr(({k: v.plain() for k, v in self.params.items()}, free, loop)))


def is_deployed(path: str) -> bool:
    """Not a Molecule scenario, test, example or doc: a playbook that runs on real hosts."""
    return not _NOT_DEPLOYED.search(path)


def _walk(items: tuple[YNode, ...], depth: int = 0) -> Iterator[Task]:
    if depth > 16:
        return
    for item in items:
        if item.kind != "map":
            continue
        nested = [item.get(k) for k in (*_PLAY_LISTS, *_BLOCK_LISTS)]
        if item.get("hosts") is not None or any(n is not None for n in nested):
            for node in nested:
                if node is not None and node.kind == "seq":
                    yield from _walk(node.items, depth + 1)
            continue
        task = _task(item)
        if task is not None:
            yield task


def _task(item: YNode) -> Task | None:
    module, value, line = "", None, 0
    for key, val in item.entries:
        if (
            key.kind == "scalar"
            and key.value not in _KEYWORDS
            and not key.value.startswith("with_")
        ):
            module, value, line = key.value, val, key.line
            break
    action = item.get("local_action") or item.get("action")
    if not module and action is not None:
        module, value, line = _action(action)
    if not module or value is None:
        return None
    params: dict[str, YNode] = {}
    free = None
    if value.kind == "map":
        params.update((k.value, v) for k, v in value.entries if k.kind == "scalar")
    elif value.kind == "scalar" and not value.null:
        free = value
        params.update(_key_values(value))
    extra = item.get("args")
    if extra is not None and extra.kind == "map":
        params.update((k.value, v) for k, v in extra.entries if k.kind == "scalar")
    loop = item.get("loop") or next(
        (v for k, v in item.entries if k.kind == "scalar" and k.value.startswith("with_")), None
    )
    return Task(item, module, line, params, free, loop)


def _action(action: YNode) -> tuple[str, YNode | None, int]:
    """`action: file path=/x state=absent`, or `action: {module: file, path: /x}`."""
    if action.kind == "map":
        module = action.text("module") or ""
        kept = tuple((k, v) for k, v in action.entries if k.value != "module")
        return module, YNode("map", action.line, action.end_line, entries=kept), action.line
    if action.kind == "scalar":
        module, _, words = action.value.strip().partition(" ")
        free = YNode("scalar", action.line, action.end_line, value=words.strip())
        return module, free, action.line
    return "", None, 0


def _key_values(value: YNode) -> Iterator[tuple[str, YNode]]:
    """`k=v` words of a free-form string, as scalar nodes on the string's lines."""
    try:
        words = shlex.split(_JINJA.sub(lambda m: m.group(0).replace(" ", "\x00"), value.value))
    except ValueError:
        return
    for word in words:
        key, equals, val = word.partition("=")
        if equals and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            text = val.replace("\x00", " ")
            yield key, YNode("scalar", value.line, value.end_line, value=text)


def written(task: Task, node: YNode) -> str:
    """A scalar parameter as it reads in the file (for messages)."""
    if node.kind == "scalar":
        return node.value.strip()
    plain = node.plain()
    if isinstance(plain, list):
        return ", ".join(str(p) for p in plain)
    return str(plain)


@lru_cache(maxsize=8)
def _lists(text: str) -> tuple[YNode, ...]:
    """The top-level lists of an Ansible file's text, parsed once for the shell rules' scripts
    and units and for the Ansible rules, which each start from the text."""
    return tuple(root for root in parse_stream(text, mask=False).roots if root.kind == "seq")


@lru_cache(maxsize=8)
def tasks_in(text: str) -> tuple[Task, ...]:
    """Every task of an Ansible file's text, in file order; () if it does not parse."""
    return tuple(task for root in _lists(text) for task in _walk(root.items))


def plays_in(text: str) -> list[tuple[int, int]]:
    """The first and last line of each play of a playbook (none in a task file)."""
    return [
        (item.line, max(item.line, item.end_line))
        for root in _lists(text)
        for item in root.items
        if item.kind == "map" and item.get("hosts") is not None
    ]


SHELL_MODULES = frozenset(
    {"shell", "command", "raw"}
    | {f"ansible.{c}.{m}" for c in ("builtin", "legacy") for m in ("shell", "command", "raw")}
)
_FREE_OPTIONS = lazy_compile(r"(?:^|\s)(chdir|creates|removes|executable|warn|stdin)=\S+")
_EXPRESSION = lazy_compile(r"\{\{\s*(.*?)\s*\}\}")
_BLOCK = lazy_compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


def task_scripts(text: str) -> list[tuple[str, int]]:
    """The shell of each `shell`, `command` and `raw` task, with the file line it starts on.

    `{{ name }}` reads as `${name}`: a variable the shell rules judge like any other (an
    expression with filters or calls reads as one variable named for its words).
    """
    lines = text.split("\n")
    found = []
    for task in tasks_in(text):
        if task.module in SHELL_MODULES:
            script = _script(task, lines)
            if script is not None:
                found.append(script)
    return found


def _script(task: Task, lines: list[str]) -> tuple[str, int] | None:
    node = task.param("cmd") or task.free
    argv = task.param("argv")
    if node is None and argv is not None and argv.kind == "seq":
        words = [item.value for item in argv.items if item.kind == "scalar"]
        return _jinja_to_shell(" ".join(shlex.quote(w) for w in words)), argv.line
    if node is None or node.kind != "scalar":
        return None
    text = node.value
    if task.free is node:  # free form: `chdir=… creates=…` are the module's, not the shell's
        text = _FREE_OPTIONS.sub(" ", text)
    raw = lines[node.line - 1] if 0 < node.line <= len(lines) else ""
    first = node.line + 1 if _BLOCK.search(raw) else node.line
    return _jinja_to_shell(text), first


def _jinja_to_shell(text: str) -> str:
    return _EXPRESSION.sub(lambda match: "${" + _shell_name(match) + "}", text)


def _shell_name(match: re.Match[str]) -> str:
    return re.sub(r"\W+", "_", match.group(1)).strip("_") or "v"


def jinja_variables(text: str) -> frozenset[str]:
    """The shell names `task_scripts` gives the file's `{{ … }}` expressions. Ansible fails a
    task whose variable is undefined, so none of them expands to nothing unless set empty."""
    return frozenset(_shell_name(match) for match in _EXPRESSION.finditer(text))
