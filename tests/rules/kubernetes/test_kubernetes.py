"""Kubernetes rules on real repositories: multi-document manifests, Helm templates, moves."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.testing import run_diff

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n"
PVC = (
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: db\n"
    "spec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: gp3\n"
    "  resources:\n    requests:\n      storage: 10Gi\n"
)
STS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: db
spec:
  serviceName: postgres
  replicas: 1
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: postgres
          image: postgres:16.1
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 50Gi
"""
STREAM = "\n---\n".join([NAMESPACE, PVC, STS])


def check(
    git_repo: Any,
    run_cli: Any,
    old: dict[str, str],
    new: dict[str, str | None],
    select: str = "K8S",
) -> list[tuple[str, str, int, str]]:
    git_repo.stage_change(old, new)
    result = run_cli("check", "--select", select, "--format", "json")
    assert result.code in (0, 1), result.err
    return sorted(
        (f["code"], f["path"], f["line"], f["message"]) for f in result.json()["findings"]
    )


def test_deleting_a_namespace_and_a_claim(git_repo: Any, run_cli: Any) -> None:
    found = check(git_repo, run_cli, {"k8s/base.yaml": STREAM}, {"k8s/base.yaml": STS})
    assert found == [
        (
            "K8S101",
            "k8s/base.yaml",
            2,
            "deletes Namespace payments when the manifests are applied with pruning: every "
            "object in it is deleted with it",
        ),
        (
            "K8S101",
            "k8s/base.yaml",
            8,
            "deletes PersistentVolumeClaim data in namespace db when the manifests are applied "
            "with pruning: its volume is released, and deleted with its data under a Delete "
            "reclaim policy",
        ),
    ]


def test_moving_objects_between_files_is_quiet(git_repo: Any, run_cli: Any) -> None:
    new = {
        "k8s/base.yaml": None,
        "k8s/namespace.yaml": NAMESPACE,
        "k8s/db.yaml": PVC + "---\n" + STS,
    }
    assert check(git_repo, run_cli, {"k8s/base.yaml": STREAM}, new) == []


def test_statefulset_immutable_fields(git_repo: Any, run_cli: Any) -> None:
    new = STS.replace("      app: postgres\n  template", "      app: pg\n  template").replace(
        "storage: 50Gi", "storage: 100Gi"
    )
    [finding] = check(git_repo, run_cli, {"k8s/sts.yaml": STS}, {"k8s/sts.yaml": new})
    assert finding[:3] == ("K8S201", "k8s/sts.yaml", 11)
    assert finding[3] == (
        "changes spec.selector of StatefulSet postgres in namespace db: the field is immutable, "
        "so applying it fails until the object is deleted and created again (downtime, volumes "
        "to reattach)"
    )
    claims = STS.replace("storage: 50Gi", "storage: 100Gi")
    assert [
        f[2] for f in check(git_repo, run_cli, {"k8s/sts.yaml": STS}, {"k8s/sts.yaml": claims})
    ] == [27]


@pytest.mark.parametrize(
    "new",
    [
        STS.replace("postgres:16.1", "postgres:16.2"),  # image bump
        STS.replace("replicas: 1", "replicas: 3"),
        STS.replace(
            "      labels:\n        app: postgres",
            "      labels:\n        app: postgres\n        tier: db",
        ),
        STS.replace(
            "metadata:\n  name: postgres", "metadata:\n  name: postgres\n  annotations:\n    a: b"
        ),
        STS
        + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: new\nspec:\n  ports: [{port: 80}]\n",
        "# the database\n" + STS,
    ],
    ids=["image", "replicas-up", "template-labels", "annotation", "new-object", "comment"],
)
def test_near_misses(git_repo: Any, run_cli: Any, new: str) -> None:
    assert check(git_repo, run_cli, {"k8s/sts.yaml": STS}, {"k8s/sts.yaml": new}) == []


def test_renaming_a_claim(git_repo: Any, run_cli: Any) -> None:
    [finding] = check(
        git_repo,
        run_cli,
        {"k8s/pvc.yaml": PVC},
        {"k8s/pvc.yaml": PVC.replace("name: data", "name: data-v2")},
    )
    assert finding[:3] == ("K8S201", "k8s/pvc.yaml", 4)
    assert finding[3].startswith(
        "renames PersistentVolumeClaim data in namespace db to data-v2: the new name is a new object with a new, empty volume"
    )


def test_scaled_to_zero_and_delete_policies(git_repo: Any, run_cli: Any) -> None:
    pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv1\nspec:\n  persistentVolumeReclaimPolicy: Retain\n"
    old = {"k8s/sts.yaml": STS, "k8s/pv.yaml": pv}
    new: dict[str, str | None] = {
        "k8s/sts.yaml": STS.replace("replicas: 1", "replicas: 0"),
        "k8s/pv.yaml": pv.replace("Retain", "Delete"),
    }
    found = check(git_repo, run_cli, old, new)
    assert [(f[0], f[1], f[2]) for f in found] == [
        ("K8S102", "k8s/pv.yaml", 6),
        ("K8S102", "k8s/sts.yaml", 8),
    ]
    assert (
        found[1][3]
        == "scales StatefulSet postgres in namespace db to zero: every pod stops and the service is down"
    )


def test_new_objects_with_zero_replicas_or_delete_are_quiet(git_repo: Any, run_cli: Any) -> None:
    sc = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: ebs.csi.aws.com\nreclaimPolicy: Delete\n"
    assert (
        check(
            git_repo,
            run_cli,
            {"k8s/a.yaml": NAMESPACE},
            {"k8s/sc.yaml": sc, "k8s/sts.yaml": STS.replace("replicas: 1", "replicas: 0")},
        )
        == []
    )


HELM = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
      tier: web
"""


def test_helm_templates_parse_and_templated_values_are_not_judged(
    git_repo: Any, run_cli: Any
) -> None:
    chart = {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "charts/app/templates/deployment.yaml": HELM,
    }
    changed = {"charts/app/templates/deployment.yaml": HELM.replace("tier: web", "tier: frontend")}
    found = check(git_repo, run_cli, chart, changed)
    assert found == []  # the object's name is templated: its identity is unknown


def test_bare_diff_deleting_a_namespace() -> None:
    diff = (
        "diff --git a/k8s/ns.yaml b/k8s/ns.yaml\ndeleted file mode 100644\n--- a/k8s/ns.yaml\n+++ /dev/null\n"
        "@@ -1,4 +0,0 @@\n-apiVersion: v1\n-kind: Namespace\n-metadata:\n-  name: prod\n"
    )
    [finding] = run_diff(diff, select=["K8S"]).findings
    assert finding.code == "K8S101" and finding.severity.label == "critical"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-{}[]\n #kindapiVersionmetadt|>'")), max_size=300))
def test_random_yaml_never_crashes(text: str) -> None:
    body = "".join(f"+{line}\n" for line in text.split("\n"))
    diff = f"diff --git a/k8s/x.yaml b/k8s/x.yaml\n--- a/k8s/x.yaml\n+++ b/k8s/x.yaml\n@@ -0,0 +1,{len(text.split(chr(10)))} @@\n{body}"
    try:
        run_diff(diff, select=["K8S"])
    except Exception as exc:  # the diff reader may refuse odd input; rules must not crash
        assert type(exc).__name__ == "InputError", exc
