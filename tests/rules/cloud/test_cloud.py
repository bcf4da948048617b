from pathlib import Path

import pytest
from changerisk.rules.cloud import RULES, CloudDeleteCommand

from changerisk.model import Confidence, Severity
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("decommission_rds_skip_final_snapshot.diff", {("SH104", "scripts/decommission.sh", 8)}),
    (
        "workflow_gcloud_sql_delete_quiet.diff",
        {("SH104", ".github/workflows/nightly-cleanup.yml", 17)},
    ),
    ("makefile_az_group_delete_yes.diff", {("SH104", "infra/Makefile", 11)}),
    ("package_json_pulumi_destroy_yes.diff", {("SH104", "infra/package.json", 7)}),
    ("jenkins_cdk_destroy_force.diff", {("SH104", "Jenkinsfile", 11)}),
    ("s3_rm_recursive_continued.diff", {("SH104", "scripts/purge-exports.sh", 5)}),
    # near misses
    ("s3_rm_single_object.diff", set()),  # one object
    ("sqs_delete_message_worker.diff", set()),  # an everyday delete
    ("ecr_batch_delete_untagged.diff", set()),  # pruning untagged images
    ("runbook_mentions_delete_stack.diff", set()),  # Markdown
    ("echo_and_dry_run.diff", set()),  # echo, comment, --dry-run, --preview-only
    ("removed_delete_stack.diff", set()),  # removing a delete is good news
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "decommission_rds_skip_final_snapshot.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "deletes RDS DB instance orders-${ENV_NAME} with no final snapshot: its data is lost "
            "for good",
        ),
        (
            "workflow_gcloud_sql_delete_quiet.diff",
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "deletes Cloud SQL instance reporting-replica without confirmation: its data and "
            "automated backups are lost",
        ),
        (
            "makefile_az_group_delete_yes.diff",
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "deletes Azure resource group $(RG) and every resource in it without confirmation",
        ),
        (
            "package_json_pulumi_destroy_yes.diff",
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "runs pulumi destroy without confirmation: deletes every resource in stack prod",
        ),
        (
            "jenkins_cdk_destroy_force.diff",
            Severity.CRITICAL,
            Confidence.MEDIUM,
            "runs cdk destroy without confirmation: deletes CloudFormation stack ApiStack and "
            "every resource in it",
        ),
        (
            "s3_rm_recursive_continued.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes every object in bucket s3://acme-data-exports",
        ),
    ],
)
def test_severity_confidence_and_message(
    fixture: str, severity: Severity, confidence: Confidence, message: str
) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=RULES).findings
    assert (finding.severity, finding.confidence, finding.message) == (
        severity,
        confidence,
        message,
    )
    assert finding.hint


def _script_diff(*added: str, path: str = "scripts/run.sh") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100755\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n{body}"
    )


def _one(line: str) -> tuple[Severity, str] | None:
    findings = run_diff(_script_diff(line), rules=RULES).findings
    assert len(findings) <= 1
    return (findings[0].severity, findings[0].message) if findings else None


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        (
            "aws cloudformation delete-stack --stack-name prod-api",
            Severity.HIGH,
            "deletes CloudFormation stack prod-api and every resource in it",
        ),
        (
            "aws cloudformation delete-stack --stack-name api --retain-resources Db",
            Severity.MEDIUM,
            "deletes CloudFormation stack api and every resource in it but those it is told to "
            "retain",
        ),
        (
            "aws --region eu-west-1 --profile prod dynamodb delete-table --table-name orders",
            Severity.HIGH,
            "deletes DynamoDB table orders and every item in it",
        ),
        (
            "aws s3 rb s3://acme-logs --force",
            Severity.HIGH,
            "deletes S3 bucket s3://acme-logs and every object in it",
        ),
        (
            "aws s3 rb s3://acme-logs",
            Severity.MEDIUM,
            "deletes S3 bucket s3://acme-logs: once freed, the name can be claimed by another "
            "account",
        ),
        (
            "aws s3 rm --recursive s3://acme-logs/2023/",
            Severity.HIGH,
            "deletes every object under s3://acme-logs/2023/",
        ),
        (
            "aws s3 rm s3://acme-logs/ --recursive --exclude '*' --include '*.tmp'",
            Severity.MEDIUM,
            "deletes every object in bucket s3://acme-logs that the filters match",
        ),
        (
            "aws kms schedule-key-deletion --key-id alias/prod --pending-window-in-days 7",
            Severity.HIGH,
            "schedules KMS key alias/prod for deletion: data encrypted with it cannot be "
            "decrypted once the waiting period ends",
        ),
        (
            "aws iam delete-role --role-name ci-deployer",
            Severity.LOW,
            "runs aws iam delete-role on ci-deployer: deletes it for good",
        ),
        (
            "gcloud sql instances delete orders-db",
            Severity.HIGH,
            "deletes Cloud SQL instance orders-db: its data and automated backups are lost",
        ),
        (
            "gcloud --project acme beta container clusters delete prod --region europe-west1 -q",
            Severity.CRITICAL,
            "deletes GKE cluster prod and every workload running in it without confirmation",
        ),
        (
            "gcloud projects delete acme-shop",
            Severity.HIGH,
            "deletes Google Cloud project acme-shop and every resource in it (restorable for "
            "30 days)",
        ),
        (
            "gcloud projects delete acme-sandbox",
            Severity.MEDIUM,  # a short-lived environment: one level lower
            "deletes Google Cloud project acme-sandbox and every resource in it (restorable for "
            "30 days)",
        ),
        (
            "aws cloudformation delete-stack --stack-name shop-pr-$PR_NUMBER --region eu-west-1",
            Severity.MEDIUM,
            "deletes CloudFormation stack shop-pr-$PR_NUMBER and every resource in it",
        ),
        (
            "gcloud storage rm --recursive gs://acme-backups",
            Severity.HIGH,
            "deletes every object in bucket gs://acme-backups",
        ),
        (
            "gsutil -m rm -r gs://acme-backups/db/",
            Severity.HIGH,
            "deletes every object under gs://acme-backups/db/",
        ),
        (
            "az group delete --name prod-rg --yes",
            Severity.CRITICAL,
            "deletes Azure resource group prod-rg and every resource in it without confirmation",
        ),
        (
            "az storage account delete -n acmedata -g prod-rg",
            Severity.HIGH,
            "deletes storage account acmedata and every blob, file, queue and table in it",
        ),
        (
            "az keyvault purge --name acme-kv",
            Severity.HIGH,
            "purges Key Vault acme-kv: its keys, secrets and certificates cannot be recovered",
        ),
        (
            "pulumi destroy --stack prod --target urn:pulumi:prod::app::aws:s3/bucket:Bucket::logs",
            Severity.MEDIUM,
            "runs pulumi destroy: deletes urn:pulumi:prod::app::aws:s3/bucket:Bucket::logs in "
            "stack prod",
        ),
        (
            "npx cdk destroy --all",
            Severity.HIGH,
            "runs cdk destroy: deletes every stack of the app and every resource in them",
        ),
        (
            "cdktf destroy --auto-approve",
            Severity.CRITICAL,
            "runs cdktf destroy without confirmation: deletes every resource of the app's stacks",
        ),
        (
            "sam delete --stack-name orders-api --no-prompts",
            Severity.CRITICAL,
            "runs sam delete without confirmation: deletes CloudFormation stack orders-api and "
            "every resource in it",
        ),
        (
            "serverless remove --stage prod",
            Severity.HIGH,
            "runs serverless remove: deletes the CloudFormation stack of stage prod of the "
            "service and every resource in it",
        ),
    ],
)
def test_command_lines(line: str, severity: Severity, message: str) -> None:
    assert _one(line) == (severity, message)


@pytest.mark.parametrize(
    "line",
    [
        "aws s3 rm s3://acme-logs/2023/01/01.log",
        "aws s3 sync ./public s3://acme-site --delete",
        "aws s3api delete-object --bucket acme --key a.txt",
        "aws dynamodb delete-item --table-name orders --key '{}'",
        "aws ec2 delete-tags --resources i-1 --tags Key=tmp",
        "aws s3api delete-bucket-tagging --bucket acme",
        "aws ec2 terminate-instances --instance-ids i-1 --dry-run",
        "aws cloudformation describe-stacks --stack-name prod",
        "gcloud sql instances describe orders-db",
        "gcloud app versions delete v1 v2 --quiet",
        "gcloud storage rm gs://acme-backups/db/2024-01-01.sql.gz",
        "gsutil rm gs://acme-backups/one.txt",
        "az group show --name prod-rg",
        "az storage blob delete-batch -s logs --dryrun",
        "pulumi destroy --preview-only",
        "pulumi preview --stack prod",
        "cdk deploy --all",
        "awslocal s3 rb s3://local --force",  # LocalStack
        "echo aws s3 rb s3://acme --force",
        "# gcloud projects delete acme",
    ],
)
def test_quiet_command_lines(line: str) -> None:
    assert _one(line) is None


def test_unknown_delete_commands_are_low_confidence() -> None:
    (finding,) = run_diff(_script_diff("gcloud beta widgets delete w1"), rules=RULES).findings
    assert (finding.severity, finding.confidence) == (Severity.LOW, Confidence.LOW)
    assert finding.message == "runs gcloud widgets delete on w1: deletes it for good"


def test_names_come_from_the_file_when_it_sets_them() -> None:
    diff = _script_diff(
        'STACK="orders-api"', 'aws cloudformation delete-stack --stack-name "$STACK"'
    )
    (finding,) = run_diff(diff, rules=RULES).findings
    assert finding.message == "deletes CloudFormation stack orders-api and every resource in it"


def test_every_table_entry_is_well_formed() -> None:
    from changerisk.rules.shell_common import table

    for cli in ("aws", "gcloud", "az"):
        for key, entry in table()[cli]["deletes"].items():
            assert entry["says"].startswith(
                ("deletes ", "terminates ", "schedules ", "purges ", "destroys ")
            ), key
            assert "{name}" in entry["says"], key
            assert entry["severity"] in ("low", "medium", "high", "critical"), key
            assert not entry["says"].endswith("."), key
        assert not set(table()[cli]["routine"]) & set(table()[cli]["deletes"])


def test_rule_runs_alone() -> None:
    assert found(
        run_diff(_script_diff("aws s3 rb s3://a --force"), rules=[CloudDeleteCommand])
    ) == {("SH104", "scripts/run.sh", 1)}
