"""Test harness for rules, built-in and third-party: run a diff through the real engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from changerisk.config import Config
from changerisk.engine import build_report
from changerisk.gate import SignoffInputs
from changerisk.inputs import from_diff_bytes, from_plan_text
from changerisk.model import ChangeSet
from changerisk.registry import all_rules, select_rules
from changerisk.report import Report
from changerisk.rule import Rule


def run_diff(
    diff: str | bytes,
    select: Sequence[str] = (),
    config: Config | None = None,
    rules: Sequence[type[Rule]] | None = None,
    ai_assisted: bool = False,
    signoff: SignoffInputs | None = None,
) -> Report:
    """Check a diff text with the installed rules (or `rules`), no repository, no config file;
    `signoff` gives the authors, description and reviews the sign-off policy reads."""
    data = diff.encode("utf-8") if isinstance(diff, str) else diff
    changeset = from_diff_bytes(data, origin="test.diff", source="diff")
    config = config or Config()
    chosen = select_rules(list(rules) if rules is not None else all_rules(), select, ())
    return build_report(changeset, chosen, config, ai_assisted=ai_assisted, signoff=signoff)


def run_plan(
    plan: str,
    select: Sequence[str] = (),
    config: Config | None = None,
    rules: Sequence[type[Rule]] | None = None,
    path: str = "plan.json",
) -> Report:
    """Check a Terraform plan's JSON (`terraform show -json` output) with the installed rules."""
    changeset = ChangeSet(files=[from_plan_text(plan, path)], source="plan", description=path)
    chosen = select_rules(list(rules) if rules is not None else all_rules(), select, ())
    return build_report(changeset, chosen, config or Config())


def run_example(
    kind: str,
    text: str,
    select: Sequence[str] = (),
    config: Config | None = None,
) -> Report:
    """Run a documentation example: a "diff", or a "json" plan."""
    if kind == "json":
        return run_plan(text, select=select, config=config)
    return run_diff(text, select=select, config=config)


def run_fixture(
    path: str | Path,
    select: Sequence[str] = (),
    config: Config | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> Report:
    """`run_diff` on a fixture file."""
    return run_diff(Path(path).read_bytes(), select=select, config=config, rules=rules)


def found(report: Report) -> set[tuple[str, str, int]]:
    """The `(code, path, line)` set of a report: what rule tests compare against."""
    return {(f.code, f.path, f.line) for f in report.findings}
