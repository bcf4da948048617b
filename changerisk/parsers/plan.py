"""Terraform / OpenTofu plans in the JSON of `terraform show -json PLAN` (format 0.1 to 1.x).

A plan's `resource_changes[].change.actions` are the ground truth of what an apply does:
`["delete"]`, `["delete", "create"]` (replace, destroy first), `["create", "delete"]`
(replace, create first), `["forget"]` (a `removed` block that keeps the object), `["no-op"]`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from changerisk.errors import InputError

SUPPORTED_MAJOR = (0, 1)


@dataclass(frozen=True)
class ResourceChange:
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


@dataclass(frozen=True)
class Plan:
    format_version: str
    terraform_version: str
    changes: tuple[ResourceChange, ...]


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
        raise InputError(f"{origin}: unsupported plan format_version {version} (0.x and 1.x)")
    if "resource_changes" not in data and "planned_values" not in data:
        raise InputError(
            f"{origin}: this is a Terraform state, not a plan; give the output of "
            "`terraform show -json PLANFILE`"
        )
    entries = data.get("resource_changes") or []
    if not isinstance(entries, list):
        raise InputError(f"{origin}: resource_changes is not a list")
    changes = [_change(entry, origin, index) for index, entry in enumerate(entries)]
    return Plan(version, str(data.get("terraform_version", "")), tuple(_with_lines(text, changes)))


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


_ADDRESS_KEY = re.compile(r'"address"\s*:\s*("(?:[^"\\]|\\.)*")')


def _with_lines(text: str, changes: list[ResourceChange]) -> list[ResourceChange]:
    """Each change with the line of its `"address"` in `resource_changes` (1 when one line).

    Only destructive entries need a line; one regex pass after the `resource_changes` key
    pairs them in order with the entries (attributes named `address` never match the full
    resource address of the entry being looked for).
    """
    wanted = [c for c in changes if c.deletes or c.replaces]
    start = text.find('"resource_changes"')
    if not wanted or start < 0 or "\n" not in text:
        return changes
    lines: dict[int, int] = {}
    line, counted = 1, 0
    matches = _ADDRESS_KEY.finditer(text, start)
    for index, change in enumerate(changes):
        encoded = json.dumps(change.address)
        for match in matches:
            raw = match.group(1)
            if raw == encoded or (("\\" in raw) and json.loads(raw) == change.address):
                if change.deletes or change.replaces:
                    line += text.count("\n", counted, match.start())
                    counted = match.start()
                    lines[index] = line
                break
        else:
            break
    if not lines:
        return changes
    return [
        ResourceChange(**{**c.__dict__, "line": lines[i]}) if i in lines else c
        for i, c in enumerate(changes)
    ]
