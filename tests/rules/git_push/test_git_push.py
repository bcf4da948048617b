from pathlib import Path

import pytest
from changerisk.rules.git_push import RULES, git_pushes

from changerisk.model import Confidence, Severity
from changerisk.parsers.shell import commands
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    ("gitlab_force_push_main.diff", {("SH108", ".gitlab-ci.yml", 7)}),
    ("release_lease_develop.diff", {("SH108", "scripts/rebase-develop.sh", 5)}),
    # near misses: gh-pages, a variable, a feature branch, no force, tags, a dry run
    ("feature_and_pages_force_push.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "gitlab_force_push_main.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "force-pushes to main on origin: commits others pushed there that are not in this "
            "history are lost",
        ),
        (
            "release_lease_develop.diff",
            Severity.MEDIUM,
            Confidence.HIGH,
            "force-pushes (with lease) to develop on origin: rewrites the history everyone else "
            "has pulled",
        ),
    ],
)
def test_severity_confidence_and_message(
    fixture: str, severity: Severity, confidence: Confidence, message: str
) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=RULES).findings
    assert (finding.severity, finding.confidence, finding.message) == (
        severity,
        confidence,
        message,
    )
    assert finding.hint


def _diff(line: str) -> str:
    return (
        "diff --git a/run.sh b/run.sh\nnew file mode 100755\nindex 0..1\n--- /dev/null\n"
        f"+++ b/run.sh\n@@ -0,0 +1 @@\n+{line}\n"
    )


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("git push -f origin main", Severity.HIGH),
        ("git -C repo push --force upstream HEAD:refs/heads/master", Severity.HIGH),
        ("git push origin +release/2.4", Severity.HIGH),
        ("git push -fu origin production", Severity.HIGH),
        ("git push origin --delete main", Severity.HIGH),
        ("git push origin :release-1.2", Severity.HIGH),
        ("git push --force-with-lease=main:abc123 origin main", Severity.MEDIUM),
    ],
)
def test_command_lines(line: str, severity: Severity) -> None:
    (finding,) = run_diff(_diff(line), rules=RULES).findings
    assert finding.severity is severity


@pytest.mark.parametrize(
    "line",
    [
        "git push origin main",
        "git push --force",  # the current branch: not named
        "git push -f origin feature/login",
        "git push --force origin gh-pages",
        'git push --force origin "$BRANCH"',
        "git push --force origin HEAD:${{ github.head_ref }}",
        "git push --force --tags origin",
        "git push --mirror backup",
        "git push -n -f origin main",
        "git push --force origin refs/tags/v1.0",
        "git push -f origin stable",  # a moving pointer, force-pushed by design
        "echo git push --force origin main",
    ],
)
def test_quiet_command_lines(line: str) -> None:
    assert run_diff(_diff(line), rules=RULES).findings == ()


def test_each_refspec_is_read() -> None:
    (command,) = commands("git push --force-with-lease origin a:main +b:dev :old")
    pushes = [(p.branch, p.force, p.lease, p.delete) for p in git_pushes(command)]
    assert pushes == [
        ("main", False, True, False),
        ("dev", True, True, False),
        ("old", False, True, True),
    ]


@pytest.mark.parametrize(
    ("line", "remote"),
    [
        (
            'git push "https://x-access-token:${GH_TOKEN}@github.com/acme/shop.git" -f main',
            "github.com/acme/shop",
        ),
        ("git push git@gitlab.com:acme/shop.git +main", "gitlab.com/acme/shop"),
        ("git push upstream -f main", "upstream"),
    ],
)
def test_remotes_are_named_without_credentials(line: str, remote: str) -> None:
    (finding,) = run_diff(_diff(line), rules=RULES).findings
    assert finding.message.startswith(f"force-pushes to main on {remote}: ")
