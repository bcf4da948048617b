"""The agent guard: payloads of each agent, the command table, file writes, the fail mode."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changerisk import audit
from changerisk.actions import COMMAND_PATH
from changerisk.agents import detect, load_payload, parse_payload
from changerisk.config import Config, GuardPolicy, parse_config
from changerisk.diff import hunks_between
from changerisk.errors import InputError
from changerisk.guard import ALLOW, ASK, DENY, Action, Request, evaluate, guarded
from changerisk.model import Category, FileChange, Finding, Severity, reconstruct
from changerisk.registry import all_rules
from changerisk.rule import Rule

FIXTURES = Path(__file__).parent / "fixtures" / "agents"
DB_TF = """resource "aws_db_instance" "orders" {
  identifier = "orders"
  engine     = "postgres"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
"""
DEFAULTS = Config()

# --- the command table ---------------------------------------------------------------------

COMMANDS = [
    # destructive, recreate: deny or ask by the default policy (ask from medium, deny critical)
    ("terraform destroy -auto-approve", DENY, {"SH101"}),
    ("kubectl delete ns payments --context prod", DENY, {"SH103"}),
    (
        "aws rds delete-db-instance --db-instance-identifier orders --skip-final-snapshot",
        DENY,
        {"SH104"},
    ),
    ("dropdb prod", DENY, {"SH106"}),
    ("git push --force origin main", ASK, {"SH108"}),
    ("terraform destroy && terraform apply -auto-approve", DENY, {"SH101", "SH102", "SH201"}),
    ("kubectl delete namespace payments", ASK, {"SH103"}),
    ("terraform apply -auto-approve", ASK, {"SH102"}),
    # near misses
    ("kubectl delete pod x", ALLOW, set()),
    ("terraform plan", ALLOW, set()),
    ("rm -rf build/", ALLOW, set()),
    ('echo "terraform destroy"', ALLOW, set()),
    ("grep destroy *.tf", ALLOW, set()),
    ("git push --force-with-lease origin feature/x", ALLOW, set()),
    ("terraform plan -destroy -out=destroy.tfplan", ALLOW, set()),
    ("dropdb app_test", ALLOW, set()),
]


def _command(text: str, cwd: str) -> Request:
    return Request(agent="claude", action=Action(command=text), cwd=cwd)


@pytest.mark.parametrize(("command", "verdict", "codes"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command_table(command: str, verdict: str, codes: set[str], tmp_path: Path) -> None:
    decision = evaluate(_command(command, str(tmp_path)), DEFAULTS)
    assert decision.verdict == verdict
    assert {f.code for f in decision.findings} == codes
    assert all(f.path == COMMAND_PATH and f.line == 1 for f in decision.findings)


def _payload(agent: str, command: str, cwd: Path) -> bytes:
    name = {
        "claude": "claude_bash.json",
        "gemini": "gemini_shell.json",
        "cursor": "cursor_before_shell.json",
    }[agent]
    data = json.loads((FIXTURES / name).read_text())
    data["cwd"] = str(cwd)
    if agent == "cursor":
        data["command"] = command
    else:
        data["tool_input"]["command"] = command
    return json.dumps(data).encode()


def _answer(agent: str, command: str, cwd: Path, style: str = "json") -> tuple[int, str, str]:
    from changerisk.agents import adapter

    name, request = parse_payload(_payload(agent, command, cwd))
    assert name == agent
    response = adapter(agent).respond(request, evaluate(request, DEFAULTS), style)
    return response.exit_code, response.stdout, response.stderr


@pytest.mark.parametrize(("command", "verdict", "codes"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command_table_in_each_protocol(
    command: str, verdict: str, codes: set[str], tmp_path: Path
) -> None:
    # Claude Code, JSON: ask and deny as permissionDecision; allow prints nothing, so Claude
    # Code's own permission rules still apply
    code, out, err = _answer("claude", command, tmp_path)
    assert code == 0
    if verdict == ALLOW:
        assert out == ""
    else:
        decision = json.loads(out)["hookSpecificOutput"]
        assert decision["hookEventName"] == "PreToolUse"
        assert decision["permissionDecision"] == verdict
        assert all(c in decision["permissionDecisionReason"] for c in codes)
    # Claude Code, exit-code style: exit 2 and the reason on stderr blocks
    code, out, err = _answer("claude", command, tmp_path, style="exit-code")
    assert (code, out) == ((0, "") if verdict == ALLOW else (2, ""))
    assert all(c in err for c in codes)
    # Gemini CLI: only allow and deny exist; ask is a deny that says a person must approve
    code, out, err = _answer("gemini", command, tmp_path)
    assert code == 0
    answer = json.loads(out)
    if verdict == ALLOW:
        assert answer == {}
    else:
        assert answer["decision"] == "deny"
        assert ("cannot ask" in answer["reason"]) == (verdict == ASK)
    code, out, err = _answer("gemini", command, tmp_path, style="exit-code")
    assert code == (0 if verdict == ALLOW else 2)
    # Cursor: permission with a message for the person and one for the agent
    code, out, err = _answer("cursor", command, tmp_path)
    answer = json.loads(out)
    assert (code, answer["permission"]) == (0, verdict)
    if verdict != ALLOW:
        assert answer["user_message"] == answer["agent_message"] == answer["agentMessage"]


def test_reason_names_the_object_the_tier_and_what_to_do(tmp_path: Path) -> None:
    decision = evaluate(
        _command("kubectl delete ns payments --context prod", str(tmp_path)), DEFAULTS
    )
    assert decision.message == (
        "changerisk blocked this command (risk critical; review tier senior + owner). Why: "
        "SH103 critical: deletes Kubernetes namespace payments in context prod and every object "
        "in it. Safer: delete the objects you mean to remove by name, or have a person delete "
        "the namespace after checking what it holds. Do not retry it or reach the same result "
        "another way: tell the user what you meant to do and why, and leave it to a person "
        "(senior + owner review) to do."
    )
    assert decision.reasons == (
        "SH103 critical: deletes Kubernetes namespace payments in context prod and every "
        "object in it",
    )


def test_ask_asks_for_the_tier_of_an_ai_assisted_change(tmp_path: Path) -> None:
    decision = evaluate(_command("terraform apply -auto-approve", str(tmp_path)), DEFAULTS)
    # medium risk maps to peer, but an agent's change at medium needs a senior (AI policy)
    assert (decision.verdict, decision.level, decision.tier) == (ASK, "medium", "senior")
    assert decision.message.endswith("Approve only after a senior review.")


# --- policy --------------------------------------------------------------------------------


def test_thresholds_and_deny_list_are_configurable(tmp_path: Path) -> None:
    strict = parse_config({"guard": {"ask-at": "low", "deny-at": "high"}})
    assert evaluate(_command("git push --force origin main", str(tmp_path)), strict).verdict == DENY
    relaxed = parse_config({"guard": {"ask-at": "critical", "deny-at": "critical"}})
    assert (
        evaluate(_command("git push --force origin main", str(tmp_path)), relaxed).verdict == ALLOW
    )
    listed = parse_config({"guard": {"deny": ["terraform destroy*", "kubectl delete pod *"]}})
    decision = evaluate(_command("sudo kubectl delete pod web-1", str(tmp_path)), listed)
    assert decision.verdict == DENY
    assert decision.reasons == ("matches the deny pattern 'kubectl delete pod *' ([guard] deny)",)
    assert "deny pattern 'kubectl delete pod *'" in decision.message
    # a pattern matches commands as the shell runs them, not text that mentions them
    assert evaluate(_command('echo "terraform destroy"', str(tmp_path)), listed).verdict == ALLOW


def test_a_command_cannot_carry_its_own_suppression(tmp_path: Path) -> None:
    command = "terraform destroy -auto-approve  # changerisk: ignore[SH101] approved by ops"
    decision = evaluate(_command(command, str(tmp_path)), DEFAULTS)
    assert decision.verdict == DENY
    assert "SH101" in {f.code for f in decision.findings}


def test_a_tool_the_guard_does_not_check_is_allowed() -> None:
    payload = json.loads((FIXTURES / "claude_bash.json").read_text())
    payload.update(tool_name="Read", tool_input={"file_path": "/etc/hosts"})
    _, request = parse_payload(json.dumps(payload).encode())
    assert request.action is None
    assert evaluate(request, DEFAULTS).verdict == ALLOW


# --- payloads ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "agent", "tool", "kind"),
    [
        ("claude_bash.json", "claude", "Bash", "command"),
        ("claude_write.json", "claude", "Write", "write"),
        ("claude_edit.json", "claude", "Edit", "edit"),
        ("claude_multiedit.json", "claude", "MultiEdit", "edit"),
        ("gemini_shell.json", "gemini", "run_shell_command", "command"),
        ("gemini_write_file.json", "gemini", "write_file", "write"),
        ("gemini_replace.json", "gemini", "replace", "edit"),
        ("cursor_before_shell.json", "cursor", "shell", "command"),
        ("cursor_after_file_edit.json", "cursor", "edit", "edit"),
    ],
)
def test_payload_fixtures_are_detected_and_read(
    fixture: str, agent: str, tool: str, kind: str
) -> None:
    name, request = parse_payload((FIXTURES / fixture).read_bytes())
    assert (name, request.agent, request.tool, request.cwd) == (
        agent,
        agent,
        tool,
        "/home/dev/shop",
    )
    action = request.action
    assert action is not None
    if kind == "command":
        assert action.command == "terraform destroy -auto-approve"
    elif kind == "write":
        assert (action.path, action.edits) == ("/home/dev/shop/infra/db.tf", ())
        assert action.content is not None and "aws_s3_bucket" in action.content
    else:
        assert action.path == "/home/dev/shop/infra/db.tf" and action.edits
    assert action.done == (fixture == "cursor_after_file_edit.json")


def test_payload_without_event_name_is_known_by_its_shape() -> None:
    payload = json.loads((FIXTURES / "claude_bash.json").read_text())
    del payload["hook_event_name"]
    assert detect(payload) == "claude"
    cursor = json.loads((FIXTURES / "cursor_before_shell.json").read_text())
    del cursor["hook_event_name"]
    assert detect(cursor) == "cursor"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "no hook payload"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object but a list"),
        (b'{"hook_event_name": "SessionStart"}', "unknown hook payload (event 'SessionStart')"),
        (b'{"foo": 1}', "unknown hook payload (keys foo)"),
        (
            b'{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {}}',
            "tool_input.command is missing, not a string",
        ),
        (
            b'{"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": []}',
            "tool_input is a list, not an object",
        ),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_unreadable_payloads_are_clear_errors(data: bytes, error: str) -> None:
    with pytest.raises(InputError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_payload(data)


@given(st.binary(max_size=300))
def test_any_bytes_give_a_request_or_an_input_error(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_payload(data)


@given(
    st.dictionaries(
        st.sampled_from(["hook_event_name", "tool_name", "tool_input", "command", "cwd", "edits"]),
        st.one_of(
            st.none(),
            st.text(max_size=20),
            st.integers(),
            st.lists(st.text(max_size=5), max_size=2),
            st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
            st.sampled_from(["PreToolUse", "BeforeTool", "afterFileEdit", "Bash", "write_file"]),
        ),
    )
)
def test_any_json_object_gives_a_request_or_an_input_error(payload: dict[str, object]) -> None:
    try:
        load_payload(json.dumps(payload).encode())
        parse_payload(json.dumps(payload).encode())
    except InputError:
        pass


# --- file writes ---------------------------------------------------------------------------


@pytest.fixture
def shop(git_repo) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    git_repo.commit("base", {"infra/db.tf": DB_TF})
    yield git_repo.path


def _from_fixture(name: str, root: Path, **changes: object) -> Request:
    text = (FIXTURES / name).read_text().replace("/home/dev/shop", str(root))
    data = json.loads(text)
    data.update(changes)
    return parse_payload(json.dumps(data).encode())[1]


@pytest.mark.parametrize("fixture", ["claude_write.json", "gemini_write_file.json"])
def test_a_write_that_removes_a_database_is_denied(fixture: str, shop: Path) -> None:
    decision = evaluate(_from_fixture(fixture, shop), DEFAULTS)
    assert decision.verdict == DENY
    assert [(f.code, f.path, f.line, f.side) for f in decision.findings] == [
        ("TF101", "infra/db.tf", 1, "old")
    ]
    assert decision.message.startswith(
        "changerisk blocked this write to infra/db.tf (risk critical; review tier senior + owner). "
        "Why: TF101 critical: destroys aws_db_instance.orders on the next apply: the data it "
        "holds is lost (infra/db.tf:1)."
    )


def test_a_write_that_adds_a_database_is_allowed(shop: Path) -> None:
    content = DB_TF + '\nresource "aws_db_instance" "reports" {\n  engine = "postgres"\n}\n'
    request = Request("claude", Action(path=str(shop / "infra/db.tf"), content=content), str(shop))
    decision = evaluate(request, DEFAULTS)
    assert (decision.verdict, decision.findings) == (ALLOW, ())
    new_file = Request(
        "claude",
        Action(path="infra/reports.tf", content='resource "aws_db_instance" "r" {}\n'),
        str(shop),
    )
    assert evaluate(new_file, DEFAULTS).verdict == ALLOW


def test_a_resource_moved_to_a_file_already_written_is_no_destroy(shop: Path) -> None:
    (shop / "infra/orders.tf").write_text(DB_TF.split("\n\n")[0] + "\n")
    remaining = DB_TF.split("\n\n")[1]
    request = Request("claude", Action(path="infra/db.tf", content=remaining), str(shop))
    decision = evaluate(request, DEFAULTS)
    assert (decision.verdict, decision.findings) == (ALLOW, ())
    # the same write without the other file destroys the database
    (shop / "infra/orders.tf").unlink()
    assert evaluate(request, DEFAULTS).verdict == DENY


@pytest.mark.parametrize("fixture", ["claude_edit.json", "gemini_replace.json"])
def test_an_edit_that_skips_the_final_snapshot_asks(fixture: str, shop: Path) -> None:
    decision = evaluate(_from_fixture(fixture, shop), DEFAULTS)
    assert decision.verdict == ASK
    assert [(f.code, f.path, f.line) for f in decision.findings] == [("TF104", "infra/db.tf", 4)]


def test_a_multiedit_renaming_a_bucket_is_denied(shop: Path) -> None:
    decision = evaluate(_from_fixture("claude_multiedit.json", shop), DEFAULTS)
    assert decision.verdict == DENY
    assert [(f.code, f.path, f.line) for f in decision.findings] == [("TF103", "infra/db.tf", 7)]


def test_cursor_after_file_edit_rebuilds_the_text_before_and_reports(shop: Path) -> None:
    from changerisk.agents import adapter

    on_disk = DB_TF.replace(
        '  engine     = "postgres"\n', '  engine     = "postgres"\n  skip_final_snapshot = true\n'
    )
    (shop / "infra/db.tf").write_text(on_disk)
    request = _from_fixture("cursor_after_file_edit.json", shop)
    decision = evaluate(request, DEFAULTS)
    assert (decision.verdict, [f.code for f in decision.findings]) == (ASK, ["TF104"])
    response = adapter("cursor").respond(request, decision)
    assert (response.exit_code, response.stdout) == (0, "{}\n")  # this hook cannot block
    assert "TF104" in response.stderr


def test_an_edit_that_does_not_apply_changes_nothing(shop: Path) -> None:
    request = _from_fixture(
        "claude_edit.json",
        shop,
        tool_input={
            "file_path": str(shop / "infra/db.tf"),
            "old_string": "not in the file",
            "new_string": "x",
        },
    )
    decision = evaluate(request, DEFAULTS)
    assert decision.verdict == ALLOW
    assert decision.notes == (
        "the edit does not apply to infra/db.tf as it is on disk: nothing changes",
    )


def test_a_write_in_a_test_folder_is_lowered_as_in_check(shop: Path) -> None:
    (shop / "tests/fixtures").mkdir(parents=True)
    (shop / "tests/fixtures/db.tf").write_text(DB_TF)
    content = DB_TF.split("\n\n")[1]
    request = Request("claude", Action(path="tests/fixtures/db.tf", content=content), str(shop))
    decision = evaluate(request, DEFAULTS)
    assert decision.verdict == ASK  # critical, lowered one level for a non-production path
    assert decision.findings[0].adjustments == ("non-production path: lowered one level",)


def test_a_file_that_is_not_utf8_cannot_be_checked(shop: Path) -> None:
    (shop / "infra/blob.tf").write_bytes(b"\xff\xfe\x00")
    request = Request("claude", Action(path="infra/blob.tf", content="x = 1\n"), str(shop))
    decision = guarded(request, DEFAULTS)
    assert decision.verdict == DENY
    assert "not UTF-8" in decision.error


def test_the_config_of_the_repository_applies(shop: Path) -> None:
    (shop / ".changerisk.toml").write_text('[guard]\ndeny-at = "high"\nask-at = "high"\n')
    from changerisk.guard import config_for

    request = _from_fixture("claude_edit.json", shop)
    config = config_for(request)
    assert config.guard.deny_at is Severity.HIGH
    assert evaluate(request, config).verdict == DENY


# --- fail closed ---------------------------------------------------------------------------


class Crashes(Rule):
    """A rule that raises."""

    code = "ZZ901"
    name = "crashes"
    category = Category.DESTRUCTIVE
    severity = Severity.LOW
    formats = frozenset({"shell"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        raise KeyError("type")


class Sleeps(Crashes):
    """A rule that takes too long."""

    code = "ZZ902"

    def check(self, change: FileChange) -> Iterator[Finding]:
        time.sleep(2)
        return iter(())


def test_a_crashing_rule_blocks_with_its_reason(tmp_path: Path) -> None:
    decision = guarded(_command("ls", str(tmp_path)), DEFAULTS, rules=[Crashes])
    assert decision.verdict == DENY
    assert (
        decision.error == "rule ZZ901 crashed on <command>: KeyError: 'type' (--debug for details)"
    )
    assert decision.message.startswith("changerisk could not check this (rule ZZ901 crashed")
    assert 'fail-mode "closed"' in decision.message


def test_a_timeout_blocks_with_its_reason(tmp_path: Path) -> None:
    started = time.perf_counter()
    decision = guarded(_command("ls", str(tmp_path)), DEFAULTS, timeout=0.2, rules=[Sleeps])
    assert time.perf_counter() - started < 1.5
    assert decision.verdict == DENY
    assert decision.error == "the check took longer than 0.2 s"


def test_fail_open_allows_with_a_warning(tmp_path: Path) -> None:
    config = Config(guard=GuardPolicy(fail_mode="open"))
    decision = guarded(_command("ls", str(tmp_path)), config, rules=[Crashes])
    assert decision.verdict == ALLOW
    assert 'allowed because [guard] fail-mode is "open"' in decision.message


def test_guarded_gives_the_same_decision_as_evaluate(tmp_path: Path) -> None:
    request = _command("terraform destroy -auto-approve", str(tmp_path))
    assert guarded(request, DEFAULTS).verdict == evaluate(request, DEFAULTS).verdict == DENY
    assert all(r.code for r in all_rules())


# --- audit log -----------------------------------------------------------------------------


def test_audit_log_appends_one_json_line_per_decision(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "guard.jsonl"
    request = Request(
        "claude", Action(command="dropdb prod"), str(tmp_path), "PreToolUse", "Bash", "s1"
    )
    decision = evaluate(request, DEFAULTS)
    audit.append(str(log), audit.record(request, decision))
    audit.append(str(log), audit.record(request, decision))
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    entry = json.loads(lines[0])
    assert {k: entry[k] for k in ("agent", "event", "tool", "session", "command")} == {
        "agent": "claude",
        "event": "PreToolUse",
        "tool": "Bash",
        "session": "s1",
        "command": "dropdb prod",
    }
    assert (entry["level"], entry["decision"], entry["codes"]) == ("critical", DENY, ["SH106"])
    assert entry["reasons"] == [
        "SH106 critical: drops PostgreSQL database prod: every table and row in it is deleted"
    ]
    assert entry["schema"] == "changerisk-guard/1" and entry["time"]


# --- the diff of a write -------------------------------------------------------------------


@given(st.lists(st.sampled_from(["a", "b", "c", "", "d e"]), max_size=12), st.data())
def test_hunks_between_rebuild_both_sides(old_lines: list[str], data: st.DataObject) -> None:
    new_lines = data.draw(st.lists(st.sampled_from(["a", "b", "x", ""]), max_size=12))
    old = "".join(f"{line}\n" for line in old_lines)
    new = "".join(f"{line}\n" for line in new_lines)
    hunks = hunks_between(old, new, context=10**6)
    if old == new:
        assert hunks == ()
        return
    assert reconstruct(hunks, "old") == old
    assert reconstruct(hunks, "new") == new
    for hunk in hunks:
        for line in hunk.removed:
            assert line.anchor >= 1


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        (
            ".changerisk.toml",
            '[guard]\nfail-mode = "open"\n',
            "edits the changerisk configuration or gate in .changerisk.toml: a person decides that",
        ),
        (
            ".claude/settings.json",
            "{}\n",
            "edits the agent hook settings .claude/settings.json: the agent must not change its "
            "own guard",
        ),
    ],
)
def test_an_agent_editing_its_own_guardrail_is_asked(
    shop: Path, path: str, content: str, reason: str
) -> None:
    decision = evaluate(Request("claude", Action(path=path, content=content), str(shop)), DEFAULTS)
    assert decision.verdict == ASK
    assert decision.reasons[-1] == reason
    assert decision.message.endswith(f"Approve only after a review. It {reason}.")
