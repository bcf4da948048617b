from pathlib import Path

import pytest
from changerisk.rules.recreate import RULES

from changerisk.model import Category, Confidence, Severity
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("script_destroy_then_apply.diff", {("SH201", "scripts/rebuild-preview.sh", 6)}),
    (
        "workflow_delete_stack_before_deploy.diff",
        {("SH201", ".github/workflows/deploy-api.yml", 15)},
    ),
    ("gitlab_namespace_delete_then_apply.diff", {("SH201", ".gitlab-ci.yml", 7)}),
    ("makefile_helm_uninstall_then_install.diff", {("SH201", "Makefile", 4)}),
    ("only_the_create_added.diff", {("SH201", "scripts/reload.sh", 4)}),  # the delete was there
    # near misses
    ("destroy_and_apply_in_two_jobs.diff", set()),  # two jobs, chosen by an input
    ("different_targets.diff", set()),  # other dirs, releases, buckets; test databases; a pod
    ("pair_unchanged.diff", set()),  # neither half is added
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "script_destroy_then_apply.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "deletes every resource in the workspace without confirmation (line 6) and creates "
            "them again (line 7): the new resources start empty, so data in its databases and "
            "buckets is lost, and the service is down in between",
        ),
        (
            "workflow_delete_stack_before_deploy.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes CloudFormation stack prod-api (line 15) and creates it again (line 19): "
            "every resource in it is replaced by a new, empty one, and the service is down in "
            "between",
        ),
        (
            "gitlab_namespace_delete_then_apply.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes Kubernetes namespace $NS (line 7) and creates it again (line 8): every "
            "object in it is created anew, claims lose their data, and the service is down in "
            "between",
        ),
        (
            "makefile_helm_uninstall_then_install.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes Helm release api (line 4) and creates it again (line 5): every object of the "
            "chart is created anew, claims lose their data, and the service is down in between",
        ),
        (
            "only_the_create_added.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes PostgreSQL database orders (line 3) and creates it again (line 4): it comes "
            "back empty, so every table and row in it is lost",
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
    assert finding.category is Category.RECREATE
    assert finding.hint


def _diff(*added: str, path: str = "scripts/run.sh") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100755\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n{body}"
    )


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (
            ["tofu -chdir=envs/prod destroy", "tofu -chdir=envs/prod apply"],
            1,
            "deletes every resource in envs/prod (line 1) and creates them again (line 2): the "
            "new resources start empty, so data in its databases and buckets is lost, and the "
            "service is down in between",
        ),
        (
            [
                "aws rds delete-db-instance --db-instance-identifier orders --skip-final-snapshot",
                "aws rds create-db-instance --db-instance-identifier orders --engine postgres",
            ],
            1,
            "deletes RDS DB instance orders (line 1) and creates it again (line 2): it comes back "
            "new and empty, and whatever uses it is down in between",
        ),
        (
            ["gcloud sql instances delete orders -q", "gcloud sql instances create orders"],
            1,
            "deletes Cloud SQL instance orders without confirmation (line 1) and creates it again "
            "(line 2): it comes back new and empty, and whatever uses it is down in between",
        ),
        (
            ["az group delete -n shop-rg --yes", "az group create -n shop-rg -l westeurope"],
            1,
            "deletes Azure resource group shop-rg without confirmation (line 1) and creates it "
            "again (line 2): it comes back new and empty, and whatever uses it is down in between",
        ),
        (
            ["kubectl delete -f k8s/db.yaml", "kubectl apply -f k8s/db.yaml"],
            1,
            "deletes the objects of k8s/db.yaml (line 1) and creates them again (line 2): they "
            "are replaced by new ones, claims lose their data, and the service is down in between",
        ),
        (
            ["kubectl replace --force -f k8s/api.yaml"],
            1,
            "deletes the objects of k8s/api.yaml and creates them again in one command: they are "
            "replaced by new ones, claims lose their data, and the service is down in between",
        ),
        (
            ["kubectl delete ns review-7", "kubectl apply -f k8s/"],
            1,
            "deletes Kubernetes namespace review-7 (line 1) and creates it again (line 2): every "
            "object in it is created anew, claims lose their data, and the service is down in "
            "between",
        ),
        (
            ["npx cdk destroy ApiStack --force", "npx cdk deploy ApiStack"],
            1,
            "deletes CDK stack ApiStack without confirmation (line 1) and creates it again (line "
            "2): every resource in it is replaced by a new, empty one, and the service is down in "
            "between",
        ),
        (
            ["pulumi destroy --yes", "pulumi up --yes"],
            1,
            "deletes the selected Pulumi stack without confirmation (line 1) and creates it "
            "again (line 2): every resource in it is replaced by a new, empty one, and the service "
            "is down in between",
        ),
        (
            ["aws s3 rb s3://acme-assets --force", "aws s3 mb s3://acme-assets"],
            1,
            "deletes S3 bucket s3://acme-assets (line 1) and creates it again (line 2): it comes "
            "back new and empty, and whatever uses it is down in between",
        ),
    ],
)
def test_command_lines(lines: list[str], line: int, message: str) -> None:
    (finding,) = run_diff(_diff(*lines), rules=RULES).findings
    assert (finding.line, finding.message) == (line, message)


@pytest.mark.parametrize(
    "lines",
    [
        ["terraform apply", "terraform destroy"],  # create first: a teardown at the end
        ["terraform plan -destroy", "terraform apply"],
        ["terraform destroy", "terraform apply -refresh-only"],
        ["terraform -chdir=a destroy", "terraform -chdir=b apply"],
        ["cd a", "terraform destroy", "cd ../b", "terraform apply"],
        ["kubectl delete ns a", "kubectl apply -f x.yaml -n b"],
        ["kubectl delete -f a.yaml", "kubectl apply -f b.yaml"],
        ["kubectl delete -f a.yaml --dry-run=client", "kubectl apply -f a.yaml"],
        ["helm uninstall a", "helm install b ./chart"],
        ["helm uninstall a", "helm upgrade a ./chart"],  # no --install: fails, creates nothing
        ["gcloud sql instances delete a", "gcloud sql instances create b"],
        ["dropdb shop_test", "createdb shop_test"],
        ["echo terraform destroy", "terraform apply"],
        ["pulumi destroy -s dev", "pulumi up -s prod"],
    ],
)
def test_quiet_command_lines(lines: list[str]) -> None:
    assert run_diff(_diff(*lines), rules=RULES).findings == ()


def test_makefile_targets_are_separate_units() -> None:
    text = ["down:", "\tterraform destroy -auto-approve", "", "up:", "\tterraform apply"]
    assert run_diff(_diff(*text, path="Makefile"), rules=RULES).findings == ()
    text = ["redo:", "\tterraform destroy -auto-approve", "\tterraform apply -auto-approve"]
    assert found(run_diff(_diff(*text, path="Makefile"), rules=RULES)) == {("SH201", "Makefile", 2)}


def test_package_json_scripts_are_separate_units() -> None:
    text = [
        "{",
        '  "scripts": {',
        '    "db:drop": "dropdb shop",',
        '    "db:create": "createdb shop",',
        '    "db:reset": "dropdb shop && createdb shop"',
        "  }",
        "}",
    ]
    assert found(run_diff(_diff(*text, path="package.json"), rules=RULES)) == {
        ("SH201", "package.json", 5)
    }
