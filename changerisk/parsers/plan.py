"""Terraform / OpenTofu plans in the JSON of `terraform show -json PLAN` (format 0.1 to 1.x).

A plan's `resource_changes[].change.actions` are the ground truth of what an apply does:
`["delete"]`, `["delete", "create"]` (replace, destroy first), `["create", "delete"]`
(replace, create first), `["forget"]` (a `removed` block that keeps the object), `["no-op"]`.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from changerisk.errors import InputError
from changerisk.regex import lazy_compile

SUPPORTED_MAJOR = (0, 1)


class ResourceChange(NamedTuple):
    """One entry of `resource_changes`."""

    address: str
    type: str
    mode: str  # "managed" or "data"
    actions: tuple[str, ...]
    action_reason: str = ""
    replace_paths: tuple[tuple[str, ...], ...] = ()
    previous_address: str = ""
    module_address: str = ""
    line: int = 1

    @property
    def deletes(self) -> bool:
        return self.actions == ("delete",)

    @property
    def replaces(self) -> bool:
        return set(self.actions) == {"delete", "create"}


class Plan(NamedTuple):
    """A plan: its versions, how many resource changes it holds, and the destructive ones
    (delete, replace, forget) read in full; the rest stay in `entries`, as parsed."""

    format_version: str
    terraform_version: str
    changes: tuple[ResourceChange, ...]
    entries: tuple[dict[str, Any], ...] = ()

    @property
    def resource_count(self) -> int:
        return len(self.entries)


_DESTRUCTIVE = frozenset({"delete", "forget"})


def parse_plan(text: str, origin: str) -> Plan:
    """Read a plan's JSON; anything that is not a plan is an `InputError` naming `origin`."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{origin}: not a JSON plan: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{origin}: not a Terraform plan (expected a JSON object)")
    version = data.get("format_version")
    if not isinstance(version, str):
        raise InputError(
            f"{origin}: not a Terraform plan (no format_version); give the output of "
            "`terraform show -json PLANFILE`"
        )
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) not in SUPPORTED_MAJOR:
        raise InputError(f"{origin}: unsupported plan format_version {version!r} (0.x and 1.x)")
    if "resource_changes" not in data and "planned_values" not in data:
        raise InputError(
            f"{origin}: this is a Terraform state, not a plan; give the output of "
            "`terraform show -json PLANFILE`"
        )
    entries = data.get("resource_changes") or []
    if not isinstance(entries, list):
        raise InputError(f"{origin}: resource_changes is not a list")
    changes = []
    for index, entry in enumerate(entries):
        # the checks every entry needs, inline: 10,000 entries must read in a blink
        if type(entry) is not dict or type(entry.get("address")) is not str:
            raise InputError(f"{origin}: resource_changes[{index}] has no address")
        change = entry.get("change")
        actions = change.get("actions") if type(change) is dict else None
        if type(actions) is not list:
            raise InputError(
                f"{origin}: resource_changes[{index}] ({entry['address']}) has no actions"
            )
        if _DESTRUCTIVE.intersection(a for a in actions if type(a) is str):
            changes.append(_change(entry, origin, index))
    return Plan(
        version,
        str(data.get("terraform_version", "")),
        tuple(_with_lines(text, changes)),
        tuple(entries),
    )


def _change(entry: Any, origin: str, index: int) -> ResourceChange:
    if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
        raise InputError(f"{origin}: resource_changes[{index}] has no address")
    change = entry.get("change")
    actions = change.get("actions") if isinstance(change, dict) else None
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise InputError(f"{origin}: resource_changes[{index}] ({entry['address']}) has no actions")
    paths = change.get("replace_paths") if isinstance(change, dict) else None
    return ResourceChange(
        address=entry["address"],
        type=str(entry.get("type", "")),
        mode=str(entry.get("mode", "managed")),
        actions=tuple(actions),
        action_reason=str(entry.get("action_reason", "")),
        replace_paths=tuple(
            tuple(str(step) for step in path) for path in (paths or []) if isinstance(path, list)
        ),
        previous_address=str(entry.get("previous_address", "")),
        module_address=str(entry.get("module_address", "")),
    )


def _with_lines(text: str, changes: list[ResourceChange]) -> list[ResourceChange]:
    """Each change with the line of its `"address"` key (1 when the JSON is one line).

    The entries come in file order, so one forward scan finds them all: each address value
    is looked up after the previous one and must follow an `"address":` key.
    """
    start = text.find('"resource_changes"')
    if not changes or start < 0 or "\n" not in text:
        return changes
    out = []
    position, line, counted = start, 1, 0
    for change in changes:
        found = _find_address(text, json.dumps(change.address), position)
        if found < 0:
            out.append(change)
            continue
        line += text.count("\n", counted, found)
        counted = position = found
        out.append(change._replace(line=line))
    return out


def _find_address(text: str, encoded: str, position: int) -> int:
    while True:
        found = text.find(encoded, position)
        if found < 0:
            return -1
        if _KEY_BEFORE.search(text, max(0, found - 24), found):
            return found
        position = found + 1


_KEY_BEFORE = lazy_compile(r'"address"\s*:\s*$')
