"""`changerisk guard` and `changerisk install-agent-hook`: the agent guard's command line.

`guard` reads a command (`guard -- CMD…`, `--command STRING`) or an agent's hook payload on
standard input, asks `changerisk.guard` for a decision, appends it to the audit log when one
is configured, and answers in the agent's own protocol (`changerisk.agents`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from changerisk.agents import Response
    from changerisk.config import Config, GuardPolicy
    from changerisk.guard import Decision, Request

AGENT_CHOICES = ("auto", "claude", "gemini", "cursor")


@click.command(
    "guard",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, metavar="[-- COMMAND…]")
@click.option("--command", "command_text", metavar="STRING", help="The shell command to check.")
@click.option(
    "--agent",
    type=click.Choice(AGENT_CHOICES),
    default="auto",
    show_default=True,
    help="The hook protocol of standard input and of the answer (auto: from the payload).",
)
@click.option(
    "--style",
    type=click.Choice(("json", "exit-code")),
    default="json",
    show_default=True,
    help="Claude Code and Gemini CLI: answer with a JSON decision, or exit 2 and the reason "
    "on standard error.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to use instead of the nearest one.",
)
@click.option("--audit-log", metavar="PATH", help="Append the decision to this JSON lines file.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds (config).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Output of a command checked from the command line.",
)
def guard_command(
    argv: tuple[str, ...],
    command_text: str | None,
    agent: str,
    style: str,
    config_path: Path | None,
    audit_log: str | None,
    timeout: float | None,
    fmt: str,
) -> int:
    """Check what an AI coding agent is about to run or write: allow, ask or deny.

    From an agent's hook, the payload comes on standard input (Claude Code PreToolUse, Gemini
    CLI BeforeTool, Cursor beforeShellExecution/afterFileEdit) and the answer goes back in that
    agent's protocol. By hand: `changerisk guard -- terraform destroy -auto-approve` prints the
    decision and exits 0 (allow), 1 (ask or deny) or 2 (could not check).
    """
    from changerisk.guard import Action, Request

    if argv and command_text is not None:
        raise click.UsageError("give the command either after -- or with --command, not both")
    given = None if agent == "auto" else agent
    if argv or command_text is not None:
        import shlex

        text = command_text if command_text is not None else shlex.join(argv)
        request = Request(agent=given or "command", action=Action(command=text), cwd=os.getcwd())
        decision, _ = _decide(request, config_path, audit_log, timeout)
        if given:
            return _answer(_respond(given, request, decision, style))
        return _plain(decision, fmt)
    return _from_hook(given, style, config_path, audit_log, timeout)


def _from_hook(
    agent: str | None,
    style: str,
    config_path: Path | None,
    audit_log: str | None,
    timeout: float | None,
) -> int:
    from changerisk.agents import Response, parse_payload
    from changerisk.errors import ChangeriskError
    from changerisk.guard import Request, failed

    data = sys.stdin.buffer.read()
    try:
        agent, request = parse_payload(data, agent)
    except ChangeriskError as exc:
        request = Request(agent=agent or "unknown", action=None, cwd=os.getcwd())
        policy = _policy_or_default(request, config_path)
        decision = failed(str(exc), policy)
        _audit_quietly(request, decision, audit_log or policy.audit_log)
        if agent is not None:
            return _answer(_respond(agent, request, decision, style))
        if decision.verdict == "allow":
            return _answer(Response(0, stderr=f"changerisk: warning: {decision.message}\n"))
        return _answer(Response(2, stderr=f"changerisk: {decision.message}\n"))
    decision, _ = _decide(request, config_path, audit_log, timeout)
    return _answer(_respond(agent, request, decision, style))


def _decide(
    request: Request, config_path: Path | None, audit_log: str | None, timeout: float | None
) -> tuple[Decision, Config | None]:
    """The decision (the fail mode's when the configuration does not load), audited."""
    from changerisk.config import GuardPolicy
    from changerisk.errors import ChangeriskError
    from changerisk.guard import config_for, failed, guarded

    try:
        config = config_for(request, config_path)
    except ChangeriskError as exc:
        decision = failed(str(exc), GuardPolicy(), _subject(request))
        _audit_quietly(request, decision, audit_log or "")
        return decision, None
    decision = guarded(request, config, timeout=timeout)
    try:
        _audit(request, decision, audit_log or config.guard.audit_log)
    except ChangeriskError as exc:
        if config.guard.fail_mode != "open":
            return failed(str(exc), config.guard, _subject(request)), config
    return decision, config


def _subject(request: Request) -> str:
    return request.action.subject if request.action else request.tool


def _policy_or_default(request: Request, config_path: Path | None) -> GuardPolicy:
    from changerisk.config import GuardPolicy
    from changerisk.errors import ChangeriskError
    from changerisk.guard import config_for

    try:
        return config_for(request, config_path).guard
    except ChangeriskError:
        return GuardPolicy()


def _audit(request: Request, decision: Decision, path: str) -> None:
    if not path:
        return
    from changerisk import audit

    audit.append(path, audit.record(request, decision))


def _audit_quietly(request: Request, decision: Decision, path: str) -> None:
    """Audit a decision that already blocks (or warns): a log that cannot be written changes
    nothing more, and is said on standard error."""
    from changerisk.errors import ChangeriskError

    try:
        _audit(request, decision, path)
    except ChangeriskError as exc:
        sys.stderr.write(f"changerisk: warning: {exc}\n")


def _respond(agent: str, request: Request, decision: Decision, style: str) -> Response:
    from changerisk.agents import adapter

    response: Response = adapter(agent).respond(request, decision, style)
    return response


def _answer(response: Response) -> int:
    if response.stdout:
        sys.stdout.write(response.stdout)
        sys.stdout.flush()
    if response.stderr:
        sys.stderr.write(response.stderr)
        sys.stderr.flush()
    return response.exit_code


def _plain(decision: Decision, fmt: str) -> int:
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                {
                    "decision": decision.verdict,
                    "level": decision.level,
                    "tier": decision.tier,
                    "message": decision.message,
                    "reasons": list(decision.reasons),
                    "error": decision.error,
                    "elapsed_ms": decision.elapsed_ms,
                },
                indent=2,
            )
        )
    else:
        tier = f", review tier {decision.tier}" if decision.tier else ""
        click.echo(f"{decision.verdict}: risk {decision.level}{tier}")
        for reason in decision.reasons:
            click.echo(f"  {reason}")
        if decision.error:
            click.echo(f"  {decision.message}")
        for note in decision.notes:
            click.echo(f"  note: {note}")
    if decision.error:
        return 2
    return 0 if decision.verdict == "allow" else 1


@click.command("install-agent-hook")
@click.option(
    "--agent", type=click.Choice(("claude", "cursor", "gemini")), required=True, help="The agent."
)
@click.option(
    "--scope",
    type=click.Choice(("project", "user")),
    default="project",
    show_default=True,
    help="The project's settings (in the repository) or the user's (in the home folder).",
)
@click.option("--uninstall", is_flag=True, help="Remove the guard's hook entry instead.")
def install_agent_hook_command(agent: str, scope: str, uninstall: bool) -> int:
    """Add the changerisk guard to a coding agent's hook settings (merged with what is there).

    Claude Code: .claude/settings.json (PreToolUse on Bash, Write, Edit, MultiEdit). Gemini
    CLI: .gemini/settings.json (BeforeTool on run_shell_command, write_file, replace). Cursor:
    .cursor/hooks.json (beforeShellExecution, afterFileEdit). With --scope user, the same
    files under the home folder. Other hooks are kept; --uninstall removes only the guard's.
    """
    from changerisk.agents.install import apply, settings_path

    root = Path.cwd()
    if scope == "project":
        from changerisk.actions import repository_of

        root = repository_of(root) or root
    path = settings_path(agent, scope, root, Path.home())
    outcome = apply(agent, path, remove=uninstall)
    click.echo(outcome.message)
    return 0
