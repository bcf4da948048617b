"""Coding agents' hook protocols: read a hook payload into a `Request`, answer a `Decision`.

Each agent is a small adapter module (`claude`, `gemini`, `cursor`) with `EVENTS` (the hook
events it sends), `parse(payload) -> Request` and `respond(request, decision, style) ->
Response`. `parse_payload` finds the agent from the payload itself; `install` writes the
hook entries into each agent's settings file.
"""

from __future__ import annotations

import json
from importlib import import_module
from types import ModuleType
from typing import Any, NamedTuple

from changerisk.errors import InputError
from changerisk.guard import Request

AGENTS = ("claude", "gemini", "cursor")
STYLES = ("json", "exit-code")
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


class Response(NamedTuple):
    """What the hook process gives back: its exit code, standard output and standard error."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""


def adapter(agent: str) -> ModuleType:
    if agent not in AGENTS:
        raise InputError(f"unknown agent {agent!r} (known: {', '.join(AGENTS)})")
    return import_module(f"changerisk.agents.{agent}")


def load_payload(data: bytes) -> dict[str, Any]:
    """The payload's JSON object; anything else is an `InputError` naming what is wrong."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise InputError(f"hook payload larger than {MAX_PAYLOAD_BYTES // 2**20} MiB")
    if not data.strip():
        raise InputError("no hook payload on standard input (give a command: guard -- CMD)")
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"hook payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InputError(f"hook payload is not a JSON object but a {type(payload).__name__}")
    return payload


def detect(payload: dict[str, Any]) -> str:
    """Which agent sent the payload, from its event name or, lacking one, its shape."""
    event = payload.get("hook_event_name")
    if event is not None and not isinstance(event, str):
        raise InputError(f"hook payload: hook_event_name is a {type(event).__name__}, not a string")
    for name in AGENTS:
        if event in adapter(name).EVENTS:
            return name
    if event is None:
        for name in AGENTS:
            if adapter(name).looks_like(payload):
                return name
    keys = ", ".join(sorted(str(k) for k in payload)[:8]) or "none"
    shown = f"event {event!r}" if event is not None else f"keys {keys}"
    raise InputError(
        f"unknown hook payload ({shown}): not a Claude Code PreToolUse, Gemini CLI BeforeTool "
        "or Cursor beforeShellExecution/afterFileEdit/preToolUse payload"
    )


def parse_payload(data: bytes, agent: str | None = None) -> tuple[str, Request]:
    """The agent (given, or detected) and the request of a hook payload."""
    payload = load_payload(data)
    name = agent or detect(payload)
    request: Request = adapter(name).parse(payload)
    return name, request


def text_field(data: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    """A string field of the payload; a missing or mistyped required one is an InputError."""
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise InputError(f"hook payload: {where}{key} is {got}, not a string")
    return value


def object_field(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise InputError(f"hook payload: {key} is {got}, not an object")
    return value
