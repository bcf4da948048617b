"""CDK rules on real repositories: TypeScript and Python stacks, near misses, bare diffs."""

import difflib
from typing import Any

import pytest
from changerisk.rules.cdk_source import parse_source
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.testing import run_diff

STACK = """\
import * as cdk from "aws-cdk-lib";
import { RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as rds from "aws-cdk-lib/aws-rds";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface OrdersStackProps extends cdk.StackProps {
  readonly isProd: boolean;
}

export class OrdersStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);

    const uploads = new s3.Bucket(this, "Uploads", {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
    });

    const orders = new dynamodb.Table(this, "Orders", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });

    const jobs = new sqs.Queue(this, "Jobs", {
      visibilityTimeout: cdk.Duration.seconds(60),
    });

    const handler = new lambda.Function(this, "Handler", {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: "index.handler",
      code: lambda.Code.fromAsset("lambda"),
      environment: { TABLE: orders.tableName, BUCKET: uploads.bucketName },
    });
    orders.grantReadWriteData(handler);
    jobs.grantConsumeMessages(handler);
  }
}
"""
PATH = "lib/orders-stack.ts"
PY_STACK = """\
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct


class StorageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.invoices = s3.Bucket(
            self,
            "Invoices",
            versioned=True,
        )
        self.sessions = dynamodb.Table(
            self,
            "Sessions",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            time_to_live_attribute="expires",
        )
"""
PY_PATH = "app/storage_stack.py"


@pytest.fixture
def check(git_repo: Any, run_cli: Any) -> Any:
    """Commit `old`, write `new`, and return the selected findings as sorted
    (code, path, line, severity, message) tuples."""

    def run(
        old: dict[str, str], new: dict[str, str | None], select: str = "CDK"
    ) -> list[tuple[str, str, int, str, str]]:
        git_repo.stage_change(old, new)
        result = run_cli("check", "--select", select, "--format", "json")
        assert result.code in (0, 1), result.err
        return sorted(
            (f["code"], f["path"], f["line"], f["severity"], f["message"])
            for f in result.json()["findings"]
        )

    return run


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), start=1) if needle in line)


ORDERS_PROPS = "      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,\n"


# -- CDK101 ---------------------------------------------------------------------------------------


def test_destroy_on_an_existing_table(check: Any) -> None:
    new = STACK.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    assert check({PATH: STACK}, {PATH: new}) == [
        (
            "CDK101",
            PATH,
            line_of(new, "removalPolicy: RemovalPolicy.DESTROY"),
            "high",
            "sets RemovalPolicy.DESTROY on dynamodb.Table Orders (AWS::DynamoDB::Table), which "
            "was RETAIN (the default): if it leaves the stack, is replaced, or the stack is "
            "deleted, the table and every item in it are deleted",
        )
    ]


def test_destroy_on_a_new_bucket_is_medium(check: Any) -> None:
    new = STACK.replace(
        "    orders.grantReadWriteData(handler);\n",
        '    new s3.Bucket(this, "Exports", { removalPolicy: cdk.RemovalPolicy.DESTROY });\n'
        "    orders.grantReadWriteData(handler);\n",
    )
    assert check({PATH: STACK}, {PATH: new}) == [
        (
            "CDK101",
            PATH,
            line_of(new, '"Exports"'),
            "medium",
            "creates s3.Bucket Exports (AWS::S3::Bucket) with RemovalPolicy.DESTROY: if it leaves "
            "the stack, is replaced, or the stack is deleted, the bucket is deleted if it is "
            "empty; if it holds objects the deletion fails and it is left behind outside the "
            "stack",
        )
    ]


def test_apply_removal_policy_and_scope_wide_destroy(check: Any) -> None:
    new = STACK.replace(
        "    jobs.grantConsumeMessages(handler);\n",
        "    jobs.grantConsumeMessages(handler);\n"
        "    uploads.applyRemovalPolicy(RemovalPolicy.DESTROY);\n"
        "    cdk.RemovalPolicies.of(this).destroy();\n",
    )
    assert check({PATH: STACK}, {PATH: new}) == [
        (
            "CDK101",
            PATH,
            line_of(new, "uploads.applyRemovalPolicy"),
            "high",
            "sets RemovalPolicy.DESTROY on s3.Bucket Uploads (AWS::S3::Bucket), which was RETAIN "
            "(the default): if it leaves the stack, is replaced, or the stack is deleted, the "
            "bucket is deleted if it is empty; if it holds objects the deletion fails and it is "
            "left behind outside the stack",
        ),
        (
            "CDK101",
            PATH,
            line_of(new, "RemovalPolicies.of(this)"),
            "high",
            "applies RemovalPolicy.DESTROY to every resource in this: databases, tables and "
            "buckets in it are deleted with their data when they leave the stack, are replaced, "
            "or the stack is deleted",
        ),
    ]


def test_destroy_in_a_test_stack_is_low(check: Any) -> None:
    stack = STACK.replace("class OrdersStack", "class OrdersIntegTestStack")
    new = stack.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    found = check({PATH: stack}, {PATH: new})
    assert [(f[0], f[2], f[3]) for f in found] == [
        ("CDK101", line_of(new, "RemovalPolicy.DESTROY"), "low")
    ]
    assert found[0][4].endswith("(test or example stack OrdersIntegTestStack)")


@pytest.mark.parametrize(
    "added",
    [
        "      removalPolicy: props.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,\n",
        "      removalPolicy: RemovalPolicy.RETAIN,\n",
        "      // removalPolicy: RemovalPolicy.DESTROY, (only for dev)\n",
        '      tableName: "RemovalPolicy.DESTROY",\n',
    ],
    ids=["prod-retains", "retain", "comment", "string"],
)
def test_destroy_near_misses(check: Any, added: str) -> None:
    new = STACK.replace(ORDERS_PROPS, ORDERS_PROPS + added)
    assert check({PATH: STACK}, {PATH: new}, "CDK101") == []


def test_destroy_on_a_queue_is_its_default(check: Any) -> None:
    new = STACK.replace(
        "      visibilityTimeout: cdk.Duration.seconds(60),\n",
        "      visibilityTimeout: cdk.Duration.seconds(60),\n"
        "      removalPolicy: RemovalPolicy.DESTROY,\n",
    )
    assert check({PATH: STACK}, {PATH: new}) == []


def test_destroy_already_there_and_reformatted_is_quiet(check: Any) -> None:
    old = STACK.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    new = old.replace(
        "      removalPolicy: RemovalPolicy.DESTROY,\n",
        "      removalPolicy: cdk.RemovalPolicy.DESTROY, // dev data only\n",
    )
    assert check({PATH: old}, {PATH: new}) == []


def test_python_destroy_on_an_existing_bucket(check: Any) -> None:
    new = PY_STACK.replace(
        "            versioned=True,\n",
        "            versioned=True,\n            removal_policy=RemovalPolicy.DESTROY,\n",
    )
    assert check({PY_PATH: PY_STACK}, {PY_PATH: new}) == [
        (
            "CDK101",
            PY_PATH,
            line_of(new, "removal_policy"),
            "high",
            "sets RemovalPolicy.DESTROY on s3.Bucket Invoices (AWS::S3::Bucket), which was RETAIN "
            "(the default): if it leaves the stack, is replaced, or the stack is deleted, the "
            "bucket is deleted if it is empty; if it holds objects the deletion fails and it is "
            "left behind outside the stack",
        )
    ]


# -- CDK102 ---------------------------------------------------------------------------------------


def test_auto_delete_objects_on_an_existing_bucket(check: Any) -> None:
    new = STACK.replace(
        "      versioned: true,\n",
        "      versioned: true,\n      removalPolicy: RemovalPolicy.DESTROY,\n"
        "      autoDeleteObjects: true,\n",
    )
    found = check({PATH: STACK}, {PATH: new}, "CDK102")
    assert found == [
        (
            "CDK102",
            PATH,
            line_of(new, "autoDeleteObjects"),
            "high",
            "sets autoDeleteObjects on s3.Bucket Uploads: a custom resource deletes every object "
            "when it leaves the stack, is replaced, or the stack is deleted",
        )
    ]


@pytest.mark.parametrize(
    "added",
    ["      autoDeleteObjects: false,\n", "      autoDeleteObjects: !props.isProd,\n"],
    ids=["false", "computed"],
)
def test_auto_delete_near_misses(check: Any, added: str) -> None:
    new = STACK.replace("      versioned: true,\n", "      versioned: true,\n" + added)
    assert check({PATH: STACK}, {PATH: new}, "CDK102") == []


def test_python_auto_delete_on_a_new_bucket(check: Any) -> None:
    new = PY_STACK + (
        '        s3.Bucket(self, "Scratch", removal_policy=RemovalPolicy.DESTROY,\n'
        "                  auto_delete_objects=True)\n"
    )
    assert check({PY_PATH: PY_STACK}, {PY_PATH: new}, "CDK102") == [
        (
            "CDK102",
            PY_PATH,
            line_of(new, "auto_delete_objects"),
            "medium",
            "sets autoDeleteObjects on s3.Bucket Scratch: a custom resource deletes every object "
            "when it leaves the stack, is replaced, or the stack is deleted",
        )
    ]


# -- CDK201 ---------------------------------------------------------------------------------------


def test_renaming_a_table_construct(check: Any) -> None:
    new = STACK.replace(
        'new dynamodb.Table(this, "Orders"', 'new dynamodb.Table(this, "OrdersTable"'
    )
    assert check({PATH: STACK}, {PATH: new}) == [
        (
            "CDK201",
            PATH,
            line_of(new, '"OrdersTable"'),
            "high",
            "changes the ID of dynamodb.Table Orders to OrdersTable: its logical ID changes, so "
            "CloudFormation creates a new, empty table; the old one is kept outside the stack "
            "(RETAIN), but the app now uses the new one",
        )
    ]


def test_renaming_a_destroyed_table_loses_its_items(check: Any) -> None:
    old = STACK.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    new = old.replace('new dynamodb.Table(this, "Orders"', 'new dynamodb.Table(this, "OrderTable"')
    found = check({PATH: old}, {PATH: new}, "CDK201")
    assert [(f[0], f[2], f[3]) for f in found] == [
        ("CDK201", line_of(new, "OrderTable"), "critical")
    ]
    assert found[0][4].endswith("creates a new, empty table; every item in the old one is lost")


def test_renaming_a_database_takes_a_snapshot(check: Any) -> None:
    db = (
        '    new rds.DatabaseInstance(this, "Db", {\n'
        "      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),\n"
        "      vpc,\n"
        "    });\n"
    )
    old = STACK.replace(
        "    orders.grantReadWriteData(handler);\n",
        db + "    orders.grantReadWriteData(handler);\n",
    )
    new = old.replace('(this, "Db"', '(this, "OrdersDb"')
    assert check({PATH: old}, {PATH: new}) == [
        (
            "CDK201",
            PATH,
            line_of(new, '"OrdersDb"'),
            "high",
            "changes the ID of rds.DatabaseInstance Db to OrdersDb: its logical ID changes, so "
            "CloudFormation creates a new database; data is lost unless restored from a "
            "snapshot; a final snapshot of the old one is taken",
        )
    ]


def test_renaming_a_named_bucket_fails_the_deploy(check: Any) -> None:
    old = STACK.replace(
        "      versioned: true,\n", '      versioned: true,\n      bucketName: "orders-uploads",\n'
    )
    new = old.replace('(this, "Uploads"', '(this, "UploadsBucket"')
    found = check({PATH: old}, {PATH: new})
    assert [(f[0], f[3]) for f in found] == [("CDK201", "medium")]
    assert found[0][4] == (
        "changes the ID of s3.Bucket Uploads to UploadsBucket: its logical ID changes, so "
        'CloudFormation creates a new bucket first, but its bucketName "orders-uploads" is still '
        "taken by the old one, so the deploy fails and rolls back"
    )


def test_python_rename(check: Any) -> None:
    new = PY_STACK.replace('            "Sessions",\n', '            "SessionTable",\n')
    found = check({PY_PATH: PY_STACK}, {PY_PATH: new})
    assert [(f[0], f[1], f[2], f[3]) for f in found] == [
        ("CDK201", PY_PATH, line_of(new, '"SessionTable"'), "high")
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('new lambda.Function(this, "Handler"', 'new lambda.Function(this, "OrdersHandler"'),
        ("const orders = new dynamodb", "const ordersTable = new dynamodb"),
    ],
    ids=["stateless-function", "variable-renamed"],
)
def test_rename_near_misses(check: Any, old: str, new: str) -> None:
    assert check({PATH: STACK}, {PATH: STACK.replace(old, new)}, "CDK201") == []


def test_pinned_logical_id_is_quiet(check: Any) -> None:
    new = STACK.replace(
        'new dynamodb.Table(this, "Orders"', 'new dynamodb.Table(this, "OrdersTable"'
    ).replace(
        "    orders.grantReadWriteData(handler);\n",
        '    (orders.node.defaultChild as dynamodb.CfnTable).overrideLogicalId("Orders");\n'
        "    orders.grantReadWriteData(handler);\n",
    )
    assert check({PATH: STACK}, {PATH: new}, "CDK201") == []


def test_construct_moved_to_another_file_keeps_its_id(check: Any) -> None:
    table = (
        'import * as dynamodb from "aws-cdk-lib/aws-dynamodb";\n'
        "export function ordersTable(scope: Construct) {\n"
        '  return new dynamodb.Table(scope, "Orders", {\n'
        '    partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },\n'
        "  });\n"
        "}\n"
    )
    new = STACK.replace(
        '    const orders = new dynamodb.Table(this, "Orders", {\n'
        '      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },\n'
        + ORDERS_PROPS
        + "    });\n",
        "    const orders = ordersTable(this);\n",
    )
    assert check({PATH: STACK}, {PATH: new, "lib/tables.ts": table}) == []


# -- bare diffs and hostile input ---------------------------------------------------------------


def unified(path: str, old: str, new: str, context: int = 3) -> str:
    lines = difflib.unified_diff(
        [line + "\n" for line in old.split("\n")[:-1]],
        [line + "\n" for line in new.split("\n")[:-1]],
        f"a/{path}",
        f"b/{path}",
        n=context,
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def test_bare_diff_with_the_construct_out_of_sight() -> None:
    new = STACK.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    report = run_diff(unified(PATH, STACK, new, context=1), select=["CDK"])
    assert [(f.code, f.line, f.severity.label, f.confidence.value) for f in report.findings] == [
        ("CDK101", line_of(new, "RemovalPolicy.DESTROY"), "low", "low")
    ]


def test_bare_diff_with_the_construct_in_sight() -> None:
    new = STACK.replace(
        ORDERS_PROPS, ORDERS_PROPS + "      removalPolicy: RemovalPolicy.DESTROY,\n"
    )
    report = run_diff(unified(PATH, STACK, new, context=3), select=["CDK"])
    assert [(f.code, f.line, f.severity.label) for f in report.findings] == [
        ("CDK101", line_of(new, "RemovalPolicy.DESTROY"), "high")
    ]


@given(st.text(max_size=300), st.sampled_from(["typescript", "python"]))
@example("new s3.Bucket(this, 'X', { removalPolicy: RemovalPolicy.DESTROY", "typescript")
@example('s3.Bucket(self, "X", removal_policy=RemovalPolicy.DESTROY', "python")
@example("RemovalPolicies.of(\x00).destroy(", "typescript")
@settings(max_examples=200, deadline=None)
def test_parser_never_crashes(text: str, language: str) -> None:
    parse_source(text, language)


TOKENS = st.sampled_from(
    [
        'new s3.Bucket(this, "Uploads", {',
        'new dynamodb.Table(this, "Orders", {',
        "  removalPolicy: RemovalPolicy.DESTROY,",
        "  autoDeleteObjects: true,",
        "});",
        "bucket.applyRemovalPolicy(RemovalPolicy.DESTROY);",
        "RemovalPolicies.of(this).destroy();",
        "// RemovalPolicy.DESTROY",
        "const x = `${RemovalPolicy.DESTROY}`;",
        "class TestStack extends cdk.Stack {",
        "}",
        "",
    ]
)


@given(st.lists(TOKENS, max_size=20), st.lists(TOKENS, max_size=20))
@settings(max_examples=100, deadline=None)
def test_random_stacks_never_crash_the_rules(old: list[str], new: list[str]) -> None:
    head = 'import * as cdk from "aws-cdk-lib";'
    diff = unified("lib/stack.ts", "\n".join([head, *old]) + "\n", "\n".join([head, *new]) + "\n")
    if diff.count("\n") > 3:
        run_diff(diff, select=["CDK"])


def test_import_style_change_is_quiet(check: Any) -> None:
    old = PY_STACK.replace(
        "            versioned=True,\n",
        "            versioned=True,\n            removal_policy=cdk.RemovalPolicy.DESTROY,\n"
        "            auto_delete_objects=True,\n",
    )
    new = old.replace("cdk.RemovalPolicy.DESTROY", "RemovalPolicy.DESTROY")
    assert check({PY_PATH: old}, {PY_PATH: new}) == []


def test_same_id_in_two_stack_classes(check: Any) -> None:
    twin = PY_STACK.replace("class StorageStack", "class ArchiveStack")
    old = (PY_STACK + "\n\n" + twin).replace(
        "            versioned=True,\n",
        "            versioned=True,\n            removal_policy=RemovalPolicy.DESTROY,\n",
    )
    new = old.replace(
        "            versioned=True,\n            removal_policy=RemovalPolicy.DESTROY,\n",
        "            removal_policy=RemovalPolicy.DESTROY,\n            versioned=True,\n",
    )
    assert check({PY_PATH: old}, {PY_PATH: new}) == []


@pytest.mark.parametrize(
    ("construct", "expected"),
    [
        ('new neptune.DatabaseCluster(this, "Graph", {', {("CDK101", "medium")}),
        ('new ddb.Table(this, "Items", {', {("CDK101", "medium")}),
        ('new glue.Table(this, "Items", {', {("CDK101", "low")}),
    ],
    ids=["neptune-cluster", "dynamodb-alias", "glue-table"],
)
def test_which_constructs_hold_data(check: Any, construct: str, expected: set[Any]) -> None:
    new = STACK.replace(
        "    orders.grantReadWriteData(handler);\n",
        f"    {construct}\n      removalPolicy: RemovalPolicy.DESTROY,\n    }});\n"
        "    orders.grantReadWriteData(handler);\n",
    )
    assert {(f[0], f[3]) for f in check({PATH: STACK}, {PATH: new})} == expected


# --- prefilters: the changed lines are searched joined, once per file ------------------------

LINE_TEXT = st.text(alphabet=list("autoDeleteObjectsemptyOnd_'\"`.-x \t"), max_size=30)


@settings(max_examples=300)
@given(st.lists(LINE_TEXT, max_size=6))
def test_joined_lines_find_what_some_line_finds(lines: list[str]) -> None:
    from changerisk.gates import CDK_AUTO_DELETE, CDK_LITERAL

    for pattern in (CDK_AUTO_DELETE, CDK_LITERAL):
        joined = pattern.search("\n".join(lines)) is not None
        assert joined == any(pattern.search(line) for line in lines)


def test_every_cdk_word_holds_cdk_or_emoval() -> None:
    """`is_cdk` looks for `cdk` and `emoval` first: each word it needs holds one of them."""
    from changerisk.rules import cdk_source

    assert all("cdk" in w or "emoval" in w for w in cdk_source._CDK_WORDS)
