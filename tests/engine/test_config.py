from pathlib import Path

import pytest

from changerisk.config import Config, find_config, load_config, parse_config
from changerisk.errors import ConfigError
from changerisk.model import Severity


def test_defaults() -> None:
    config = Config()
    assert config.fail_on == "high"
    assert config.tiers == ("any reviewer", "peer", "senior", "senior + owner")


def test_full_config_parses() -> None:
    config = parse_config(
        {
            "fail-on": "medium",
            "select": ["TF", "IAM101"],
            "ignore": ["TF102"],
            "per-path-ignores": {"examples/**": ["SH"]},
            "tiers": ["anyone", "peer", "lead"],
            "tier-for-level": {
                "none": "anyone",
                "info": "anyone",
                "low": "anyone",
                "medium": "peer",
                "high": "lead",
                "critical": "lead",
            },
            "ai-assisted": {"min-level": "low", "min-tier": "lead"},
            "breadth": {"categories": 2, "components": 5},
            "critical-paths": [
                {"paths": ["billing/"], "severity": "critical", "owners": ["@billing"]}
            ],
            "environments": {"production": ["k8s/prod/"], "non-production": ["k8s/dev/"]},
        }
    )
    assert config.fail_on == "medium"
    assert config.select == ("TF", "IAM101")
    assert config.critical_paths[0].severity is Severity.CRITICAL
    assert config.ai_min_tier == "lead"
    assert config.production == ("k8s/prod/",)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"fail-on": "severe"},
            'fail-on: "severe" is not one of none, info, low, medium, high, critical',
        ),
        ({"failon": "high"}, "failon: unknown key"),
        ({"select": ["tf101"]}, 'select.0: "tf101" is not a rule code or prefix'),
        ({"select": "TF"}, "select: expected array"),
        ({"tier-for-level": {"high": "boss"}}, "tier-for-level.high: 'boss' is not one of tiers"),
        ({"ai-assisted": {"min-tier": "boss"}}, "ai-assisted.min-tier: 'boss' is not one of tiers"),
        ({"critical-paths": [{"severity": "high"}]}, "critical-paths.0"),
        (
            {"critical-paths": [{"paths": ["a/"], "colour": "red"}]},
            "critical-paths.0.colour: unknown key",
        ),
        ({"breadth": {"categories": 1}}, "breadth.categories"),
    ],
)
def test_bad_values_name_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, where="pyproject.toml: [tool.changerisk] ")
    text = str(info.value)
    assert text.startswith("pyproject.toml: [tool.changerisk] ")
    assert message in text


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / ".changerisk.toml").write_text('fail-on = "critical"\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config(nested) == tmp_path / ".changerisk.toml"
    assert load_config(start=nested).fail_on == "critical"


def test_pyproject_without_tool_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".changerisk.toml").write_text('fail-on = "low"\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(start=inner).fail_on == "low"


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.changerisk]\nfail-on = "medium"\n'
    )
    assert load_config(start=tmp_path).fail_on == "medium"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".changerisk.toml"
    path.write_text("fail-on = \n")
    with pytest.raises(ConfigError, match=r"\.changerisk\.toml: invalid TOML"):
        load_config(path)


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_error_in_file_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.changerisk]\nfail-on = "severe"\n')
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path)
    assert str(info.value).startswith("pyproject.toml: [tool.changerisk] fail-on:")
