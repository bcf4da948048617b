"""TF103-TF106 on real repositories: a commit with the old files, the new files in the worktree."""

from typing import Any

import pytest
from changerisk.rules.terraform_edits import RULES

from changerisk.config import parse_config
from changerisk.testing import run_diff

DB = """\
resource "aws_db_instance" "orders" {
  db_name             = "orders"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  deletion_protection = true
  skip_final_snapshot = false

  lifecycle {
    prevent_destroy = true
  }
}
"""


def check(
    git_repo: Any, run_cli: Any, old: str, new: str, select: str, path: str = "infra/main.tf"
) -> list[dict[str, Any]]:
    git_repo.commit(files={path: old})
    git_repo.write(path, new)
    result = run_cli("check", "--select", select, "--format", "json")
    assert result.code in (0, 1), result.err
    findings: list[dict[str, Any]] = result.json()["findings"]
    return findings


# --- TF103 ---------------------------------------------------------------------------------


def test_tf103_db_name_change_replaces_the_database(git_repo, run_cli) -> None:
    new = DB.replace('"orders"\n', '"orders-v2"\n', 1)
    [finding] = check(git_repo, run_cli, DB, new, "TF103")
    assert (finding["path"], finding["line"]) == ("infra/main.tf", 2)
    assert finding["message"] == (
        "replaces aws_db_instance.orders: changing `db_name` forces a new, empty database; "
        "the data in the old one is lost unless restored from a backup"
    )
    assert finding["severity"] == "critical" and finding["confidence"] == "high"


def test_tf103_variable_value_is_medium_confidence(git_repo, run_cli) -> None:
    old = 'resource "aws_s3_bucket" "logs" {\n  bucket = var.logs_bucket\n}\n'
    new = 'resource "aws_s3_bucket" "logs" {\n  bucket = "${var.prefix}-logs"\n}\n'
    [finding] = check(git_repo, run_cli, old, new, "TF103")
    assert finding["confidence"] == "medium"
    assert "if the rendered value changes" in finding["message"]


def test_tf103_setting_a_computed_attribute(git_repo, run_cli) -> None:
    old = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'
    new = 'resource "aws_instance" "web" {\n  ami       = "ami-1"\n  subnet_id = "subnet-9"\n}\n'
    [finding] = check(git_repo, run_cli, old, new, "TF103")
    assert finding["line"] == 3 and finding["confidence"] == "medium"
    assert finding["message"].startswith(
        'replaces aws_instance.web if the live subnet_id differs from "subnet-9"'
    )
    assert finding["severity"] == "medium"  # medium confidence: one step lower


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # in-place update
        (DB, DB.replace("db.t3.micro", "db.t3.small")),
        # formatting only
        (DB, DB.replace('db_name             = "orders"', 'db_name = "orders"')),
        # "${var.x}" is var.x
        (
            'resource "aws_s3_bucket" "b" {\n  bucket = var.name\n}\n',
            'resource "aws_s3_bucket" "b" {\n  bucket = "${var.name}"\n}\n',
        ),
        # ignore_changes covers it
        (
            'resource "aws_instance" "web" {\n  ami = "ami-1"\n  lifecycle {\n    ignore_changes = [ami]\n  }\n}\n',
            'resource "aws_instance" "web" {\n  ami = "ami-2"\n  lifecycle {\n    ignore_changes = [ami]\n  }\n}\n',
        ),
        # attribute removed: the computed value stays
        (DB, DB.replace('  db_name             = "orders"\n', "")),
        # identifier updates in place since AWS provider 5
        (DB, DB.replace("  engine  ", '  identifier = "orders-db"\n  engine  ')),
        # a new resource is a create, not a replacement
        (DB, DB + DB.replace('"orders" {', '"audit" {').replace('"orders"\n', '"audit"\n')),
        # a tag change
        (
            'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  tags = { team = "a" }\n}\n',
            'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  tags = { team = "b" }\n}\n',
        ),
        # a type not in the table
        (
            'resource "aws_sqs_queue_policy" "p" {\n  queue_url = "a"\n}\n',
            'resource "aws_sqs_queue_policy" "p" {\n  queue_url = "b"\n}\n',
        ),
    ],
    ids=[
        "in-place",
        "layout",
        "interpolation",
        "ignore-changes",
        "removed",
        "identifier",
        "new",
        "tags",
        "unknown-type",
    ],
)
def test_tf103_near_misses(git_repo, run_cli, old: str, new: str) -> None:
    assert check(git_repo, run_cli, old, new, "TF103") == []


def test_tf103_follows_a_moved_block(git_repo, run_cli) -> None:
    new = (
        DB.replace('"orders" {', '"primary" {').replace('"orders"\n', '"orders-2"\n', 1)
        + "\nmoved {\n  from = aws_db_instance.orders\n  to   = aws_db_instance.primary\n}\n"
    )
    [finding] = check(git_repo, run_cli, DB, new, "TF103")
    assert finding["message"].startswith("replaces aws_db_instance.primary: changing `db_name`")


def test_tf103_configured_attributes() -> None:
    diff = (
        "diff --git a/main.tf b/main.tf\n--- a/main.tf\n+++ b/main.tf\n@@ -1,3 +1,3 @@\n"
        ' resource "acme_cluster" "main" {\n-  region = "eu"\n+  region = "us"\n }\n'
    )
    config = parse_config({"terraform": {"replacement-attributes": {"acme_cluster": ["region"]}}})
    report = run_diff(diff, rules=RULES, select=["TF103"], config=config)
    assert [f.message for f in report.findings] == [
        "replaces acme_cluster.main: changing `region` forces a new resource (destroy, then create)"
    ]
    assert run_diff(diff, rules=RULES, select=["TF103"]).findings == ()


# --- TF104 ---------------------------------------------------------------------------------


def test_tf104_guards_switched_off(git_repo, run_cli) -> None:
    new = (
        DB.replace("deletion_protection = true", "deletion_protection = false")
        .replace("skip_final_snapshot = false", "skip_final_snapshot = true")
        .replace("prevent_destroy = true", "prevent_destroy = false")
    )
    findings = check(git_repo, run_cli, DB, new, "TF104")
    assert {(f["line"], f["severity"]) for f in findings} == {(5, "high"), (6, "high"), (9, "high")}
    messages = sorted(f["message"] for f in findings)
    assert messages[0] == (
        "switches off a guard on aws_db_instance.orders: `deletion_protection = false`; "
        "until now the provider refused to delete it"
    )


def test_tf104_guard_line_removed(git_repo, run_cli) -> None:
    new = DB.replace("  deletion_protection = true\n", "")
    [finding] = check(git_repo, run_cli, DB, new, "TF104")
    assert finding["line"] == 5 and finding["message"].startswith(
        "removes a guard from aws_db_instance.orders: `deletion_protection` falls back"
    )


def test_tf104_force_destroy_and_versioning(git_repo, run_cli) -> None:
    old = (
        'resource "aws_s3_bucket" "data" {\n  bucket = "acme-data"\n}\n\n'
        'resource "aws_s3_bucket_versioning" "data" {\n  bucket = aws_s3_bucket.data.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
    )
    new = old.replace(
        '  bucket = "acme-data"\n', '  bucket        = "acme-data"\n  force_destroy = true\n'
    ).replace('"Enabled"', '"Suspended"')
    findings = check(git_repo, run_cli, old, new, "TF104")
    assert sorted((f["line"], f["message"].split(":")[1].strip()) for f in findings) == [
        (3, "`force_destroy = true`; until now a non-empty store could not be deleted"),
        (
            9,
            '`versioning_configuration.status = "Suspended"`; until now old object versions were kept',
        ),
    ]


def test_tf104_replace_triggered_by_added(git_repo, run_cli) -> None:
    old = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'
    new = (
        'resource "aws_instance" "web" {\n  ami = "ami-1"\n  lifecycle {\n'
        "    replace_triggered_by = [aws_launch_template.web.latest_version]\n  }\n}\n"
    )
    [finding] = check(git_repo, run_cli, old, new, "TF104")
    assert finding["message"] == (
        "replaces aws_instance.web whenever [aws_launch_template.web.latest_version] changes "
        "(replace_triggered_by)"
    )


def test_tf104_ignore_changes_dropped_for_a_forcing_attribute(git_repo, run_cli) -> None:
    old = 'resource "aws_instance" "web" {\n  ami = data.aws_ami.latest.id\n  lifecycle {\n    ignore_changes = [ami, tags]\n  }\n}\n'
    new = old.replace("[ami, tags]", "[tags]")
    [finding] = check(git_repo, run_cli, old, new, "TF104")
    assert finding["message"].startswith("stops ignoring changes to `ami` of aws_instance.web")
    assert finding["confidence"] == "medium"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # turning guards on is good news
        (
            DB.replace("deletion_protection = true", "deletion_protection = false"),
            DB,
        ),
        # an explicit default-off is no change
        (
            'resource "aws_db_instance" "a" {\n  engine = "postgres"\n}\n',
            'resource "aws_db_instance" "a" {\n  engine = "postgres"\n  deletion_protection = false\n}\n',
        ),
        # Google defaults deletion_protection to true: dropping the line keeps it on
        (
            'resource "google_sql_database_instance" "a" {\n  name = "a"\n  deletion_protection = true\n}\n',
            'resource "google_sql_database_instance" "a" {\n  name = "a"\n}\n',
        ),
        # dropping skip_final_snapshot = true restores the snapshot
        (
            DB.replace("skip_final_snapshot = false", "skip_final_snapshot = true"),
            DB.replace("  skip_final_snapshot = false\n", ""),
        ),
        # a new resource with guards off is not a guard removed
        (
            DB,
            DB + 'resource "aws_s3_bucket" "tmp" {\n  bucket = "tmp"\n  force_destroy = true\n}\n',
        ),
        # backups 7 -> 14
        (
            'resource "aws_db_instance" "a" {\n  backup_retention_period = 7\n}\n',
            'resource "aws_db_instance" "a" {\n  backup_retention_period = 14\n}\n',
        ),
        # ephemeral resources
        (
            'resource "null_resource" "a" {\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n',
            'resource "null_resource" "a" {\n}\n',
        ),
    ],
    ids=[
        "turned-on",
        "explicit-default",
        "google-default",
        "snapshot-restored",
        "new",
        "backups-up",
        "ephemeral",
    ],
)
def test_tf104_near_misses(git_repo, run_cli, old: str, new: str) -> None:
    assert check(git_repo, run_cli, old, new, "TF104") == []


def test_tf104_google_explicit_false_fires(git_repo, run_cli) -> None:
    old = 'resource "google_sql_database_instance" "a" {\n  name = "a"\n}\n'
    new = 'resource "google_sql_database_instance" "a" {\n  name = "a"\n  deletion_protection = false\n}\n'
    [finding] = check(git_repo, run_cli, old, new, "TF104")
    assert finding["line"] == 3 and finding["severity"] == "high"


# --- TF105 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_attr", "new_attr", "line", "message"),
    [
        ("count = 3", "count = 1", 2, "destroys aws_instance.web[1], [2] (count 3 -> 1)"),
        (
            "count = var.enabled ? 1 : 0",
            "count = 0",
            2,
            "destroys every instance of aws_instance.web (count = 0)",
        ),
        (
            'for_each = toset(["a", "b", "c"])',
            'for_each = toset(["a"])',
            2,
            'destroys aws_instance.web["b"], aws_instance.web["c"]: the key leaves for_each',
        ),
        (
            "count = 2",
            'for_each = toset(["blue", "green"])',
            2,
            "changes the instance keys of aws_instance.web from count to for_each: every instance "
            "is destroyed and created again, unless moved blocks map the old addresses to the new",
        ),
        (
            "",
            "for_each = { blue = 1 }",
            2,
            "changes the instance keys of aws_instance.web from single to for_each: every "
            "instance is destroyed and created again, unless moved blocks map the old addresses "
            "to the new",
        ),
    ],
)
def test_tf105_fires(
    git_repo, run_cli, old_attr: str, new_attr: str, line: int, message: str
) -> None:
    old = f'resource "aws_instance" "web" {{\n  {old_attr}\n  ami = "ami-1"\n}}\n'
    new = f'resource "aws_instance" "web" {{\n  {new_attr}\n  ami = "ami-1"\n}}\n'
    [finding] = check(git_repo, run_cli, old, new, "TF105")
    assert (finding["line"], finding["message"]) == (line, message)


@pytest.mark.parametrize(
    ("old_attr", "new_attr", "extra"),
    [
        ("count = 1", "count = 3", ""),
        ('for_each = toset(["a"])', 'for_each = toset(["a", "b"])', ""),
        ("", "count = 1", ""),  # a -> a[0] is moved by Terraform itself
        ("count = 1", "", ""),
        ("count = var.n", "count = local.n", ""),  # unknown values
        ("for_each = var.buckets", "for_each = local.buckets", ""),
        (
            "count = 2",
            'for_each = toset(["a", "b"])',
            'moved {\n  from = aws_instance.web[0]\n  to   = aws_instance.web["a"]\n}\n',
        ),
    ],
    ids=[
        "grow-count",
        "grow-keys",
        "count-added",
        "count-removed",
        "vars",
        "for-each-vars",
        "moved",
    ],
)
def test_tf105_near_misses(git_repo, run_cli, old_attr: str, new_attr: str, extra: str) -> None:
    old = f'resource "aws_instance" "web" {{\n  {old_attr}\n  ami = "ami-1"\n}}\n'
    new = f'resource "aws_instance" "web" {{\n  {new_attr}\n  ami = "ami-1"\n}}\n{extra}'
    assert check(git_repo, run_cli, old, new, "TF105") == []


def test_tf105_stateful_count_zero_is_critical(git_repo, run_cli) -> None:
    old = 'resource "aws_db_instance" "replica" {\n  count = 2\n}\n'
    new = 'resource "aws_db_instance" "replica" {\n  count = 0\n}\n'
    [finding] = check(git_repo, run_cli, old, new, "TF105")
    assert finding["severity"] == "critical" and finding["message"].endswith("their data is lost")


# --- TF106 ---------------------------------------------------------------------------------

BACKEND = """\
terraform {
  required_version = ">= 1.5"
  backend "s3" {
    bucket = "acme-state"
    key    = "prod/network.tfstate"
    region = "eu-west-1"
  }
}
"""


@pytest.mark.parametrize(
    ("new", "line", "words"),
    [
        (
            BACKEND.replace("prod/network", "prod/net"),
            5,
            'key "prod/network.tfstate" -> "prod/net.tfstate"',
        ),
        (
            BACKEND.replace('backend "s3" {', 'backend "gcs" {')
            .replace("    key ", "    prefix ")
            .replace('bucket = "acme-state"', 'bucket = "acme-state"'),
            3,
            "backend s3 -> gcs",
        ),
    ],
)
def test_tf106_state_moves(git_repo, run_cli, new: str, line: int, words: str) -> None:
    [finding] = check(git_repo, run_cli, BACKEND, new, "TF106", path="envs/prod/versions.tf")
    assert finding["line"] == line and words in finding["message"], finding
    assert finding["message"].startswith("moves the Terraform state (")


def test_tf106_backend_removed(git_repo, run_cli) -> None:
    new = 'terraform {\n  required_version = ">= 1.5"\n}\n'
    [finding] = check(git_repo, run_cli, BACKEND, new, "TF106", path="envs/prod/versions.tf")
    assert (finding["line"], finding["message"][:28]) == (3, "removes the s3 backend: stat")


@pytest.mark.parametrize(
    "new",
    [
        BACKEND.replace("eu-west-1", "eu-central-1"),
        BACKEND.replace(
            '    region = "eu-west-1"\n', '    region = "eu-west-1"\n    use_lockfile = true\n'
        ),
        BACKEND.replace(">= 1.5", ">= 1.9"),
    ],
    ids=["region", "locking", "version"],
)
def test_tf106_near_misses(git_repo, run_cli, new: str) -> None:
    assert check(git_repo, run_cli, BACKEND, new, "TF106", path="envs/prod/versions.tf") == []


def test_tf106_first_backend_is_quiet(git_repo, run_cli) -> None:
    old = 'terraform {\n  required_version = ">= 1.5"\n}\n'
    assert check(git_repo, run_cli, old, BACKEND, "TF106") == []


def test_tf106_local_backend_removed_is_quiet(git_repo, run_cli) -> None:
    old = BACKEND.replace('backend "s3" {', 'backend "local" {')
    new = 'terraform {\n  required_version = ">= 1.5"\n}\n'
    assert check(git_repo, run_cli, old, new, "TF106") == []


def test_tf106_root_module_deleted_is_quiet(git_repo, run_cli) -> None:
    git_repo.commit(
        files={"examples/ci/versions.tf": BACKEND, "examples/ci/main.tf": "locals {}\n"}
    )
    git_repo.remove("examples/ci/versions.tf")
    git_repo.remove("examples/ci/main.tf")
    result = run_cli("check", "--select", "TF106", "--format", "json")
    assert result.json()["findings"] == []
