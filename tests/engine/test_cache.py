"""The installed plugins are read once and kept in the cache; installing a distribution (a new
`*.dist-info` with `changerisk.rules` entry points on the import path) is seen on the next run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from changerisk import cache
from changerisk.registry import cache_name, find_plugins

PROBE = (
    "import sys\n"
    "from changerisk.registry import find_plugins\n"
    "print(' '.join(p.prefix for p in find_plugins()))\n"
    "print('importlib.metadata' in sys.modules)\n"
)


def _run(tmp_path: Path, *extra_path: Path) -> tuple[list[str], bool]:
    env = {k: v for k, v in os.environ.items() if k != cache.NO_CACHE_ENV}
    env[cache.CACHE_DIR_ENV] = str(tmp_path / "cache")
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in extra_path)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    return out[0].split(), out[1] == "True"


def _install(site: Path, name: str, prefix: str) -> None:
    """A distribution `name` whose entry point gives prefix `prefix` an empty rule tuple."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[changerisk.rules]\n{prefix} = {name}:RULES\n")
    (site / f"{name}.py").write_text("RULES = ()\n")


def test_the_second_run_reads_the_cache_and_an_install_is_seen(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    first, read_metadata = _run(tmp_path, site)
    assert "TF" in first and read_metadata
    again, read_metadata = _run(tmp_path, site)
    assert again == first and not read_metadata  # from the cache
    _install(site, "acme_rules", "ACME")
    after, read_metadata = _run(tmp_path, site)
    assert after == sorted([*first, "ACME"]) and read_metadata
    assert _run(tmp_path, site) == (after, False)


def test_an_edited_entry_points_file_is_seen(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install(site, "acme_rules", "ACME")
    assert "ACME" in _run(tmp_path, site)[0]
    points = site / "acme_rules-1.0.dist-info" / "entry_points.txt"
    points.write_text("[changerisk.rules]\nACMEX = acme_rules:RULES\n")
    plugins, read_metadata = _run(tmp_path, site)
    assert "ACMEX" in plugins and "ACME" not in plugins and read_metadata


@pytest.mark.parametrize(
    "content",
    ["", "not json", '{"key": "other", "value": []}', '{"key": 1}', "[1, 2]"],
)
def test_a_damaged_cache_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    monkeypatch.delenv(cache.NO_CACHE_ENV)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path))
    (tmp_path / cache_name()).write_text(content)
    assert "TF" in {p.prefix for p in find_plugins()}


def test_a_cache_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.delenv(cache.NO_CACHE_ENV)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocked / "cache"))
    assert "TF" in {p.prefix for p in find_plugins()}
    assert cache.read(cache_name(), "any") is None


def test_the_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.NO_CACHE_ENV)
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform != "win32":
        assert cache.cache_dir() == tmp_path / "xdg" / "changerisk"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative")
        monkeypatch.setenv("HOME", str(tmp_path))
        assert cache.cache_dir() == tmp_path / ".cache" / "changerisk"
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    assert cache.cache_dir() is None
