"""The console script as a process: it ends without the interpreter's teardown (`run`), so
these check that nothing a normal exit does for us is lost: complete output to a file or a
pipe, the exit code, the `git cat-file` helpers stopped, a reader that went away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from changerisk import git

EXAMPLES = Path(__file__).parents[2] / "examples"
SCRIPT = [sys.executable, "-m", "changerisk.cli.main"]


def _env() -> dict[str, str]:
    """Buffered output, as a user's terminal-less run has it (PYTHONUNBUFFERED would hide a
    missing flush)."""
    env = {**os.environ, "CHANGERISK_NO_CACHE": "1"}
    for name in ("PYTHONUNBUFFERED", "CHANGERISK_AI_ASSISTED"):
        env.pop(name, None)
    return env


def _run(
    *args: str, cwd: Path | None = None, stdout: object = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*SCRIPT, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, env=_env(), check=False
    )


def test_output_written_to_a_file_is_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with target.open("wb") as out:
        proc = _run("check", str(EXAMPLES / "mixed-change.diff"), "--format", "json", stdout=out)
    assert proc.returncode == 1, proc.stderr
    text = target.read_text(encoding="utf-8")
    assert 0 < len(text) < 8192  # less than the write buffer: only the final flush writes it
    report = json.loads(text)
    assert report["findings"]


@pytest.mark.parametrize(
    ("example", "code"), [("docs-change.diff", 0), ("terraform-prod-database.diff", 1)]
)
def test_exit_code_and_text_report(example: str, code: int) -> None:
    proc = _run("check", str(EXAMPLES / example))
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.decode().startswith("changerisk ")
    assert proc.stdout.endswith(b"\n")


def test_an_error_reaches_stderr_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.diff"
    bad.write_bytes(b"\xff\xfe not a diff\x00")
    proc = _run("check", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("changerisk: error: ")


def test_a_reader_that_goes_away_is_no_traceback() -> None:
    proc = subprocess.Popen(
        [*SCRIPT, "check", str(EXAMPLES / "mixed-change.diff"), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()  # as `| head -c 10` does
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait() != 0
    assert b"Traceback" not in err


def test_the_blob_readers_stop_with_the_check(git_repo: Any) -> None:
    """A staged check reads old sides through `git cat-file --batch`: the run ends without
    leaving that process behind (close_readers), and the report is complete."""
    git_repo.commit(
        files={"infra/main.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "x"\n}\n'}
    )
    git_repo.remove("infra/main.tf")
    git_repo.stage("infra/main.tf")
    proc = _run("check", "--staged", "--format", "json", cwd=git_repo.path)
    assert proc.returncode == 1, proc.stderr
    assert any(f["code"] == "TF101" for f in json.loads(proc.stdout)["findings"])


def test_close_readers_stops_their_processes(git_repo: Any) -> None:
    git_repo.commit(files={"a.txt": "hello\n"})
    blob = git_repo.git("rev-parse", "HEAD:a.txt").strip()
    reader = git.blob_reader(str(git_repo.path))
    assert reader.read(blob) == b"hello\n"
    process = reader._proc
    assert process is not None
    git.close_readers()
    assert process.poll() is not None  # exited, and waited for
    assert reader._proc is None
