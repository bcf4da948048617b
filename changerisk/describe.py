"""`changerisk describe`: a change description skeleton, pre-filled with what the check found.

The facts (what the change destroys, recreates, widens; critical files; level, tier and
owners) are written in; rollback and testing are left for the author as HTML comments, which
count as empty, so the description check keeps asking until they are filled in.
"""

from __future__ import annotations

from collections.abc import Sequence

from changerisk.config import Config
from changerisk.model import Category, Finding
from changerisk.report import Report

MAX_ITEMS = 15
_DESTROYS = (Category.DESTRUCTIVE, Category.RECREATE)
_PROMPTS = {
    "rollback": "How is this rolled back, and what does not come back (data, state, "
    "deleted resources)? Fill in.",
    "testing": "How and where was it tested (a plan, staging, a dry run, tests)? Fill in.",
}


def _item(finding: Finding) -> str:
    return f"- {finding.message} (`{finding.path}:{finding.line}`, {finding.code})"


def _items(findings: Sequence[Finding]) -> list[str]:
    shown = [_item(f) for f in findings[:MAX_ITEMS]]
    if len(findings) > MAX_ITEMS:
        shown.append(f"- … and {len(findings) - MAX_ITEMS} more (see the changerisk report)")
    return shown


def _impact(report: Report) -> list[str]:
    findings = sorted(
        (f for f in report.findings if f.category is not Category.PROCESS),
        key=lambda f: (-f.severity, f.path, f.line, f.code),
    )
    destroys = [f for f in findings if f.category in _DESTROYS]
    access = [f for f in findings if f.category is Category.ACCESS]
    other = [f for f in findings if f not in destroys and f not in access]
    out: list[str] = []
    if destroys:
        out += ["Resources destroyed or recreated:", *_items(destroys), ""]
    if access:
        out += ["Access widened:", *_items(access), ""]
    if other:
        out += ["Other findings:", *_items(other), ""]
    if not out:
        out = ["- changerisk found nothing risky in this change", ""]
    return out


def _radius(report: Report) -> list[str]:
    out = [
        f"- Risk **{report.level}** (score {report.score}/100); required sign-off: "
        f"**{report.tier}**"
    ]
    critical = sorted({f.path for f in report.findings if f.category is Category.CRITICAL_PATH})
    if critical:
        out.append("- Critical files: " + ", ".join(f"`{p}`" for p in critical))
    if report.owners:
        out.append("- Owners: " + ", ".join(f"`{o}`" for o in report.owners))
    out.append(f"- Files changed: {report.files_checked}")
    if report.ai_assisted:
        out.append("- AI-assisted: yes")
    if report.authors:
        out.append("- Author: " + ", ".join(f"`{a.identity}` ({a.level})" for a in report.authors))
    return [*out, ""]


def skeleton(report: Report, config: Config) -> str:
    """Markdown with one `##` heading per required section of the configuration."""
    lines = [
        "<!-- changerisk describe: the facts come from the check; fill in what is marked -->",
        "",
    ]
    for section in config.signoff.sections:
        lines.append(f"## {section.name[:1].upper()}{section.name[1:]}")
        lines.append("")
        if section.name == "production impact":
            lines += _impact(report)
        elif section.name == "blast radius":
            lines += _radius(report)
        else:
            prompt = _PROMPTS.get(section.name, f"{section.name}: fill in.")
            lines += [f"<!-- {prompt} -->", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
