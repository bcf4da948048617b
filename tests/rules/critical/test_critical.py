import pytest
from changerisk.rules import critical
from changerisk.rules.critical import RULES
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.config import parse_config
from changerisk.model import Severity
from changerisk.paths import matches_any
from changerisk.testing import found, run_diff

CONFIG = parse_config(
    {
        "critical-paths": [
            {
                "paths": ["services/payments/", "services/auth/**/*.py"],
                "severity": "critical",
                "owners": ["@acme/payments"],
                "description": "payments and login",
            },
            {"paths": ["deploy/prod/*.yaml"], "severity": "medium"},
        ]
    }
)


def _diff(path: str, old: str = "a = 1", new: str = "a = 2") -> str:
    return (
        f"diff --git a/{path} b/{path}\n"
        "index 1111111..2222222 100644\n"
        f"--- a/{path}\n+++ b/{path}\n"
        "@@ -1,2 +1,2 @@\n"
        " import os\n"
        f"-{old}\n+{new}\n"
    )


DELETED = (
    "diff --git a/services/payments/refund.py b/services/payments/refund.py\n"
    "deleted file mode 100644\n"
    "index 1111111..0000000\n"
    "--- a/services/payments/refund.py\n+++ /dev/null\n"
    "@@ -1,2 +0,0 @@\n-def refund():\n-    pass\n"
)

CASES = [
    (
        "payments",
        _diff("services/payments/charge.py"),
        {("CRIT101", "services/payments/charge.py", 2)},
    ),
    (
        "auth nested",
        _diff("services/auth/api/login.py"),
        {("CRIT101", "services/auth/api/login.py", 2)},
    ),
    ("prod overlay", _diff("deploy/prod/api.yaml"), {("CRIT101", "deploy/prod/api.yaml", 2)}),
    ("deleted file", DELETED, {("CRIT101", "services/payments/refund.py", 1)}),
    # near misses
    ("sibling dir", _diff("services/payments-docs/readme.py"), set()),
    ("auth non-python", _diff("services/auth/README.md"), set()),
    ("staging overlay", _diff("deploy/staging/api.yaml"), set()),
]


@pytest.mark.parametrize(("case", "diff", "expected"), CASES, ids=[c[0] for c in CASES])
def test_crit101(case: str, diff: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_diff(diff, config=CONFIG, rules=RULES)) == expected


def test_crit101_uses_configured_severity_and_names_owners() -> None:
    report = run_diff(_diff("services/payments/charge.py"), config=CONFIG, rules=RULES)
    (finding,) = report.findings
    assert finding.severity is Severity.CRITICAL
    assert "payments and login" in finding.message and "@acme/payments" in finding.message
    assert report.owners == ("@acme/payments",)
    assert any("@acme/payments" in reason for reason in report.reasons)


def test_crit101_quiet_without_configuration() -> None:
    report = run_diff(_diff("services/payments/charge.py"), rules=RULES)
    assert [f.code for f in report.findings] == ["CRIT102"]  # the built-in pattern only


CRIT102_CASES = [
    ("services/payments/charge.py", "payments and billing", "low"),
    ("app/billing.py", "payments and billing", "low"),
    ("src/auth/middleware.ts", "authentication and sessions", "low"),
    ("api/login.go", "authentication and sessions", "low"),
    ("lib/crypto/aes.py", "cryptography", "low"),
    ("config/secrets/prod.enc.yaml", "secrets management", "low"),
    ("config/database.yml", "database configuration", "info"),
    (".github/workflows/deploy.yml", "deployment pipeline", "info"),
    ("k8s/overlays/prod/kustomization.yaml", "production environment", "low"),  # raised: prod
    ("infra/prod.tfvars", "production environment", "low"),
]


@pytest.mark.parametrize(("path", "what", "severity"), CRIT102_CASES)
def test_crit102_built_in_areas(path: str, what: str, severity: str) -> None:
    [finding] = run_diff(_diff(path), rules=RULES, select=["CRIT102"]).findings
    assert finding.message == f"modified {path}: {what} code (built-in pattern)"
    assert finding.severity.label == severity and finding.line == 2


@pytest.mark.parametrize(
    "path",
    [
        "tests/auth/test_login.py",  # tests
        "app/auth/test_session.py",
        "docs/payments.md",  # prose
        "services/auth/README.md",
        "app/author.py",  # not auth
        "app/sessionize.py",
        "app/search/rank.py",
        "deploy/staging/api.yaml",  # non-production
    ],
)
def test_crit102_near_misses(path: str) -> None:
    assert run_diff(_diff(path), rules=RULES, select=["CRIT102"]).findings == ()


def test_crit102_yields_to_configured_paths() -> None:
    report = run_diff(_diff("services/payments/charge.py"), config=CONFIG, rules=RULES)
    assert [f.code for f in report.findings] == ["CRIT101"]


# --- the all-areas prefilter ------------------------------------------------------------------

SEGMENTS = ["app", "auth", "login", "billing", "payments", "crypto", "secrets", "deploy", "prod"]
SEGMENTS += ["overlays", ".github", "workflows", "x", "session", "database.yml", "v.sops.yaml"]


def test_no_area_pattern_is_negated() -> None:
    """The prefilter matches a path against every area's patterns at once; a negated pattern
    would make that differ from matching each area's list."""
    assert not [p for p in critical._ANY_AREA if p.startswith("!")]


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4),
    st.sampled_from(["", ".py", ".ts", ".yaml", ".tfvars", "_auth.go", ".enc.yaml"]),
)
def test_all_areas_at_once_match_as_each_area(parts: list[str], suffix: str) -> None:
    path = "/".join(parts) + suffix
    each = any(matches_any(path, patterns) for _, _, patterns in critical._AREAS)
    assert matches_any(path, critical._ANY_AREA) == each
