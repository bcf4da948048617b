"""`changerisk history`: replay the policy over past commits and summarise what it would have
asked for (levels, tiers, top rules, the commits that needed senior sign-off)."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from changerisk.history import CommitResult, Summary

EXIT_OK = 0


@click.command()
@click.option("--max-count", "-n", type=click.IntRange(min=1), help="Replay at most N commits.")
@click.option("--since", metavar="DATE", help="Only commits after DATE (as git log --since).")
@click.option("--base", metavar="REF", help="Only the commits since the merge base with REF.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Summary as text, or one record per commit as JSON or CSV.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to use instead of the nearest one.",
)
@click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes/prefixes.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes/prefixes.")
def history(
    max_count: int | None,
    since: str | None,
    base: str | None,
    fmt: str,
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> int:
    """Replay the policy over past commits of the repository (calibrate before gating).

    Without --max-count, --since or --base, the last 200 commits are replayed.
    """
    from changerisk import git
    from changerisk.config import load_config
    from changerisk.history import Summary, commits_to_replay, replay, sign_off_rank
    from changerisk.registry import all_rules, select_rules

    if base is not None and not base.strip():
        raise click.UsageError("--base needs a ref, got an empty value")
    root = git.repo_root(os.getcwd())
    config = load_config(config_path, start=Path(root))
    rules = select_rules(
        all_rules(),
        select=_codes(select) or config.select,
        ignore=(*config.ignore, *_codes(ignore)),
    )
    if max_count is None and not since and not base:
        max_count = 200
    commits = commits_to_replay(root, max_count, since, base)
    summary = Summary()
    rank = sign_off_rank(config)
    results = []
    for result in _with_progress(replay(root, commits, rules, config), len(commits)):
        summary.add(result, rank, config.tiers)
        results.append(result)
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(_as_json(results, summary, config.ai_min_tier), indent=2) + "\n")
    elif fmt == "csv":
        _write_csv(results, out)
    else:
        _write_text(summary, config.ai_min_tier, out)
    return EXIT_OK


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.strip().upper() for v in values for c in v.split(",") if c.strip())


def _with_progress(results: Iterable[CommitResult], total: int) -> list[CommitResult]:
    """A rich progress bar on a terminal's stderr; silent when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return list(results)
    from rich.progress import Progress

    out = []
    with Progress(transient=True) as progress:
        task = progress.add_task("replaying commits", total=total)
        for result in results:
            out.append(result)
            progress.advance(task)
    return out


def _record(result: CommitResult) -> dict[str, object]:
    commit, report = result.commit, result.report
    return {
        "sha": commit.sha,
        "date": commit.date,
        "author": commit.author,
        "subject": commit.subject,
        "level": report.level,
        "score": report.score,
        "tier": report.tier,
        "ai_assisted": report.ai_assisted,
        "rules": sorted({f.code for f in report.findings}),
        "findings": len(report.findings),
    }


def _as_json(results: list[CommitResult], summary: Summary, sign_off: str) -> dict[str, object]:
    return {
        "schema": "changerisk-history/1",
        "summary": {
            "commits": summary.commits,
            "levels": dict(summary.levels),
            "tiers": dict(summary.tiers),
            "rules": dict(summary.rules.most_common()),
            "ai_assisted": summary.ai_assisted,
            "sign_off_tier": sign_off,
            "needs_sign_off": [r.commit.sha for r in summary.needs_sign_off],
        },
        "commits": [_record(r) for r in results],
    }


def _write_csv(results: list[CommitResult], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    columns = ["sha", "date", "author", "level", "score", "tier", "ai_assisted", "rules"]
    writer.writerow([*columns, "subject"])
    for result in results:
        record = _record(result)
        record["rules"] = " ".join(record["rules"])  # type: ignore[arg-type]
        writer.writerow([*(record[c] for c in columns), record["subject"]])


def _write_text(summary: Summary, sign_off: str, out: TextIO) -> None:
    from changerisk.model import LEVEL_NAMES

    total = summary.commits or 1
    lines = [f"{summary.commits} commits replayed, {summary.ai_assisted} AI-assisted", ""]
    lines.append("level      commits")
    for level in reversed(LEVEL_NAMES):
        if summary.levels[level]:
            share = 100 * summary.levels[level] / total
            lines.append(f"{level:<10} {summary.levels[level]:>7}  {share:5.1f}%")
    lines += ["", "tier                commits"]
    for tier, count in summary.tiers.most_common():
        lines.append(f"{tier:<19} {count:>8}  {100 * count / total:5.1f}%")
    if summary.rules:
        lines += ["", "top rules (commits)"]
        lines += [f"{code:<10} {count:>5}" for code, count in summary.rules.most_common(10)]
    needing = summary.needs_sign_off
    lines += ["", f"{len(needing)} commits would have needed {sign_off} sign-off or more"]
    for result in needing[:20]:
        report, commit = result.report, result.commit
        top = max(report.findings, key=lambda f: f.severity) if report.findings else None
        why = f"  {top.code} {top.message[:80]}" if top else ""
        lines.append(
            f"  {commit.sha[:10]} {commit.date[:10]} {report.level:<8} {report.tier}: "
            f"{commit.subject[:60]}"
        )
        if why:
            lines.append(f"  {' ' * 10}{why}")
    if len(needing) > 20:
        lines.append(f"  … and {len(needing) - 20} more (--format csv lists every commit)")
    out.write("\n".join(lines) + "\n")
