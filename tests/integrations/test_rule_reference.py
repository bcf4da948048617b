"""docs/rules.md is generated from the rules' docstrings and must be current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from changerisk.docs import REFERENCE_COMMAND, builtin_rules, render_reference

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "rules.md"
SCRIPT = REPO / "scripts" / "gen_rule_docs.py"


def test_rule_reference_is_current() -> None:
    expected = render_reference(builtin_rules())
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert current == expected, f"docs/rules.md is stale: run `{REFERENCE_COMMAND}`"


def test_every_rule_has_its_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in builtin_rules():
        assert f"\n## {rule.code} {rule.name}\n" in text
        assert f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) |" in text


def test_script_writes_and_checks(tmp_path: Path) -> None:
    target = tmp_path / "rules.md"
    check = [sys.executable, str(SCRIPT), "--check", "--output", str(target)]
    stale = subprocess.run(check, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "is stale: run python scripts/gen_rule_docs.py" in stale.stderr
    write = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert write.returncode == 0, write.stderr
    assert target.read_text(encoding="utf-8") == DOCS.read_text(encoding="utf-8")
    assert subprocess.run(check, check=False).returncode == 0
