"""AI provenance: commit trailers and identities, CI branches, the flag and the variable."""

from typing import Any

import pytest

from changerisk.model import Commit
from changerisk.provenance import detect, trailers


def _commit(message: str, author: str = "Ann Example", email: str = "ann@example.com") -> Commit:
    return Commit(sha="0123456789abcdef", author=author, author_email=email, message=message)


@pytest.mark.parametrize(
    ("message", "author", "email", "reason"),
    [
        (
            "Fix the cache\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            "Ann",
            "ann@example.com",
            "Co-authored-by: Claude <noreply@anthropic.com> (Claude Code) in 0123456789",
        ),
        (
            "Add retries\n\nSigned-off-by: Ann <ann@example.com>\n"
            "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
            "Ann",
            "ann@example.com",
            "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com> "
            "(GitHub Copilot) in 0123456789",
        ),
        (
            "Initial plan",
            "copilot-swe-agent[bot]",
            "198982749+Copilot@users.noreply.github.com",
            "author copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com> is "
            "GitHub Copilot in 0123456789",
        ),
        ("Tidy\n\nAssisted-by: Gemini CLI", "Ann", "a@x", "Assisted-By: Gemini CLI in 0123456789"),
        ("Tidy\n\nGenerated-by: some tool", "Ann", "a@x", "Generated-By: some tool in 0123456789"),
        ("Tidy\n\nAI-assisted: yes", "Ann", "a@x", "AI-assisted: yes in 0123456789"),
        (
            "feat: x\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>",
            "Ann",
            "a@x",
            "Co-authored-by: aider (gpt-4o) <noreply@aider.chat> (Aider) in 0123456789",
        ),
        (
            "Merge\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>",
            "Ann",
            "a@x",
            "Co-authored-by: Cursor Agent <cursoragent@cursor.com> (Cursor) in 0123456789",
        ),
    ],
)
def test_commit_sources(message: str, author: str, email: str, reason: str) -> None:
    assert detect([_commit(message, author, email)], {}) == (reason,)


@pytest.mark.parametrize(
    "message",
    [
        "Pair with Claude\n\nCo-authored-by: Claude Shannon <claude@example.com>",  # a person
        "Co-authored-by: Claude <noreply@anthropic.com>",  # one paragraph: a subject, not a trailer
        "Docs: how to use Claude Code\n\nWe mention Co-authored-by: Claude in prose here.",
        "Tidy\n\nAI-assisted: no",
        "Tidy\n\nCo-authored-by: Devin Smith <devin@example.com>",
        "Tidy\n\nReviewed-by: Copilot Fan <fan@example.com>",
    ],
)
def test_not_ai(message: str) -> None:
    assert detect([_commit(message)], {}) == ()


def test_flag_env_branch_and_config() -> None:
    env = {"CHANGERISK_AI_ASSISTED": "1", "GITHUB_HEAD_REF": "copilot/fix-login"}
    assert detect([], env, flag=True) == (
        "--ai-assisted",
        "CHANGERISK_AI_ASSISTED",
        "agent branch copilot/fix-login (GITHUB_HEAD_REF)",
    )
    gitlab = {"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "bots/agent-42"}
    assert detect([], gitlab) == ()
    assert detect([], gitlab, extra_branches=["bots/*"]) == (
        "agent branch bots/agent-42 (CI_MERGE_REQUEST_SOURCE_BRANCH_NAME)",
    )
    commit = _commit("x\n\nCo-authored-by: Acme Bot <bot@acme.dev>")
    assert detect([commit], {}, extra_agents=["bot@acme.dev"]) == (
        "Co-authored-by: Acme Bot <bot@acme.dev> (bot@acme.dev) in 0123456789",
    )
    assert detect([], {"CHANGERISK_AI_ASSISTED": "0", "GITHUB_HEAD_REF": "feature/claude"}) == ()


def test_trailers_block() -> None:
    assert trailers("Subject\n\nBody text.\n\nKey: v\nOther-Key: w\n  folded") == [
        ("key", "v"),
        ("other-key", "w"),
    ]
    assert trailers("Subject\n\nBody: with colon\nbut prose") == []


def test_base_range_with_an_agent_trailer_raises_the_tier(
    git_repo: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_HEAD_REF", raising=False)
    monkeypatch.delenv("CHANGERISK_AI_ASSISTED", raising=False)
    git_repo.commit(
        "base", files={"infra/main.tf": 'resource "aws_instance" "a" {\n  ami = "x"\n}\n'}
    )
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit(
        "Add a queue\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        files={
            "infra/main.tf": 'resource "aws_instance" "a" {\n  ami = "x"\n}\n\nresource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'
        },
    )
    quiet = run_cli("check", "--base", "main", "--format", "json").json()
    assert quiet["level"] == "none" and quiet["tier"] == "any reviewer"
    git_repo.write("infra/main.tf", 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    git_repo.commit("Drop the old instance\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    report = run_cli("check", "--base", "main", "--format", "json").json()
    assert report["level"] == "high" and report["tier"] == "senior"
    assert report["ai_assisted"] is True
    assert any(
        "Co-authored-by: Claude <noreply@anthropic.com> (Claude Code)" in r
        for r in report["reasons"]
    )


CODEOWNERS = "* @acme/everyone\n/infra/ @acme/platform @lead\n/docs/\n"


def test_codeowners_of_risky_files_from_the_base(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit(
        "base",
        files={
            ".github/CODEOWNERS": CODEOWNERS,
            "infra/main.tf": 'resource "aws_db_instance" "a" {\n  engine = "postgres"\n}\n',
            "docs/a.md": "x\n",
        },
    )
    git_repo.write("infra/main.tf", "")
    git_repo.write("docs/a.md", "y\n")
    # the change also tries to own itself: the base's CODEOWNERS is the one in force
    git_repo.write(".github/CODEOWNERS", "* @me\n")
    report = run_cli("check", "--format", "json").json()
    assert "@acme/platform" in report["owners"] and "@lead" in report["owners"]
    assert "@me" not in report["owners"]
    assert (
        "owners (.github/CODEOWNERS): @acme/platform @lead for infra/main.tf" in report["reasons"]
    )


def test_no_codeowners_no_owner_reason(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit("base", files={"infra/main.tf": 'resource "aws_db_instance" "a" {\n}\n'})
    git_repo.write("infra/main.tf", "")
    report = run_cli("check", "--format", "json").json()
    assert report["owners"] == [] and not any(r.startswith("owners") for r in report["reasons"])
