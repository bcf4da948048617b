"""Claude Code `PreToolUse` hooks (https://code.claude.com/docs/en/hooks).

Payload: `hook_event_name` "PreToolUse", `tool_name`, `tool_input`, `cwd`, `session_id`.
Checked tools: `Bash` (`command`), `Write` (`file_path`, `content`), `Edit` (`file_path`,
`old_string`, `new_string`, `replace_all`) and `MultiEdit` (`file_path`, `edits`); any other
tool is not the guard's business and passes.

Answer, JSON style (the default): exit 0 with `{"hookSpecificOutput": {"hookEventName":
"PreToolUse", "permissionDecision": "ask" | "deny", "permissionDecisionReason": …}}` (Claude
Code shows the reason to the person for ask and to the model for deny). An allowed call
prints nothing, so Claude Code's own permission rules still apply: `allow` would skip them.
Exit-code style: exit 2 with the reason on standard error blocks the call (ask becomes a
block too: this form cannot ask).
"""

from __future__ import annotations

import json
from typing import Any

from changerisk.agents import Response, object_field, text_field
from changerisk.errors import InputError
from changerisk.guard import ALLOW, Action, Decision, Edit, Request

EVENTS = frozenset({"PreToolUse"})
TOOLS = ("Bash", "Write", "Edit", "MultiEdit")
MATCHER = "|".join(TOOLS)


def looks_like(payload: dict[str, Any]) -> bool:
    return payload.get("tool_name") in TOOLS and isinstance(payload.get("tool_input"), dict)


def parse(payload: dict[str, Any]) -> Request:
    tool = text_field(payload, "tool_name", "")
    common = {
        "agent": "claude",
        "cwd": text_field(payload, "cwd", "", required=False),
        "event": str(payload.get("hook_event_name") or "PreToolUse"),
        "tool": tool,
        "session": text_field(payload, "session_id", "", required=False),
    }
    if tool not in TOOLS:
        return Request(action=None, **common)
    data = object_field(payload, "tool_input")
    where = "tool_input."
    if tool == "Bash":
        action = Action(command=text_field(data, "command", where))
    elif tool == "Write":
        action = Action(
            path=text_field(data, "file_path", where), content=text_field(data, "content", where)
        )
    elif tool == "Edit":
        action = Action(path=text_field(data, "file_path", where), edits=(_edit(data, where),))
    else:
        edits = data.get("edits")
        if not isinstance(edits, list) or not all(isinstance(e, dict) for e in edits):
            raise InputError("hook payload: tool_input.edits is not a list of edits")
        action = Action(
            path=text_field(data, "file_path", where),
            edits=tuple(_edit(e, f"{where}edits[{i}].") for i, e in enumerate(edits)),
        )
    return Request(action=action, **common)


def _edit(data: dict[str, Any], where: str) -> Edit:
    return Edit(
        old=text_field(data, "old_string", where),
        new=text_field(data, "new_string", where),
        every=data.get("replace_all") is True,
    )


def respond(request: Request, decision: Decision, style: str = "json") -> Response:
    if decision.verdict == ALLOW:
        return Response(0, stderr=_note(decision))
    if style == "exit-code":
        return Response(2, stderr=decision.message + "\n")
    output = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision.verdict,
            "permissionDecisionReason": decision.message,
        }
    }
    return Response(0, stdout=json.dumps(output) + "\n")


def _note(decision: Decision) -> str:
    return decision.message + "\n" if decision.message else ""
