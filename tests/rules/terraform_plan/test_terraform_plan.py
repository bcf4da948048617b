"""TF301/TF302 on plans: real ones made by the terraform CLI, and fixtures per format version."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from changerisk.rules.terraform_plan import RULES
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.errors import InputError
from changerisk.testing import found, run_plan

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="the terraform CLI is not installed")

BEFORE = """\
resource "terraform_data" "database" {
  input = "orders"
}

resource "terraform_data" "cache" {
  triggers_replace = ["v1"]
}

resource "terraform_data" "legacy" {
  input = "old"
}

resource "terraform_data" "keep" {
  input = "same"
}
"""

AFTER = """\
resource "terraform_data" "cache" {
  triggers_replace = ["v2"]
}

removed {
  from = terraform_data.legacy
  lifecycle {
    destroy = false
  }
}

resource "terraform_data" "keep" {
  input = "same"
}
"""


def _terraform(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
    }
    result = subprocess.run(
        [TERRAFORM or "terraform", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def real_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tf")
    (folder / "main.tf").write_text(BEFORE)
    _terraform(folder, "init", "-input=false", "-no-color")
    _terraform(folder, "apply", "-auto-approve", "-input=false", "-no-color")
    (folder / "main.tf").write_text(AFTER)
    _terraform(folder, "plan", "-out=tfplan", "-input=false", "-no-color")
    text = _terraform(folder, "show", "-json", "tfplan")
    plan = folder / "plan.json"
    plan.write_text(json.dumps(json.loads(text), indent=2))  # pretty, so lines mean something
    (folder / "plan.min.json").write_text(text)
    return folder


@needs_terraform
def test_real_plan_delete_replace_and_forget(real_plan: Path) -> None:
    report = run_plan((real_plan / "plan.json").read_text(), rules=RULES)
    by_code = {f.code: f for f in report.findings}
    assert sorted(by_code) == ["TF301", "TF302"]  # the forgotten resource is no finding
    assert by_code["TF301"].message == (
        "destroys terraform_data.database because its block is gone from the configuration"
    )
    assert by_code["TF301"].severity.label == "low"  # terraform_data holds nothing
    assert by_code["TF302"].message == (
        "replaces terraform_data.cache: changing `triggers_replace` forces a new object "
        "(destroy first, then create)"
    )
    lines = (real_plan / "plan.json").read_text().split("\n")
    for finding in report.findings:
        address = finding.message.split()[1].rstrip(":")
        assert f'"address": "{address}"' in lines[finding.line - 1]


@needs_terraform
def test_real_plan_one_line_json_and_cli(
    real_plan: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(real_plan)
    result = run_cli("check", "--plan", "plan.min.json", "--format", "json")
    assert result.code == 0, result.err  # terraform_data: low severity only
    assert {(f["code"], f["path"], f["line"]) for f in result.json()["findings"]} == {
        ("TF301", "plan.min.json", 1),
        ("TF302", "plan.min.json", 1),
    }
    result = run_cli("check", "--plan", "tfplan")
    assert result.code == 2
    assert result.err.strip().endswith(
        "tfplan: a binary plan file; give its JSON: terraform show -json tfplan > plan.json"
    )


def _plan(version: str, *entries: dict[str, Any]) -> str:
    return json.dumps(
        {"format_version": version, "terraform_version": "x", "resource_changes": list(entries)},
        indent=2,
    )


def _entry(address: str, actions: list[str], **extra: Any) -> dict[str, Any]:
    rtype, name = address.rsplit(".", 2)[-2:]
    change: dict[str, Any] = {"actions": actions, "before": {"address": "10.0.0.1"}, "after": None}
    change.update(extra.pop("change", {}))
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": change,
        **extra,
    }


@pytest.mark.parametrize("version", ["0.1", "0.2", "1.0", "1.1", "1.2"])
def test_every_format_version(version: str) -> None:
    plan = _plan(
        version,
        _entry("aws_eip.ip", ["no-op"]),
        _entry("module.db.aws_db_instance.main", ["delete"]),
        _entry("aws_s3_bucket.logs", ["create", "delete"]),
    )
    report = run_plan(plan, rules=RULES)
    assert found(report) == {("TF301", "plan.json", 21), ("TF302", "plan.json", 36)}
    db = next(f for f in report.findings if f.code == "TF301")
    assert db.message == "destroys module.db.aws_db_instance.main: the data it holds is lost"
    assert db.severity.label == "critical"
    bucket = next(f for f in report.findings if f.code == "TF302")
    assert bucket.message == (
        "replaces aws_s3_bucket.logs: the plan makes a new, empty bucket; the data in the old "
        "one is lost unless restored from a backup (create first, then destroy)"
    )


def test_replace_paths_and_reasons() -> None:
    plan = _plan(
        "1.2",
        _entry(
            "aws_db_instance.orders",
            ["delete", "create"],
            change={"replace_paths": [["identifier"], ["availability_zone"]]},
            action_reason="replace_because_cannot_update",
        ),
        _entry("aws_instance.web", ["delete", "create"], action_reason="replace_because_tainted"),
        _entry("aws_instance.old", ["delete"], action_reason="delete_because_each_key"),
    )
    messages = sorted(f.message for f in run_plan(plan, rules=RULES).findings)
    assert messages == [
        "destroys aws_instance.old because its for_each key is gone",
        "replaces aws_db_instance.orders: changing `identifier`, `availability_zone` forces a "
        "new, empty database; the data in the old one is lost unless restored from a backup "
        "(destroy first, then create)",
        "replaces aws_instance.web: it is tainted; the plan makes a new instance (destroy first, "
        "then create)",
    ]


@pytest.mark.parametrize(
    "entry",
    [
        _entry("aws_db_instance.main", ["update"]),
        _entry("aws_db_instance.main", ["create"]),
        _entry("aws_db_instance.main", ["forget"]),
        _entry("aws_db_instance.main", ["no-op"], previous_address="aws_db_instance.old"),
        _entry("aws_db_instance.main", ["read"]),
        {**_entry("data.aws_ami.latest", ["delete"]), "mode": "data"},
    ],
    ids=["update", "create", "forget", "moved", "read", "data-source"],
)
def test_quiet_actions(entry: dict[str, Any]) -> None:
    assert run_plan(_plan("1.2", entry), rules=RULES).findings == ()


def test_no_changes() -> None:
    assert (
        run_plan(json.dumps({"format_version": "1.2", "planned_values": {}}), rules=RULES).findings
        == ()
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", "plan.json: not a JSON plan: "),
        ("[]", "plan.json: not a Terraform plan (expected a JSON object)"),
        ('{"resource_changes": []}', "plan.json: not a Terraform plan (no format_version)"),
        (
            '{"format_version": "2.0", "resource_changes": []}',
            "plan.json: unsupported plan format_version '2.0'",
        ),
        (
            '{"format_version": "1.0", "values": {}}',
            "plan.json: this is a Terraform state, not a plan",
        ),
        (
            '{"format_version": "1.2", "resource_changes": [{"change": {}}]}',
            "plan.json: resource_changes[0] has no address",
        ),
        (
            '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": "delete"}}]}',
            "plan.json: resource_changes[0] (a.b) has no actions",
        ),
    ],
)
def test_not_a_plan(text: str, error: str) -> None:
    with pytest.raises(InputError) as caught:
        run_plan(text, rules=RULES)
    assert str(caught.value).startswith(error)


def test_cli_errors_are_one_line(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "state.json").write_text('{"format_version": "1.0", "values": {}}')
    (tmp_path / "latin1.json").write_bytes(b'{"format_version": "1.0", "x": "\xe9"}')
    for name, words in [
        ("missing.json", "missing.json: no such plan file"),
        ("state.json", "state.json: this is a Terraform state, not a plan"),
        ("latin1.json", "latin1.json: not UTF-8"),
    ]:
        result = run_cli("check", "--plan", name)
        assert (
            result.code == 2 and words in result.err and len(result.err.strip().splitlines()) == 1
        )


def test_plan_with_a_diff(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit(files={"infra/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'})
    git_repo.write("infra/main.tf", "")
    plan = git_repo.path / "plan.json"
    plan.write_text(_plan("1.2", _entry("aws_s3_bucket.b", ["delete"])))
    git_repo.stage("infra/main.tf")
    result = run_cli("check", "--staged", "--plan", str(plan), "--format", "json")
    codes = sorted(f["code"] for f in result.json()["findings"])
    assert codes == ["TF101", "TF301"] and result.code == 1
    alone = run_cli("check", "--plan", str(plan), "--format", "json")  # the plan only
    assert [f["code"] for f in alone.json()["findings"]] == ["TF301"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["address", "change", "actions", "mode", "type", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["format_version", "resource_changes", "planned_values"]), json_values
    )
)
def test_any_json_is_a_plan_or_an_input_error(data: dict[str, Any]) -> None:
    for text in (json.dumps(data), json.dumps(data, indent=1)):
        try:
            run_plan(text, rules=RULES)
        except InputError as exc:
            assert "\n" not in str(exc)
