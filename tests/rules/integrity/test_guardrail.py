"""INT105 (config weakened, old against new) and INT106 (the gate that runs changerisk)."""

import difflib
from typing import Any

from changerisk.config import parse_config
from changerisk.testing import run_diff


def diff(path: str, old: str | None, new: str | None) -> str:
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    elif new is None:
        head += f"deleted file mode 100644\n--- a/{path}\n+++ /dev/null\n"
    else:
        head += f"--- a/{path}\n+++ b/{path}\n"
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=1000
    )
    return head + "\n".join(list(lines)[2:]) + "\n"


def check(
    path: str, old: str | None, new: str | None, select: str = "INT105", **kw: Any
) -> set[Any]:
    report = run_diff(diff(path, old, new), select=[select], **kw)
    return {(f.code, f.line, f.side, f.severity.label, f.message) for f in report.findings}


CONFIG = """\
fail-on = "high"
ignore = []

[per-path-ignores]
"examples/**" = ["SH"]

[[critical-paths]]
paths = ["services/payments/"]
severity = "critical"
"""


def test_each_weakening_is_named_on_its_line() -> None:
    new = (
        CONFIG.replace('"high"', '"critical"')
        .replace("ignore = []", 'ignore = ["IAM101"]')
        .replace('["SH"]', '["SH", "TF"]')
        .replace('severity = "critical"', 'severity = "medium"')
    )
    assert check(".changerisk.toml", CONFIG, new) == {
        (
            "INT105",
            1,
            "new",
            "high",
            "raises fail-on from high to critical: changes below critical no longer fail the check",
        ),
        ("INT105", 2, "new", "high", "ignores IAM101: those rules no longer run"),
        ("INT105", 5, "new", "high", "ignores TF on examples/**"),
        (
            "INT105",
            9,
            "new",
            "high",
            "lowers critical path services/payments/ from critical to medium",
        ),
    }


def test_pyproject_table_and_deleted_config() -> None:
    old = "[project]\nname = 'x'\n\n[tool.changerisk]\nselect = []\n"
    new = old.replace("select = []", 'select = ["TF", "K8S"]')
    assert check("pyproject.toml", old, new) == {
        ("INT105", 5, "new", "high", "narrows select: every rule outside TF, K8S no longer run"),
    }
    found = check(".changerisk.toml", CONFIG, None)
    assert {(c, sev) for c, _, _, sev, _ in found} == {("INT105", "high")}
    assert any("drops critical path services/payments/" in m for *_, m in found)


def test_tightening_is_quiet_and_int103_drops_to_info() -> None:
    new = CONFIG.replace('"high"', '"medium"').replace('["SH"]', "[]")
    assert check(".changerisk.toml", CONFIG, new) == set()
    assert check(".changerisk.toml", CONFIG, new, select="INT103") == {
        (
            "INT103",
            1,
            "new",
            "info",
            "changes the changerisk configuration (modified .changerisk.toml)",
        ),
    }


PRECOMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.0
    hooks:
      - id: ruff
  - repo: local
    hooks:
      - id: changerisk
        name: changerisk
        entry: changerisk check --staged
        language: system
        pass_filenames: false
"""


def test_pre_commit_hook_removed_or_made_manual() -> None:
    removed = PRECOMMIT.split("  - repo: local")[0]
    assert check(".pre-commit-config.yaml", PRECOMMIT, removed, "INT106") == {
        (
            "INT106",
            8,
            "old",
            "high",
            "removes the changerisk pre-commit hook, which runs "
            "changerisk: changes are no longer checked there",
        ),
    }
    manual = PRECOMMIT + "        stages: [manual]\n"
    assert check(".pre-commit-config.yaml", PRECOMMIT, manual, "INT106") == {
        (
            "INT106",
            13,
            "new",
            "high",
            "the changerisk pre-commit hook runs changerisk, but now "
            "it runs only when called by hand (stages: [manual]): the check no longer blocks",
        ),
    }


def test_pre_commit_unrelated_edit_is_quiet() -> None:
    assert (
        check(".pre-commit-config.yaml", PRECOMMIT, PRECOMMIT.replace("v0.6.0", "v0.7.0"), "INT106")
        == set()
    )


WORKFLOW = """\
on: pull_request
jobs:
  risk:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: risk
        run: changerisk check --base origin/main
"""


def test_workflow_step_made_unable_to_fail() -> None:
    new = WORKFLOW.replace("origin/main", "origin/main || true")
    assert check(".github/workflows/risk.yml", WORKFLOW, new, "INT106") == {
        (
            "INT106",
            8,
            "new",
            "high",
            "step 'risk' of job risk runs changerisk, but now its "
            "failure is ignored (|| true): the check no longer blocks",
        ),
    }
    new = WORKFLOW.replace("origin/main", "origin/main --fail-on none")
    assert {m for *_, m in check(".github/workflows/risk.yml", WORKFLOW, new, "INT106")} == {
        "step 'risk' of job risk runs changerisk, but now it fails only at none: the check no "
        "longer blocks"
    }


def test_workflow_step_removed_or_renamed() -> None:
    removed = WORKFLOW.split("      - name: risk")[0]
    assert {
        (c, line, side)
        for c, line, side, _, _ in check(".github/workflows/risk.yml", WORKFLOW, removed, "INT106")
    } == {("INT106", 7, "old")}
    renamed = WORKFLOW.replace("name: risk", "name: change risk")
    assert check(".github/workflows/risk.yml", WORKFLOW, renamed, "INT106") == set()


def test_gitlab_job_allowed_to_fail_and_configured_wrapper() -> None:
    old = "risk:\n  stage: test\n  script:\n    - make risk\n"
    new = old + "  allow_failure: true\n"
    config = parse_config({"integrity": {"gate-commands": ["make risk"]}})
    assert check(".gitlab-ci.yml", old, new, "INT106", config=config) == {
        (
            "INT106",
            5,
            "new",
            "high",
            "job risk runs changerisk, but now the job may fail "
            "(allow_failure: true): the check no longer blocks",
        ),
    }
    assert check(".gitlab-ci.yml", old, new, "INT106") == set()
