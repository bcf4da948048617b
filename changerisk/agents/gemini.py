"""Gemini CLI `BeforeTool` hooks (https://geminicli.com/docs/hooks/reference, the same text as
google-gemini/gemini-cli docs/hooks/reference.md; tools in docs/tools/shell.md and
docs/tools/file-system.md).

Payload: `hook_event_name` "BeforeTool", `tool_name`, `tool_input`, `cwd`, `session_id`.
Checked tools: `run_shell_command` (`command`, optional `directory`), `write_file`
(`file_path`, `content`) and `replace` (`file_path`, `old_string`, `new_string`,
`expected_replacements`); any other tool passes.

Answer, JSON style (the default): exit 0 with `{"decision": "deny", "reason": …,
"systemMessage": …}`; the reason goes to the model as the tool's error, the system message to
the person. Gemini CLI documents only allow and deny for BeforeTool, so ask is answered as a
deny whose reason says a person must approve it. An allowed call prints `{}` (no decision),
so Gemini CLI's own confirmation still applies. Exit-code style: exit 2 with the reason on
standard error.
"""

from __future__ import annotations

import json
import os
from typing import Any

from changerisk.agents import Response, object_field, text_field
from changerisk.guard import ALLOW, ASK, Action, Decision, Edit, Request

EVENTS = frozenset({"BeforeTool"})
TOOLS = ("run_shell_command", "write_file", "replace")
MATCHER = "|".join(TOOLS)


def looks_like(payload: dict[str, Any]) -> bool:
    return payload.get("tool_name") in TOOLS and isinstance(payload.get("tool_input"), dict)


def parse(payload: dict[str, Any]) -> Request:
    tool = text_field(payload, "tool_name", "")
    cwd = text_field(payload, "cwd", "", required=False)
    common = {
        "agent": "gemini",
        "event": str(payload.get("hook_event_name") or "BeforeTool"),
        "tool": tool,
        "session": text_field(payload, "session_id", "", required=False),
    }
    if tool not in TOOLS:
        return Request(action=None, cwd=cwd, **common)
    data = object_field(payload, "tool_input")
    where = "tool_input."
    if tool == "run_shell_command":
        folder = text_field(data, "directory", where, required=False)
        if folder:
            cwd = os.path.join(cwd, folder) if cwd else folder
        action = Action(command=text_field(data, "command", where))
    elif tool == "write_file":
        action = Action(
            path=text_field(data, "file_path", where), content=text_field(data, "content", where)
        )
    else:
        count = data.get("expected_replacements")
        edit = Edit(
            old=text_field(data, "old_string", where),
            new=text_field(data, "new_string", where),
            every=isinstance(count, int) and count > 1,
        )
        action = Action(path=text_field(data, "file_path", where), edits=(edit,))
    return Request(action=action, cwd=cwd, **common)


def respond(request: Request, decision: Decision, style: str = "json") -> Response:
    if decision.verdict == ALLOW:
        note = decision.message + "\n" if decision.message else ""
        return Response(0, stdout="{}\n" if style == "json" else "", stderr=note)
    reason = decision.message
    if decision.verdict == ASK:
        reason += (
            " (Gemini CLI hooks cannot ask, so it is blocked: ask the user to approve and run "
            "it themselves.)"
        )
    if style == "exit-code":
        return Response(2, stderr=reason + "\n")
    output = {"decision": "deny", "reason": reason, "systemMessage": reason}
    return Response(0, stdout=json.dumps(output) + "\n")
