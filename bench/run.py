"""changerisk benchmarks: prints figures, asserts nothing. Run: python bench/run.py [--runs N]

- hook: median wall time of `changerisk check` on a small realistic diff (about 200 changed
  lines in 5 files: Terraform, Kubernetes YAML, Python, a shell script, a SQL migration) and on
  each example diff, against the time of `python -c "import click, rich.console, unidiff"`
  measured in the same run (target <= 2.0x).
- guard (with hook): median wall time of `changerisk guard` on a one-line command, from the
  command line and as a Claude Code PreToolUse payload on stdin, against the same baseline.
- django: the diff between the Django 4.2.16 and 5.1.3 source distributions (fetched with pip
  and cached in bench/.cache; skipped with a message when offline): `changerisk check` end to
  end against unidiff alone parsing it (target <= 2.0x), and the peak RSS (target <= 250 MB).
- scaling: the Django diff 1x, 2x and 4x (copies under other paths): time must grow linearly
  (4x input <= 4.5x time); and a worst case per structural family: one 50,000-line Terraform
  file changed, one 20,000-line SQL migration, one 10,000-object Kubernetes manifest.
- large: a generated change of 600 files (Terraform, YAML, Python, shell) with ~60,000
  changed lines, end to end, against unidiff alone parsing the same diff (target <= 2.0x),
  and the peak RSS of the check (target <= 250 MB).
- plan: a generated `terraform show -json` plan with 10,000 resource changes (1 in 10 a delete
  or replace), read and checked in process, against `json.load` plus a Python loop over its
  actions (target <= 1.5x).
- history: `changerisk history` over 1,000 commits of a generated repository (Terraform,
  YAML and Python files): commits per second.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _hook_diff() -> bytes:
    """About 200 changed lines in 5 files, the size of a typical commit."""
    tf_old = "".join(
        f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "acme-{i}"\n'
        f'  tags = {{ team = "web" }}\n}}\n\n'
        for i in range(12)
    )
    tf_new = tf_old.replace('team = "web"', 'team = "platform"') + (
        'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n'
    )
    k8s_old = "".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i}\nspec:\n"
        f"  replicas: 2\n  selector:\n    matchLabels:\n      app: svc{i}\n  template:\n"
        f"    metadata:\n      labels:\n        app: svc{i}\n    spec:\n      containers:\n"
        f"        - name: app\n          image: acme/svc{i}:1.0.0\n"
        for i in range(8)
    )
    k8s_new = k8s_old.replace(":1.0.0", ":1.1.0").replace("replicas: 2", "replicas: 3")
    py_old = "".join(f"def handler_{i}(event):\n    return event['id']\n\n\n" for i in range(20))
    py_new = py_old.replace("event['id']", "event.get('id')")
    sh_old = "#!/bin/sh\nset -eu\n" + "".join(f"echo step {i}\n" for i in range(20))
    sh_new = sh_old.replace("echo step 1", "echo stage 1") + "kubectl apply -f k8s/\n"
    sql_new = "".join(f"ALTER TABLE t{i} ADD COLUMN note text;\n" for i in range(15))
    return "".join(
        _file_diff(path, old, new)
        for path, old, new in (
            ("infra/buckets.tf", tf_old, tf_new),
            ("k8s/services.yaml", k8s_old, k8s_new),
            ("app/handlers.py", py_old, py_new),
            ("scripts/deploy.sh", sh_old, sh_new),
            ("db/migrations/V7__notes.sql", "", sql_new),
        )
    ).encode()


def hook(runs: int) -> None:
    baseline = _time([sys.executable, "-c", "import click, rich.console, unidiff"], runs)
    print(
        f"baseline import click, rich.console, unidiff: {baseline * 1000:.0f} ms (median of {runs})"
    )
    data = _hook_diff()
    changed = sum(1 for line in data.splitlines() if line[:1] in (b"+", b"-"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "commit.diff"
        path.write_bytes(data)
        median = _time([*EXE, "check", str(path), "--fail-on", "none"], runs)
    print(
        f"check small commit ({changed} changed lines, 5 files) {median * 1000:6.0f} ms  "
        f"{median / baseline:4.2f}x baseline (target <= 2.0x)"
    )
    for diff in sorted((ROOT / "examples").glob("*.diff")):
        median = _time([*EXE, "check", str(diff.relative_to(ROOT))], runs)
        print(f"check {diff.name:<32} {median * 1000:6.0f} ms  {median / baseline:4.2f}x baseline")
    guard(runs, baseline)


def guard(runs: int, baseline: float) -> None:
    """`changerisk guard` on a one-line command: what an agent's hook pays per tool call."""
    command = "terraform destroy -auto-approve"
    median = _time([*EXE, "guard", "--command", command], runs)
    print(
        f"guard one-line command (by hand)       {median * 1000:6.0f} ms  "
        f"{median / baseline:4.2f}x baseline (target <= 2.0x)"
    )
    payload = json.dumps(
        {
            "hook_event_name": "PreToolUse",
            "cwd": str(ROOT),
            "tool_name": "Bash",
            "tool_input": {"command": command},
        }
    ).encode()
    median = _time([*EXE, "guard"], runs, stdin=payload)
    print(
        f"guard Claude Code PreToolUse payload   {median * 1000:6.0f} ms  "
        f"{median / baseline:4.2f}x baseline (target <= 2.0x)"
    )


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
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.diff"
        path.write_bytes(data)
        print(f"peak RSS of check: {_peak_rss([*EXE, 'check', str(path), '--fail-on', 'none'])} MB")


CACHE = ROOT / "bench" / ".cache"
DJANGO = ("4.2.16", "5.1.3")


def _django_diff() -> bytes | None:
    """The diff between two Django sdists, built once and cached; None when offline."""
    target = CACHE / f"django-{DJANGO[0]}-{DJANGO[1]}.diff"
    if target.exists():
        return target.read_bytes()
    CACHE.mkdir(parents=True, exist_ok=True)
    for version in DJANGO:
        if not (CACHE / f"Django-{version}").is_dir():
            fetched = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    f"django=={version}",
                    "-d",
                    str(CACHE),
                ],
                capture_output=True,
                check=False,
            )
            archive = CACHE / f"Django-{version}.tar.gz"
            if fetched.returncode != 0 or not archive.exists():
                return None
            subprocess.run(["tar", "xzf", archive.name], cwd=CACHE, check=True)
    diff = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", f"Django-{DJANGO[0]}", f"Django-{DJANGO[1]}"],
        cwd=CACHE,
        capture_output=True,
        check=False,
    ).stdout
    target.write_bytes(diff)
    return diff


def _measure(data: bytes, runs: int) -> tuple[float, float, int]:
    """unidiff alone, changerisk check end to end (both medians, s), and the check's peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "change.diff"
        path.write_bytes(data)
        parse = _time(
            [
                sys.executable,
                "-c",
                "import sys, unidiff; "
                "unidiff.PatchSet(open(sys.argv[1], encoding='latin-1').read())",
                str(path),
            ],
            runs,
        )
        check = _time([*EXE, "check", str(path), "--fail-on", "none"], runs)
        peak = _peak_rss([*EXE, "check", str(path), "--fail-on", "none"])
    return parse, check, peak


def _peak_rss(cmd: list[str]) -> int:
    """Peak RSS in MB of one run of `cmd`, from a wrapper process of its own."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, cwd=ROOT)
    return int(out.stdout or 0) // 1024


def _shape(data: bytes) -> str:
    changed = sum(1 for line in data.splitlines() if line[:1] in (b"+", b"-"))
    return f"{len(data) / 1e6:.1f} MB, {data.count(b'diff --git')} files, {changed} changed lines"


def django(runs: int) -> None:
    data = _django_diff()
    if data is None:
        print("django: skipped (offline: pip could not fetch the Django sdists)")
        return
    parse, check, peak = _measure(data, runs)
    print(f"django {DJANGO[0]} -> {DJANGO[1]}: {_shape(data)}")
    print(
        f"unidiff alone: {parse * 1000:.0f} ms; changerisk check: {check * 1000:.0f} ms; "
        f"{check / parse:.2f}x (target <= 2.0x); peak RSS {peak} MB (target <= 250 MB)"
    )


def _copies(data: bytes, times: int) -> bytes:
    """`data` `times` over, each copy under its own folder so paths stay distinct."""
    import re

    out = [data]
    for copy in range(1, times):
        folder = f"copy{copy}/".encode()
        moved = re.sub(rb"^(--- a/|\+\+\+ b/|diff --git a/)", rb"\g<1>" + folder, data, flags=re.M)
        out.append(re.sub(rb"^(diff --git a/\S+ b/)", rb"\g<1>" + folder, moved, flags=re.M))
    return b"".join(out)


def scaling(runs: int) -> None:
    data = _django_diff()
    if data is None:
        print("scaling: Django diff skipped (offline)")
    else:
        base = None
        for times in (1, 2, 4):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "change.diff"
                path.write_bytes(_copies(data, times))
                cmd = [*EXE, "check", str(path), "--fail-on", "none"]
                first = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if first.returncode not in (0, 1):
                    print(f"scaling {times}x: check failed: {first.stderr.strip()}")
                    return
                took = _time(cmd, runs)
            base = base or took
            print(
                f"scaling {times}x Django diff: {took * 1000:.0f} ms "
                f"({took / base:.2f}x the 1x time)"
            )
    for name, diff in (
        ("50,000-line Terraform file", _worst_terraform()),
        ("20,000-line SQL migration", _worst_sql()),
        ("10,000-object Kubernetes manifest", _worst_kubernetes()),
    ):
        parse, check, peak = _measure(diff, max(1, runs // 2))
        print(
            f"worst case {name}: {_shape(diff)}; check {check * 1000:.0f} ms, "
            f"{check / parse:.2f}x unidiff; peak RSS {peak} MB"
        )


def _worst_terraform() -> bytes:
    block = (
        'resource "aws_s3_bucket" "b{0}" {{\n  bucket = "acme-{0}"\n  tags = {{ n = "{0}" }}\n'
        "  force_destroy = false\n}}\n\n"
    )
    old = "".join(block.format(i) for i in range(8334))  # 6 lines a block: 50,004 lines
    new = old.replace("force_destroy = false", "force_destroy = true", 2000)
    return _file_diff("infra/buckets.tf", old, new).encode()


def _worst_sql() -> bytes:
    new = "".join(
        f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text);\n"
        f"ALTER TABLE t{i} ADD COLUMN note text;\n"
        f"CREATE INDEX t{i}_name ON t{i} (name);\n"
        f"UPDATE t{i} SET note = name WHERE id > 0;\n"
        for i in range(5000)
    )
    return _file_diff("db/migrations/V9__bulk.sql", "", new).encode()


def _worst_kubernetes() -> bytes:
    doc = (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{0}\n  namespace: ns{1}\n"
        "data:\n  key: value-{0}\n"
    )
    old = "".join(doc.format(i, i % 50) for i in range(10_000))
    new = old.replace("value-", "v2-", 5000)
    return _file_diff("k8s/configmaps.yaml", old, new).encode()


def _large_plan(count: int = 10_000) -> str:
    import json

    attributes = {f"attribute_{k}": f"value-{k}" for k in range(20)}
    changes = []
    for i in range(count):
        actions = ["delete"] if i % 20 == 0 else ["delete", "create"] if i % 20 == 1 else ["update"]
        changes.append(
            {
                "address": f"module.m{i % 50}.aws_s3_bucket.b{i}",
                "module_address": f"module.m{i % 50}",
                "mode": "managed",
                "type": "aws_s3_bucket" if i % 3 else "aws_instance",
                "name": f"b{i}",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": actions,
                    "before": {**attributes, "bucket": f"old-{i}"},
                    "after": {**attributes, "bucket": f"new-{i}"},
                    "after_unknown": {},
                    "replace_paths": [["bucket"]] if i % 20 == 1 else [],
                },
            }
        )
    return json.dumps({"format_version": "1.2", "resource_changes": changes}, indent=2)


def plan(runs: int) -> None:
    import json

    from changerisk.config import Config
    from changerisk.engine import build_report
    from changerisk.inputs import from_plan_file
    from changerisk.model import ChangeSet
    from changerisk.registry import all_rules

    text = _large_plan()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        path.write_text(text)
        rules = all_rules()

        def baseline() -> None:
            with path.open() as handle:
                data = json.load(handle)
            sum(len(c["change"]["actions"]) for c in data["resource_changes"])

        def check() -> int:
            changeset = ChangeSet(files=[from_plan_file(str(path))], source="plan")
            return len(build_report(changeset, rules, Config()).findings)

        findings = check()
        base = statistics.median(_clock(baseline) for _ in range(runs))
        ours = statistics.median(_clock(check) for _ in range(runs))
    print(f"plan: {len(text) / 1e6:.1f} MB, 10000 resource changes, {findings} findings")
    print(f"json.load + loop: {base * 1000:.0f} ms; changerisk: {ours * 1000:.0f} ms", end="")
    print(f"; {ours / base:.2f}x")


def history(runs: int) -> None:
    count = 1000
    stream = []
    for i in range(count):
        files = {
            f"app/m{i % 13}.py": f"VALUE = {i}\n" * (1 + i % 5),
            f"infra/s{i % 7}.tf": (
                f'resource "aws_s3_bucket" "b{i % 3}" {{\n  bucket = "b-{i % 3}"\n}}\n'
            ),
            f"k8s/d{i % 5}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n",
        }
        message = f"change {i}".encode()
        stream.append(f"commit refs/heads/main\ncommitter A <a@example.com> {1700000000 + i} +0000")
        stream.append(f"data {len(message)}\n{message.decode()}")
        for path, text in files.items():
            stream.append(f"M 100644 inline {path}\ndata {len(text.encode())}\n{text}")
        stream.append("")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
        subprocess.run(
            ["git", "fast-import", "--quiet"],
            input="\n".join(stream).encode(),
            cwd=folder,
            check=True,
        )
        subprocess.run(["git", "checkout", "-q", "main"], cwd=folder, check=True)
        samples = []
        for _ in range(max(1, runs // 3)):
            start = time.perf_counter()
            subprocess.run(
                [*EXE, "history", "--max-count", str(count), "--format", "json"],
                cwd=folder,
                capture_output=True,
                check=True,
            )
            samples.append(time.perf_counter() - start)
    took = statistics.median(samples)
    print(f"history: {count} commits in {took:.1f} s: {count / took:.0f} commits/s")


def _clock(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "which",
        nargs="*",
        default=["hook", "django", "scaling", "large", "plan", "history"],
    )
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")
    if "hook" in args.which:
        hook(args.runs)
    if "django" in args.which:
        django(max(3, args.runs // 2))
    if "scaling" in args.which:
        scaling(max(3, args.runs // 2))
    if "large" in args.which:
        large(max(3, args.runs // 2))
    if "plan" in args.which:
        plan(max(3, args.runs // 2))
    if "history" in args.which:
        history(args.runs)


if __name__ == "__main__":
    main()
