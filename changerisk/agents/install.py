"""`changerisk install-agent-hook`: add (or remove) the guard's entries in an agent's settings.

The settings file is merged, never replaced: other keys and other hooks stay as they are,
installing twice changes nothing, and uninstalling removes exactly the entries whose command
is the guard's (`changerisk guard --agent NAME …`). A file that is not a JSON object is
refused rather than overwritten.

Where each agent reads its hooks:
- Claude Code: `.claude/settings.json` (project) or `~/.claude/settings.json` (user),
  `hooks.PreToolUse[] = {matcher, hooks: [{type: "command", command, timeout (s)}]}`.
- Gemini CLI: `.gemini/settings.json` or `~/.gemini/settings.json`,
  `hooks.BeforeTool[] = {matcher, hooks: [{type: "command", command, name, timeout (ms)}]}`.
- Cursor: `.cursor/hooks.json` or `~/.cursor/hooks.json`, `{version: 1, hooks:
  {beforeShellExecution: [{command}], afterFileEdit: [{command}]}}`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from changerisk.errors import ChangeriskError

HOOK_TIMEOUT_SECONDS = 30  # the agent's limit; the guard's own [guard] timeout is shorter


class Outcome(NamedTuple):
    path: Path
    changed: bool
    message: str


def command_for(agent: str) -> str:
    """The hook command. `|| exit 2` blocks when changerisk itself cannot start (not on PATH):
    the agents treat any other failing exit code as a warning and go on."""
    return f"changerisk guard --agent {agent} || exit 2"


def settings_path(agent: str, scope: str, root: Path, home: Path) -> Path:
    base = root if scope == "project" else home
    folder = {"claude": ".claude", "gemini": ".gemini", "cursor": ".cursor"}[agent]
    name = "hooks.json" if agent == "cursor" else "settings.json"
    return base / folder / name


def is_ours(entry: Any, agent: str) -> bool:
    command = entry.get("command") if isinstance(entry, dict) else None
    return isinstance(command, str) and command.strip().startswith(
        f"changerisk guard --agent {agent}"
    )


def read_settings(path: Path) -> dict[str, Any]:
    """The settings object ({} when the file does not exist); anything else is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ChangeriskError(f"{path}: cannot read: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ChangeriskError(
            f"{path}: not valid JSON ({exc}); fix it or add the hook by hand"
        ) from None
    if not isinstance(data, dict):
        raise ChangeriskError(f"{path}: not a JSON object; fix it or add the hook by hand")
    return data


def _hooks(data: dict[str, Any], path: Path) -> dict[str, Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ChangeriskError(f'{path}: "hooks" is not an object; fix it or add the hook by hand')
    return hooks


def _list(hooks: dict[str, Any], event: str, path: Path) -> list[Any]:
    entries = hooks.setdefault(event, [])
    if not isinstance(entries, list):
        raise ChangeriskError(
            f"{path}: hooks.{event} is not a list; fix it or add the hook by hand"
        )
    return entries


def install(data: dict[str, Any], agent: str, path: Path) -> bool:
    """Add the guard's entries to `data`; False when they are already there."""
    from changerisk.agents import adapter

    hooks = _hooks(data, path)
    command = command_for(agent)
    changed = False
    if agent == "cursor":
        data.setdefault("version", 1)
        for event in adapter("cursor").HOOKS:
            entries = _list(hooks, event, path)
            if not any(is_ours(e, agent) for e in entries):
                entries.append({"command": command})
                changed = True
        return changed
    event = "PreToolUse" if agent == "claude" else "BeforeTool"
    entries = _list(hooks, event, path)
    for group in entries:
        if isinstance(group, dict) and any(is_ours(h, agent) for h in group.get("hooks") or []):
            return False
    hook: dict[str, Any] = {"type": "command", "command": command}
    if agent == "claude":
        hook["timeout"] = HOOK_TIMEOUT_SECONDS
    else:
        hook.update(name="changerisk-guard", timeout=HOOK_TIMEOUT_SECONDS * 1000)
    entries.append({"matcher": adapter(agent).MATCHER, "hooks": [hook]})
    return True


def uninstall(data: dict[str, Any], agent: str, path: Path) -> bool:
    """Remove exactly the guard's entries (and what they leave empty); False if none."""
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return False
    changed = False
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept: list[Any] = []
        here = False
        for entry in entries:
            if is_ours(entry, agent):  # Cursor: the entry is the hook
                here = True
                continue
            inner = entry.get("hooks") if isinstance(entry, dict) else None
            if isinstance(inner, list) and any(is_ours(h, agent) for h in inner):
                here = True
                remaining = [h for h in inner if not is_ours(h, agent)]
                if not remaining:
                    continue
                entry = {**entry, "hooks": remaining}
            kept.append(entry)
        if here:
            changed = True
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]
    if changed and not hooks:
        del data["hooks"]
    return changed


def apply(agent: str, path: Path, remove: bool = False) -> Outcome:
    """Install (or with `remove`, uninstall) the guard in the settings file at `path`."""
    data = read_settings(path)
    changed = uninstall(data, agent, path) if remove else install(data, agent, path)
    if not changed:
        what = "no changerisk guard hook in" if remove else "changerisk guard hook already in"
        return Outcome(path, False, f"{what} {path}")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.changerisk-tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)  # readers never see half a file
    except OSError as exc:
        raise ChangeriskError(f"{path}: cannot write: {exc.strerror}") from None
    verb = (
        "removed the changerisk guard hook from" if remove else "added the changerisk guard hook to"
    )
    return Outcome(path, True, f"{verb} {path}")
