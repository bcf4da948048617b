"""Checks over every registered rule: metadata, documentation, and doc examples that run."""

import re
import sys
from pathlib import Path

import pytest

from changerisk.config import Config, parse_config
from changerisk.docs import parse_rule_doc, render_markdown
from changerisk.registry import all_rules, validate_rule
from changerisk.rule import Rule
from changerisk.testing import run_example

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

RULES = all_rules()
TESTS = Path(__file__).parent


def _config_for(rule: type[Rule]) -> Config:
    toml = parse_rule_doc(rule).config_toml
    if not toml:
        return Config()
    table = tomllib.loads(toml)
    return parse_config(table.get("tool", {}).get("changerisk", table))


def test_there_are_rules_in_every_mission_category() -> None:
    categories = {r.category.value for r in RULES}
    assert {"destructive", "access", "critical-path", "integrity"} <= categories


def test_codes_are_unique() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))


def test_names_are_unique() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_metadata_is_valid(rule: type[Rule]) -> None:
    validate_rule(rule)
    assert re.fullmatch(r"\d+\.\d+\.\d+", rule.since)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_has_sections(rule: type[Rule]) -> None:
    doc = parse_rule_doc(rule)
    assert doc.summary and not doc.summary.endswith(" ")
    assert doc.why, f"{rule.code}: no '## Why it matters'"
    assert doc.bad, f"{rule.code}: no diff under '## Bad'"
    assert doc.good, f"{rule.code}: no diff under '## Good'"
    page = render_markdown(rule)
    assert page.startswith(f"# {rule.code} {rule.name}")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_bad_example_fires(rule: type[Rule]) -> None:
    doc = parse_rule_doc(rule)
    report = run_example(*doc.example("Bad"), select=[rule.code], config=_config_for(rule))
    assert rule.code in {f.code for f in report.findings}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_good_example_is_quiet(rule: type[Rule]) -> None:
    doc = parse_rule_doc(rule)
    report = run_example(*doc.example("Good"), select=[rule.code], config=_config_for(rule))
    assert [f for f in report.findings if f.code == rule.code] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_messages_say_what_happens(rule: type[Rule]) -> None:
    doc = parse_rule_doc(rule)
    report = run_example(*doc.example("Bad"), select=[rule.code], config=_config_for(rule))
    for finding in report.findings:
        assert finding.message[0].islower(), finding.message
        assert not finding.message.endswith("."), finding.message
        assert finding.hint, f"{rule.code}: finding without a hint"


def _module_folder(rule: type[Rule]) -> str:
    return rule.__module__.rsplit(".", 1)[-1]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_family_has_a_test_folder(rule: type[Rule]) -> None:
    folder = TESTS / _module_folder(rule)
    assert folder.is_dir() and list(folder.glob("test_*.py")), f"no tests in {folder}"
