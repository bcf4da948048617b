"""What the shell rules share: the commands a change adds, reading a command line into its
verb, options and arguments, the data table, and the facts about names and variables.

The commands come from `changerisk.parsers.shell` (one parse per file, shared by every rule);
a command counts only when one of its lines is added by the change.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, NamedTuple

from changerisk.datafiles import read_text
from changerisk.parsers.shell import Command, commands_of, scripts_of, variables_of
from changerisk.regex import lazy_compile
from changerisk.rule import Confidence, FileChange, Severity

_FALSE = frozenset({"0", "f", "false", "no"})


def added_commands(change: FileChange) -> Iterator[tuple[Command, int]]:
    """Commands that have an added line, each with the line to report (its first added one)."""
    added = change.added_line_numbers
    for command in commands_of(change):
        line = first_added(command, added)
        if line:
            yield command, line


_LOCAL_CLUSTER_ACTIONS = lazy_compile(
    r"^[ \t]*-?[ \t]*uses:[ \t]*['\"]?(?:helm/kind-action|engineerd/setup-kind|"
    r"container-tools/kind-action|medyagh/setup-minikube|manusa/actions-setup-minikube|AbsaOSS/k3d-action|nolar/setup-k3d-k3s)@",
    re.MULTILINE,
)


def throwaway_cluster_units(change: FileChange) -> frozenset[int]:
    """Units (see `Command.unit`) that create their own local cluster (kind, minikube, k3d),
    whose deletes hit nothing that lasts: a chart test in CI, a dev script."""

    def build() -> frozenset[int]:
        scripts = scripts_of(change)
        units: set[int] = set()
        for command in scripts.commands:
            words = command.argv[:3]
            if (
                (command.program == "kind" and words[1:3] == ("create", "cluster"))
                or (command.program == "minikube" and words[1:2] == ("start",))
                or (command.program == "k3d" and words[1:3] == ("cluster", "create"))
                or (command.program == "ctlptl" and words[1:3] == ("create", "cluster"))
            ):
                units.add(command.unit)
        text = change.new_text() or ""
        for match in _LOCAL_CLUSTER_ACTIONS.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            index = next(
                (i for i, (a, b) in enumerate(scripts.units, start=1) if a <= line <= b), 0
            )
            units.add(index)
        return frozenset(units)

    return change.cached("throwaway-cluster-units", build)


def first_added(command: Command, added: Collection[int]) -> int:
    """The command's first added line, or 0."""
    if command.line in added:
        return command.line
    return next((number for number in command.lines if number in added), 0)


def confidence_of(change: FileChange) -> Confidence:
    """A shell file is read as shell; shell embedded in YAML, make, Docker or JSON is less
    certain."""
    return Confidence.HIGH if "shell" in change.formats else Confidence.MEDIUM


def is_dev_tooling(change: FileChange) -> bool:
    """Makefiles and package.json scripts run on a developer's machine more often than on a
    server."""
    return "makefile" in change.formats or "json" in change.formats


def is_ci(change: FileChange) -> bool:
    return "ci" in change.formats or "github-workflow" in change.formats


@dataclass(frozen=True)
class ParsedCall:
    """`PROGRAM [options] VERB [options] [args]`, options without their dashes."""

    program: str
    verb: str
    options: tuple[tuple[str, str | None], ...]
    positionals: tuple[str, ...]

    def flag(self, *names: str) -> bool:
        """A boolean option's value: bare means true, `=false`/`=0` false (the last one wins);
        a variable (`=$APPROVE`) counts as true, since it may be."""
        result = False
        for name, value in self.options:
            if name in names:
                result = value is None or value.lower() not in _FALSE
        return result

    def has(self, *names: str) -> bool:
        """Whether any of `names` is given at all, with or without a value."""
        return any(name in names for name, _ in self.options)

    def values(self, *names: str) -> list[str]:
        return [value for key, value in self.options if key in names and value is not None]

    def value(self, *names: str) -> str | None:
        """The last value given to any of `names`."""
        found = self.values(*names)
        return found[-1] if found else None


def read_options(
    argv: tuple[str, ...],
    start: int = 1,
    valued: Collection[str] = (),
    booleans: Collection[str] | None = None,
    bundles: bool = True,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Options and positional arguments of `argv[start:]`.

    `--name=value`; `--name value` when `name` is in `valued`, or, with `booleans` given, for
    any long option not in `booleans` followed by a word that is not an option (the aws,
    gcloud and az style); `-x value` for a short option in `valued`; `-rf` as `-r -f` when
    `bundles`. Options are returned without their dashes, in order.
    """
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = start
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positionals.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, equals, value = arg[2:].partition("=")
            takes = name in valued or (booleans is not None and name not in booleans)
            if not equals and takes and i < len(argv) and not _is_option(argv[i]):
                value, equals = argv[i], "="
                i += 1
            options.append((name, value if equals else None))
        elif arg.startswith("-") and len(arg) > 1 and not arg[1].isdigit():
            letters = arg[1:] if bundles else arg[1:2]
            for position, letter in enumerate(letters):
                if letter in valued:
                    rest = letters[position + 1 :] if bundles else arg[2:]
                    if rest:
                        options.append((letter, rest.removeprefix("=")))
                    elif i < len(argv):
                        options.append((letter, argv[i]))
                        i += 1
                    else:
                        options.append((letter, None))
                    break
                options.append((letter, None))
            if not bundles and len(arg) > 2 and arg[1] not in valued:
                options[-1] = (arg[1:], None)
        else:
            positionals.append(arg)
    return options, positionals


def _is_option(word: str) -> bool:
    return word.startswith("-") and len(word) > 1 and not word[1].isdigit()


class Wipe(NamedTuple):
    """What a wipe command deletes, as the finding will say it."""

    message: str
    severity: Severity
    host: str | None = None  # the server it runs against, when the command names one
    kind: str = ""  # files: "root", "home", "here", "variable", "data", "device", "volume"
    production: bool = False  # the command line names a production database


# Data directories of services under /var/lib: deleting one deletes the service's data.
DATA_DIRECTORIES = frozenset(
    {
        *("mysql", "mariadb", "postgresql", "pgsql", "mongodb", "mongo", "redis", "docker"),
        *("containerd", "etcd", "elasticsearch", "opensearch", "cassandra", "rabbitmq"),
        *("influxdb", "clickhouse", "kafka", "zookeeper", "kubelet", "minio", "couchdb"),
        *("neo4j", "prometheus", "grafana", "vault", "consul", "nomad"),
    }
)


def data_directory(path: str) -> str | None:
    """The service whose data an absolute path is (`/var/lib/mysql` -> mysql, also a
    PostgreSQL cluster `/var/lib/postgresql/16/main`), else None."""
    parts = [part for part in posixpath.normpath(path).split("/") if part]
    if len(parts) < 3 or parts[:2] != ["var", "lib"] or parts[2] not in DATA_DIRECTORIES:
        return None
    if len(parts) == 3:
        return parts[2]
    cluster = all(re.fullmatch(r"\d+(\.\d+)?|main|data", part) for part in parts[3:])
    return parts[2] if parts[2] in ("postgresql", "pgsql") and len(parts) <= 5 and cluster else None


# --- the data table -------------------------------------------------------------------------


@cache
def table() -> dict[str, Any]:
    """`changerisk/data/shell_commands.json`."""
    text = read_text("shell_commands.json")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def listed(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def severity_named(label: str) -> Severity:
    return Severity.parse(label)


_WORD_SPLIT = lazy_compile(r"[^a-z0-9]+")


def _words(name: str) -> set[str]:
    """The words of a name, without the names of the variables in it (`$CI_JOB_ID`)."""
    return set(_WORD_SPLIT.split(_REFERENCE.sub(" ", name).lower()))


def is_disposable(name: str) -> bool:
    """A name made for throwing away: `app_test`, `tmp_orders`, `ci-db`, `scratch`."""
    return bool(_words(name) & set(table()["disposable_words"]))


def is_throwaway(name: str) -> bool:
    """A name of a short-lived environment: a test, sandbox, review app, preview or pull
    request (`review-$CI_MERGE_REQUEST_IID`, `pr-42`, `orders-e2e`)."""
    return bool(_words(name) & set(table()["throwaway_words"]))


def is_production(name: str) -> bool:
    """A name of a production environment: `prod`, `production`, `prd-eu`, `live`."""
    return bool(_words(name) & set(table()["production_words"]))


def is_protected_branch(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in table()["protected_branches"])


# --- variables that may be empty -------------------------------------------------------------

_REFERENCE = lazy_compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])(?P<op>[^}]*)\}"
    r"|\((?P<make>[A-Za-z_@<^*?][A-Za-z0-9_.]*)\)"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*|[0-9@*]))"
)
_MAKE_AUTOMATIC = frozenset({"@", "<", "^", "*", "?", "+", "|"})


class Variables(NamedTuple):
    """What a file tells about its variables: assigned values, and the names its text guards
    (`${X:?}`, `[ -n "$X" ]`, `[ -d "$X" ]`, a test of `$#` for positional parameters)."""

    values: dict[str, tuple[str | None, ...]]
    guarded: frozenset[str]
    make: bool = False

    def may_be_empty(self, name: str, depth: int = 0) -> bool:
        if name in self.guarded or name in table()["always_set_variables"]:
            return False
        if self.make and name in _MAKE_AUTOMATIC:
            return False
        if name.isdigit() and "#" in self.guarded:
            return False
        values = self.values.get(name)
        if not values or depth > 4:
            return True
        return any(value is None or self.text_may_be_empty(value, depth + 1) for value in values)

    def text_may_be_empty(self, text: str, depth: int = 0) -> bool:
        """Whether `text` (unquoted, expansions kept) may expand to nothing."""
        if text.startswith(("$(", "`")) and not self.make:
            # a command's output counts as set, but `$(cd "${0%/*}" && pwd)` is empty when
            # the cd fails
            return bool(re.match(r"^(?:\$\(|`)\s*cd\b", text))
        for match in _REFERENCE.finditer(text):
            if not self.reference_may_be_empty(match, depth):
                return False
        rest = _REFERENCE.sub("", text)
        return not rest

    def reference_may_be_empty(self, match: re.Match[str], depth: int = 0) -> bool:
        name = match.group("braced") or match.group("make") or match.group("plain") or ""
        if match.group("make") and not self.make:
            return False  # `$(cmd)` in a shell script is a command's output
        op = match.group("op") or ""
        if op.startswith((":?", "?", ":+", "+")):
            return False  # an error when empty, or nothing to delete when empty
        if op.startswith((":-", ":=", "-", "=")):
            default = op.lstrip(":")[1:]
            return self.may_be_empty(name, depth) and self.text_may_be_empty(default, depth + 1)
        return self.may_be_empty(name, depth)


def variables_in(change: FileChange) -> Variables:
    """The `Variables` of the new side of `change`, computed once per file."""

    def build() -> Variables:
        text = change.new_text() or ""
        guarded = frozenset(_guarded_names(text))
        if "ansible" in change.formats:
            from changerisk.parsers.ansible import jinja_variables

            guarded |= jinja_variables(text)
        return Variables(
            values=variables_of(change),
            guarded=guarded,
            make="makefile" in change.formats,
        )

    return change.cached("shell-variables", build)


_GUARD = lazy_compile(
    r"\$\{(?P<a>[A-Za-z_][A-Za-z0-9_]*|[0-9])(?::\?|\?)"
    r"|-[nzde]\s+\"?\$\{?(?P<b>[A-Za-z_][A-Za-z0-9_]*|[0-9])\b"
    r"|\[\[?\s+\"?\$\{?(?P<c>[A-Za-z_][A-Za-z0-9_]*)\}?\"?\s+\]"
    r"|\$(?P<count>#)"
)


def _guarded_names(text: str) -> set[str]:
    names: set[str] = set()
    for match in _GUARD.finditer(text):
        names.add(match.group("a") or match.group("b") or match.group("c") or "#")
    return names


def references(text: str) -> list[str]:
    """The variable references in `text`, as written (`$DIR`, `${DIR}`, `$(DIR)`)."""
    return [match.group(0) for match in _REFERENCE.finditer(text)]


def named(text: str, change: FileChange) -> str:
    """`text` with each variable the file sets to one value replaced by that value, so a
    message names the object (`$(RG)` -> `shop-staging-rg`); others stay as written."""
    if "$" not in text:
        return text
    values = variables_in(change).values

    def one(match: re.Match[str]) -> str:
        if match.group("op"):
            return match.group(0)
        name = match.group("braced") or match.group("make") or match.group("plain") or ""
        found = values.get(name, ())
        if len(found) != 1 or not found[0]:
            return match.group(0)
        own = _REFERENCE.fullmatch(found[0])  # NAME="${NAME:-default}": the default
        if own and own.group("braced") == name and own.group("op").startswith((":-", "-")):
            return own.group("op").lstrip(":")[1:] or match.group(0)
        return found[0]

    return _REFERENCE.sub(one, text)


def leading_empty_path(word: str, variables: Variables) -> str | None:
    """What `word` becomes when the variables it starts with are empty, if that is an absolute
    path (`$DIR/` -> `/`, `${A}${B}/lib` -> `/lib`); None when the word is safe."""
    at, emptied = 0, False
    while True:
        match = _REFERENCE.match(word, at)
        if match is None:
            break
        if not variables.reference_may_be_empty(match):
            return None
        emptied, at = True, match.end()
    rest = word[at:]
    if emptied and rest.startswith("/"):
        return rest
    return None
