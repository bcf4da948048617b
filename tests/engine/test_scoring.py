from pathlib import Path

import pytest
from changerisk.rules.terraform import RULES as TF_RULES
from hypothesis import given
from hypothesis import strategies as st

from changerisk.config import Config, parse_config
from changerisk.model import LEVEL_NAMES, Category, Finding, Severity
from changerisk.scoring import adjust, environment_of, verdict
from changerisk.testing import run_diff

FIXTURES = Path(__file__).parent.parent / "rules" / "terraform" / "tf101"


def _finding(
    severity: Severity, category: Category = Category.DESTRUCTIVE, path: str = "infra/a.tf"
) -> Finding:
    return Finding("TF101", "x", category, severity, path, 1, "destroys x")


def rank(level: str) -> int:
    return LEVEL_NAMES.index(level)


def test_no_findings_is_level_none_and_lowest_tier() -> None:
    result = verdict([], Config(), ai_assisted=False)
    assert (result.level, result.score, result.tier) == ("none", 0, "any reviewer")


@pytest.mark.parametrize(
    ("severity", "tier"),
    [
        (Severity.INFO, "any reviewer"),
        (Severity.LOW, "any reviewer"),
        (Severity.MEDIUM, "peer"),
        (Severity.HIGH, "senior"),
        (Severity.CRITICAL, "senior + owner"),
    ],
)
def test_default_tier_map(severity: Severity, tier: str) -> None:
    result = verdict([_finding(severity)], Config(), ai_assisted=False)
    assert result.level == severity.label
    assert result.tier == tier
    assert any(f"tier {tier}" in reason for reason in result.reasons)


def test_ai_assisted_medium_needs_senior_and_says_why() -> None:
    result = verdict(
        [_finding(Severity.MEDIUM)], Config(), ai_assisted=True, ai_sources=["--ai-assisted"]
    )
    assert result.tier == "senior"
    assert any("AI-assisted" in r and "--ai-assisted" in r for r in result.reasons)


def test_ai_assisted_low_keeps_tier() -> None:
    result = verdict([_finding(Severity.LOW)], Config(), ai_assisted=True)
    assert result.tier == "any reviewer"


def test_ai_policy_is_configurable() -> None:
    config = parse_config({"ai-assisted": {"min-level": "low", "min-tier": "senior + owner"}})
    assert verdict([_finding(Severity.LOW)], config, ai_assisted=True).tier == "senior + owner"


def test_custom_tiers_spread_over_levels() -> None:
    config = parse_config({"tiers": ["anyone", "lead"]})
    assert verdict([], config, ai_assisted=False).tier == "anyone"
    assert verdict([_finding(Severity.CRITICAL)], config, ai_assisted=False).tier == "lead"


def test_breadth_across_categories_raises_one_level() -> None:
    findings = [
        _finding(Severity.MEDIUM, Category.DESTRUCTIVE),
        _finding(Severity.MEDIUM, Category.ACCESS),
        _finding(Severity.MEDIUM, Category.PROCESS),
    ]
    result = verdict(findings, Config(), ai_assisted=False)
    assert result.level == "high"
    assert any(r.startswith("breadth:") for r in result.reasons)


def test_breadth_across_components_raises_one_level() -> None:
    findings = [_finding(Severity.MEDIUM, path=f"svc{i}/main.tf") for i in range(4)]
    assert verdict(findings, Config(), ai_assisted=False).level == "high"


@pytest.mark.parametrize(
    ("path", "env"),
    [
        ("envs/prod/main.tf", "production"),
        ("live/db.tf", "production"),
        ("config/values-prod.yaml", "production"),
        ("tests/fixtures/main.tf", "non-production"),
        ("examples/complete/main.tf", "non-production"),
        ("envs/dev/main.tf", "non-production"),
        ("examples/prod/main.tf", "non-production"),
        ("infra/main.tf", None),
        ("product/main.tf", None),
    ],
)
def test_environment_detection(path: str, env: str | None) -> None:
    assert environment_of(path, Config()) == env


def test_context_adjusts_severity_and_records_why() -> None:
    prod, test, plain = adjust(
        [
            _finding(Severity.HIGH, path="envs/prod/db.tf"),
            _finding(Severity.HIGH, path="tests/db.tf"),
            _finding(Severity.HIGH, path="infra/db.tf"),
        ],
        Config(),
    )
    assert prod.severity is Severity.CRITICAL and prod.base_severity is Severity.HIGH
    assert "production" in prod.adjustments[0]
    assert test.severity is Severity.MEDIUM
    assert plain.severity is Severity.HIGH and plain.adjustments == ()


def test_configured_critical_path_raises_other_findings() -> None:
    config = parse_config({"critical-paths": [{"paths": ["infra/"], "severity": "high"}]})
    (finding,) = adjust([_finding(Severity.MEDIUM)], config)
    assert finding.severity is Severity.HIGH


def test_environment_patterns_are_configurable() -> None:
    config = parse_config(
        {"environments": {"production": ["clusters/eu-*/"], "non-production": []}}
    )
    assert environment_of("clusters/eu-west/app.yaml", config) == "production"
    assert environment_of("tests/app.yaml", config) is None


findings_strategy = st.lists(
    st.builds(
        _finding,
        st.sampled_from(list(Severity)),
        st.sampled_from(list(Category)),
        st.sampled_from(["a/x.tf", "b/y.tf", "c/z.tf", "d/w.tf", "prod/p.tf", "top.tf"]),
    ),
    max_size=12,
)


@given(findings_strategy, findings_strategy, st.booleans())
def test_adding_findings_never_lowers_level_score_or_tier(
    before: list[Finding], extra: list[Finding], ai: bool
) -> None:
    config = Config()
    a = verdict(adjust(before, config), config, ai_assisted=ai)
    b = verdict(adjust(before + extra, config), config, ai_assisted=ai)
    assert rank(b.level) >= rank(a.level)
    assert b.score >= a.score
    assert config.tiers.index(b.tier) >= config.tiers.index(a.tier)


@given(findings_strategy)
def test_score_stays_in_its_level_band(findings: list[Finding]) -> None:
    result = verdict(findings, Config(), ai_assisted=False)
    bands = {
        "none": (0, 0),
        "info": (5, 19),
        "low": (20, 44),
        "medium": (45, 69),
        "high": (70, 89),
        "critical": (90, 100),
    }
    low, high = bands[result.level]
    assert low <= result.score <= high


# The risky hunk lives in its own module directory, so it cannot interact with the fixture.
RISKY_HUNK = (FIXTURES / "drop_db_instance.diff").read_text().replace("infra/db.tf", "risky/db.tf")


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.diff")))
def test_adding_a_risky_hunk_never_lowers_the_level(fixture: str) -> None:
    base = (FIXTURES / fixture).read_text()
    alone = run_diff(base, rules=TF_RULES)
    combined = run_diff(base + RISKY_HUNK, rules=TF_RULES)
    assert rank(combined.level) >= max(rank(alone.level), rank("critical"))
    assert combined.score >= alone.score


def test_detected_environments_are_shown() -> None:
    findings = adjust(
        [
            _finding(Severity.HIGH, path="envs/prod/main.tf"),
            _finding(Severity.HIGH, path="tests/fixtures/a.tf"),
            _finding(Severity.HIGH, path="infra/a.tf"),
        ],
        Config(),
    )
    reasons = verdict(findings, Config(), ai_assisted=False).reasons
    assert "environment production: envs/prod/main.tf (findings there raised one level)" in reasons
    assert (
        "environment non-production: tests/fixtures/a.tf (findings there lowered one level)"
        in reasons
    )
