"""GOV101 on bare diffs (sample paths per pattern) and on real repositories (every file)."""

import difflib
from typing import Any

from changerisk.testing import run_diff

OWNERS = """\
# owners
* @acme/platform
/services/payments/ @acme/payments @acme/security
/infra/ @acme/sre
*.md @acme/docs
"""


def diff(path: str, old: str | None, new: str | None) -> str:
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    elif new is None:
        head += f"deleted file mode 100644\n--- a/{path}\n+++ /dev/null\n"
    else:
        head += f"--- a/{path}\n+++ b/{path}\n"
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=1000
    )
    return head + "\n".join(list(lines)[2:]) + "\n"


def check(old: str | None, new: str | None, path: str = ".github/CODEOWNERS") -> set[Any]:
    report = run_diff(diff(path, old, new), select=["GOV101"])
    return {(f.line, f.side, f.severity.label, f.message) for f in report.findings}


def test_owner_removed_from_a_rule() -> None:
    new = OWNERS.replace(" @acme/security", "")
    assert check(OWNERS, new) == {
        (
            3,
            "new",
            "medium",
            "drops code owner @acme/security from paths under "
            "`/services/payments/` (keeps @acme/payments)",
        ),
    }


def test_rule_deleted_falls_back_to_the_catch_all() -> None:
    new = OWNERS.replace("/infra/ @acme/sre\n", "")
    assert check(OWNERS, new) == {
        (
            4,
            "old",
            "medium",
            "hands paths under `/infra/` from @acme/sre to @acme/platform: "
            "`*` on line 2 now decides",
        ),
    }


def test_later_broader_pattern_overrides_specific_rules() -> None:
    new = OWNERS + "/services/ @acme/backend\n"
    assert check(OWNERS, new) == {
        (
            6,
            "new",
            "medium",
            "hands paths under `/services/payments/` from @acme/payments "
            "@acme/security to @acme/backend: `/services/` on line 6 now decides",
        ),
    }


def test_rule_left_without_owners() -> None:
    new = OWNERS.replace("/infra/ @acme/sre", "/infra/")
    assert check(OWNERS, new) == {
        (4, "new", "high", "leaves paths under `/infra/` without a code owner (was @acme/sre)"),
    }


def test_file_removed() -> None:
    assert check(OWNERS, None) == {
        (
            1,
            "old",
            "high",
            "removes .github/CODEOWNERS: its 4 rules no longer name code "
            "owners, so changes merge without an owner's review",
        ),
    }


def test_near_misses_are_quiet() -> None:
    # owners added, a narrower rule delegating part of a tree, a comment, a reorder that keeps
    # the specific rule last, and the file moved to another location GitHub reads
    assert (
        check(OWNERS, OWNERS.replace("/infra/ @acme/sre", "/infra/ @acme/sre @acme/dba")) == set()
    )
    assert check(OWNERS, OWNERS + "/services/payments/docs/ @acme/docs\n") == set()
    assert check(OWNERS, OWNERS.replace("# owners", "# owners (see wiki)")) == set()
    assert check(None, OWNERS) == set()
    moved = diff("CODEOWNERS", OWNERS, None) + diff(".github/CODEOWNERS", None, OWNERS)
    assert run_diff(moved, select=["GOV101"]).findings == ()


def test_with_a_repository_every_moved_file_is_counted(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit(
        files={
            ".github/CODEOWNERS": OWNERS,
            "services/payments/api.py": "x = 1\n",
            "services/payments/refunds.py": "x = 1\n",
            "services/search/app.py": "x = 1\n",
            "README.md": "hi\n",
        }
    )
    git_repo.write(".github/CODEOWNERS", OWNERS + "/services/ @acme/backend\n")
    result = run_cli("check", "--format", "json", "--select", "GOV101")
    findings = result.json()["findings"]
    assert [(f["path"], f["line"], f["message"]) for f in findings] == [
        (
            ".github/CODEOWNERS",
            6,
            "hands 2 files under `/services/payments/` (services/payments/api.py, "
            "services/payments/refunds.py) from @acme/payments @acme/security to @acme/backend: "
            "`/services/` on line 6 now decides",
        ),
    ]
