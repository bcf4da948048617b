"""`changerisk guard` and `changerisk install-agent-hook` from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent.parent / "engine" / "fixtures" / "agents"


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Any:
    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    return feed


def _payload(name: str, cwd: Path, **tool_input: object) -> bytes:
    data = json.loads((FIXTURES / name).read_text())
    data["cwd"] = str(cwd)
    if tool_input:
        data["tool_input"].update(tool_input)
    return json.dumps(data).encode()


def test_a_claude_payload_is_answered_in_claude_json(run_cli, stdin, tmp_path: Path) -> None:
    stdin(_payload("claude_bash.json", tmp_path))
    result = run_cli("guard")
    assert result.code == 0
    answer = result.json()["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert "SH101 critical: runs terraform destroy" in answer["permissionDecisionReason"]


def test_exit_code_style_blocks_with_exit_2(run_cli, stdin, tmp_path: Path) -> None:
    stdin(_payload("gemini_shell.json", tmp_path, command="git push --force origin main"))
    result = run_cli("guard", "--agent", "gemini", "--style", "exit-code")
    assert (result.code, result.out) == (2, "")
    assert "SH108 high: force-pushes to main on origin" in result.err
    assert "cannot ask" in result.err


def test_an_allowed_command_prints_nothing_for_claude(run_cli, stdin, tmp_path: Path) -> None:
    stdin(_payload("claude_bash.json", tmp_path, command="terraform plan"))
    result = run_cli("guard")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_an_unknown_payload_blocks_with_exit_2(run_cli, stdin, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    stdin(b'{"hook_event_name": "Notification", "message": "hi"}')
    result = run_cli("guard")
    assert (result.code, result.out) == (2, "")
    assert "unknown hook payload (event 'Notification')" in result.err
    assert 'fail-mode "closed"' in result.err


def test_an_unreadable_payload_for_a_known_agent_is_a_deny_in_its_protocol(
    run_cli, stdin, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stdin(b"{not json")
    result = run_cli("guard", "--agent", "cursor")
    assert result.code == 0
    assert result.json()["permission"] == "deny"
    assert "hook payload is not JSON" in result.json()["agent_message"]


def test_fail_open_lets_an_unknown_payload_through(
    run_cli, stdin, tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / ".changerisk.toml").write_text('[guard]\nfail-mode = "open"\n')
    monkeypatch.chdir(tmp_path)
    stdin(b'{"foo": 1}')
    result = run_cli("guard")
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith("changerisk: warning: changerisk could not check this")


def test_a_bad_config_blocks_naming_file_and_key(run_cli, stdin, tmp_path: Path) -> None:
    (tmp_path / ".changerisk.toml").write_text('[guard]\nfail-mode = "sometimes"\n')
    stdin(_payload("claude_bash.json", tmp_path, command="ls"))
    result = run_cli("guard")
    reason = result.json()["hookSpecificOutput"]
    assert reason["permissionDecision"] == "deny"
    assert (
        '.changerisk.toml: guard.fail-mode: "sometimes" is not one of closed, open'
        in reason["permissionDecisionReason"]
    )


def test_a_bad_config_by_hand_exits_2(run_cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".changerisk.toml").write_text("[guard]\ntimeout = -1\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("guard", "--", "ls")
    assert result.code == 2
    assert "guard.timeout: -1 is out of range (must be bigger than 0)" in result.out


def test_a_timeout_blocks(run_cli, stdin, tmp_path: Path, monkeypatch) -> None:
    """A check slower than the timeout is answered with the fail mode (deny), whatever the
    load: the evaluation is made slow here rather than the timeout made tiny (a tiny timeout
    can still lose the race to a check that ends first)."""
    import changerisk.guard

    real = changerisk.guard.evaluate

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(changerisk.guard, "evaluate", slow)
    stdin(_payload("claude_bash.json", tmp_path, command="ls"))
    result = run_cli("guard", "--timeout", "0.05")
    assert result.out, (result.code, result.err)
    reason = result.json()["hookSpecificOutput"]
    assert reason["permissionDecision"] == "deny"
    assert "the check took longer than 0.05 s" in reason["permissionDecisionReason"]


@pytest.mark.parametrize(
    ("argv", "code", "first"),
    [
        (["--", "terraform", "destroy", "-auto-approve"], 1, "deny: risk critical"),
        (["--command", "kubectl delete ns payments --context prod"], 1, "deny: risk critical"),
        (["--command", "git push --force origin main"], 1, "ask: risk high, review tier senior"),
        (["--", "echo", "terraform destroy"], 0, "allow: risk none"),
        (["--", "kubectl", "delete", "pod", "x"], 0, "allow: risk none"),
    ],
)
def test_a_command_by_hand(run_cli, tmp_path: Path, monkeypatch, argv, code, first) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("guard", *argv)
    assert result.code == code
    assert result.out.splitlines()[0].startswith(first)


def test_a_command_by_hand_as_json(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("guard", "--format", "json", "--command", "dropdb prod")
    assert result.code == 1
    out = result.json()
    assert (out["decision"], out["level"], out["error"]) == ("deny", "critical", "")
    assert out["reasons"] == [
        "SH106 critical: drops PostgreSQL database prod: every table and row in it is deleted"
    ]


def test_both_command_forms_is_a_usage_error(run_cli) -> None:
    result = run_cli("guard", "--command", "ls", "--", "ls")
    assert result.code == 2
    assert "either after -- or with --command" in result.err


def test_the_audit_log_records_each_decision(run_cli, stdin, tmp_path: Path) -> None:
    (tmp_path / ".changerisk.toml").write_text('[guard]\naudit-log = "logs/guard.jsonl"\n')
    for command in ("terraform destroy -auto-approve", "terraform plan"):
        stdin(_payload("claude_bash.json", tmp_path, command=command))
        run_cli("guard")
    entries = [json.loads(x) for x in (tmp_path / "logs/guard.jsonl").read_text().splitlines()]
    assert [(e["command"], e["decision"], e["level"]) for e in entries] == [
        ("terraform destroy -auto-approve", "deny", "critical"),
        ("terraform plan", "allow", "none"),
    ]
    assert entries[0]["agent"] == "claude" and entries[0]["tool"] == "Bash"


def test_an_audit_log_that_cannot_be_written_blocks(run_cli, stdin, tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be")
    (tmp_path / ".changerisk.toml").write_text('[guard]\naudit-log = "logs/guard.jsonl"\n')
    stdin(_payload("claude_bash.json", tmp_path, command="terraform plan"))
    reason = run_cli("guard").json()["hookSpecificOutput"]
    assert reason["permissionDecision"] == "deny"
    assert "cannot append to the guard audit log" in reason["permissionDecisionReason"]


def test_a_file_write_in_a_real_repository(run_cli, stdin, git_repo) -> None:
    db = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n'
    git_repo.commit("base", {"envs/prod/db.tf": db, "envs/prod/dns.tf": "# zones\n"})
    data = json.loads((FIXTURES / "claude_write.json").read_text())
    data["cwd"] = str(git_repo.path)
    data["tool_input"] = {"file_path": str(git_repo.path / "envs/prod/db.tf"), "content": ""}
    stdin(json.dumps(data).encode())
    reason = run_cli("guard").json()["hookSpecificOutput"]
    assert reason["permissionDecision"] == "deny"
    assert reason["permissionDecisionReason"].startswith(
        "changerisk blocked this write to envs/prod/db.tf (risk critical"
    )


def test_the_guard_command_runs_as_a_process(tmp_path: Path) -> None:
    """The way an agent calls it: a process, the payload on stdin, the answer on stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "changerisk.cli.main", "guard"],
        input=_payload("cursor_before_shell.json", tmp_path),
        capture_output=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["permission"] == "deny"


# --- install-agent-hook --------------------------------------------------------------------

OTHER_CLAUDE = {
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./audit.sh"}]}
        ],
        "PostToolUse": [
            {"matcher": "Write", "hooks": [{"type": "command", "command": "prettier -w"}]}
        ],
    },
}


def _settings(path: Path) -> Any:
    return json.loads(path.read_text())


def test_claude_install_merges_and_is_idempotent(run_cli, git_repo) -> None:
    path = git_repo.path / ".claude/settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(OTHER_CLAUDE))
    result = run_cli("install-agent-hook", "--agent", "claude")
    assert (result.code, result.out.strip()) == (
        0,
        f"added the changerisk guard hook to {path}",
    )
    data = _settings(path)
    assert data["permissions"] == OTHER_CLAUDE["permissions"]
    assert data["hooks"]["PostToolUse"] == OTHER_CLAUDE["hooks"]["PostToolUse"]
    assert data["hooks"]["PreToolUse"] == [
        *OTHER_CLAUDE["hooks"]["PreToolUse"],
        {
            "matcher": "Bash|Write|Edit|MultiEdit",
            "hooks": [
                {
                    "type": "command",
                    "command": "changerisk guard --agent claude || exit 2",
                    "timeout": 30,
                }
            ],
        },
    ]
    again = run_cli("install-agent-hook", "--agent", "claude")
    assert again.out.strip() == f"changerisk guard hook already in {path}"
    assert _settings(path) == data
    removed = run_cli("install-agent-hook", "--agent", "claude", "--uninstall")
    assert removed.out.strip() == f"removed the changerisk guard hook from {path}"
    assert _settings(path) == OTHER_CLAUDE
    nothing = run_cli("install-agent-hook", "--agent", "claude", "--uninstall")
    assert nothing.out.strip() == f"no changerisk guard hook in {path}"


def test_uninstall_keeps_other_hooks_of_a_shared_entry(run_cli, git_repo) -> None:
    path = git_repo.path / ".claude/settings.json"
    path.parent.mkdir()
    shared = {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "Bash",
                    "hooks": [
                        {"type": "command", "command": "changerisk guard --agent claude || exit 2"},
                        {"type": "command", "command": "./audit.sh"},
                    ],
                }
            ],
            "Stop": [],
        }
    }
    path.write_text(json.dumps(shared))
    assert run_cli("install-agent-hook", "--agent", "claude", "--uninstall").code == 0
    assert _settings(path) == {
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "./audit.sh"}]}
            ],
            "Stop": [],
        }
    }


def test_gemini_user_scope(run_cli, git_repo, git_env: Path) -> None:
    result = run_cli("install-agent-hook", "--agent", "gemini", "--scope", "user")
    path = git_env / ".gemini/settings.json"
    assert result.code == 0, result.err
    assert _settings(path) == {
        "hooks": {
            "BeforeTool": [
                {
                    "matcher": "run_shell_command|write_file|replace",
                    "hooks": [
                        {
                            "type": "command",
                            "command": "changerisk guard --agent gemini || exit 2",
                            "name": "changerisk-guard",
                            "timeout": 30000,
                        }
                    ],
                }
            ]
        }
    }


def test_cursor_project_scope_from_a_subfolder(run_cli, git_repo, monkeypatch) -> None:
    (git_repo.path / "src").mkdir()
    monkeypatch.chdir(git_repo.path / "src")
    path = git_repo.path / ".cursor/hooks.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"version": 1, "hooks": {"stop": [{"command": "./done.sh"}]}}))
    assert run_cli("install-agent-hook", "--agent", "cursor").code == 0
    command = {"command": "changerisk guard --agent cursor || exit 2"}
    assert _settings(path) == {
        "version": 1,
        "hooks": {
            "stop": [{"command": "./done.sh"}],
            "beforeShellExecution": [command],
            "afterFileEdit": [command],
        },
    }
    run_cli("install-agent-hook", "--agent", "cursor")
    assert _settings(path)["hooks"]["beforeShellExecution"] == [command]
    run_cli("install-agent-hook", "--agent", "cursor", "--uninstall")
    assert _settings(path) == {"version": 1, "hooks": {"stop": [{"command": "./done.sh"}]}}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "not a JSON object"),
        ('{"hooks": []}', '"hooks" is not an object'),
        ('{"hooks": {"PreToolUse": {}}}', "hooks.PreToolUse is not a list"),
    ],
)
def test_an_unparseable_settings_file_is_refused(run_cli, git_repo, text: str, error: str) -> None:
    path = git_repo.path / ".claude/settings.json"
    path.parent.mkdir()
    path.write_text(text)
    result = run_cli("install-agent-hook", "--agent", "claude")
    assert result.code == 2
    assert result.err.startswith(f"changerisk: error: {path}: ")
    assert error in result.err
    assert path.read_text() == text


def test_the_installed_claude_hook_command_runs(git_repo, tmp_path: Path) -> None:
    """The command written into the settings, run by a shell as Claude Code runs it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "changerisk"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m changerisk.cli.main "$@"\n')
    script.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["/bin/sh", "-c", "changerisk guard --agent claude || exit 2"],
        input=_payload("claude_bash.json", git_repo.path),
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    missing = subprocess.run(
        ["/bin/sh", "-c", "changerisk guard --agent claude || exit 2"],
        input=b"{}",
        capture_output=True,
        env={"PATH": "/nonexistent", "HOME": str(tmp_path)},
        check=False,
        timeout=60,
    )
    assert missing.returncode == 2  # no changerisk at all: the agent blocks


@pytest.mark.parametrize(
    ("agent", "example", "target"),
    [
        ("claude", "claude-settings.json", ".claude/settings.json"),
        ("gemini", "gemini-settings.json", ".gemini/settings.json"),
        ("cursor", "cursor-hooks.json", ".cursor/hooks.json"),
    ],
)
def test_the_examples_are_what_install_writes(run_cli, git_repo, agent, example, target) -> None:
    examples = Path(__file__).parent.parent.parent / "examples" / "agents"
    assert run_cli("install-agent-hook", "--agent", agent).code == 0
    assert _settings(git_repo.path / target) == _settings(examples / example)


def test_the_example_guard_config_loads() -> None:
    from changerisk.config import load_config

    path = Path(__file__).parent.parent.parent / "examples" / "agents" / "guard.changerisk.toml"
    config = load_config(path)
    assert config.guard.deny[0] == "terraform destroy*"
    assert config.guard.audit_log == str(path.parent.resolve() / ".changerisk/guard.jsonl")
