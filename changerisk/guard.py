"""The agent guard: decide allow, ask or deny for what an AI coding agent is about to do.

An agent's hook gives a shell command or a file write (`Request`, read from the agent's own
payload by `changerisk.agents`). The guard turns it into a change (`changerisk.actions`),
checks it with exactly the rules, scoring and configuration of `changerisk check`, and maps
the level to a decision by the `[guard]` policy: below `ask-at` allow, from `ask-at` ask a
person, from `deny-at` (or a command matching a `deny` pattern) deny. What cannot be checked
(a crash, a timeout, an unreadable payload, a bad config) is decided by `fail-mode`: closed
(the default) denies and says why.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from changerisk.config import Config, GuardPolicy, load_config
from changerisk.errors import ChangeriskError
from changerisk.model import LEVEL_NAMES, Finding, Severity
from changerisk.report import Report
from changerisk.rule import Rule

ALLOW, ASK, DENY = "allow", "ask", "deny"


class Edit(NamedTuple):
    """One replacement of an edit tool: `old` becomes `new` (every occurrence with `every`)."""

    old: str
    new: str
    every: bool = False


class Action(NamedTuple):
    """What the agent is about to do: run `command`, or write the file `path` (its whole
    `content`, or `edits` to the text on disk). `done` marks an edit already on disk (a hook
    called after the edit, such as Cursor's afterFileEdit): the text before is rebuilt."""

    command: str = ""
    path: str = ""
    content: str | None = None
    edits: tuple[Edit, ...] = ()
    done: bool = False

    @property
    def is_command(self) -> bool:
        return not self.path

    @property
    def subject(self) -> str:
        """The command (its first line) or the file, as a message names it."""
        if self.path:
            return self.path
        first, _, rest = self.command.strip().partition("\n")
        return first + (" …" if rest.strip() else "")


class Request(NamedTuple):
    """One hook call: which agent, which event and tool, the action (None for a tool the guard
    does not check, such as a file read), and the folder the agent works in."""

    agent: str
    action: Action | None
    cwd: str = ""
    event: str = ""
    tool: str = ""
    session: str = ""


class Decision(NamedTuple):
    """The answer: `verdict` allow, ask or deny; `message` is written for the model and the
    person (what happens, the level and the review it needs, what to do); `reasons` one line
    each; `error` is set when the check could not run and the fail mode decided."""

    verdict: str
    level: str
    message: str
    tier: str = ""
    reasons: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str = ""
    subject: str = ""
    elapsed_ms: int = 0
    notes: tuple[str, ...] = ()


def evaluate(
    request: Request,
    config: Config | None = None,
    config_path: Path | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> Decision:
    """Check the request's action and decide; raises `ChangeriskError` when it cannot."""
    from changerisk import api
    from changerisk.actions import changeset_for

    action = request.action
    if action is None:
        return Decision(ALLOW, "none", "", subject=request.tool)
    cwd = request.cwd or os.getcwd()
    changeset, notes = changeset_for(action, cwd)
    if config is None:
        config = load_config(config_path, start=Path(changeset.repo_root or cwd))
    if not changeset.files:
        return Decision(ALLOW, "none", "", subject=action.subject, notes=notes)
    agent = request.agent if request.agent != "command" else "an agent"
    report = api.check(
        changeset,
        config,
        ai_assisted=True,
        ai_sources=(f"{agent} is about to make it (changerisk guard)",),
        rules=rules,
    )
    return decide(action, report, config.guard, notes, subject=changeset.files[0].path)


def decide(
    action: Action,
    report: Report,
    policy: GuardPolicy,
    notes: tuple[str, ...] = (),
    subject: str = "",
) -> Decision:
    """The policy's verdict on a checked action (`subject`: the file as the repository knows
    it, for a write)."""
    findings = list(report.findings)
    level = report.level
    if action.is_command and report.suppressed:
        # a command cannot carry its own exemption: `terraform destroy # changerisk: ignore[…]`
        findings.extend(s.finding for s in report.suppressed)
        worst = max(s.finding.severity for s in report.suppressed)
        if LEVEL_NAMES.index(worst.label) > LEVEL_NAMES.index(level):
            level = worst.label
    denied_by = deny_patterns_matched(action, policy) if action.is_command else []
    rank = LEVEL_NAMES.index(level)
    if denied_by or rank >= LEVEL_NAMES.index(policy.deny_at.label):
        verdict = DENY
    elif rank >= LEVEL_NAMES.index(policy.ask_at.label):
        verdict = ASK
    else:
        verdict = ALLOW
    own = _own_guardrail(action, subject, findings)
    if own and verdict == ALLOW:
        verdict = ASK
    findings.sort(key=lambda f: (-f.severity, f.path, f.line, f.code))
    reasons = [_reason(action, f) for f in findings]
    reasons.extend(f"matches the deny pattern {p!r} ([guard] deny)" for p in denied_by)
    reasons.extend(own)
    return Decision(
        verdict=verdict,
        level=level,
        tier=report.tier,
        message=_message(
            verdict, action, level, report.tier, findings, denied_by, subject or action.subject
        )
        + (f" It {own[0]}." if own and level in ("none", "info", "low") else ""),
        reasons=tuple(reasons),
        findings=tuple(findings),
        subject=action.subject if action.is_command else subject or action.path,
        notes=notes,
    )


_AGENT_SETTINGS = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".gemini/settings.json",
    ".cursor/hooks.json",
)
_CONFIG_CODES = frozenset({"INT103", "INT105", "INT106"})


def _own_guardrail(action: Action, subject: str, findings: Sequence[Finding]) -> list[str]:
    """Why a write touches the agent's own guardrail (asked, whatever its level): the
    changerisk configuration or gate, or an agent's hook settings."""
    if action.is_command:
        return []
    path = (subject or action.path).replace("\\", "/")
    if any(path == name or path.endswith("/" + name) for name in _AGENT_SETTINGS):
        return [f"edits the agent hook settings {path}: the agent must not change its own guard"]
    if any(f.code in _CONFIG_CODES for f in findings):
        return [f"edits the changerisk configuration or gate in {path}: a person decides that"]
    return []


def deny_patterns_matched(action: Action, policy: GuardPolicy) -> list[str]:
    """The `[guard] deny` patterns a command of the action matches. Patterns are shell globs
    matched against each command as the shell runs it (wrappers such as `sudo` removed, quotes
    gone), so `echo "terraform destroy"` does not match `terraform destroy*`."""
    if not policy.deny:
        return []
    from changerisk.parsers.shell import commands

    lines = [" ".join(c.argv) for c in commands(action.command)] or [action.command.strip()]
    return [p for p in policy.deny if any(fnmatchcase(line, p) for line in lines)]


def _reason(action: Action, finding: Finding) -> str:
    where = "" if action.is_command else f" ({finding.path}:{finding.line})"
    return f"{finding.code} {finding.severity.label}: {finding.message}{where}"


def _message(
    verdict: str,
    action: Action,
    level: str,
    tier: str,
    findings: Sequence[Finding],
    denied_by: Sequence[str],
    subject: str,
) -> str:
    what = "this command" if action.is_command else f"this write to {subject}"
    if verdict == ALLOW:
        if not findings:
            return ""
        shown = "; ".join(_reason(action, f) for f in findings[:3])
        return f"changerisk: {what} is allowed (risk {level}): {shown}"
    serious = [f for f in findings if f.severity >= Severity.MEDIUM] or list(findings)
    shown = "; ".join(_reason(action, f) for f in serious[:3])
    if len(serious) > 3:
        shown += f"; and {len(serious) - 3} more"
    hint = next((f.hint for f in serious if f.hint), "")
    parts = []
    if verdict == DENY:
        parts.append(f"changerisk blocked {what} (risk {level}; review tier {tier}).")
    else:
        parts.append(
            f"changerisk asks a person to approve {what} (risk {level}; review tier {tier})."
        )
    if shown:
        parts.append(f"Why: {shown}.")
    if denied_by:
        parts.append(f"It matches the deny pattern {denied_by[0]!r} of the [guard] policy.")
    if hint:
        parts.append(f"Safer: {hint}.")
    if verdict == DENY:
        parts.append(
            "Do not retry it or reach the same result another way: tell the user what you "
            f"meant to do and why, and leave it to a person ({tier} review) to do."
        )
    else:
        review = "a review" if tier in ("", "any reviewer") else f"a {tier} review"
        parts.append(f"Approve only after {review}.")
    return " ".join(parts)


def failed(error: str, policy: GuardPolicy, subject: str = "") -> Decision:
    """The decision when the check could not run: the fail mode decides, and says why."""
    if policy.fail_mode == "open":
        return Decision(
            ALLOW,
            "none",
            f"changerisk could not check this ({error}); allowed because [guard] fail-mode is "
            '"open"',
            error=error,
            subject=subject,
        )
    return Decision(
        DENY,
        "none",
        f"changerisk could not check this ({error}), so it is blocked ([guard] fail-mode "
        '"closed"). Tell the user; a person can run it after checking it.',
        error=error,
        subject=subject,
    )


def config_for(request: Request, config_path: Path | None = None) -> Config:
    """The configuration for the request: `config_path`, else the nearest one to the written
    file (or the agent's folder), as `check` finds it."""
    return load_config(config_path, start=_start(request, request.cwd or os.getcwd()))


def guarded(
    request: Request,
    config: Config,
    timeout: float | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> Decision:
    """`evaluate` within the configured timeout; a crash, an unreadable file or a timeout
    gives the fail mode's decision instead of an exception."""
    started = time.perf_counter()
    policy = config.guard
    subject = request.action.subject if request.action else request.tool
    box: list[Decision | BaseException] = []

    def work() -> None:
        try:
            box.append(evaluate(request, config, rules=rules))
        except BaseException as exc:  # reported through the fail mode
            box.append(exc)

    # a daemon thread: when the time is up the answer goes out and the process exits
    worker = threading.Thread(target=work, name="changerisk-guard", daemon=True)
    worker.start()
    limit = policy.timeout if timeout is None else timeout
    worker.join(limit)
    if not box:
        return _timed(failed(f"the check took longer than {limit:g} s", policy, subject), started)
    result = box[0]
    if isinstance(result, Decision):
        return _timed(result, started)
    if isinstance(result, ChangeriskError):
        error = str(result)
    else:
        error = f"internal error: {type(result).__name__}: {result}"
    return _timed(failed(error, policy, subject), started)


def _start(request: Request, cwd: str) -> Path:
    """Where the configuration is looked for: the written file's folder, else the agent's."""
    action = request.action
    if action is not None and action.path:
        path = Path(cwd, action.path)
        return path.parent if path.parent.is_dir() else Path(cwd)
    return Path(cwd)


def _timed(decision: Decision, started: float) -> Decision:

    return decision._replace(elapsed_ms=int((time.perf_counter() - started) * 1000))
