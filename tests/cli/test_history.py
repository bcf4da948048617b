"""`changerisk history` over a generated repository of a few hundred commits."""

import csv
import io
import subprocess
from typing import Any

import pytest

DB = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n}\n'


def _fast_import(repo: Any, count: int) -> None:
    """`count` commits made with git fast-import: a Terraform file grows, then loses its DB."""
    stream = []
    for i in range(count):
        files = {f"app/m{i % 7}.py": f"VALUE = {i}\n"}
        if i == 10:
            files["infra/main.tf"] = DB
        message = f"change {i}"
        if i == count - 5:
            files["infra/main.tf"] = "locals {}\n"  # the database goes
            message = "drop the database\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
        stream.append("commit refs/heads/main")
        stream.append(f"author Ann <ann@example.com> {1700000000 + i * 3600} +0000")
        stream.append(f"committer Ann <ann@example.com> {1700000000 + i * 3600} +0000")
        data = message.encode()
        stream.append(f"data {len(data)}\n{message}")
        for path, text in files.items():
            stream.append(f"M 100644 inline {path}")
            stream.append(f"data {len(text.encode())}\n{text}")
        stream.append("")
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        input="\n".join(stream).encode(),
        cwd=repo.path,
        check=True,
    )
    repo.git("checkout", "-q", "main")


@pytest.fixture
def history_repo(git_repo: Any) -> Any:
    _fast_import(git_repo, 300)
    return git_repo


def test_json_summary_and_records(history_repo: Any, run_cli: Any) -> None:
    result = run_cli("history", "--max-count", "300", "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    summary = data["summary"]
    assert summary["commits"] == 300 and len(data["commits"]) == 300
    assert summary["ai_assisted"] == 1
    dropped = [c for c in data["commits"] if c["subject"] == "drop the database"]
    assert dropped[0]["level"] == "critical" and dropped[0]["tier"] == "senior + owner"
    assert dropped[0]["ai_assisted"] is True and "TF101" in dropped[0]["rules"]
    assert summary["needs_sign_off"] == [dropped[0]["sha"]]
    assert summary["levels"]["none"] == 299


def test_text_summary(history_repo: Any, run_cli: Any) -> None:
    result = run_cli("history")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "200 commits replayed, 1 AI-assisted"  # the default: the last 200
    assert "1 commits would have needed senior sign-off or more" in result.out
    assert "critical senior + owner: drop the database" in result.out
    assert "TF101 destroys aws_db_instance.orders on the next apply" in result.out


def test_csv_since_and_base(history_repo: Any, run_cli: Any) -> None:
    history_repo.git("branch", "old", "main~20")
    result = run_cli("history", "--base", "old", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == 20
    assert rows[4]["subject"] == "drop the database" and rows[4]["level"] == "critical"
    assert rows[0]["rules"] == "" and rows[0]["tier"] == "any reviewer"
    recent = run_cli("history", "--since", "2023-11-26", "--format", "json").json()
    assert 0 < recent["summary"]["commits"] < 300


def test_errors(
    git_repo: Any, run_cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.commit(files={"a.txt": "a\n"})
    result = run_cli("history", "--base", "nope")
    assert result.code == 2 and "unknown revision 'nope'" in result.err
    monkeypatch.chdir(tmp_path)
    result = run_cli("history")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
