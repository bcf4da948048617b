"""CloudFormation rules on real repositories: YAML with short-form tags, JSON, SAM, moves."""

import json
from pathlib import Path
from typing import Any

import pytest

from changerisk.testing import run_diff, run_fixture

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Orders service
Parameters:
  Env:
    Type: String
    Default: prod
  AlertEmail:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Env}-orders"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
      Tags:
        - Key: team
          Value: checkout
  OrdersDb:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceIdentifier: orders
      Engine: postgres
      DBInstanceClass: db.t3.medium
      AllocatedStorage: "50"
      BackupRetentionPeriod: 7
      MasterUsername: orders
      ManageMasterUserPassword: true
  Uploads:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Sub "orders-uploads-${AWS::AccountId}"
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt HandlerRole.Arn
      Code:
        S3Bucket: !Ref Uploads
        S3Key: handler.zip
      Environment:
        Variables:
          TABLE: !Ref OrdersTable
          QUEUE_URL: !GetAtt Queue.QueueUrl
  HandlerPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Handler
      Principal: s3.amazonaws.com
Outputs:
  TableName:
    Value: !Ref OrdersTable
    Export:
      Name: !Sub "${AWS::StackName}-table"
"""
PATH = "infra/orders.yaml"


@pytest.fixture
def check(git_repo: Any, run_cli: Any) -> Any:
    """Commit `old`, write `new` (None deletes a file), and return the findings of the
    selected rules as sorted (code, path, line, severity, message) tuples."""

    def run(
        old: dict[str, str], new: dict[str, str | None], select: str = "CFN"
    ) -> list[tuple[str, str, int, str, str]]:
        git_repo.stage_change(old, new)
        result = run_cli("check", "--select", select, "--format", "json")
        assert result.code in (0, 1), result.err
        return sorted(
            (f["code"], f["path"], f["line"], f["severity"], f["message"])
            for f in result.json()["findings"]
        )

    return run


def without(text: str, first: str, last: str | None) -> str:
    """`text` without the lines from the one starting with `first` to the one before `last`."""
    lines = text.split("\n")
    start = lines.index(first)
    end = lines.index(last) if last else len(lines)
    return "\n".join(lines[:start] + lines[end:])


def line_of(text: str, needle: str) -> int:
    return text.split("\n").index(needle) + 1


# -- CFN101 ---------------------------------------------------------------------------------------


def test_removing_a_table_deletes_it_and_its_items(check: Any) -> None:
    new = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:")
    assert check({PATH: TEMPLATE}, {PATH: new}, "CFN101") == [
        (
            "CFN101",
            PATH,
            line_of(TEMPLATE, "  OrdersTable:"),
            "critical",
            "removes AWS::DynamoDB::Table OrdersTable from the stack: the table and every item "
            "in it are deleted on the next deploy",
        )
    ]


def test_removing_an_rds_instance_takes_the_default_final_snapshot(check: Any) -> None:
    new = without(TEMPLATE, "  OrdersDb:", "  Uploads:")
    assert check({PATH: TEMPLATE}, {PATH: new}, "CFN101") == [
        (
            "CFN101",
            PATH,
            line_of(TEMPLATE, "  OrdersDb:"),
            "high",
            "removes AWS::RDS::DBInstance OrdersDb from the stack: the database and its data are "
            "deleted on the next deploy; DeletionPolicy: Snapshot (the default here) takes a "
            "final snapshot first, and restoring it makes a new database",
        )
    ]


def test_removing_a_retained_bucket_keeps_it(check: Any) -> None:
    new = without(TEMPLATE, "  Uploads:", "  Queue:").replace(
        "        S3Bucket: !Ref Uploads", "        S3Bucket: artifacts"
    )
    assert check({PATH: TEMPLATE}, {PATH: new}, "CFN101") == [
        (
            "CFN101",
            PATH,
            line_of(TEMPLATE, "  Uploads:"),
            "low",
            "removes AWS::S3::Bucket Uploads from the stack: DeletionPolicy: Retain keeps the "
            "bucket and its data, no longer managed by CloudFormation",
        )
    ]


def test_removing_a_permission_is_low(check: Any) -> None:
    new = without(TEMPLATE, "  HandlerPermission:", "Outputs:")
    assert check({PATH: TEMPLATE}, {PATH: new}, "CFN101") == [
        (
            "CFN101",
            PATH,
            line_of(TEMPLATE, "  HandlerPermission:"),
            "low",
            "removes AWS::Lambda::Permission HandlerPermission from the stack on the next deploy",
        )
    ]


def test_a_resource_moved_within_the_file_is_not_removed(check: Any) -> None:
    table = TEMPLATE.split("  OrdersTable:\n", 1)[1].split("  OrdersDb:\n", 1)[0]
    moved = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:").replace(
        "Outputs:\n", "  OrdersTable:\n" + table + "Outputs:\n"
    )
    assert check({PATH: TEMPLATE}, {PATH: moved}) == []


def test_a_resource_moved_to_a_sibling_template_is_not_removed(check: Any) -> None:
    table = TEMPLATE.split("  OrdersTable:\n", 1)[1].split("  OrdersDb:\n", 1)[0]
    data = "Resources:\n  OrdersTable:\n" + table
    new = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:")
    assert check({PATH: TEMPLATE}, {PATH: new, "infra/data.yaml": data}) == []


def test_a_resource_moved_to_a_template_elsewhere_is_removed(check: Any) -> None:
    table = TEMPLATE.split("  OrdersTable:\n", 1)[1].split("  OrdersDb:\n", 1)[0]
    data = "Resources:\n  OrdersTable:\n" + table
    new = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:")
    found = check({PATH: TEMPLATE}, {PATH: new, "other/data.yaml": data}, "CFN101")
    assert [(f[0], f[1], f[2]) for f in found] == [("CFN101", PATH, 12)]


def test_additions_and_parameter_output_edits_are_quiet(check: Any) -> None:
    new = (
        TEMPLATE.replace("    Default: prod\n", "    Default: staging\n")
        .replace('      Name: !Sub "${AWS::StackName}-table"', '      Name: !Sub "${Env}-table"')
        .replace(
            "Outputs:\n",
            "  Audit:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
            "      KeySchema:\n        - AttributeName: id\n          KeyType: HASH\n"
            "Outputs:\n",
        )
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == []


def test_putting_an_existing_table_under_a_condition(check: Any) -> None:
    new = TEMPLATE.replace(
        "    Type: AWS::DynamoDB::Table\n",
        "    Type: AWS::DynamoDB::Table\n    Condition: IsProd\n",
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN101",
            PATH,
            line_of(TEMPLATE, "  OrdersTable:") + 2,
            "high",
            "puts AWS::DynamoDB::Table OrdersTable under Condition IsProd: where the condition "
            "is false, the next deploy deletes it (the table and every item in it are deleted)",
        )
    ]


def test_deleting_a_template_is_one_low_confidence_note(git_repo: Any, run_cli: Any) -> None:
    git_repo.commit(files={PATH: TEMPLATE})
    git_repo.remove(PATH)
    git_repo.git("add", "-A")
    result = run_cli("check", "--select", "CFN", "--format", "json")
    findings = result.json()["findings"]
    assert [(f["code"], f["line"], f["severity"], f["confidence"]) for f in findings] == [
        ("CFN101", 12, "low", "low")
    ]
    assert findings[0]["message"] == (
        "deletes template infra/orders.yaml, which declares AWS::DynamoDB::Table OrdersTable, "
        "AWS::RDS::DBInstance OrdersDb, AWS::SQS::Queue Queue: deleting its stack deletes them "
        "with their data"
    )


def test_cdk_synth_output_is_skipped(check: Any) -> None:
    new = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:")
    path = "cdk.out/OrdersStack.template.yaml"
    assert check({path: TEMPLATE}, {path: new}) == []


# -- CFN102 ---------------------------------------------------------------------------------------


def test_retain_dropped_from_a_bucket(check: Any) -> None:
    new = TEMPLATE.replace("    DeletionPolicy: Retain\n", "")
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN102",
            PATH,
            line_of(TEMPLATE, "    DeletionPolicy: Retain"),
            "high",
            "drops DeletionPolicy: Retain from AWS::S3::Bucket Uploads: removing it from the "
            "template, or deleting the stack, now means the bucket is deleted if it is empty; if "
            "it holds objects the deletion fails and it is left behind outside the stack",
        )
    ]


def test_update_replace_policy_set_to_delete(check: Any) -> None:
    new = TEMPLATE.replace("    UpdateReplacePolicy: Retain\n", "    UpdateReplacePolicy: Delete\n")
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN102",
            PATH,
            line_of(TEMPLATE, "    UpdateReplacePolicy: Retain"),
            "high",
            "sets UpdateReplacePolicy: Delete on AWS::S3::Bucket Uploads: a change that replaces "
            "it now deletes the old bucket and its data",
        )
    ]


def test_retain_added_and_rds_cluster_default_snapshot_are_quiet(check: Any) -> None:
    cluster = (
        "Resources:\n  Aurora:\n    Type: AWS::RDS::DBCluster\n    DeletionPolicy: Snapshot\n"
        "    Properties:\n      Engine: aurora-postgresql\n"
    )
    new = TEMPLATE.replace(
        "    Type: AWS::SQS::Queue\n", "    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n"
    )
    # Snapshot is already the default deletion policy of an RDS cluster: dropping it changes nothing.
    assert (
        check(
            {PATH: TEMPLATE, "infra/db.yaml": cluster},
            {PATH: new, "infra/db.yaml": cluster.replace("    DeletionPolicy: Snapshot\n", "")},
        )
        == []
    )


# -- CFN201 ---------------------------------------------------------------------------------------


def test_renaming_a_logical_id_replaces_the_queue(check: Any) -> None:
    new = TEMPLATE.replace("  Queue:\n", "  OrdersQueue:\n").replace(
        "!GetAtt Queue.QueueUrl", "!GetAtt OrdersQueue.QueueUrl"
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN201",
            PATH,
            line_of(TEMPLATE, "  Queue:"),
            "high",
            "renames AWS::SQS::Queue Queue to OrdersQueue: a new logical ID is a new resource, so "
            "CloudFormation creates a new, empty queue; messages waiting in the old one are lost",
        )
    ]


def test_renaming_a_table_that_keeps_its_name_fails_the_deploy(check: Any) -> None:
    new = TEMPLATE.replace("  OrdersTable:\n", "  Orders:\n").replace(
        "!Ref OrdersTable", "!Ref Orders"
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN201",
            PATH,
            line_of(TEMPLATE, "  OrdersTable:"),
            "medium",
            "renames AWS::DynamoDB::Table OrdersTable to Orders: CloudFormation creates the new "
            "one first, but its TableName is still taken by the old one, so the deploy fails and "
            "rolls back",
        )
    ]


def test_renaming_a_bucket_that_keeps_its_name_fails_the_deploy(check: Any) -> None:
    new = TEMPLATE.replace("  Uploads:\n", "  UploadsBucket:\n").replace(
        "!Ref Uploads", "!Ref UploadsBucket"
    )
    found = check({PATH: TEMPLATE}, {PATH: new})
    assert found == [
        (
            "CFN201",
            PATH,
            line_of(TEMPLATE, "  Uploads:"),
            "medium",
            "renames AWS::S3::Bucket Uploads to UploadsBucket: CloudFormation creates the new one "
            "first, but its BucketName is still taken by the old one, so the deploy fails and "
            "rolls back",
        )
    ]


# -- CFN202 ---------------------------------------------------------------------------------------


def test_changing_the_db_identifier_replaces_the_database(check: Any) -> None:
    new = TEMPLATE.replace("DBInstanceIdentifier: orders", "DBInstanceIdentifier: orders-main")
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN202",
            PATH,
            line_of(TEMPLATE, "      DBInstanceIdentifier: orders"),
            "critical",
            "replaces AWS::RDS::DBInstance OrdersDb: changing DBInstanceIdentifier creates a new "
            "database; data is lost unless restored from a snapshot",
        )
    ]


def test_changing_a_computed_table_name(check: Any) -> None:
    new = TEMPLATE.replace('TableName: !Sub "${Env}-orders"', 'TableName: !Sub "${Env}-orders-v2"')
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN202",
            PATH,
            line_of(TEMPLATE, '      TableName: !Sub "${Env}-orders"'),
            "high",
            "replaces AWS::DynamoDB::Table OrdersTable: changing TableName creates a new, empty "
            "table; every item in the old one is lost (the value is computed: it may resolve to "
            "the same one)",
        )
    ]


def test_changing_the_key_schema_of_a_named_table_fails_the_deploy(check: Any) -> None:
    new = TEMPLATE.replace(
        "        - AttributeName: id\n          KeyType: HASH",
        ("        - AttributeName: pk\n          KeyType: HASH"),
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN202",
            PATH,
            line_of(TEMPLATE, "      KeySchema:") + 1,
            "medium",
            "changing KeySchema needs a replacement of AWS::DynamoDB::Table OrdersTable, which "
            "CloudFormation refuses while its TableName stays: the deploy fails and rolls back",
        )
    ]


def test_update_replace_policy_retain_lowers_a_replacement(check: Any) -> None:
    new = TEMPLATE.replace(
        'BucketName: !Sub "orders-uploads-${AWS::AccountId}"',
        'BucketName: !Sub "orders-files-${AWS::AccountId}"',
    )
    assert check({PATH: TEMPLATE}, {PATH: new}) == [
        (
            "CFN202",
            PATH,
            line_of(TEMPLATE, '      BucketName: !Sub "orders-uploads-${AWS::AccountId}"'),
            "low",
            "replaces AWS::S3::Bucket Uploads: changing BucketName creates a new, empty bucket and "
            "points the stack at it; the old one is deleted if it is empty, otherwise left behind "
            "outside the stack (the value is computed: it may resolve to the same one); "
            "UpdateReplacePolicy: Retain keeps the old bucket outside the stack",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("      BackupRetentionPeriod: 7", "      BackupRetentionPeriod: 14"),
        ("      DBInstanceClass: db.t3.medium", "      DBInstanceClass: db.r6g.large"),
        ("          Value: checkout", "          Value: payments"),
        ("Description: Orders service", "Description: Orders service (v2)"),
        ('      TableName: !Sub "${Env}-orders"', "      TableName: !Sub '${Env}-orders'"),
        ("      DBInstanceIdentifier: orders", "      DBInstanceIdentifier: orders  # the primary"),
        ("      VisibilityTimeout: 60", "      VisibilityTimeout: 60\n      FifoQueue: false"),
        ("      Runtime: python3.12", "      Runtime: python3.13"),
    ],
    ids=[
        "backup-retention",
        "instance-class",
        "tags",
        "description",
        "quoting",
        "comment",
        "default-flag",
        "runtime",
    ],
)
def test_in_place_updates_are_quiet(check: Any, old: str, new: str) -> None:
    assert old in TEMPLATE
    assert check({PATH: TEMPLATE}, {PATH: TEMPLATE.replace(old, new)}) == []


# -- JSON, SAM, Serverless Framework ------------------------------------------------------------

JSON_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"},
        },
        "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "example.com"}},
        "Key": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "Properties": {"Description": "orders"},
        },
    },
}


def dumps(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2) + "\n"


def test_json_template(check: Any) -> None:
    new: dict[str, Any] = json.loads(json.dumps(JSON_TEMPLATE))
    new["Resources"]["Subnet"]["Properties"]["CidrBlock"] = "10.0.2.0/24"
    del new["Resources"]["Zone"]
    new["Resources"]["Key"]["Properties"]["Description"] = "orders data"
    path = "stacks/network.template.json"
    old_text = dumps(JSON_TEMPLATE)
    assert check({path: old_text}, {path: dumps(new)}) == [
        (
            "CFN101",
            path,
            line_of(old_text, '    "Zone": {'),
            "critical",
            "removes AWS::Route53::HostedZone Zone from the stack: the zone is deleted; the domain "
            "stops resolving on the next deploy",
        ),
        (
            "CFN202",
            path,
            line_of(dumps(new), '        "CidrBlock": "10.0.2.0/24"'),
            "high",
            "replaces AWS::EC2::Subnet Subnet: changing CidrBlock creates a new one; everything "
            "attached to it must move, which interrupts traffic",
        ),
    ]


SAM = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 10
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-api
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs20.x
      Events:
        Get:
          Type: Api
          Properties:
            Path: /orders
            Method: get
  Sessions:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey:
        Name: id
        Type: String
"""


def test_sam_template(check: Any) -> None:
    new = SAM.replace("FunctionName: orders-api", "FunctionName: orders-http").replace(
        "        Name: id\n", "        Name: sessionId\n"
    )
    assert check({"template.yaml": SAM}, {"template.yaml": new}) == [
        (
            "CFN202",
            "template.yaml",
            10,
            "medium",
            "replaces AWS::Serverless::Function Api: changing FunctionName creates a new "
            "function; callers outside the stack that use its name or ARN break",
        ),
        (
            "CFN202",
            "template.yaml",
            24,
            "critical",
            "replaces AWS::Serverless::SimpleTable Sessions: changing PrimaryKey creates a new, "
            "empty table; every item in the old one is lost",
        ),
    ]


def test_sam_events_and_globals_are_not_resources(check: Any) -> None:
    new = SAM.replace("            Path: /orders\n", "            Path: /v2/orders\n").replace(
        "    Timeout: 10\n", "    Timeout: 30\n"
    )
    assert check({"template.yaml": SAM}, {"template.yaml": new}) == []


def test_serverless_framework_resources(check: Any) -> None:
    old = (
        "service: orders\nprovider:\n  name: aws\nresources:\n  Resources:\n"
        "    UsersTable:\n      Type: AWS::DynamoDB::Table\n      Properties:\n"
        "        TableName: users\n"
    )
    new = "service: orders\nprovider:\n  name: aws\n"
    assert check({"serverless.yml": old}, {"serverless.yml": new}) == [
        (
            "CFN101",
            "serverless.yml",
            6,
            "critical",
            "removes AWS::DynamoDB::Table UsersTable from the stack: the table and every item in "
            "it are deleted on the next deploy",
        )
    ]


def test_a_broken_new_side_is_quiet(check: Any) -> None:
    new = without(TEMPLATE, "  OrdersTable:", "  OrdersDb:") + "  Broken: [\n"
    assert check({PATH: TEMPLATE}, {PATH: new}) == []


def test_renaming_a_retained_queue_keeps_the_old_one(check: Any) -> None:
    old = TEMPLATE.replace(
        "    Type: AWS::SQS::Queue\n", "    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n"
    )
    new = old.replace("  Queue:\n", "  OrdersQueue:\n")
    assert check({PATH: old}, {PATH: new}) == [
        (
            "CFN201",
            PATH,
            line_of(old, "  Queue:"),
            "medium",
            "renames AWS::SQS::Queue Queue to OrdersQueue: a new logical ID is a new resource, so "
            "CloudFormation creates a new, empty queue; messages waiting in the old one are lost; "
            "DeletionPolicy: Retain keeps the old queue outside the stack, but the stack now uses "
            "the new one",
        )
    ]


# -- bare diffs: only what the hunks show ---------------------------------------------------------

HERE = Path(__file__).parent / "fixtures"
BARE = [
    ("yaml_resource_removed_mid_file.diff", {("CFN101", "infra/orders.yaml", 26, "high")}),
    # The old name was computed (`!Sub`): it may have rendered the same, one level lower.
    ("yaml_table_name_changed.diff", {("CFN202", "infra/orders.yaml", 15, "high")}),
    ("yaml_retain_removed.diff", {("CFN102", "infra/orders.yaml", 38, "high")}),
    ("yaml_logical_id_renamed.diff", {("CFN201", "infra/orders.yaml", 42, "high")}),
    ("json_resource_removed_mid_file.diff", {("CFN101", "stacks/app.template.json", 18, "high")}),
    # The hunk starts below the resource's logical ID: nothing to attribute the change to.
    ("yaml_property_added_header_unseen.diff", set()),
    # BillingMode updates in place; the key schema the hunk cuts is not compared.
    ("yaml_hunk_ends_in_key_schema.diff", set()),
    ("json_in_place_edit.diff", set()),
    # Port replaces a replication group; the first hunk shows its logical ID, the second not.
    ("json_port_changed_in_sight.diff", {("CFN202", "stacks/app.template.json", 25, "high")}),
    ("json_port_changed_mid_file.diff", set()),
    ("markdown_mentions_retain.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), BARE, ids=[c[0] for c in BARE])
def test_bare_diffs(fixture: str, expected: set[tuple[str, str, int, str]]) -> None:
    report = run_fixture(HERE / fixture, select=["CFN"])
    assert {(f.code, f.path, f.line, f.severity.label) for f in report.findings} == expected


def test_bare_diff_messages() -> None:
    report = run_fixture(HERE / "yaml_resource_removed_mid_file.diff", select=["CFN"])
    assert [f.message for f in report.findings] == [
        "removes AWS::RDS::DBInstance OrdersDb from the stack: the database and its data are "
        "deleted on the next deploy; DeletionPolicy: Snapshot (the default here) takes a final "
        "snapshot first, and restoring it makes a new database"
    ]
    report = run_fixture(HERE / "json_resource_removed_mid_file.diff", select=["CFN"])
    assert [(f.side, f.message) for f in report.findings] == [
        (
            "old",
            "removes AWS::ElastiCache::ReplicationGroup Sessions from the stack: the cache and "
            "its data are deleted on the next deploy",
        )
    ]


def test_a_dot_template_file_is_a_template() -> None:
    diff = (
        "diff --git a/templates/vpc.template b/templates/vpc.template\n"
        "--- a/templates/vpc.template\n"
        "+++ b/templates/vpc.template\n"
        "@@ -1,5 +1,5 @@\n"
        ' {\n   "Resources": {\n     "Vpc": {\n       "Type": "AWS::EC2::VPC",\n'
        '-      "Properties": {"CidrBlock": "10.0.0.0/16"}\n'
        '+      "Properties": {"CidrBlock": "10.1.0.0/16"}\n'
    )
    report = run_diff(diff, select=["CFN"])
    assert [(f.code, f.path, f.line) for f in report.findings] == [
        ("CFN202", "templates/vpc.template", 5)
    ]
