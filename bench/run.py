"""changerisk benchmarks: prints figures, asserts nothing. Run: python bench/run.py [--runs N]

- hook: median wall time of `changerisk check` on each example diff, against the time of
  `python -c "import click, rich.console, unidiff"` measured in the same run (target <= 2.0x).
- large: a generated change of 600 files (Terraform, YAML, Python, shell) with ~60,000
  changed lines, end to end, against unidiff alone parsing the same diff (target <= 2.0x),
  and the peak RSS of the check (target <= 250 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = [sys.executable, "-m", "changerisk.cli.main"]


def _time(cmd: list[str], runs: int, stdin: bytes | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, input=stdin, capture_output=True, check=False, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def hook(runs: int) -> None:
    baseline = _time([sys.executable, "-c", "import click, rich.console, unidiff"], runs)
    print(
        f"baseline import click, rich.console, unidiff: {baseline * 1000:.0f} ms (median of {runs})"
    )
    for diff in sorted((ROOT / "examples").glob("*.diff")):
        median = _time([*EXE, "check", str(diff.relative_to(ROOT))], runs)
        print(f"check {diff.name:<32} {median * 1000:6.0f} ms  {median / baseline:4.2f}x baseline")


def _large_diff() -> bytes:
    parts = []
    for i in range(150):
        old = "".join(
            f'resource "aws_s3_bucket" "b{i}_{j}" {{\n  bucket = "acme-{i}-{j}"\n}}\n\n'
            for j in range(40)
        )
        new = "".join(
            f'resource "aws_s3_bucket" "b{i}_{j}" {{\n  bucket = "acme-{i}-{j}-v2"\n}}\n\n'
            for j in range(40)
        )
        parts.append(_file_diff(f"stack{i}/main.tf", old, new))
    for i in range(150):
        old = "".join(f"def f{j}(x):\n    return x + {j}\n\n" for j in range(60))
        new = "".join(f"def f{j}(x):\n    return x * {j}\n\n" for j in range(60))
        parts.append(_file_diff(f"app/mod{i}.py", old, new))
    for i in range(150):
        old = "".join(f"  key{j}: value{j}\n" for j in range(100))
        new = "".join(f"  key{j}: value{j}b\n" for j in range(100))
        parts.append(_file_diff(f"config/c{i}.yaml", "data:\n" + old, "data:\n" + new))
    for i in range(150):
        old = "".join(f"echo step {j}\n" for j in range(80))
        new = "".join(f"echo step {j} done\n" for j in range(80))
        parts.append(_file_diff(f"scripts/s{i}.sh", "#!/bin/sh\n" + old, "#!/bin/sh\n" + new))
    return "".join(parts).encode()


def _file_diff(path: str, old: str, new: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_text(old)
        b.write_text(new)
        out = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", str(a), str(b)],
            capture_output=True,
            text=True,
        ).stdout
    body = out.split("\n", 4)[4]  # drop git's header lines, keep the hunks
    header = f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n"
    return f"{header}--- a/{path}\n+++ b/{path}\n{body}"


def large(runs: int) -> None:
    data = _large_diff()
    changed = sum(1 for line in data.splitlines() if line[:1] in (b"+", b"-"))
    files = data.count(b"diff --git")
    print(f"large diff: {len(data) / 1e6:.1f} MB, {files} files, {changed} changed lines")
    parse = _time(
        [sys.executable, "-c", "import sys, unidiff; unidiff.PatchSet(sys.stdin.read())"],
        runs,
        data,
    )
    check = _time([*EXE, "check", "-", "--fail-on", "none"], runs, data)
    print(f"unidiff alone: {parse * 1000:.0f} ms; changerisk check: {check * 1000:.0f} ms", end="")
    print(f"; {check / parse:.2f}x")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [*EXE, "check", "-", "--fail-on", "none"], input=data, capture_output=True, cwd=ROOT
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak RSS of check: {max(before, after) / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("which", nargs="*", default=["hook", "large"])
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")
    if "hook" in args.which:
        hook(args.runs)
    if "large" in args.which:
        large(max(3, args.runs // 2))


if __name__ == "__main__":
    main()
