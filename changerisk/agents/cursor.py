"""Cursor hooks (https://cursor.com/docs/agent/hooks).

Payloads carry `hook_event_name`, `conversation_id` and `workspace_roots`:
- `beforeShellExecution`: `command`, `cwd`. Answer `{"permission": "allow" | "ask" |
  "deny", "user_message": …, "agent_message": …}`. Cursor's first hooks release (1.7)
  documented the camel-case `userMessage`/`agentMessage`; both spellings are written.
- `afterFileEdit`: `file_path`, `edits` (`old_string`, `new_string`), called after the edit
  is on disk. The text before is rebuilt from the edits, the write is checked and logged, and
  the decision goes to standard error: this hook cannot block or ask.
- `preToolUse` (tool_name, tool_input), the generic tool hook: its tool inputs are not
  documented in detail; `Shell` (`command`), `Write` (`file_path`, `contents` or `content`)
  and `Edit`/`StrReplace` (`file_path`, `old_string`, `new_string`) are read, other tools pass.
"""

from __future__ import annotations

import json
from typing import Any

from changerisk.agents import Response, object_field, text_field
from changerisk.errors import InputError
from changerisk.guard import ALLOW, Action, Decision, Edit, Request

EVENTS = frozenset({"beforeShellExecution", "afterFileEdit", "preToolUse"})
HOOKS = ("beforeShellExecution", "afterFileEdit")  # what `install-agent-hook` registers


def looks_like(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("command"), str) and (
        "conversation_id" in payload or "workspace_roots" in payload
    )


def parse(payload: dict[str, Any]) -> Request:
    event = str(payload.get("hook_event_name") or "beforeShellExecution")
    roots = payload.get("workspace_roots")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else ""
    cwd = text_field(payload, "cwd", "", required=False) or root
    common = {
        "agent": "cursor",
        "cwd": cwd,
        "event": event,
        "session": text_field(payload, "conversation_id", "", required=False),
    }
    if event == "afterFileEdit":
        edits = payload.get("edits") or []
        if not isinstance(edits, list) or not all(isinstance(e, dict) for e in edits):
            raise InputError("hook payload: edits is not a list of edits")
        action = Action(
            path=text_field(payload, "file_path", ""),
            edits=tuple(
                Edit(
                    text_field(e, "old_string", f"edits[{i}]."),
                    text_field(e, "new_string", f"edits[{i}]."),
                )
                for i, e in enumerate(edits)
            ),
            done=True,
        )
        return Request(action=action, tool="edit", **common)
    if event == "preToolUse":
        return _tool(payload, common)
    return Request(
        action=Action(command=text_field(payload, "command", "")), tool="shell", **common
    )


def _tool(payload: dict[str, Any], common: dict[str, Any]) -> Request:
    tool = text_field(payload, "tool_name", "")
    data = payload.get("tool_input")
    if tool not in ("Shell", "Write", "Edit", "StrReplace") or not isinstance(data, dict):
        return Request(action=None, tool=tool, **common)
    data = object_field(payload, "tool_input")
    where = "tool_input."
    if tool == "Shell":
        action = Action(command=text_field(data, "command", where))
    elif tool == "Write":
        key = "contents" if "contents" in data else "content"
        action = Action(
            path=text_field(data, "file_path", where), content=text_field(data, key, where)
        )
    else:
        edit = Edit(text_field(data, "old_string", where), text_field(data, "new_string", where))
        action = Action(path=text_field(data, "file_path", where), edits=(edit,))
    return Request(action=action, tool=tool, **common)


def respond(request: Request, decision: Decision, style: str = "json") -> Response:
    if request.event == "afterFileEdit":
        note = decision.message or f"changerisk: {decision.verdict}"
        return Response(0, stdout="{}\n", stderr=note + "\n" if decision.verdict != ALLOW else "")
    message = decision.message
    output: dict[str, str] = {"permission": decision.verdict}
    if message:
        output.update(
            user_message=message, agent_message=message, userMessage=message, agentMessage=message
        )
    return Response(0, stdout=json.dumps(output) + "\n")
