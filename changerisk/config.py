"""Configuration: `[tool.changerisk]` in pyproject.toml or `.changerisk.toml`, validated at load.

Errors name the file and the key: `pyproject.toml: [tool.changerisk] fail-on: ...`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from changerisk import toml
from changerisk.datafiles import read_text
from changerisk.errors import ConfigError
from changerisk.model import LEVEL_NAMES, Severity
from changerisk.rule import CriticalPath
from changerisk.signoff import (
    DEFAULT_SECTIONS,
    PolicyStep,
    Requirement,
    Section,
    SignoffPolicy,
    default_requirement,
    default_steps,
)
from changerisk.team import DEFAULT_LEVELS, Person, Team, identity

DEFAULT_TIERS = ("any reviewer", "peer", "senior", "senior + owner")
DEFAULT_TIER_FOR_LEVEL = {
    "none": "any reviewer",
    "info": "any reviewer",
    "low": "any reviewer",
    "medium": "peer",
    "high": "senior",
    "critical": "senior + owner",
}
DEFAULT_PRODUCTION = (
    "prod/",
    "production/",
    "prd/",
    "live/",
    "*prod.tfvars",
    "*production.tfvars",
    "*-prod.yaml",
    "*-prod.yml",
    "*.prod.yaml",
    "*.prod.yml",
    "*-production.yaml",
    "*-production.yml",
)
DEFAULT_NON_PRODUCTION = (
    "test/",
    "tests/",
    "testing/",
    "__tests__/",
    "spec/",
    "fixtures/",
    "testdata/",
    "test_*.py",
    "*_test.py",
    "*_test.go",
    "*.test.[jt]s",
    "*.spec.[jt]s",
    "examples/",
    "example/",
    "docs/",
    "doc/",
    "dev/",
    "sandbox/",
    "staging/",
)
CONFIG_FILE = ".changerisk.toml"


@dataclass(frozen=True)
class ConfigException:
    """A configured exception: these codes are ignored on these paths until a date, for a
    reason. Expired, it suppresses nothing; without a reason or too far ahead, it is reported."""

    codes: tuple[str, ...]
    paths: tuple[str, ...]
    until: date | None
    reason: str
    index: int


@dataclass(frozen=True)
class GuardPolicy:
    """`[guard]`: how `changerisk guard` turns an agent's action into allow, ask or deny.

    Below `ask_at` allow; from `ask_at` ask a person; from `deny_at`, or a command matching a
    `deny` pattern, deny. `fail_mode` "closed" denies what could not be checked (a crash, a
    timeout, an unreadable payload); "open" allows it with a warning. `audit_log` is a JSON
    lines file (relative to the config file's folder), off when empty."""

    ask_at: Severity = Severity.MEDIUM
    deny_at: Severity = Severity.CRITICAL
    deny: tuple[str, ...] = ()
    fail_mode: str = "closed"
    audit_log: str = ""
    timeout: float = 10.0


@dataclass(frozen=True)
class Config:
    """The validated configuration; defaults apply where the file is silent."""

    source: str = "defaults"
    fail_on: str = "high"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tiers: tuple[str, ...] = DEFAULT_TIERS
    tier_for_level: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIER_FOR_LEVEL))
    ai_min_level: str = "medium"
    ai_min_tier: str = "senior"
    ai_agents: tuple[str, ...] = ()
    ai_branches: tuple[str, ...] = ()
    breadth_categories: int = 3
    breadth_components: int = 4
    critical_paths: tuple[CriticalPath, ...] = ()
    production: tuple[str, ...] = DEFAULT_PRODUCTION
    non_production: tuple[str, ...] = DEFAULT_NON_PRODUCTION
    terraform_replacements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    change_shape: dict[str, int] = field(default_factory=dict)
    team: Team = field(default_factory=Team)
    signoff: SignoffPolicy = field(default_factory=SignoffPolicy)
    max_exception_days: int = 90
    exceptions: tuple[ConfigException, ...] = ()
    today: date | None = None  # fixed "today" for expiries (tests, replays); None: the clock
    gate_commands: tuple[str, ...] = ("changerisk",)  # what runs the gate in hooks and CI
    guard: GuardPolicy = field(default_factory=GuardPolicy)

    def rule_options(self) -> dict[str, object]:
        """Settings of rule families, by dotted key, for `RuleSettings.options`."""
        return {
            "terraform.replacement-attributes": dict(self.terraform_replacements),
            "environments.non-production": self.non_production,
            "environments.production": self.production,
            **{f"change-shape.{key}": value for key, value in self.change_shape.items()},
            "exceptions.max-days": self.max_exception_days,
            "exceptions.today": (self.today or date.today()).isoformat(),
            "integrity.gate-commands": self.gate_commands,
        }

    def requirement(self, tier: str) -> Requirement:
        """The approvals that satisfy `tier` under this configuration."""
        return self.signoff.requirements.get(tier) or default_requirement(tier, self.team)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


def find_config(start: Path) -> Path | None:
    """The nearest `.changerisk.toml`, or pyproject.toml with `[tool.changerisk]`, upwards,
    up to the top of the repository: a file above it belongs to no one checking this one."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.exists() or candidate.is_symlink():
            return candidate  # read (or refused) by load_config: never skipped silently
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _has_tool_section(path: Path) -> bool:
    try:
        return b"[tool.changerisk" in path.read_bytes()
    except OSError:
        return False


def load_config(path: Path | None = None, start: Path | None = None) -> Config:
    """Load and validate the configuration at `path`, or the one found from `start` upwards."""
    if path is None:
        path = find_config(start or Path.cwd())
        if path is None:
            return Config()
    elif not path.exists():
        raise ConfigError(f"{path}: no such config file")
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file (a directory or a broken link)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return config_from_text(text, path.name, source=str(path), label=str(path))


def config_from_text(text: str, name: str, source: str, label: str) -> Config:
    """Parse the text of a config file named `name` (pyproject.toml or .changerisk.toml)."""
    path = Path(name)
    try:
        data = toml.loads(text)
    except toml.TomlError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("changerisk", {})
        section = "[tool.changerisk] "
    else:
        table, section = data, ""
    return parse_config(table, f"{path.name}: {section}".rstrip() + " ", source=source)


def parse_config(table: dict[str, Any], where: str = "", source: str = "config") -> Config:
    """Validate a configuration table against the schema and build a `Config`."""
    _validate(table, where)
    cfg = Config(source=source)
    tiers = tuple(table.get("tiers", cfg.tiers))
    tier_for_level = dict(DEFAULT_TIER_FOR_LEVEL)
    if "tiers" in table and "tier-for-level" not in table:
        tier_for_level = _spread(tiers)
    tier_for_level.update(table.get("tier-for-level", {}))
    for level, tier in tier_for_level.items():
        if tier not in tiers:
            raise ConfigError(f"{where}tier-for-level.{level}: {tier!r} is not one of tiers")
    ai = table.get("ai-assisted", {})
    ai_min_tier = ai.get("min-tier", "senior" if "senior" in tiers else tiers[-1])
    if ai_min_tier not in tiers:
        raise ConfigError(f"{where}ai-assisted.min-tier: {ai_min_tier!r} is not one of tiers")
    breadth = table.get("breadth", {})
    environments = table.get("environments", {})
    critical = tuple(
        CriticalPath(
            patterns=tuple(entry["paths"]),
            severity=Severity.parse(entry.get("severity", "high")),
            owners=tuple(entry.get("owners", ())),
            description=entry.get("description", ""),
        )
        for entry in table.get("critical-paths", [])
    )
    for index, entry in enumerate(critical):
        _check_globs(entry.patterns, f"{where}critical-paths[{index}].paths")
    terraform = table.get("terraform", {})
    per_path = tuple(
        (glob, tuple(codes)) for glob, codes in table.get("per-path-ignores", {}).items()
    )
    for glob, _ in per_path:
        _check_globs((glob,), f"{where}per-path-ignores")
    team = _team(table.get("team", {}), where)
    signoff = _signoff(
        table, where, tiers, team, ai.get("min-level", cfg.ai_min_level), ai_min_tier
    )
    exceptions = table.get("exceptions", {})
    integrity = table.get("integrity", {})
    return replace(
        cfg,
        guard=_guard(table.get("guard", {}), where, source),
        gate_commands=tuple(dict.fromkeys(("changerisk", *integrity.get("gate-commands", ())))),
        team=team,
        signoff=signoff,
        max_exception_days=exceptions.get("max-days", cfg.max_exception_days),
        exceptions=tuple(
            _exception(entry, index, where)
            for index, entry in enumerate(exceptions.get("ignore", []))
        ),
        fail_on=table.get("fail-on", cfg.fail_on),
        select=tuple(table.get("select", ())),
        ignore=tuple(table.get("ignore", ())),
        per_path_ignores=per_path,
        tiers=tiers,
        tier_for_level=tier_for_level,
        ai_min_level=ai.get("min-level", cfg.ai_min_level),
        ai_min_tier=ai_min_tier,
        ai_agents=tuple(ai.get("agents", ())),
        ai_branches=tuple(ai.get("branches", ())),
        breadth_categories=breadth.get("categories", cfg.breadth_categories),
        breadth_components=breadth.get("components", cfg.breadth_components),
        critical_paths=critical,
        production=tuple(environments.get("production", cfg.production)),
        non_production=tuple(environments.get("non-production", cfg.non_production)),
        change_shape=dict(table.get("change-shape", {})),
        terraform_replacements={
            rtype: tuple(names)
            for rtype, names in terraform.get("replacement-attributes", {}).items()
        },
    )


def _guard(table: dict[str, Any], where: str, source: str) -> GuardPolicy:
    defaults = GuardPolicy()
    ask_at = Severity.parse(table.get("ask-at", defaults.ask_at.label))
    deny_at = Severity.parse(table.get("deny-at", defaults.deny_at.label))
    if deny_at < ask_at:
        raise ConfigError(
            f'{where}guard.deny-at: "{deny_at.label}" is below guard.ask-at "{ask_at.label}"'
        )
    audit_log = table.get("audit-log", "")
    if audit_log and source not in ("defaults", "config") and not Path(audit_log).is_absolute():
        audit_log = str(Path(source).resolve().parent / audit_log)
    return GuardPolicy(
        ask_at=ask_at,
        deny_at=deny_at,
        deny=tuple(pattern.strip() for pattern in table.get("deny", ()) if pattern.strip()),
        fail_mode=table.get("fail-mode", defaults.fail_mode),
        audit_log=audit_log,
        timeout=float(table.get("timeout", defaults.timeout)),
    )


def _team(table: dict[str, Any], where: str) -> Team:
    levels = tuple(table.get("levels", DEFAULT_LEVELS))

    def level(value: str, key: str) -> str:
        if value not in levels:
            raise ConfigError(
                f"{where}{key}: {json.dumps(value)} is not one of team.levels ({', '.join(levels)})"
            )
        return value

    senior = table.get("senior", "senior" if "senior" in levels else levels[-1])
    level(senior, "team.senior")
    unknown = level(table.get("unknown-level", levels[0]), "team.unknown-level")
    people: list[Person] = []
    owner_of: dict[str, tuple[str, str]] = {}
    for name, entry in table.get("people", {}).items():
        key = f"team.people.{json.dumps(name)}"
        if isinstance(entry, str):
            entry = {"level": entry}
        person_level = level(entry["level"], f"{key}.level" if "aliases" in entry else key)
        ids = [identity(name), *(identity(a) for a in entry.get("aliases", ()))]
        for who in ids:
            if who in owner_of and owner_of[who][1] != person_level:
                raise ConfigError(
                    f"{where}{key}: {who} is given two levels ({owner_of[who][1]} under "
                    f"{owner_of[who][0]}, {person_level} here)"
                )
            if who in owner_of:
                raise ConfigError(
                    f"{where}{key}: {who} is listed twice (also under {owner_of[who][0]})"
                )
            owner_of[who] = (json.dumps(name), person_level)
        people.append(Person(name=name, level=person_level, identities=frozenset(ids)))
    groups = {name: tuple(members) for name, members in table.get("groups", {}).items()}
    return Team(
        levels=levels, people=tuple(people), senior=senior, unknown_level=unknown, groups=groups
    )


def _signoff(
    table: dict[str, Any],
    where: str,
    tiers: tuple[str, ...],
    team: Team,
    ai_min_level: str,
    ai_min_tier: str,
) -> SignoffPolicy:
    data = table.get("sign-off", {})

    def tier(value: str, key: str) -> str:
        if value not in tiers:
            raise ConfigError(f"{where}{key}: {json.dumps(value)} is not one of tiers")
        return value

    def level(value: str, key: str) -> str:
        if value and value not in team.levels:
            raise ConfigError(
                f"{where}{key}: {json.dumps(value)} is not one of team.levels "
                f"({', '.join(team.levels)})"
            )
        return value

    steps = default_steps(tiers, team, ai_min_level, ai_min_tier)
    if "policy" in data:
        steps = tuple(
            PolicyStep(
                tier=tier(entry["tier"], f"sign-off.policy[{i}].tier"),
                min_level=entry.get("min-level", "none"),
                ai_assisted=entry.get("ai-assisted"),
                author_below=level(
                    entry.get("author-below", ""), f"sign-off.policy[{i}].author-below"
                ),
                critical_path=entry.get("critical-path"),
            )
            for i, entry in enumerate(data["policy"])
        )
    requirements = {
        tier(name, f"sign-off.approvals.{json.dumps(name)}"): Requirement(
            level=level(entry.get("level", ""), f"sign-off.approvals.{json.dumps(name)}.level"),
            owner=entry.get("owner", False),
            count=entry.get("count", 1),
        )
        for name, entry in data.get("approvals", {}).items()
    }
    description_tier = data.get("description-tier", "senior" if "senior" in tiers else tiers[-1])
    tier(description_tier, "sign-off.description-tier")
    sections: tuple[Section, ...] = DEFAULT_SECTIONS
    if "sections" in data:
        known = {s.name: s for s in DEFAULT_SECTIONS}
        sections = tuple(
            known.get(entry, Section(entry, (entry,)))
            if isinstance(entry, str)
            else Section(entry["name"], (entry["name"], *entry.get("synonyms", ())))
            for entry in data["sections"]
        )
    return SignoffPolicy(
        enabled="team" in table or "sign-off" in table,
        steps=steps,
        requirements=requirements,
        description_tier=description_tier,
        sections=sections,
        stale_approvals=data.get("stale-approvals", "reject"),
        trailer_approvals=data.get("trailer-approvals", True),
    )


def _exception(entry: dict[str, Any], index: int, where: str) -> ConfigException:
    until = entry.get("until")
    if isinstance(until, str):
        try:
            until = date.fromisoformat(until.strip())
        except ValueError:
            raise ConfigError(
                f"{where}exceptions.ignore[{index}].until: {json.dumps(until)} is not a date "
                "(YYYY-MM-DD)"
            ) from None
    elif until is not None and not isinstance(until, date):
        raise ConfigError(f"{where}exceptions.ignore[{index}].until: expected a date (YYYY-MM-DD)")
    paths = tuple(entry.get("paths", ()))
    _check_globs(paths, f"{where}exceptions.ignore[{index}].paths")
    return ConfigException(
        codes=tuple(entry["codes"]),
        paths=paths,
        until=until,
        reason=entry.get("reason", "").strip(),
        index=index,
    )


def _spread(tiers: tuple[str, ...]) -> dict[str, str]:
    """Map the six levels onto a custom tier list, lowest tier for the lowest levels."""
    last = len(tiers) - 1
    return {
        level: tiers[round(i * last / (len(LEVEL_NAMES) - 1))]
        for i, level in enumerate(LEVEL_NAMES)
    }


def _check_globs(patterns: tuple[str, ...], key: str) -> None:
    from changerisk.paths import compile_patterns

    try:
        compile_patterns(patterns)
    except ValueError as exc:
        raise ConfigError(f"{key}: invalid pattern: {exc}") from None


@cache
def _validator() -> Callable[[Any], Any]:
    import fastjsonschema

    schema = json.loads(read_text("config.schema.json"))
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return validate


def _validate(table: dict[str, Any], where: str) -> None:
    import fastjsonschema

    try:
        _validator()(table)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ConfigError(f"{where}{_explain(exc, table)}") from None


def _explain(exc: Any, table: dict[str, Any]) -> str:
    path = [str(p) for p in (exc.path or [])][1:]
    key = ".".join(path)
    value: Any = table
    for part in path:
        value = (
            value[int(part)]
            if isinstance(value, list) and part.isdigit()
            else value.get(part)
            if isinstance(value, dict)
            else None
        )
    if exc.rule == "additionalProperties":
        known = (
            sorted(exc.definition.get("properties", {})) if isinstance(exc.definition, dict) else []
        )
        unknown = sorted(set(value) - set(known)) if isinstance(value, dict) and known else []
        name = f"{key}.{unknown[0]}" if key and unknown else (unknown[0] if unknown else key)
        hint = f" (known keys: {', '.join(known)})" if known else ""
        return f"{name}: unknown key{hint}"
    if exc.rule == "enum":
        return f"{key}: {json.dumps(value)} is not one of {', '.join(exc.rule_definition)}"
    if exc.rule == "pattern":
        return f"{key}: {json.dumps(value)} is not a rule code or prefix (e.g. TF101, TF, ALL)"
    if exc.rule == "type":
        return f"{key}: expected {exc.rule_definition}, got {json.dumps(value)}"
    if exc.rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = str(exc.message).rpartition(" must be ")[2]
        return f"{key}: {json.dumps(value)} is out of range (must be {bound})"
    return f"{key or 'config'}: {exc.message.removeprefix('data.').removeprefix('data ')}"
