import pytest
from changerisk.rules.integrity import RULES
from changerisk.rules.terraform import RULES as TF_RULES

from changerisk.testing import found, run_diff

ADD_SUPPRESSION_WITH_REASON = """\
diff --git a/infra/db.tf b/infra/db.tf
index 1111111..2222222 100644
--- a/infra/db.tf
+++ b/infra/db.tf
@@ -1,8 +1,5 @@
 provider "aws" {}
-
-resource "aws_db_instance" "legacy" {
-  identifier = "legacy"
-}
+# changerisk: ignore[TF101] legacy db retired in OPS-42, final snapshot taken
 
 output "x" {
   value = 1
"""

ADD_SUPPRESSION_NO_REASON = ADD_SUPPRESSION_WITH_REASON.replace(
    " legacy db retired in OPS-42, final snapshot taken", ""
)

PYPROJECT_TOOL_EDIT = """\
diff --git a/pyproject.toml b/pyproject.toml
index 1111111..2222222 100644
--- a/pyproject.toml
+++ b/pyproject.toml
@@ -4,5 +4,5 @@ version = "1.0.0"
 
 [tool.changerisk]
-fail-on = "high"
+fail-on = "none"
 
 [tool.ruff]
"""

PYPROJECT_OTHER_EDIT = """\
diff --git a/pyproject.toml b/pyproject.toml
index 1111111..2222222 100644
--- a/pyproject.toml
+++ b/pyproject.toml
@@ -8,4 +8,4 @@ fail-on = "high"
 
 [tool.ruff]
-line-length = 88
+line-length = 100
 
"""

NEW_CONFIG_FILE = """\
diff --git a/.changerisk.toml b/.changerisk.toml
new file mode 100644
index 0000000..2222222
--- /dev/null
+++ b/.changerisk.toml
@@ -0,0 +1 @@
+ignore = ["TF"]
"""

CASES = [
    ("suppression with reason", ADD_SUPPRESSION_WITH_REASON, {("INT102", "infra/db.tf", 2)}),
    ("suppression without reason", ADD_SUPPRESSION_NO_REASON, {("INT101", "infra/db.tf", 2)}),
    ("pyproject tool table", PYPROJECT_TOOL_EDIT, {("INT103", "pyproject.toml", 6)}),
    # a new configuration that ignores rules weakens the defaults: INT105 names it
    (
        "new .changerisk.toml",
        NEW_CONFIG_FILE,
        {("INT103", ".changerisk.toml", 1), ("INT105", ".changerisk.toml", 1)},
    ),
    ("pyproject other table", PYPROJECT_OTHER_EDIT, set()),
]


@pytest.mark.parametrize(("case", "diff", "expected"), CASES, ids=[c[0] for c in CASES])
def test_integrity_rules(case: str, diff: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_diff(diff, rules=RULES)) == expected


def test_suppression_with_reason_moves_the_finding_to_suppressed() -> None:
    report = run_diff(ADD_SUPPRESSION_WITH_REASON, rules=(*RULES, *TF_RULES))
    assert found(report) == {("INT102", "infra/db.tf", 2)}
    (item,) = report.suppressed
    assert item.finding.code == "TF101" and "OPS-42" in item.reason
    assert report.level == "medium"  # the suppression itself still needs a reviewer


def test_suppression_without_reason_suppresses_nothing() -> None:
    report = run_diff(ADD_SUPPRESSION_NO_REASON, rules=(*RULES, *TF_RULES))
    assert {f.code for f in report.findings} == {"TF101", "INT101"}
    assert report.suppressed == ()


def test_integrity_findings_cannot_be_suppressed_inline() -> None:
    diff = NEW_CONFIG_FILE.replace(
        "@@ -0,0 +1 @@\n+ignore", "@@ -0,0 +1,2 @@\n+# changerisk: ignore[INT103] trust me\n+ignore"
    )
    codes = [f.code for f in run_diff(diff, rules=RULES).findings]
    assert "INT103" in codes


def test_suppressions_are_read_only_from_files_that_name_changerisk() -> None:
    """The added lines of a file are parsed for suppressions only when they hold
    `changerisk:`, which every suppression starts with."""
    from changerisk.suppression import PATTERN

    assert PATTERN.pattern.startswith("changerisk:")
