from pathlib import Path

import pytest
from changerisk.rules.terraform import RULES, ModuleRemoved, ResourceRemoved

from changerisk.model import Severity
from changerisk.testing import found, run_fixture

HERE = Path(__file__).parent

TF101_CASES = [
    ("drop_db_instance.diff", {("TF101", "infra/db.tf", 6)}),
    ("delete_file.diff", {("TF101", "infra/bastion.tf", 1), ("TF101", "infra/bastion.tf", 6)}),
    ("rename_without_moved.diff", {("TF101", "infra/db.tf", 1)}),
    ("removed_block_destroys.diff", {("TF101", "infra/main.tf", 1)}),
    ("ephemeral_removed.diff", {("TF101", "infra/main.tf", 1)}),
    ("moved_to_other_module_dir.diff", {("TF101", "envs/prod/main.tf", 1)}),  # unread rename
    ("tf_json_removed.diff", {("TF101", "infra/main.tf.json", 4)}),
    # near misses
    ("rename_with_moved_block.diff", set()),
    ("move_block_to_other_file.diff", set()),
    ("removed_block_keeps_object.diff", set()),
    ("comment_and_attribute_edit.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), TF101_CASES, ids=[c[0] for c in TF101_CASES])
def test_tf101(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    report = run_fixture(HERE / "tf101" / fixture, select=["TF101"], rules=RULES)
    assert found(report) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "words"),
    [
        (
            "drop_db_instance.diff",
            Severity.CRITICAL,
            "destroys aws_db_instance.main on the next apply",
        ),
        ("ephemeral_removed.diff", Severity.LOW, "destroys random_id.suffix"),
        ("delete_file.diff", Severity.HIGH, "destroys aws_instance.bastion"),
        (
            "rename_without_moved.diff",
            Severity.CRITICAL,
            "renames aws_db_instance.main to aws_db_instance.orders without a moved block",
        ),
        ("removed_block_destroys.diff", Severity.CRITICAL, "through a removed block"),
    ],
)
def test_tf101_severity_and_message(fixture: str, severity: Severity, words: str) -> None:
    report = run_fixture(HERE / "tf101" / fixture, select=["TF101"], rules=RULES)
    matching = [f for f in report.findings if words in f.message]
    assert matching, [f.message for f in report.findings]
    assert matching[0].severity is severity
    assert matching[0].side == "old"
    assert matching[0].hint


def test_tf101_evidence_is_the_removed_block_header() -> None:
    report = run_fixture(HERE / "tf101" / "drop_db_instance.diff", select=["TF101"], rules=RULES)
    (finding,) = report.findings
    assert finding.evidence == 'resource "aws_db_instance" "main" {'
    assert finding.anchor == 5  # where the block stood in the new file


TF102_CASES = [
    ("drop_module.diff", {("TF102", "envs/prod/main.tf", 6)}),
    ("rename_without_moved.diff", {("TF102", "envs/prod/main.tf", 1)}),
    ("rename_with_moved.diff", set()),
    ("version_bump.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), TF102_CASES, ids=[c[0] for c in TF102_CASES])
def test_tf102(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    report = run_fixture(HERE / "tf102" / fixture, select=["TF102"], rules=RULES)
    assert found(report) == expected


def test_tf102_message_names_module_source() -> None:
    report = run_fixture(HERE / "tf102" / "drop_module.diff", select=["TF102"], rules=RULES)
    (finding,) = report.findings
    assert finding.message == (
        "destroys every resource in module.orders_db (source ../../modules/postgres) on the next apply"
    )


def test_rules_are_changeset_scoped() -> None:
    # A block moved between files of one module is only safe when both files are seen together.
    assert ResourceRemoved.scope == ModuleRemoved.scope == "changeset"


PROTECTED = """\
diff --git a/infra/db.tf b/infra/db.tf
deleted file mode 100644
index 1111111..0000000
--- a/infra/db.tf
+++ /dev/null
@@ -1,8 +0,0 @@
-resource "aws_db_instance" "orders" {
-  identifier          = "orders"
-  deletion_protection = true
-
-  lifecycle {
-    prevent_destroy = true
-  }
-}
"""


def test_tf101_names_the_protections_the_change_drops() -> None:
    from changerisk.testing import run_diff

    (finding,) = run_diff(PROTECTED, rules=RULES).findings
    assert "prevent_destroy = true, which this change drops" in finding.message
    assert "deletion_protection = true makes the apply fail until it is off" in finding.message
    assert finding.line == 1 and finding.side == "old"


def test_context_note_only_when_the_severity_moves() -> None:
    from changerisk.testing import run_diff

    report = run_diff(PROTECTED.replace("infra/db.tf", "envs/prod/db.tf"), rules=RULES)
    (finding,) = report.findings
    assert finding.severity.label == "critical" and finding.adjustments == ()


MODULE_TF = """\
resource "aws_s3_bucket" "data" {
  bucket = var.name
}

resource "aws_sqs_queue" "jobs" {
  name = var.name
}
"""


def test_moving_a_module_folder_keeps_its_resources(git_repo, run_cli) -> None:
    git_repo.commit(files={"modules/storage/main.tf": MODULE_TF})
    git_repo.git("mv", "modules/storage", "modules/data-store")
    git_repo.write("modules/data-store/main.tf", MODULE_TF.replace("var.name", "var.prefix"))
    result = run_cli("check", "--select", "TF101", "--select", "TF102", "--format", "json")
    findings = result.json()["findings"]
    assert [(f["code"], f["severity"], f["confidence"]) for f in findings] == [
        ("TF101", "low", "low")
    ]
    assert findings[0]["message"].startswith(
        "moves Terraform files from modules/storage to modules/data-store"
    )
    assert result.code == 0


def test_a_resource_dropped_while_its_folder_moves_is_destroyed(git_repo, run_cli) -> None:
    git_repo.commit(files={"modules/storage/main.tf": MODULE_TF})
    git_repo.git("mv", "modules/storage", "modules/data-store")
    git_repo.write("modules/data-store/main.tf", MODULE_TF.split("\n\n")[0] + "\n")
    result = run_cli("check", "--select", "TF101", "--format", "json")
    destroyed = {
        (f["path"], f["line"]) for f in result.json()["findings"] if f["severity"] != "low"
    }
    assert destroyed == {("modules/storage/main.tf", 5)}
    assert result.code == 1
