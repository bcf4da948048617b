"""Sign-off end to end in real git repositories: a team file, CODEOWNERS, authors and trailers
in the commits, a GitHub event file, review JSON, `check --approvals` and `describe`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest

if TYPE_CHECKING:
    from conftest import GitRepo

CONFIG = """\
[team]
levels = ["junior", "mid", "senior", "principal"]

[team.people]
"dev@acme.io" = { level = "mid", aliases = ["@dev"] }
"@lead" = { level = "senior", aliases = ["lead@acme.io"] }
"@cto" = "principal"
"@pay" = "mid"

[[critical-paths]]
paths = ["services/payments/"]
severity = "high"
description = "payment processing"
"""
CHARGE = "def charge(amount):\n    return gateway.charge(amount)\n"
FILLED = """\
## Production impact
Card charges no longer retry on gateway timeouts.

## Blast radius
Payments only: checkout shows an error instead of a late charge.

## Rollback
Revert this pull request; no data or state changes.

## Testing
Unit tests, and a staging run against the gateway sandbox.
"""
SCHEMA = json.loads(resources.files("changerisk").joinpath("data/report.schema.json").read_text())


def review(login: str, state: str, commit: str, at: str, rid: int) -> dict:
    """A review as GitHub's REST API lists them for a pull request."""
    return {
        "id": rid,
        "node_id": f"PRR_{rid}",
        "user": {"login": login, "id": 1000 + rid, "type": "User", "site_admin": False},
        "body": "",
        "state": state,
        "html_url": f"https://github.com/acme/shop/pull/12#pullrequestreview-{rid}",
        "pull_request_url": "https://api.github.com/repos/acme/shop/pulls/12",
        "author_association": "MEMBER",
        "_links": {"html": {"href": "h"}, "pull_request": {"href": "p"}},
        "submitted_at": at,
        "commit_id": commit,
    }


@pytest.fixture
def shop(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """main: the payment service, CODEOWNERS and the team file; branch feature: an
    AI-assisted change by dev@acme.io (mid) to the payment service."""
    git_repo.commit(
        "init",
        {
            "services/payments/charge.py": CHARGE,
            ".github/CODEOWNERS": "services/payments/ @lead @pay\n",
            ".changerisk.toml": CONFIG,
        },
    )
    git_repo.git("checkout", "-q", "-b", "feature")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Dev")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "dev@acme.io")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Dev")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "dev@acme.io")
    git_repo.commit(
        "Charge without retry\n\nCo-authored-by: Claude <noreply@anthropic.com>",
        {"services/payments/charge.py": CHARGE.replace("(amount)\n", "(amount, retry=False)\n")},
    )
    return git_repo


def head(repo: GitRepo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


def write(path: Path, data: object) -> str:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_check_names_the_policy_steps(shop: GitRepo, run_cli) -> None:
    run = run_cli("check", "--base", "main", "--format", "json")
    assert run.code == 1  # level high, fail-on high
    report = run.json()
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["tier"] == "senior + owner"
    assert report["ai_assisted"]
    assert report["authors"] == [
        {
            "identity": "dev@acme.io",
            "source": f"author of {head(shop)[:10]}",
            "level": "mid",
            "known": True,
        }
    ]
    assert (
        "tier senior + owner: change touching critical path services/payments/charge.py "
        "→ senior + owner sign-off" in report["reasons"]
    )
    assert (
        "AI-assisted change by a mid-level author (dev@acme.io) at risk high: tier senior "
        "already meets senior" in report["reasons"]
    )
    # the commit message is the description: every section is missing
    pol = [f for f in report["findings"] if f["code"] == "POL101"]
    assert [p["message"] for p in pol] == [
        "the change description (commit messages) lacks production impact, blast radius, "
        "rollback and testing: the senior + owner sign-off needs them"
    ]
    assert report["approvals_checked"] is False
    assert report["missing_approvals"] == []


def test_describe_prints_a_skeleton(shop: GitRepo, run_cli) -> None:
    run = run_cli("describe", "--base", "main")
    assert run.code == 0
    assert run.out.splitlines()[2:] == [
        "## Production impact",
        "",
        "Other findings:",
        "- modified services/payments/charge.py in critical path: payment processing "
        "(`services/payments/charge.py:2`, CRIT101)",
        "",
        "## Blast radius",
        "",
        "- Risk **high** (score 70/100); required sign-off: **senior + owner**",
        "- Critical files: `services/payments/charge.py`",
        "- Owners: `@lead`, `@pay`",
        "- Files changed: 1",
        "- AI-assisted: yes",
        "- Author: `dev@acme.io` (mid)",
        "",
        "## Rollback",
        "",
        "<!-- How is this rolled back, and what does not come back (data, state, deleted "
        "resources)? Fill in. -->",
        "",
        "## Testing",
        "",
        "<!-- How and where was it tested (a plan, staging, a dry run, tests)? Fill in. -->",
    ]
    # pasted as it is, the skeleton still lacks rollback and testing
    skeleton = write(shop.path.parent / "skeleton.md", run.out)
    run = run_cli("check", "--base", "main", "--description-file", skeleton, "--format", "json")
    assert [f["message"] for f in run.json()["findings"] if f["code"] == "POL101"] == [
        "the change description (skeleton.md) lacks rollback and testing: the senior + owner "
        "sign-off needs them"
    ]


def test_gate_fails_without_approvals_and_passes_with_a_senior_owner(
    shop: GitRepo, run_cli
) -> None:
    sha = head(shop)
    described = write(shop.path.parent / "pr.md", FILLED)
    nobody = write(shop.path.parent / "none.json", [])
    run = run_cli("check", "--base", "main", "--approvals", nobody, "--description-file", described)
    assert run.code == 1
    assert "still needs an approval from a senior or above: @lead, @cto" in run.out
    assert "still needs an owner of services/payments/charge.py: @lead or @pay" in run.out
    assert "blocked: sign-off for senior + owner incomplete" in run.out

    # @pay owns the path but is mid; the author's own approval never counts
    some = write(
        shop.path.parent / "some.json",
        [
            review("pay", "APPROVED", sha, "2026-11-20T10:00:00Z", 1),
            review("dev", "APPROVED", sha, "2026-11-20T10:05:00Z", 2),
        ],
    )
    run = run_cli(
        "check",
        "--base",
        "main",
        "--approvals",
        some,
        "--description-file",
        described,
        "--format",
        "json",
    )
    assert run.code == 1
    report = run.json()
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["missing_approvals"] == ["an approval from a senior or above: @lead, @cto"]
    assert [(a["identity"], a["counted"], a["note"]) for a in report["approvals"]] == [
        ("@pay", True, ""),
        ("@dev", False, "the author's own approval"),
    ]

    # changes requested, then approved by @lead, a senior owner: signed off
    done = write(
        shop.path.parent / "done.json",
        json.dumps([review("lead", "CHANGES_REQUESTED", sha, "2026-11-20T09:00:00Z", 3)])
        + json.dumps([review("lead", "APPROVED", sha, "2026-11-20T11:00:00Z", 4)]),
    )
    sarif = shop.path.parent / "out.sarif"
    markdown = shop.path.parent / "out.md"
    run = run_cli(
        "check",
        "--base",
        "main",
        "--approvals",
        done,
        "--description-file",
        described,
        "--output",
        f"sarif:{sarif}",
        "--output",
        f"markdown:{markdown}",
    )
    assert run.code == 0, run.out
    assert "passes: signed off for senior + owner" in run.out
    properties = json.loads(sarif.read_text())["runs"][0]["properties"]
    assert properties["missingApprovals"] == []
    assert properties["approvals"][0]["identity"] == "@lead"
    assert properties["blocking"] is False
    text = markdown.read_text()
    assert "Passes: signed off for senior + owner." in text
    assert "| `@lead` | senior | review of " in text


def test_approved_by_trailer_counts(shop: GitRepo, run_cli) -> None:
    shop.commit(
        "Keep the retry off\n\nApproved-by: Lead <lead@acme.io>",
        {"services/payments/charge.py": CHARGE.replace("(amount)\n", "(amount, retry=0)\n")},
    )
    described = write(shop.path.parent / "pr.md", FILLED)
    nobody = write(shop.path.parent / "none.json", "")
    run = run_cli(
        "check",
        "--base",
        "main",
        "--approvals",
        nobody,
        "--description-file",
        described,
        "--format",
        "json",
    )
    assert run.code == 0, run.out
    assert [(a["identity"], a["level"], a["counted"]) for a in run.json()["approvals"]] == [
        ("lead@acme.io", "senior", True)
    ]


def test_github_event_gives_author_body_and_head(
    shop: GitRepo, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = head(shop)
    event = shop.path.parent / "event.json"
    write(
        event,
        {
            "action": "submitted",
            "pull_request": {
                "number": 12,
                "user": {"login": "dev"},
                "body": FILLED,
                "head": {"sha": sha},
            },
        },
    )
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    stale = write(
        shop.path.parent / "stale.json",
        [review("lead", "APPROVED", "0" * 39 + "1", "2026-11-20T10:00:00Z", 1)],
    )
    run = run_cli("check", "--base", "main", "--approvals", stale, "--format", "json")
    assert run.code == 1
    report = run.json()
    assert [a["identity"] for a in report["authors"]] == ["@dev", "dev@acme.io"]
    assert not [f for f in report["findings"] if f["code"] == "POL101"]
    assert report["approvals"][0]["note"] == (f"stale: approved 0000000000, the head is {sha[:10]}")
    # the @dev identity is dev@acme.io's alias: its approval is the author's own
    own = write(shop.path.parent / "own.json", [review("dev", "APPROVED", sha, "t", 2)])
    run = run_cli("check", "--base", "main", "--approvals", own, "--format", "json")
    assert run.json()["approvals"][0]["note"] == "the author's own approval"


def test_author_flag_and_unknown_author(shop: GitRepo, run_cli) -> None:
    run = run_cli("check", "--base", "main", "--author", "@cto", "--format", "json")
    report = run.json()
    assert report["authors"] == [
        {"identity": "@cto", "source": "--author", "level": "principal", "known": True}
    ]
    assert not any("AI-assisted change by" in r and "→" in r for r in report["reasons"])
    run = run_cli("check", "--base", "main", "--author", "new@acme.io", "--format", "json")
    assert (
        "author new@acme.io (--author) is not in the team file: treated as junior"
        in (run.json()["reasons"])
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            '[team.people]\n"dev@acme.io" = "staff"\n',
            '.changerisk.toml: team.people."dev@acme.io": "staff" is not one of team.levels',
        ),
        (
            '[team.people]\n"dev@acme.io" = "mid"\n"@dev" = { level = "senior", aliases = '
            '["dev@acme.io"] }\n',
            '.changerisk.toml: team.people."@dev": dev@acme.io is given two levels',
        ),
    ],
)
def test_bad_team_file_exits_2(git_repo: GitRepo, run_cli, config: str, message: str) -> None:
    git_repo.commit("init", {".changerisk.toml": config, "a.txt": "a\n"})
    run = run_cli("check")
    assert run.code == 2
    assert message in run.err


def test_unreadable_approvals_exit_2(shop: GitRepo, run_cli) -> None:
    run = run_cli("check", "--base", "main", "--approvals", "missing.json")
    assert run.code == 2
    assert "missing.json: cannot read the approvals" in run.err
    bad = write(shop.path.parent / "bad.json", '{"message": "Not Found"}')
    run = run_cli("check", "--base", "main", "--approvals", bad)
    assert run.code == 2
    assert "expected a list of reviews" in run.err


def test_commit_subjects_are_no_sections(shop: GitRepo, run_cli) -> None:
    # a conventional subject such as "Testing: …" is no Testing section; the bodies are read
    shop.commit(
        "Testing: keep the retry off\n\nRollback: revert this commit",
        {"services/payments/charge.py": CHARGE.replace("(amount)\n", "(amount, retry=0)\n")},
    )
    run = run_cli("check", "--base", "main", "--format", "json")
    assert [f["message"] for f in run.json()["findings"] if f["code"] == "POL101"] == [
        "the change description (commit messages) lacks production impact, blast radius and "
        "testing: the senior + owner sign-off needs them"
    ]


def test_history_replays_the_sign_off_policy(shop: GitRepo, run_cli) -> None:
    run = run_cli("history", "--format", "json")
    assert run.code == 0
    feature = run.json()["commits"][0]
    assert feature["sha"] == head(shop)
    assert (feature["tier"], feature["ai_assisted"]) == ("senior + owner", True)
    assert "POL101" in feature["rules"]


def test_a_change_cannot_promote_its_author(shop: GitRepo, run_cli) -> None:
    # the change makes its author senior and a friend a senior approver: the team file in
    # force is the base revision's
    shop.commit(
        "Promote",
        {
            ".changerisk.toml": CONFIG.replace(
                '"dev@acme.io" = { level = "mid"', '"dev@acme.io" = { level = "principal"'
            ).replace('"@pay" = "mid"', '"@pay" = "senior"')
        },
    )
    described = write(shop.path.parent / "pr.md", FILLED)
    pay = write(shop.path.parent / "pay.json", [review("pay", "APPROVED", head(shop), "t", 1)])
    run = run_cli(
        "check",
        "--base",
        "main",
        "--approvals",
        pay,
        "--description-file",
        described,
        "--format",
        "json",
    )
    assert run.code == 1
    report = run.json()
    assert report["authors"][0]["level"] == "mid"
    assert report["missing_approvals"] == ["an approval from a senior or above: @lead, @cto"]
    assert (
        "team and sign-off policy read from .changerisk.toml at the base revision: this change "
        "edits them, and its edits apply once it is merged" in report["reasons"]
    )
    assert "INT103" in {f["code"] for f in report["findings"]}
