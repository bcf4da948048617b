"""GOV102-104: GitHub Actions token permissions, untrusted code, inherited secrets."""

import difflib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.testing import run_diff

CI = """\
name: ci
on:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def diff(path: str, old: str | None, new: str) -> str:
    lines = difflib.unified_diff((old or "").splitlines(), new.splitlines(), lineterm="", n=1000)
    head = f"diff --git a/{path} b/{path}\n"
    head += (
        f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        if old is None
        else (f"--- a/{path}\n+++ b/{path}\n")
    )
    return head + "\n".join(list(lines)[2:]) + "\n"


def check(
    old: str | None, new: str, select: str = "GOV10", path: str = ".github/workflows/ci.yml"
) -> set[Any]:
    report = run_diff(diff(path, old, new), select=[select])
    return {(f.code, f.line, f.severity.label, f.message) for f in report.findings}


def test_write_all_replaces_read() -> None:
    new = CI.replace("permissions:\n  contents: read\n", "permissions: write-all\n")
    assert check(CI, new) == {
        (
            "GOV102",
            4,
            "high",
            "gives the workflow a write-all token: every scope, from pushing "
            "code to publishing packages and minting cloud credentials",
        ),
    }


def test_id_token_and_contents_write_added_to_a_job() -> None:
    new = CI.replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n"
        "    permissions:\n      contents: write\n      id-token: write\n"
        "      pull-requests: write\n",
    )
    found = check(CI, new)
    assert {(code, line, sev) for code, line, sev, _ in found} == {
        ("GOV102", 10, "medium"),
        ("GOV102", 11, "medium"),
    }
    assert any("OIDC tokens" in m for *_, m in found)


def test_permissions_block_removed() -> None:
    new = CI.replace("permissions:\n  contents: read\n", "")
    assert check(CI, new) == {
        (
            "GOV102",
            4,
            "medium",
            "removes the workflow's permissions block: jobs test get the "
            "repository's default token, which is write to everything on older repositories and "
            "organisations",
        ),
    }


def test_narrowing_and_unrelated_edits_are_quiet() -> None:
    wide = CI.replace("permissions:\n  contents: read\n", "permissions: write-all\n")
    assert check(wide, CI) == set()
    assert check(CI, CI.replace("make test", "make test lint")) == set()


PRT = """\
name: preview
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm run build
"""


def test_pull_request_target_checkout_of_the_head() -> None:
    new = PRT.replace(
        "      - uses: actions/checkout@v4\n",
        "      - uses: actions/checkout@v4\n"
        "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
    )
    assert check(PRT, new) == {
        (
            "GOV103",
            10,
            "high",
            "job build runs on pull_request_target and checks out the pull "
            "request's code: a fork's build scripts run with the repository's secrets and a "
            "write token",
        ),
    }


def test_checkout_behind_an_environment_is_medium_and_gh_pr_checkout_counts() -> None:
    new = PRT.replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    environment: external-prs\n",
    ).replace(
        "      - run: npm ci",
        "      - run: gh pr checkout ${{ github.event.number }}\n      - run: npm ci",
    )
    found = check(PRT, new)
    assert {(code, line, sev) for code, line, sev, _ in found} == {("GOV103", 10, "medium")}


def test_pull_request_target_without_checkout_of_the_head_is_quiet() -> None:
    labeler = PRT.replace("npm ci && npm run build", "echo label")
    assert check(None, labeler) == set()
    # the same checkout under plain pull_request has no secrets
    plain = PRT.replace("pull_request_target", "pull_request").replace(
        "      - uses: actions/checkout@v4\n",
        "      - uses: actions/checkout@v4\n"
        "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
    )
    assert check(None, plain) == set()


def test_self_hosted_runner_on_pull_requests() -> None:
    new = CI.replace("runs-on: ubuntu-latest", "runs-on: [self-hosted, linux]")
    assert check(CI, new) == {
        (
            "GOV103",
            8,
            "medium",
            "job test runs pull requests (pull_request) on a self-hosted "
            "runner: a fork's code runs on your machine, and may stay there for the next job",
        ),
    }


def test_secrets_inherit() -> None:
    old = "on: push\njobs:\n  deploy:\n    uses: acme/ci/.github/workflows/deploy.yml@v1\n"
    new = old + "    secrets: inherit\n"
    assert check(old, new) == {
        (
            "GOV104",
            5,
            "low",
            "job deploy passes every repository and organisation secret to "
            "acme/ci/.github/workflows/deploy.yml@v1",
        ),
    }
    assert check(new, new + "    with:\n      env: prod\n") == set()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "on:",
                " pull_request_target",
                "jobs:",
                "  a:",
                "    steps:",
                "      - uses: actions/checkout@v4",
                "        with:",
                "          ref: ${{ github.head_ref }}",
                "permissions: write-all",
                "    secrets: inherit",
                "[",
                "{",
                ": :",
                "\t",
            ]
        ),
        max_size=30,
    )
)
def test_arbitrary_workflows_never_crash(lines: list[str]) -> None:
    report = run_diff(
        diff(".github/workflows/x.yml", None, "\n".join(lines) + "\n"), select=["GOV"]
    )
    assert all(f.code.startswith("GOV") for f in report.findings)
