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
