from pathlib import Path

import pytest
from changerisk.rules.cluster import RULES

from changerisk.model import Confidence, Severity
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("script_delete_pvc.diff", {("SH105", "scripts/reset-reporting-db.sh", 7)}),
    ("gitlab_helm_uninstall_review.diff", {("SH105", ".gitlab-ci.yml", 14)}),
    ("makefile_delete_all_in_namespace.diff", {("SH105", "Makefile", 10)}),
    ("crd_delete_in_upgrade.diff", {("SH105", "scripts/upgrade-cert-manager.sh", 4)}),
    ("workflow_eksctl_delete_cluster.diff", {("SH105", ".github/workflows/teardown.yml", 9)}),
    # the job with a kind cluster deletes nothing that lasts; the other job does
    ("kind_job_cleanup_and_prod_job.diff", {("SH105", ".github/workflows/chart-test.yml", 17)}),
    # near misses: pods, a deployment by name, -f, jobs --all, a dry run, an echo
    ("pod_restart_and_file_delete.diff", set()),
    ("kind_and_minikube_local.diff", set()),  # local clusters
    ("helm_dry_run_and_template.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "script_delete_pvc.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes PersistentVolumeClaim data-postgres-0 in namespace reporting: with the usual "
            "Delete reclaim policy, the volume and the data on it go too",
        ),
        (
            "gitlab_helm_uninstall_review.diff",
            Severity.LOW,  # a review app: one level lower
            Confidence.MEDIUM,
            "uninstalls Helm release review-$CI_MERGE_REQUEST_IID in namespace review: every "
            "object the chart installed is deleted, claims it created included",
        ),
        (
            "makefile_delete_all_in_namespace.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes all deployments, services and PersistentVolumeClaims in namespace $(NS) "
            "in context $(CLUSTER)",
        ),
        (
            "crd_delete_in_upgrade.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes CustomResourceDefinitions certificates.cert-manager.io and "
            "issuers.cert-manager.io: every custom resource of those kinds in the cluster is "
            "deleted with them",
        ),
        (
            "workflow_eksctl_delete_cluster.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes EKS cluster shop-prod and every workload running in it",
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


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        (
            "kubectl delete pv pv-orders",
            Severity.HIGH,
            "deletes PersistentVolume pv-orders: with a Delete reclaim policy, the disk behind it "
            "goes too",
        ),
        (
            "kubectl delete pvc -l app=kafka -n streaming",
            Severity.HIGH,
            "deletes every PersistentVolumeClaim matching app=kafka in namespace streaming: with "
            "the usual Delete reclaim policy, their volumes and the data on them go too",
        ),
        (
            "kubectl delete sts/redis pvc/data-redis-0",
            Severity.HIGH,
            "deletes PersistentVolumeClaim data-redis-0: with the usual Delete reclaim policy, the "
            "volume and the data on it go too",
        ),
        (
            "kubectl delete statefulset redis -n cache",
            Severity.MEDIUM,
            "deletes StatefulSet redis in namespace cache: its pods stop; their claims stay",
        ),
        (
            "kubectl delete all --all -n shop",
            Severity.HIGH,
            "deletes every pod, service, deployment, stateful set and job in namespace shop",
        ),
        (
            "kubectl delete secrets --all --all-namespaces",
            Severity.CRITICAL,
            "deletes all secrets in every namespace",
        ),
        (
            "oc delete pvc data-0 -n shop",
            Severity.HIGH,
            "deletes PersistentVolumeClaim data-0 in namespace shop: with the usual Delete reclaim "
            "policy, the volume and the data on it go too",
        ),
        (
            "helm delete api worker --namespace prod",
            Severity.MEDIUM,
            "uninstalls Helm releases api and worker in namespace prod: every object the chart "
            "installed is deleted, claims it created included",
        ),
        (
            "kubectl get pvc -o name -n db | xargs -r kubectl delete -n db pvc",
            Severity.HIGH,
            "deletes the PersistentVolumeClaims xargs reads from its input in namespace db: with "
            "the usual Delete reclaim policy, their volumes and the data on them go too",
        ),
        (
            "eksctl delete nodegroup --cluster shop --name ng-1",
            Severity.MEDIUM,
            "deletes EKS node group ng-1 of cluster shop: its pods are evicted",
        ),
        (
            "kubectl delete pvc data-0 -n orders --context prod-eu",
            Severity.CRITICAL,
            "deletes PersistentVolumeClaim data-0 in namespace orders in context prod-eu: with the "
            "usual Delete reclaim policy, the volume and the data on it go too",
        ),
        (
            "kubectl delete sts db -n orders --context staging",
            Severity.MEDIUM,
            "deletes StatefulSet db in namespace orders in context staging: its pods stop; their "
            "claims stay",
        ),
    ],
)
def test_command_lines(line: str, severity: Severity, message: str) -> None:
    (finding,) = run_diff(_script_diff(line), rules=RULES).findings
    assert (finding.severity, finding.message) == (severity, message)


@pytest.mark.parametrize(
    "line",
    [
        "kubectl delete pod web-1 -n prod",
        "kubectl delete pods --all -n ci",
        "kubectl delete jobs,events --all",
        "kubectl delete deployment api -n prod",
        "kubectl delete -f k8s/",
        "kubectl delete pvc",  # kubectl refuses: no name
        "kubectl delete pvc data-0 --dry-run=server",
        "kubectl delete ns preview",  # SH103
        "kubectl get pvc -A",
        "helm uninstall",
        "helm uninstall api --dry-run",
        "helm upgrade --install api ./chart",
        "eksctl get cluster",
        "kind delete cluster",
        "echo kubectl delete pvc --all",
    ],
)
def test_quiet_command_lines(line: str) -> None:
    assert run_diff(_script_diff(line), rules=RULES).findings == ()


def test_scripts_that_make_their_own_cluster_delete_nothing_that_lasts() -> None:
    from changerisk.rules.shell import RULES as ALL

    script = _script_diff(
        "kind create cluster --name e2e",
        "helm install shop ./chart -n shop --create-namespace",
        "helm uninstall shop -n shop",
        "kubectl delete pvc --all -n shop",
        "kubectl delete namespace shop",
        "helm install shop ./chart -n shop",
    )
    assert run_diff(script, rules=ALL).findings == ()
