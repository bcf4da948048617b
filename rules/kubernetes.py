"""Kubernetes manifest rules (plain YAML, Helm templates, Kustomize): objects a sync deletes,
and edits the API server refuses in place so the object must be deleted and created again.

Objects are compared across the whole change by identity (API group, kind, namespace, name), so
a manifest moved to another file, split or reordered is not a deletion.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.yamldoc import YNode, stream_of
from changerisk.rule import Category, ChangeSet, Confidence, FileChange, Finding, Rule, Severity

FORMATS = frozenset({"kubernetes", "helm", "kustomize"})
_MASK = "TEMPLATE"  # what a Helm `{{ … }}` reads as (changerisk.parsers.yamldoc)

# Kinds whose deletion takes data or many other objects with it.
DELETION = {
    "Namespace": (Severity.CRITICAL, "every object in it is deleted with it"),
    "CustomResourceDefinition": (
        Severity.CRITICAL,
        "every custom resource of this type is deleted with it",
    ),
    "PersistentVolumeClaim": (
        Severity.HIGH,
        "its volume is released, and deleted with its data under a Delete reclaim policy",
    ),
    "PersistentVolume": (Severity.HIGH, "the volume's data may be deleted with it"),
    "StatefulSet": (Severity.HIGH, "its pods stop; its volume claims are left behind or deleted"),
    "StorageClass": (Severity.MEDIUM, "claims that name it can no longer be provisioned"),
}
CLUSTER_SCOPED = frozenset(
    {"Namespace", "PersistentVolume", "StorageClass", "CustomResourceDefinition"}
)
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
_STATEFUL = frozenset({"PersistentVolumeClaim", "PersistentVolume", "StatefulSet"})
# (kind, field path, what the API server does)
_IMMUTABLE: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"}), ("spec", "selector")),
    (frozenset({"StatefulSet"}), ("spec", "volumeClaimTemplates")),
    (frozenset({"StatefulSet"}), ("spec", "serviceName")),
    (frozenset({"StatefulSet"}), ("spec", "podManagementPolicy")),
    (frozenset({"Job"}), ("spec", "template")),
    (frozenset({"Job"}), ("spec", "selector")),
    (frozenset({"Service"}), ("spec", "clusterIP")),
    (frozenset({"PersistentVolumeClaim"}), ("spec", "storageClassName")),
    (frozenset({"PersistentVolumeClaim"}), ("spec", "accessModes")),
    (frozenset({"PersistentVolumeClaim"}), ("spec", "volumeName")),
    (frozenset({"StorageClass"}), ("provisioner",)),
    (frozenset({"StorageClass"}), ("parameters",)),
)


class K8sObject(NamedTuple):
    change: FileChange
    side: str
    root: YNode
    group: str
    kind: str
    namespace: str
    name: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.group, self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.kind} {self.name}{where}"

    @property
    def templated(self) -> bool:
        return _MASK in self.name or _MASK in self.namespace


def objects_of(change: FileChange, side: str) -> list[K8sObject]:
    """The Kubernetes objects of one side of a file, from each document that parsed."""
    path = change.old_path if side == "old" else change.new_path
    if path is None or change.is_binary:
        return []
    found = []
    for root in stream_of(change, side).roots:
        if root.kind != "map":
            continue
        items = root.get("items")
        for node in items.items if (items is not None and items.kind == "seq") else [root]:
            obj = _object(change, side, node)
            if obj is not None:
                found.append(obj)
    return found


def _object(change: FileChange, side: str, node: YNode) -> K8sObject | None:
    if node.kind != "map":
        return None
    kind, api, name = node.text("kind"), node.text("apiVersion"), node.text("metadata", "name")
    if not kind or not api or not name or kind == "List":
        return None
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    namespace = node.text("metadata", "namespace") or ""
    return K8sObject(change, side, node, group, kind, namespace, name)


def _collect(changeset: ChangeSet) -> tuple[dict[tuple[str, ...], K8sObject], ...]:
    old: dict[tuple[str, ...], K8sObject] = {}
    new: dict[tuple[str, ...], K8sObject] = {}
    for change in changeset.files:
        if not change.formats & FORMATS:
            continue
        for side, target in (("old", old), ("new", new)):
            for obj in objects_of(change, side):
                if not obj.templated:  # a Helm-made name: its identity is unknown
                    target.setdefault(obj.identity, obj)
    return old, new


def _changed_within(obj: K8sObject, node: YNode) -> bool:
    lines = obj.change.added_line_numbers if obj.side == "new" else obj.change.removed_line_numbers
    return any(node.line <= line <= max(node.end_line, node.line) for line in lines)


class ObjectDeleted(Rule):
    """A manifest of a stateful or wide-reaching object is deleted.

    ## Why it matters
    With `kubectl apply --prune`, Argo CD or Flux pruning, a manifest that leaves the
    repository leaves the cluster. Deleting a Namespace deletes everything in it; a
    CustomResourceDefinition, every custom resource of its type; a PersistentVolumeClaim, the
    data on its volume. Moving a manifest to another file of the change is not a deletion.

    ## Bad
    ```diff
    diff --git a/k8s/namespace.yaml b/k8s/namespace.yaml
    deleted file mode 100644
    --- a/k8s/namespace.yaml
    +++ /dev/null
    @@ -1,4 +0,0 @@
    -apiVersion: v1
    -kind: Namespace
    -metadata:
    -  name: payments
    ```

    ## Good
    ```diff
    diff --git a/k8s/namespace.yaml b/k8s/namespace.yaml
    --- a/k8s/namespace.yaml
    +++ b/k8s/namespace.yaml
    @@ -1,4 +1,6 @@
     apiVersion: v1
     kind: Namespace
     metadata:
       name: payments
    +  labels:
    +    team: checkout
    ```
    """

    code = "K8S101"
    name = "kubernetes-object-deleted"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        old, new = _collect(changeset)
        for identity, obj in sorted(old.items()):
            if identity in new or obj.kind not in DELETION or obj.templated:
                continue
            if _renamed(obj, new) is not None:
                continue  # K8S201 reports renames of stateful objects
            line = obj.root.key_line("kind") or obj.root.line
            if line not in obj.change.removed_line_numbers:
                continue
            severity, what = DELETION[obj.kind]
            yield self.finding(
                obj.change,
                line,
                f"deletes {obj.label} when the manifests are applied with pruning: {what}",
                hint="keep the manifest; to stop managing the object without deleting it, "
                "annotate it to be kept (argocd.argoproj.io/sync-options: Prune=false, "
                "kustomize.toolkit.fluxcd.io/prune: disabled) first",
                severity=severity,
                side="old",
            )


def _renamed(obj: K8sObject, new: dict[tuple[str, ...], K8sObject]) -> K8sObject | None:
    """The one new object of the same kind and namespace, not there before, with the same spec."""
    candidates = [
        other
        for identity, other in new.items()
        if other.kind == obj.kind
        and other.namespace == obj.namespace
        and other.group == obj.group
        and other.name != obj.name
        and _spec(other) == _spec(obj)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _spec(obj: K8sObject) -> object:
    node = obj.root.get("spec")
    return node.plain() if node is not None else None


class ScaledToZeroOrDeleteOnRelease(Rule):
    """A workload is scaled to zero, or volumes are set to be deleted with their claims.

    ## Why it matters
    `replicas: 0` stops every pod of the workload: the service is down until someone scales it
    back. A `Delete` reclaim policy (StorageClass `reclaimPolicy`, PersistentVolume
    `persistentVolumeReclaimPolicy`, StatefulSet `persistentVolumeClaimRetentionPolicy`) makes
    deleting a claim or scaling down delete the data on the volume.

    ## Bad
    ```diff
    diff --git a/k8s/api.yaml b/k8s/api.yaml
    --- a/k8s/api.yaml
    +++ b/k8s/api.yaml
    @@ -1,6 +1,6 @@
     apiVersion: apps/v1
     kind: Deployment
     metadata:
       name: api
     spec:
    -  replicas: 3
    +  replicas: 0
    ```

    ## Good
    ```diff
    diff --git a/k8s/api.yaml b/k8s/api.yaml
    --- a/k8s/api.yaml
    +++ b/k8s/api.yaml
    @@ -1,6 +1,6 @@
     apiVersion: apps/v1
     kind: Deployment
     metadata:
       name: api
     spec:
    -  replicas: 3
    +  replicas: 5
    ```
    """

    code = "K8S102"
    name = "kubernetes-scaled-to-zero-or-delete-policy"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        old, new = _collect(changeset)
        for identity, obj in sorted(new.items()):
            before = old.get(identity)
            if obj.kind in _WORKLOADS:
                replicas = obj.root.at("spec", "replicas")
                was = before.root.text("spec", "replicas") if before is not None else None
                if (
                    replicas is not None
                    and replicas.value == "0"
                    and was != "0"
                    and before is not None
                    and _changed_within(obj, replicas)
                ):
                    yield self.finding(
                        obj.change,
                        replicas.line,
                        f"scales {obj.label} to zero: every pod stops and the service is down",
                        hint="scale down in steps, or say in the description why it must stop",
                    )
            for path in (
                ("reclaimPolicy",),
                ("spec", "persistentVolumeReclaimPolicy"),
                ("spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"),
                ("spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"),
            ):
                node = obj.root.at(*path)
                if node is None or node.value != "Delete" or not _changed_within(obj, node):
                    continue
                was = before.root.text(*path) if before is not None else None
                if before is None or was == "Delete":
                    continue  # a new object: nothing lives on its volumes yet
                yield self.finding(
                    obj.change,
                    node.line,
                    f"sets {'.'.join(path)}: Delete on {obj.label}: deleting a claim (or "
                    "scaling down) now deletes the data on its volume",
                    hint="keep Retain for volumes that hold data",
                    severity=Severity.HIGH,
                )


class ImmutableFieldChanged(Rule):
    """An immutable field changes, or a stateful object is renamed: delete and recreate.

    ## Why it matters
    The API server refuses to change some fields in place: a Deployment's or StatefulSet's
    `spec.selector`, a StatefulSet's `volumeClaimTemplates` and `serviceName`, a Job's
    template, a Service's `clusterIP`, a claim's storage class. `kubectl apply` fails, and the
    way through is deleting the object and creating it again: downtime, and for a StatefulSet
    or a claim, volumes to reattach or lose. Renaming a PersistentVolumeClaim or a StatefulSet
    is the same: the new name is a new object with a new, empty volume.

    ## Bad
    ```diff
    diff --git a/k8s/web.yaml b/k8s/web.yaml
    --- a/k8s/web.yaml
    +++ b/k8s/web.yaml
    @@ -1,9 +1,9 @@
     apiVersion: apps/v1
     kind: Deployment
     metadata:
       name: web
     spec:
       selector:
         matchLabels:
    -      app: web
    +      app: web-v2
       replicas: 3
    ```

    ## Good
    ```diff
    diff --git a/k8s/web.yaml b/k8s/web.yaml
    --- a/k8s/web.yaml
    +++ b/k8s/web.yaml
    @@ -1,9 +1,9 @@
     apiVersion: apps/v1
     kind: Deployment
     metadata:
       name: web
     spec:
       selector:
         matchLabels:
           app: web
    -  replicas: 3
    +  replicas: 4
    ```
    """

    code = "K8S201"
    name = "kubernetes-immutable-field-changed"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        old, new = _collect(changeset)
        for identity, obj in sorted(new.items()):
            before = old.get(identity)
            if before is None:
                continue
            for kinds, path in _IMMUTABLE:
                if obj.kind not in kinds:
                    continue
                finding = self._field(before, obj, path)
                if finding is not None:
                    yield finding
                    break
        for identity, obj in sorted(old.items()):
            if identity in new or obj.kind not in _STATEFUL or obj.templated:
                continue
            successor = _renamed(obj, new)
            if successor is None:
                continue
            line = successor.root.at("metadata", "name")
            if line is None or not _changed_within(successor, line):
                continue
            data = "a new, empty volume" if obj.kind != "StatefulSet" else "new, empty volumes"
            yield self.finding(
                successor.change,
                line.line,
                f"renames {obj.label} to {successor.name}: the new name is a new object with "
                f"{data}; the old one is deleted when pruned",
                hint="keep the name; to move data, create the new claim beside the old one and "
                "copy it",
                severity=Severity.HIGH if obj.kind != "StatefulSet" else Severity.MEDIUM,
            )

    def _field(self, before: K8sObject, obj: K8sObject, path: tuple[str, ...]) -> Finding | None:
        old_node, new_node = before.root.at(*path), obj.root.at(*path)
        if old_node is None or new_node is None:
            return None  # added or removed: defaulted by the server, not judged here
        old_value, new_value = old_node.plain(), new_node.plain()
        if old_value == new_value or _MASK in repr(old_value) or _MASK in repr(new_value):
            return None
        unset = ("", None)
        if path == ("spec", "clusterIP") and (old_value in unset or new_value in unset):
            return None  # assigned by the server: setting or dropping it is not a change
        if not _changed_within(obj, new_node):
            return None
        if not (
            before.change.shows("old", old_node.line, old_node.end_line)
            and obj.change.shows("new", new_node.line, new_node.end_line)
        ):
            return None  # a bare diff hides part of the field: its extent cannot be trusted
        field = ".".join(path)
        return self.finding(
            obj.change,
            _first_added(obj, new_node),
            f"changes {field} of {obj.label}: the field is immutable, so applying it fails "
            "until the object is deleted and created again (downtime"
            f"{', volumes to reattach' if obj.kind == 'StatefulSet' else ''})",
            hint="keep the field; if it must change, create a new object beside the old one "
            "and move traffic before deleting the old",
            confidence=Confidence.HIGH,
        )


def _first_added(obj: K8sObject, node: YNode) -> int:
    added = sorted(
        line
        for line in obj.change.added_line_numbers
        if node.line <= line <= max(node.end_line, node.line)
    )
    return added[0] if added else node.line


RULES = (ObjectDeleted, ScaledToZeroOrDeleteOnRelease, ImmutableFieldChanged)
