"""Rule documentation from docstrings: one text feeds `explain`, the rule docs and tests."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import NamedTuple

from changerisk.regex import lazy_compile
from changerisk.rule import Rule

_SECTION = lazy_compile(r"^## (.+?)\s*$", re.MULTILINE)
EXAMPLE_LANGUAGES = ("diff", "json")
_FENCE = lazy_compile(r"^```(\w*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


class RuleDoc(NamedTuple):
    summary: str
    intro: str
    sections: dict[str, str]

    @property
    def why(self) -> str:
        return self.sections.get("Why it matters", "").strip()

    @property
    def bad(self) -> str:
        return self.example("Bad")[1]

    @property
    def good(self) -> str:
        return self.example("Good")[1]

    def example(self, section: str) -> tuple[str, str]:
        """The example of a section and its kind: a "diff", or a "json" Terraform plan."""
        text = self.sections.get(section, "")
        for language in EXAMPLE_LANGUAGES:
            body = _first_fence(text, language)
            if body:
                return language, body
        return "", ""

    @property
    def config_toml(self) -> str:
        return _first_fence(self.sections.get("Configuration", ""), "toml")


def _first_fence(text: str, language: str) -> str:
    for match in _FENCE.finditer(text):
        if match.group(1) == language:
            body = match.group(2)
            if language == "diff":  # an editor may strip the space of an empty context line
                body = "\n".join(line if line else " " for line in body.split("\n")[:-1]) + "\n"
            return body
    return ""


def parse_rule_doc(rule: type[Rule]) -> RuleDoc:
    text = inspect.cleandoc(rule.__doc__ or "")
    summary, _, rest = text.partition("\n")
    parts = _SECTION.split(rest)
    intro = parts[0].strip()
    sections = {
        parts[i].strip(): parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts) - 1, 2)
    }
    return RuleDoc(summary=summary.strip(), intro=intro, sections=sections)


def render_markdown(rule: type[Rule], level: int = 1) -> str:
    """The rule's documentation page: metadata, then the docstring sections; `level` is the
    heading level of its title (2 inside the rule reference)."""
    doc = parse_rule_doc(rule)
    title, section = "#" * level, "#" * (level + 1)
    formats = ", ".join(sorted(rule.formats)) or (
        "whole change" if rule.scope == "changeset" else "any text file"
    )
    lines = [
        f"{title} {rule.code} {rule.name}",
        "",
        doc.summary,
        "",
        f"- category: {rule.category.value}",
        f"- default severity: {rule.severity.label}",
        f"- confidence: {rule.confidence.value}",
        f"- applies to: {formats}",
        f"- since: {rule.since}",
        "",
    ]
    if doc.intro:
        lines += [doc.intro, ""]
    for heading, body in doc.sections.items():
        lines += [f"{section} {heading}", "", body.strip("\n"), ""]
    return "\n".join(lines)


REFERENCE_COMMAND = "python scripts/gen_rule_docs.py"


def render_reference(rules: Sequence[type[Rule]]) -> str:
    """docs/rules.md: an index table, then every rule's page, in code order."""
    ordered = sorted(rules, key=lambda r: r.code)
    lines = [
        "# Rule reference",
        "",
        f"<!-- Generated from the rules' docstrings by `{REFERENCE_COMMAND}`; do not edit. -->",
        "",
        f"{len(ordered)} rules. `changerisk explain CODE` prints the same page in a terminal.",
        "",
        "| code | name | category | severity | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in ordered:
        summary = parse_rule_doc(rule).summary.replace("|", "\\|")
        anchor = f"{rule.code}-{rule.name}".lower()
        lines.append(
            f"| [{rule.code}](#{anchor}) | {rule.name} | {rule.category.value} "
            f"| {rule.severity.label} | {summary} |"
        )
    lines.append("")
    for rule in ordered:
        lines += [render_markdown(rule, level=2).rstrip("\n"), ""]
    return "\n".join(lines)


def builtin_rules() -> list[type[Rule]]:
    """The rules this distribution ships (third-party plugins installed beside it left out)."""
    from changerisk.registry import all_rules, find_plugins

    return all_rules([p for p in find_plugins() if p.distribution == "changerisk"])
