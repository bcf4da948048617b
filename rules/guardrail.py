"""What a change does to changerisk's own guardrail: the configuration it weakens (old against
new) and the hooks and CI steps that run it, skipped or made unable to fail.

Used by the integrity rules (INT103, INT105, INT106); no rules here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from changerisk import toml
from changerisk.parsers.yamldoc import YNode, parse_stream
from changerisk.regex import lazy_compile
from changerisk.rule import FileChange

LEVELS = ("none", "info", "low", "medium", "high", "critical")
_DEFAULT_TIERS = ("any reviewer", "peer", "senior", "senior + owner")
_DEFAULT_TIER_FOR_LEVEL = dict(
    zip(
        LEVELS,
        ("any reviewer", "any reviewer", "any reviewer", "peer", "senior", "senior + owner"),
        strict=True,
    )
)


class Weakening(NamedTuple):
    key: str  # the config key, to find its line
    message: str


def config_table(change: FileChange, side: str) -> dict[str, Any] | None:
    """The changerisk table of one side ({} when the file has none), None when unreadable."""
    text = change.old_text() if side == "old" else change.new_text()
    if text is None:
        return {}
    if not complete(change, side):
        return None  # a bare diff shows part of the file: the rest is unknown
    try:
        data = toml.loads(text)
    except toml.TomlError:
        return None
    if change.path.rsplit("/", 1)[-1] == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("changerisk", {}) if isinstance(tool, dict) else {}
        return table if isinstance(table, dict) else None
    return dict(data)


def complete(change: FileChange, side: str) -> bool:
    """Whether the whole text of `side` is known (a full text, or a diff showing every line)."""
    text = change.old_text() if side == "old" else change.new_text()
    if text is None or not change.is_partial(side):
        return True
    return change.shows(side, 1, max(text.count("\n"), 1))


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _level(value: Any, default: str) -> int:
    return LEVELS.index(value) if value in LEVELS else LEVELS.index(default)


def weakenings(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Weakening]:
    """Each way `new` checks less, blocks less or asks fewer reviewers than `old`."""
    old_fail, new_fail = old.get("fail-on", "high"), new.get("fail-on", "high")
    if _level(new_fail, "high") > _level(old_fail, "high") or (
        new_fail == "none" and old_fail != "none"
    ):
        yield Weakening(
            "fail-on",
            f"raises fail-on from {old_fail} to {new_fail}: changes "
            f"below {new_fail} no longer fail the check",
        )
    ignored = [c for c in _list(new.get("ignore")) if c not in _list(old.get("ignore"))]
    if ignored:
        yield Weakening("ignore", f"ignores {', '.join(ignored)}: those rules no longer run")
    old_select, new_select = _list(old.get("select")), _list(new.get("select"))
    if (
        new_select
        and "ALL" not in new_select
        and (not old_select or "ALL" in old_select or set(old_select) - set(new_select))
    ):
        dropped = [c for c in old_select if c not in new_select] if old_select else []
        what = (
            ", ".join(dropped)
            if dropped and "ALL" not in old_select
            else (f"every rule outside {', '.join(new_select)}")
        )
        yield Weakening("select", f"narrows select: {what} no longer run")
    old_paths = _table(old.get("per-path-ignores"))
    for glob, codes in _table(new.get("per-path-ignores")).items():
        added = [c for c in _list(codes) if c not in _list(old_paths.get(glob))]
        if added:
            yield Weakening(glob, f"ignores {', '.join(added)} on {glob}")
    yield from _critical(old, new)
    old_tiers = _list(old.get("tiers")) or list(_DEFAULT_TIERS)
    new_tiers = _list(new.get("tiers")) or list(_DEFAULT_TIERS)
    old_map = {**_DEFAULT_TIER_FOR_LEVEL, **_table(old.get("tier-for-level"))}
    new_map = {**_DEFAULT_TIER_FOR_LEVEL, **_table(new.get("tier-for-level"))}
    if old_tiers == new_tiers:
        for level in LEVELS:
            before, after = old_map.get(level), new_map.get(level)
            if (
                before in new_tiers
                and after in new_tiers
                and new_tiers.index(after) < new_tiers.index(before)
            ):
                yield Weakening(
                    "tier-for-level", f"{level} changes now need {after} instead of {before}"
                )
    old_ai, new_ai = _table(old.get("ai-assisted")), _table(new.get("ai-assisted"))
    if _level(new_ai.get("min-level"), "medium") > _level(old_ai.get("min-level"), "medium"):
        yield Weakening(
            "min-level",
            f"AI-assisted changes get their minimum tier only from "
            f"{new_ai.get('min-level')} (was {old_ai.get('min-level', 'medium')})",
        )
    old_min, new_min = old_ai.get("min-tier", "senior"), new_ai.get("min-tier", "senior")
    if (
        old_min in new_tiers
        and new_min in new_tiers
        and new_tiers.index(new_min) < new_tiers.index(old_min)
    ):
        yield Weakening("min-tier", f"AI-assisted changes need only {new_min} (was {old_min})")
    old_env, new_env = _table(old.get("environments")), _table(new.get("environments"))
    calmer = [
        p
        for p in _list(new_env.get("non-production"))
        if p not in _list(old_env.get("non-production"))
    ]
    if calmer and "non-production" in old_env:
        yield Weakening(
            "non-production",
            f"treats {', '.join(calmer)} as non-production: findings there are lowered",
        )
    if "production" in old_env:
        gone = [
            p for p in _list(old_env.get("production")) if p not in _list(new_env.get("production"))
        ]
        if gone:
            yield Weakening(
                "production",
                f"no longer treats {', '.join(gone)} as production: findings there are not raised",
            )
    old_exc, new_exc = _table(old.get("exceptions")), _table(new.get("exceptions"))
    old_entries = [repr(e) for e in old_exc.get("ignore", []) if isinstance(e, dict)]
    for entry in new_exc.get("ignore", []) or []:
        if isinstance(entry, dict) and repr(entry) not in old_entries:
            codes = ", ".join(_list(entry.get("codes")))
            paths = ", ".join(_list(entry.get("paths"))) or "every path"
            yield Weakening(
                "codes",
                f"adds an exception: {codes} ignored on {paths}"
                + (f" until {entry['until']}" if entry.get("until") else ""),
            )
    old_days, new_days = old_exc.get("max-days", 90), new_exc.get("max-days", 90)
    if isinstance(old_days, int) and isinstance(new_days, int) and new_days > old_days:
        yield Weakening("max-days", f"lets exceptions run {new_days} days (was {old_days})")
    old_gates = _list(_table(old.get("integrity")).get("gate-commands"))
    new_gates = _list(_table(new.get("integrity")).get("gate-commands"))
    gone_gates = [g for g in old_gates if g not in new_gates]
    if gone_gates:
        yield Weakening(
            "gate-commands",
            f"stops watching {', '.join(gone_gates)} as the command that runs the check",
        )


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _critical(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Weakening]:
    def entries(table: dict[str, Any]) -> dict[tuple[str, ...], str]:
        out = {}
        for entry in table.get("critical-paths", []) or []:
            if isinstance(entry, dict):
                out[tuple(_list(entry.get("paths")))] = str(entry.get("severity", "high"))
        return out

    before, after = entries(old), entries(new)
    for paths, severity in before.items():
        if paths not in after:
            yield Weakening(
                "critical-paths",
                f"drops critical path {', '.join(paths)}: changes there are no longer raised",
            )
        elif _level(after[paths], "high") < _level(severity, "high"):
            yield Weakening(
                "severity",
                f"lowers critical path {', '.join(paths)} from {severity} to {after[paths]}",
            )


def key_line(change: FileChange, key: str) -> tuple[int, str]:
    """The added line that sets `key` (its first), else the first changed line."""
    pattern = re.compile(
        rf"""^\s*["']?{re.escape(key)}["']?\s*=|\[\[?\s*[\w."-]*{re.escape(key)}"""
    )
    for line in change.added_lines:
        if line.new_no and pattern.search(line.text):
            return line.new_no, "new"
    for line in change.added_lines:
        if line.new_no and line.text.strip() and not line.text.strip().startswith("#"):
            return line.new_no, "new"
    return change.first_changed_line()


# --- the hook and CI steps that run the check ------------------------------------------------


class Gate(NamedTuple):
    """A pre-commit hook, CI step or CI job that runs the check, and how it is weakened."""

    identity: str
    label: str
    line: int
    end_line: int
    flags: frozenset[str]  # what stops it failing or running
    flag_lines: dict[str, int]


_SOFT_RUN = (
    (lazy_compile(r"\|\|\s*(true|:|exit\s+0)\b"), "its failure is ignored (|| true)"),
    (lazy_compile(r";\s*exit\s+0\s*$|\bset\s+\+e\b", re.M), "its exit code is dropped"),
    (lazy_compile(r"--fail-on[= ]\s*['\"]?(none|critical)\b"), "it fails only at {0}"),
    (lazy_compile(r"--ignore[= ]\s*['\"]?(\S+)"), "it ignores {0}"),
    (lazy_compile(r"--select[= ]\s*['\"]?(\S+)"), "it runs only {0}"),
    (lazy_compile(r"--exit-zero\b|--no-fail\b"), "it always exits 0"),
)


def _yaml_root(change: FileChange, side: str) -> YNode | None:
    text = change.old_text() if side == "old" else change.new_text()
    if not text:
        return None
    stream = parse_stream(text.replace("{{", "((").replace("}}", "))"))
    roots = [r for r in stream.roots if r.kind == "map"]
    return roots[0] if len(roots) == 1 else None


def gates(change: FileChange, side: str, commands: tuple[str, ...]) -> dict[str, Gate]:
    """The gates of one side of a pre-commit config or CI file, by a stable identity."""

    def build() -> dict[str, Gate]:
        root = _yaml_root(change, side)
        if root is None:
            return {}
        name = change.path.rsplit("/", 1)[-1]
        if name in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
            return _hooks(root, commands)
        return _ci_gates(root, commands)

    return change.cached(f"gates:{side}:{','.join(commands)}", build)


def _runs_gate(text: str, commands: tuple[str, ...]) -> bool:
    return any(re.search(rf"(^|[\s/;&|(]){re.escape(c)}(\s|$)", text) for c in commands)


def _hooks(root: YNode, commands: tuple[str, ...]) -> dict[str, Gate]:
    out: dict[str, Gate] = {}
    repos = root.get("repos")
    if repos is None or repos.kind != "seq":
        return out
    for repo in repos.items:
        hooks = repo.get("hooks") if repo.kind == "map" else None
        if hooks is None or hooks.kind != "seq":
            continue
        url = repo.text("repo") or ""
        for hook in hooks.items:
            if hook.kind != "map":
                continue
            hook_id = hook.text("id") or ""
            entry = hook.text("entry") or ""
            if not (
                hook_id.startswith("changerisk")
                or "changerisk" in url
                or _runs_gate(entry, commands)
            ):
                continue
            flags: dict[str, int] = {}
            stages = hook.get("stages")
            if (
                stages is not None
                and stages.kind == "seq"
                and stages.items
                and all(s.value == "manual" for s in stages.items if s.kind == "scalar")
            ):
                flags["it runs only when called by hand (stages: [manual])"] = stages.line
            for key in ("exclude", "files"):
                node = hook.get(key)
                if node is not None and node.kind == "scalar" and node.value:
                    flags[f"it skips files ({key}: {node.value})"] = node.line
            args = hook.get("args")
            if args is not None and args.kind == "seq":
                _soft(" ".join(i.value for i in args.items if i.kind == "scalar"), args.line, flags)
            identity = f"hook {hook_id}"
            out[identity] = Gate(
                identity,
                f"the {hook_id} pre-commit hook",
                hook.line,
                hook.end_line,
                frozenset(flags),
                flags,
            )
    return out


def _scalar_true(node: YNode | None) -> bool:
    return node is not None and node.kind == "scalar" and node.value.lower() == "true"


def _soft(text: str, line: int, flags: dict[str, int]) -> None:
    for pattern, template in _SOFT_RUN:
        match = pattern.search(text)
        if match is not None:
            value = match.group(1) if match.groups() else ""
            flags[template.format(value)] = line


def _ci_gates(root: YNode, commands: tuple[str, ...]) -> dict[str, Gate]:
    """GitHub Actions steps and GitLab CI jobs that run the check."""
    out: dict[str, Gate] = {}
    jobs = root.get("jobs")
    if jobs is not None and jobs.kind == "map":  # GitHub Actions
        for key, job in jobs.entries:
            if job.kind != "map":
                continue
            steps = job.get("steps")
            if steps is None or steps.kind != "seq":
                continue
            for index, step in enumerate(steps.items):
                if step.kind != "map":
                    continue
                run, uses = step.text("run") or "", step.text("uses") or ""
                if not (_runs_gate(run, commands) or "changerisk" in uses.lower()):
                    continue
                flags: dict[str, int] = {}
                for owner, where in ((step, "the step"), (job, "the job")):
                    node = owner.get("continue-on-error")
                    if _scalar_true(node):
                        assert node is not None
                        flags[f"{where} may fail (continue-on-error: true)"] = node.line
                    condition = owner.get("if")
                    if (
                        condition is not None
                        and condition.kind == "scalar"
                        and re.fullmatch(r"\s*(\$\(\(\s*)?false(\s*\)\))?\s*", condition.value)
                    ):
                        flags[f"{where} never runs (if: false)"] = condition.line
                run_node = step.get("run")
                if run_node is not None:
                    _soft(run, run_node.line, flags)
                with_node = step.get("with")
                if with_node is not None and with_node.kind == "map":
                    for arg_key, arg in with_node.entries:
                        if arg.kind == "scalar":
                            if arg_key.value in ("fail-on", "fail_on") and arg.value in (
                                "none",
                                "critical",
                            ):
                                flags[f"it fails only at {arg.value}"] = arg.line
                            if arg_key.value in ("args", "extra-args"):
                                _soft(arg.value, arg.line, flags)
                name = step.text("name") or step.text("id") or uses or f"step {index + 1}"
                identity = f"{key.value}/{name}"
                out[identity] = Gate(
                    identity,
                    f"step {name!r} of job {key.value}",
                    step.line,
                    step.end_line,
                    frozenset(flags),
                    flags,
                )
        return out
    for key, job in root.entries:  # GitLab CI: jobs at the top level
        if job.kind != "map" or key.kind != "scalar" or key.value.startswith("."):
            continue
        script = job.get("script")
        if script is None:
            continue
        text = (
            "\n".join(i.value for i in script.items if i.kind == "scalar")
            if (script.kind == "seq")
            else script.value
        )
        if not _runs_gate(text, commands):
            continue
        flags = {}
        node = job.get("allow_failure")
        if _scalar_true(node):
            assert node is not None
            flags["the job may fail (allow_failure: true)"] = node.line
        when = job.get("when")
        if when is not None and when.kind == "scalar" and when.value in ("manual", "never"):
            flags[
                f"the job runs only {'by hand' if when.value == 'manual' else 'never'} "
                f"(when: {when.value})"
            ] = when.line
        _soft(text, script.line, flags)
        out[key.value] = Gate(
            key.value, f"job {key.value}", job.line, job.end_line, frozenset(flags), flags
        )
    return out
