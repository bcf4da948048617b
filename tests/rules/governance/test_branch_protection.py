"""GOV105: probot settings and ruleset exports, old against new."""

import difflib
import json
from typing import Any

from changerisk.testing import run_diff

SETTINGS = """\
repository:
  name: shop
branches:
  - name: main
    protection:
      required_pull_request_reviews:
        required_approving_review_count: 2
        require_code_owner_reviews: true
      required_status_checks:
        strict: true
        contexts: ["ci/test", "ci/lint"]
      enforce_admins: true
      allow_force_pushes: false
"""
RULESET = {
    "name": "main",
    "target": "branch",
    "enforcement": "active",
    "rules": [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        {"type": "pull_request", "parameters": {"required_approving_review_count": 2}},
    ],
    "bypass_actors": [],
}


def diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1000)
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        + "\n".join(list(lines)[2:])
        + "\n"
    )


def check(path: str, old: str, new: str) -> set[Any]:
    report = run_diff(diff(path, old, new), select=["GOV105"])
    return {(f.line, f.side, f.severity.label, f.message) for f in report.findings}


def test_settings_weakened_in_several_ways() -> None:
    new = (
        SETTINGS.replace("count: 2", "count: 1")
        .replace("require_code_owner_reviews: true", "require_code_owner_reviews: false")
        .replace('contexts: ["ci/test", "ci/lint"]', 'contexts: ["ci/test"]')
        .replace("enforce_admins: true", "enforce_admins: false")
        .replace("allow_force_pushes: false", "allow_force_pushes: true")
    )
    assert check(".github/settings.yml", SETTINGS, new) == {
        (
            7,
            "new",
            "medium",
            "branch main: required approvals lowered from 2 to 1, fewer people "
            "read a change before it merges",
        ),
        (
            8,
            "new",
            "medium",
            "branch main: require_code_owner_reviews turned off, code owners "
            "no longer have to approve",
        ),
        (
            11,
            "new",
            "medium",
            "branch main: required status checks ci/lint removed, changes "
            "merge without them passing",
        ),
        (
            12,
            "new",
            "medium",
            "branch main: enforce_admins turned off, admins bypass its protection",
        ),
        (
            13,
            "new",
            "high",
            "branch main: allow_force_pushes set, force pushes may rewrite its history",
        ),
    }


def test_settings_protection_removed() -> None:
    new = SETTINGS.split("    protection:")[0]
    found = check(".github/settings.yml", SETTINGS, new)
    assert {(line, side, sev) for line, side, sev, _ in found} == {(5, "old", "high")}


def test_settings_tightened_or_unrelated_is_quiet() -> None:
    assert (
        check(".github/settings.yml", SETTINGS, SETTINGS.replace("count: 2", "count: 3")) == set()
    )
    assert (
        check(".github/settings.yml", SETTINGS, SETTINGS.replace("name: shop", "name: store"))
        == set()
    )
    # a settings.yml that is not the repository's (an app's own settings) is not read
    assert check("config/settings.yml", SETTINGS, SETTINGS.replace("count: 2", "count: 0")) == set()


def test_ruleset_rule_removed_and_disabled() -> None:
    old = json.dumps(RULESET, indent=2)
    weaker = dict(RULESET, rules=[r for r in RULESET["rules"] if r["type"] != "non_fast_forward"])
    found = check(".github/rulesets/main.json", old, json.dumps(weaker, indent=2))
    assert {(side, sev, msg) for _, side, sev, msg in found} == {
        ("old", "high", "ruleset main: non_fast_forward rule removed, force pushes are allowed"),
    }
    disabled = json.dumps(dict(RULESET, enforcement="disabled"), indent=2)
    found = check(".github/rulesets/main.json", old, disabled)
    assert {msg for *_, msg in found} == {
        "ruleset main: enforcement disabled, none of its rules block anything"
    }


def test_ruleset_tightened_is_quiet() -> None:
    old = json.dumps(RULESET, indent=2)
    stricter = json.loads(old)
    stricter["rules"][2]["parameters"]["required_approving_review_count"] = 3
    assert check(".github/rulesets/main.json", old, json.dumps(stricter, indent=2)) == set()


def test_a_ruleset_whose_key_is_spelled_with_an_escape_is_still_read() -> None:
    """JSON files are parsed only when their old text can hold `enforcement`: written out, or
    with an escape (`\\u0065nforcement` is the same key)."""
    old = json.dumps(RULESET, indent=2).replace('"enforcement"', '"\\u0065nforcement"')
    assert '"enforcement"' not in old
    disabled = old.replace('"active"', '"disabled"')
    assert {msg for *_, msg in check(".github/rulesets/main.json", old, disabled)} == {
        "ruleset main: enforcement disabled, none of its rules block anything"
    }
    assert check("package.json", '{"name": "x"}\n', '{"name": "y"}\n') == set()
