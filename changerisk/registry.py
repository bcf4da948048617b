"""Rule discovery through the `changerisk.rules` entry-point group: find, load, validate.

Built-in rules arrive the same way as third-party ones. The entry-point name is the code prefix
every rule it provides must carry. Nothing is registered by side effect: each run builds a
fresh rule set, and rules are never loaded from the repository being checked.

Reading the installed distributions' entry points costs more than a small check (importing
`importlib.metadata` alone takes about 15 ms), so what it finds is kept in the user's cache
directory, under a key made of every import-path directory's modification time and each
distribution's `entry_points.txt`: installing, upgrading or removing any distribution changes
the key, and the next run reads the entry points again.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from changerisk import __version__, cache
from changerisk.errors import PluginError
from changerisk.model import Category, ChangeSet, Severity
from changerisk.regex import lazy_compile
from changerisk.rule import Rule

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "changerisk.rules"
_PREFIX = lazy_compile(r"^[A-Z][A-Z0-9]{0,4}$")  # TF, SQL, K8S…
_CODE = lazy_compile(r"^([A-Z][A-Z0-9]{0,4}?)(\d{3})$")
_NAME = lazy_compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_BANNED_NAME_START = ("prefer-", "avoid-", "use-", "ban-", "no-")


class Plugin(NamedTuple):
    prefix: str
    distribution: str
    version: str
    value: str  # what the entry point names: `module:attribute`

    def load(self) -> object:
        """What the entry point names, imported (as `EntryPoint.load` does)."""
        module, _, attribute = self.value.partition("[")[0].partition(":")
        found: object = import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


# The formats each built-in family acts on: the union of its rules' `formats`. A change with
# none of them never needs the family, so the hook does not import it. A family not listed
# here (one with a rule for every file, or a third-party plugin) is always loaded;
# tests/engine/test_plugins.py keeps this table equal to the rules' own declarations.
BUILTIN_FORMATS: dict[str, frozenset[str]] = {
    "ANS": frozenset({"ansible"}),
    "AUTH": frozenset({"go", "java", "javascript", "python", "typescript"}),
    "CDK": frozenset({"javascript", "python", "typescript"}),
    "CFN": frozenset({"cloudformation"}),
    "IAM": frozenset(
        {"cloudformation", "iam-policy", "javascript", "python", "terraform", "typescript"}
    ),
    "K8S": frozenset({"helm", "kubernetes", "kustomize"}),
    "MIG": frozenset(
        {"alembic-migration", "django-migration", "javascript", "prisma", "rails-migration"}
        | {"typescript"}
    ),
    "NET": frozenset(
        {"cloudformation", "dockerfile", "go", "java", "javascript", "python", "shell"}
        | {"terraform", "typescript", "yaml"}
    ),
    "RBAC": frozenset({"helm", "kubernetes", "kustomize"}),
    "SH": frozenset(
        {"ansible", "ci", "dockerfile", "github-workflow", "json", "makefile", "shell"}
    ),
    "SQL": frozenset({"sql"}),
    "TF": frozenset({"terraform", "terraform-plan"}),
}
BUILTIN = "changerisk"
BUILTIN_PACKAGE = "changerisk.rules."


def find_plugins(entry_points: Iterable[EntryPoint] | None = None) -> list[Plugin]:
    """The plugins of the `changerisk.rules` group, sorted by prefix."""
    found = _installed() if entry_points is None else _read(entry_points)
    plugins: dict[str, Plugin] = {}
    for name, value, distribution, version in found:
        if not _PREFIX.match(name):
            raise PluginError(
                f"plugin {name!r} from {distribution} {version}: "
                "entry-point name must be a code prefix of 1-5 capital letters "
                "(digits after the first, as in K8S)"
            )
        if name in plugins and plugins[name].value != value:
            raise PluginError(
                f"code prefix {name} is claimed by both {plugins[name].distribution} and "
                f"{distribution}"
            )
        plugins[name] = Plugin(name, distribution, version, value)
    return [plugins[key] for key in sorted(plugins)]


def _read(entry_points: Iterable[EntryPoint]) -> list[tuple[str, str, str, str]]:
    """Each entry point's name, value, distribution name and version."""
    out = []
    known: dict[int, tuple[str, str]] = {}  # one metadata read per distribution, not per plugin
    for ep in entry_points:
        dist = getattr(ep, "dist", None)
        if dist is None:
            name, version = "unknown", "?"
        else:
            if id(dist) not in known:
                known[id(dist)] = (dist.metadata["Name"], dist.version)
            name, version = known[id(dist)]
        out.append((ep.name, ep.value, name, version))
    return out


def _installed() -> list[tuple[str, str, str, str]]:
    """The installed distributions' entry points of the group, from the cache when no
    distribution has changed since they were read."""
    key = _installation_key()
    name = cache_name()
    cached = cache.read(name, key)
    if isinstance(cached, list) and all(
        isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row)
        for row in cached
    ):
        return [(row[0], row[1], row[2], row[3]) for row in cached]
    from importlib import metadata

    found = _read(metadata.entry_points(group=GROUP))
    cache.write(name, key, found)
    return found


def cache_name() -> str:
    """One file per interpreter and import path: a pre-commit environment and a project's
    virtualenv each keep their own."""
    return f"plugins-{zlib.crc32(f'{sys.executable}{sys.path}'.encode()):08x}.json"


def _installation_key() -> str:
    """What changes whenever a distribution is installed, upgraded or removed: each import
    path entry's modification time, and each distribution's `entry_points.txt` in it."""
    parts = [sys.version, __version__]
    for entry in sys.path:
        folder = entry or "."
        try:
            parts.append(f"{os.path.abspath(folder)}:{os.stat(folder).st_mtime_ns}")
            listing = os.scandir(folder)
        except OSError:
            continue  # missing, or a zip archive: its modification time is in already
        with listing:
            for item in listing:
                if item.name.endswith((".dist-info", ".egg-info")):
                    try:
                        info = os.stat(os.path.join(item.path, "entry_points.txt"))
                    except OSError:
                        continue
                    parts.append(f"{item.name}:{info.st_mtime_ns}:{info.st_size}")
    return "\n".join(parts)


def load_plugin(plugin: Plugin) -> tuple[type[Rule], ...]:
    """Import one plugin's rules and validate their metadata."""
    try:
        loaded = plugin.load()
    except Exception as exc:
        raise PluginError(
            f"plugin {plugin.prefix} from {plugin.distribution} {plugin.version} failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    rules = tuple(loaded) if isinstance(loaded, (list, tuple)) else (loaded,)
    for rule in rules:
        validate_rule(rule, plugin)
    return rules


def validate_rule(rule: object, plugin: Plugin | None = None) -> None:
    where = f" (plugin {plugin.prefix} from {plugin.distribution})" if plugin else ""
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        raise PluginError(f"{rule!r}{where} is not a changerisk Rule subclass")
    code = getattr(rule, "code", "")
    match = _CODE.match(code)
    if not match:
        raise PluginError(f"rule {rule.__name__}{where}: code {code!r} is not PREFIX + 3 digits")
    if plugin is not None and match.group(1) != plugin.prefix:
        raise PluginError(f"rule {code}{where}: code does not start with prefix {plugin.prefix}")
    name = getattr(rule, "name", "")
    if not _NAME.match(name) or name.startswith(_BANNED_NAME_START):
        raise PluginError(f"rule {code}{where}: name {name!r} is not a kebab-case pattern name")
    if not isinstance(getattr(rule, "category", None), Category):
        raise PluginError(f"rule {code}{where}: category must be a changerisk Category")
    if not isinstance(getattr(rule, "severity", None), Severity):
        raise PluginError(f"rule {code}{where}: severity must be a changerisk Severity")
    if not rule.summary():
        raise PluginError(f"rule {code}{where}: needs a docstring with a summary line")
    if rule.scope not in ("file", "changeset"):
        raise PluginError(f"rule {code}{where}: scope must be 'file' or 'changeset'")


def all_rules(plugins: Sequence[Plugin] | None = None) -> list[type[Rule]]:
    """Every rule of every installed plugin, sorted by code; duplicate codes are an error."""
    seen: dict[str, type[Rule]] = {}
    for plugin in find_plugins() if plugins is None else plugins:
        for rule in load_plugin(plugin):
            if rule.code in seen and seen[rule.code] is not rule:
                raise PluginError(f"rule code {rule.code} is defined twice")
            seen[rule.code] = rule
    return [seen[code] for code in sorted(seen)]


def rules_for(changeset: ChangeSet, plugins: Sequence[Plugin] | None = None) -> list[type[Rule]]:
    """The rules of every plugin that may report on `changeset`: `all_rules` without
    importing the built-in families whose formats it does not have or whose gate
    (`changerisk.gates`) it keeps closed."""
    present = frozenset(f for change in changeset.files for f in change.formats)
    chosen = [
        plugin
        for plugin in (find_plugins() if plugins is None else plugins)
        if plugin.distribution != BUILTIN
        or plugin.prefix not in BUILTIN_FORMATS
        or BUILTIN_FORMATS[plugin.prefix] & present
    ]
    if any(plugin.distribution == BUILTIN for plugin in chosen):
        from changerisk.gates import closed

        shut = closed(changeset)
        chosen = [p for p in chosen if p.distribution != BUILTIN or p.prefix not in shut]
    return all_rules(chosen)


def family(rule: type[Rule]) -> str:
    """The code prefix of a built-in rule's family (its gate's key), or "" for a plugin's."""
    if not rule.__module__.startswith(BUILTIN_PACKAGE):
        return ""
    match = _CODE.match(rule.code)
    return match.group(1) if match else ""


def matches(code: str, selectors: Iterable[str]) -> bool:
    """Whether `code` is named by any selector: a full code, a prefix, or ALL."""
    return _specificity(code, tuple(selectors)) >= 0


def select_rules(
    rules: Sequence[type[Rule]], select: Sequence[str], ignore: Sequence[str]
) -> list[type[Rule]]:
    """Rules chosen by ruff-style `select` / `ignore` (codes or prefixes).

    An empty `select` selects everything. The more specific selector wins; on a tie, ignore.
    """
    chosen = []
    for rule in rules:
        sel = _specificity(rule.code, select) if select else 0
        ign = _specificity(rule.code, ignore)
        if sel == -1 or (ign != -1 and ign >= sel):
            continue
        chosen.append(rule)
    return chosen


def _specificity(code: str, selectors: Sequence[str]) -> int:
    best = -1
    for sel in selectors:
        if sel == "ALL":
            best = max(best, 0)
        elif code.startswith(sel):
            best = max(best, len(sel))
    return best
