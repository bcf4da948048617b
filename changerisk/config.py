"""Configuration: `[tool.changerisk]` in pyproject.toml or `.changerisk.toml`, validated at load.

Errors name the file and the key: `pyproject.toml: [tool.changerisk] fail-on: ...`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from changerisk.errors import ConfigError
from changerisk.model import LEVEL_NAMES, Severity
from changerisk.rule import CriticalPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

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

    def rule_options(self) -> dict[str, object]:
        """Settings of rule families, by dotted key, for `RuleSettings.options`."""
        return {
            "terraform.replacement-attributes": dict(self.terraform_replacements),
            "environments.non-production": self.non_production,
            "environments.production": self.production,
            **{f"change-shape.{key}": value for key, value in self.change_shape.items()},
        }

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
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("changerisk", {})
        section = "[tool.changerisk] "
    else:
        table, section = data, ""
    return parse_config(table, f"{path.name}: {section}".rstrip() + " ", source=str(path))


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
    return replace(
        cfg,
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

    schema = json.loads(
        resources.files("changerisk").joinpath("data/config.schema.json").read_text()
    )
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
    return f"{key or 'config'}: {exc.message.removeprefix('data.').removeprefix('data ')}"
