"""The guard's audit log: one JSON line per decision, appended, never rewritten.

Each record says when, which agent (and session), the event and tool, the command or file,
the level, the decision and its reasons: the record of agent changes the policy asks for.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from changerisk.errors import ChangeriskError
from changerisk.guard import Decision, Request

SCHEMA = "changerisk-guard/1"


def record(request: Request, decision: Decision, now: datetime | None = None) -> dict[str, object]:
    """The audit record of one decision."""
    action = request.action
    entry: dict[str, object] = {
        "schema": SCHEMA,
        "time": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "agent": request.agent,
        "event": request.event,
        "tool": request.tool,
        "session": request.session,
        "cwd": request.cwd,
    }
    if action is not None and action.is_command:
        entry["command"] = action.command
    elif action is not None:
        entry["file"] = action.path
    entry.update(
        level=decision.level,
        tier=decision.tier,
        decision=decision.verdict,
        reasons=list(decision.reasons),
        codes=sorted({f.code for f in decision.findings}),
        error=decision.error,
        elapsed_ms=decision.elapsed_ms,
    )
    return entry


def append(path: str, entry: dict[str, object]) -> None:
    """Append one line to the log (created with its folder); a failure is a ChangeriskError."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n"
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # one write on an O_APPEND descriptor: concurrent hooks never interleave a line
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise ChangeriskError(
            f"{path}: cannot append to the guard audit log: {exc.strerror}"
        ) from None
