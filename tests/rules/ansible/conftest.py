"""A real repository per test: commit the old files, write the new ones, run the CLI."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Hit:
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
        git_repo.commit(files=old)
        for path, text in new.items():
            if text is None:
                git_repo.remove(path)
            else:
                git_repo.write(path, text)
        git_repo.git("add", "-A")
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
    base = FIXTURES / "role"
    files = {
        f"roles/postgres/{p.relative_to(base).as_posix()}": p.read_text(encoding="utf-8")
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }
    files["site.yml"] = (FIXTURES / "site.yml").read_text(encoding="utf-8")
    return files
