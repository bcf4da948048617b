"""Real git repositories in tmp_path: HOME there, no system config, a fixed author."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from changerisk.cli.main import main


@dataclass
class GitRepo:
    """A repository under test, with helpers to write, stage and commit files."""

    path: Path

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def remove(self, name: str) -> None:
        (self.path / name).unlink()

    def stage(self, *names: str) -> None:
        self.git("add", "-A", "--", *names)

    def commit(self, message: str = "change", files: dict[str, str] | None = None) -> str:
        """Write `files` (path -> text), stage everything and commit; returns the sha."""
        for name, text in (files or {}).items():
            self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def stage_change(self, old: dict[str, str], new: dict[str, str | None]) -> None:
        """Commit `old`, then write `new` (None deletes a file) and stage it all: new files
        are part of the change."""
        self.commit(files=old)
        for path, text in new.items():
            if text is None:
                self.remove(path)
            else:
                self.write(path, text)
        self.git("add", "-A")


@pytest.fixture(autouse=True)
def _no_plugin_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read the installed plugins afresh (some patch them) and never write the user's
    cache; tests/engine/test_cache.py turns the cache on in a temporary directory."""
    monkeypatch.setenv("CHANGERISK_NO_CACHE", "1")


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME in tmp_path, no system git config, no inherited GIT_* variables."""
    for key in list(os.environ):
        if key.startswith("GIT_") or key.startswith("CHANGERISK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ann Example")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ann@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ann Example")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ann@example.com")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def git_repo(git_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    """An empty repository on branch main, as the current directory."""
    path = git_env / "repo"
    path.mkdir()
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    monkeypatch.chdir(path)
    yield repo


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def found(self) -> set[tuple[str, str, int]]:
        return {(f["code"], f["path"], f["line"]) for f in self.json()["findings"]}


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Call `main(argv)` and return its exit code with what it printed."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


# --- Ansible rules: a real repository per test (tests/rules/ansible) ---------------------------

ANSIBLE_FIXTURES = Path(__file__).parent / "rules" / "ansible" / "fixtures"


@dataclass(frozen=True)
class Hit:
    """One finding of `ans`, as the JSON report gives it."""

    code: str
    path: str
    line: int
    message: str
    severity: str
    confidence: str

    @property
    def where(self) -> tuple[str, str, int]:
        return (self.code, self.path, self.line)


@pytest.fixture
def ans(git_repo: Any, run_cli: Any) -> Any:
    """`ans(old, new, select)`: old files committed, new ones (None deletes) staged; the
    findings of `changerisk check`, sorted."""

    def run(old: dict[str, str], new: dict[str, str | None], select: str = "ANS") -> list[Hit]:
        git_repo.stage_change(old, new)
        result = run_cli("check", "--select", select, "--format", "json")
        assert result.code in (0, 1), result.err
        hits = (
            Hit(f["code"], f["path"], f["line"], f["message"], f["severity"], f["confidence"])
            for f in result.json()["findings"]
        )
        return sorted(hits, key=lambda h: (h.path, h.line, h.code))

    return run


@pytest.fixture
def role() -> dict[str, str]:
    """The fixture role under roles/postgres/, and the site playbook."""
    base = ANSIBLE_FIXTURES / "role"
    files = {
        f"roles/postgres/{p.relative_to(base).as_posix()}": p.read_text(encoding="utf-8")
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }
    files["site.yml"] = (ANSIBLE_FIXTURES / "site.yml").read_text(encoding="utf-8")
    return files
