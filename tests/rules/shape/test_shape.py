"""Change-shape rules on generated diffs and a real repository."""

from typing import Any

import pytest
from changerisk.rules.shape import RULES, entropy

from changerisk.config import parse_config
from changerisk.testing import run_diff


def _file(path: str, removed: int, added: int, deleted: bool = False) -> str:
    header = f"diff --git a/{path} b/{path}\n"
    if deleted:
        header += "deleted file mode 100644\n"
    new = "/dev/null" if deleted else f"b/{path}"
    body = "".join(f"-old {i}\n" for i in range(removed)) + "".join(
        f"+new {i}\n" for i in range(added)
    )
    return f"{header}--- a/{path}\n+++ {new}\n@@ -1,{removed} +{0 if deleted else 1},{added} @@\n{body}"


def _codes(diff: str, **config: Any) -> list[str]:
    cfg = parse_config({"change-shape": config}) if config else None
    return sorted(f.code for f in run_diff(diff, rules=RULES, config=cfg).findings)


def test_large_change_counts_reviewed_lines_only() -> None:
    diff = _file("app/a.py", 300, 400) + _file("app/b.py", 200, 200)
    [finding] = run_diff(diff, rules=RULES).findings
    assert finding.code == "SHAPE101" and finding.path == "app/a.py" and finding.line == 1
    assert finding.message == (
        "changes 1100 lines (+600 -500) in 2 files, more than 1000: too large to review well"
    )
    lock = _file("package-lock.json", 3000, 3000) + _file("vendor/lib/x.go", 900, 900)
    assert _codes(lock + _file("app/a.py", 10, 10)) == []
    assert _codes(diff, **{"large-lines": 5000}) == []


def test_diffuse_change() -> None:
    diff = "".join(_file(f"c{i}/m.py", 1, 1) for i in range(8))
    [finding] = run_diff(diff, rules=RULES).findings
    assert finding.message.startswith("touches 8 top-level components (c0, c1, c2, c3,")
    assert _codes("".join(_file(f"c{i}/m.py", 1, 1) for i in range(7))) == []
    even = "".join(_file(f"app/d{i % 4}/m{i}.py", 2, 2) for i in range(20))
    assert _codes(even) == ["SHAPE102"]  # entropy 1.0 over 20 files
    focused = _file("app/core.py", 200, 200) + "".join(
        _file(f"app/m{i}.py", 1, 0) for i in range(20)
    )
    assert _codes(focused) == []


def test_entropy() -> None:
    assert entropy([5]) == 0.0
    assert entropy([3, 3, 3, 3]) == pytest.approx(1.0)
    assert entropy([100, 1, 1]) < 0.2


def test_mass_deletion() -> None:
    many = "".join(_file(f"envs/prod/k8s/m{i}.yaml", 3, 0, deleted=True) for i in range(20))
    findings = [f for f in run_diff(many, rules=RULES).findings if f.code == "SHAPE103"]
    assert [f.message for f in findings] == ["deletes 20 files (in envs/prod/k8s)"]
    assert findings[0].severity.label == "high"  # raised: a production path
    mostly = _file("app/old.py", 1200, 10)
    assert "SHAPE103" in _codes(mostly)
    assert "SHAPE103" not in _codes(_file("app/old.py", 1200, 400))  # a rewrite
    assert "SHAPE103" not in _codes(
        "".join(_file(f"app/m{i}.py", 3, 0, deleted=True) for i in range(19))
    )


def test_binary_in_critical_path() -> None:
    binary = (
        "diff --git a/services/payments/keystore.jks b/services/payments/keystore.jks\n"
        "index 1111111..2222222 100644\n"
        "Binary files a/services/payments/keystore.jks and b/services/payments/keystore.jks differ\n"
    )
    config = parse_config({"critical-paths": [{"paths": ["services/payments/"]}]})
    [finding] = run_diff(binary, rules=RULES, config=config).findings
    assert finding.message.startswith("changes binary file services/payments/keystore.jks")
    assert run_diff(binary, rules=RULES).findings == ()


def test_real_repository_deleting_a_folder(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit(files={f"deploy/prod/svc{i}.yaml": "kind: ConfigMap\n" for i in range(25)})
    git_repo.git("rm", "-q", "-r", "deploy/prod")
    result = run_cli("check", "--select", "SHAPE", "--format", "json")
    [finding] = result.json()["findings"]
    assert (
        finding["code"] == "SHAPE103" and finding["message"] == "deletes 25 files (in deploy/prod)"
    )
