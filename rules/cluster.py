"""Cluster and release deletion commands: `kubectl delete` of storage, stateful sets, custom
resource definitions or everything of a kind, `helm uninstall`, `eksctl delete cluster`.

Namespace deletes are SH103 (`commands`); cloud-managed clusters deleted with `gcloud`, `az` or
`aws` are SH104 (`cloud`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .commands import KubectlCall, kubectl_call
from .shell_common import (
    added_commands,
    confidence_of,
    is_throwaway,
    listed,
    named,
    read_options,
    throwaway_cluster_units,
)


class Kind(NamedTuple):
    label: str
    severity: Severity
    effect: str  # what deleting one does beyond the object itself
    effects: str  # the same, said of several


_PVC = Kind(
    "PersistentVolumeClaim",
    Severity.HIGH,
    "with the usual Delete reclaim policy, the volume and the data on it go too",
    "with the usual Delete reclaim policy, their volumes and the data on them go too",
)
_PV = Kind(
    "PersistentVolume",
    Severity.HIGH,
    "with a Delete reclaim policy, the disk behind it goes too",
    "with a Delete reclaim policy, the disks behind them go too",
)
_STS = Kind(
    "StatefulSet",
    Severity.MEDIUM,
    "its pods stop; their claims stay",
    "their pods stop; claims stay",
)
_CRD = Kind(
    "CustomResourceDefinition",
    Severity.HIGH,
    "every custom resource of that kind in the cluster is deleted with it",
    "every custom resource of those kinds in the cluster is deleted with them",
)
_KINDS = {
    **dict.fromkeys(("pvc", "persistentvolumeclaim", "persistentvolumeclaims"), _PVC),
    **dict.fromkeys(("pv", "persistentvolume", "persistentvolumes"), _PV),
    **dict.fromkeys(("sts", "statefulset", "statefulsets"), _STS),
    **dict.fromkeys(("crd", "crds", "customresourcedefinition", "customresourcedefinitions"), _CRD),
}
# Deleting every one of these is routine: controllers recreate them, or they are transient.
_EPHEMERAL = frozenset(
    {"po", "pod", "pods", "job", "jobs", "ev", "event", "events", "rs", "replicaset"}
    | {"replicasets", "lease", "leases", "ep", "endpoints", "endpointslices", "cronjob.batch"}
)
_NAMESPACES = frozenset({"ns", "namespace", "namespaces", "project", "projects"})


class ClusterDeletion(NamedTuple):
    message: str
    severity: Severity
    names: tuple[str, ...] = ()  # what it deletes, or the namespace it empties
    production: bool = False  # the command line names a production context or cluster


def kubectl_deletion(call: KubectlCall, piped: bool = False) -> ClusterDeletion | None:
    """What `kubectl delete` deletes beyond single stateless objects, or None; `piped` when
    xargs gives it the names."""
    if call.verb != "delete" or not call.positionals:
        return None
    dry_run = call.value("dry-run")
    if dry_run not in (None, "none", "false") or ("dry-run", None) in call.options:
        return None
    by_kind = _objects(call.positionals)
    if any(kind.split(".")[0] in _NAMESPACES for kind in by_kind):
        return None  # SH103
    everywhere = call.flag("all-namespaces", "A")
    where = (" in every namespace" if everywhere else _in_namespace(call)) + call.in_target
    selector = call.value("l", "selector", "field-selector")
    if call.flag("all"):
        kinds = [kind for kind in by_kind if kind.split(".")[0] not in _EPHEMERAL]
        if not kinds:
            return None
        if kinds == ["all"]:
            what = "every pod, service, deployment, stateful set and job"
        else:
            what = "all " + listed([_plural(kind) for kind in kinds])
        severity = Severity.CRITICAL if everywhere else Severity.HIGH
        namespace = call.value("n", "namespace")
        return ClusterDeletion(
            f"deletes {what}{where}",
            severity,
            (namespace,) if namespace else (),
            production=call.targets_production,
        )
    stateful = [(kind, names) for kind, names in by_kind.items() if kind.split(".")[0] in _KINDS]
    if not stateful:
        return None
    kind_name, names = max(stateful, key=lambda item: _KINDS[item[0].split(".")[0]].severity)
    kind = _KINDS[kind_name.split(".")[0]]
    effect = kind.effects
    if len(names) == 1:
        what, effect = f"{kind.label} {names[0]}", kind.effect
    elif names:
        what = f"{kind.label}s {listed(names)}"
    elif selector is not None:
        what = f"every {kind.label} matching {selector}"
    elif piped:
        what = f"the {kind.label}s xargs reads from its input"
    else:
        return None  # kubectl refuses a delete with no name, selector or --all
    return ClusterDeletion(
        f"deletes {what}{where}: {effect}",
        kind.severity,
        tuple(names),
        production=call.targets_production,
    )


def _objects(positionals: tuple[str, ...]) -> dict[str, list[str]]:
    """`pvc a b` and `pvc/a sts/b` as {kind: [names]}; `pvc,sts -l x` as {pvc: [], sts: []}."""
    out: dict[str, list[str]] = {}
    if "/" in positionals[0]:
        for arg in positionals:
            kind, _, name = arg.partition("/")
            out.setdefault(kind.lower(), []).append(name)
        return out
    for kind in positionals[0].split(","):
        out[kind.lower()] = list(positionals[1:])
    return out


def _plural(kind: str) -> str:
    known = _KINDS.get(kind.split(".")[0])
    return f"{known.label}s" if known else kind


def _in_namespace(call: KubectlCall) -> str:
    namespace = call.value("n", "namespace")
    return f" in namespace {namespace}" if namespace else ""


_HELM_VALUED = frozenset(
    {"n", "namespace", "kube-context", "kubeconfig", "timeout", "cascade", "description"}
    | {"kube-apiserver", "kube-as-user", "kube-token", "registry-config", "repository-config"}
)


def helm_deletion(command: Command) -> ClusterDeletion | None:
    if command.program != "helm":
        return None
    options, positionals = read_options(command.argv, valued=_HELM_VALUED)
    if not positionals or positionals[0] not in ("uninstall", "delete", "del", "un"):
        return None
    releases = positionals[1:]
    if not releases or any(name == "dry-run" for name, _ in options):
        return None
    namespace = next((v for k, v in options if k in ("n", "namespace") and v), None)
    where = f" in namespace {namespace}" if namespace else ""
    plural = "s" if len(releases) > 1 else ""
    return ClusterDeletion(
        f"uninstalls Helm release{plural} {listed(releases)}{where}: every object the chart "
        "installed is deleted, claims it created included",
        Severity.MEDIUM,
        tuple(releases),
    )


def eksctl_deletion(command: Command) -> ClusterDeletion | None:
    if command.program != "eksctl":
        return None
    valued = {"n", "name", "region", "r", "cluster", "profile", "f", "config-file", "timeout"}
    options, positionals = read_options(command.argv, valued=valued)
    if positionals[:1] != ["delete"] or len(positionals) < 2:
        return None
    given = dict(options)
    name = given.get("name") or given.get("n") or (positionals[2] if len(positionals) > 2 else "")
    if positionals[1] == "cluster":
        shown = f" {name}" if name else ""
        return ClusterDeletion(
            f"deletes EKS cluster{shown} and every workload running in it",
            Severity.HIGH,
            (name,) if name else (),
        )
    if positionals[1] in ("nodegroup", "ng"):
        cluster = given.get("cluster")
        of = f" of cluster {cluster}" if cluster else ""
        return ClusterDeletion(
            f"deletes EKS node group {name}{of}: its pods are evicted", Severity.MEDIUM
        )
    return None


def cluster_deletion(command: Command) -> ClusterDeletion | None:
    """What `command` deletes in a Kubernetes cluster (or of the cluster), or None."""
    call = kubectl_call(command)
    if call is not None:
        return kubectl_deletion(call, piped="xargs" in command.wrappers)
    return helm_deletion(command) or eksctl_deletion(command)


class ClusterDeleteCommand(Rule):
    """A script or CI job deletes cluster volumes, CRDs, a kind --all, a Helm release or a cluster.

    Fires on an added `kubectl delete` (or `oc delete`) of PersistentVolumeClaims,
    PersistentVolumes, StatefulSets or CustomResourceDefinitions, by name or selector; on
    `kubectl delete KIND --all` (critical with `--all-namespaces`); on `helm uninstall`
    (medium); and on `eksctl delete cluster`. Deleting a pod, a job, a deployment by name, the
    objects of a file (`-f`), or every pod (`delete pods --all`, a restart) stays quiet, and so
    do a `--dry-run` and deletes in a CI job or script that creates its own throwaway cluster
    (kind, minikube, k3d). A `--context` or `--cluster` named for production is named in the
    message and one level higher. Namespaces are SH103.

    ## Why it matters
    A claim deleted with the usual `Delete` reclaim policy takes its volume and the data on it
    with it; a custom resource definition takes every object of its kind; `--all` deletes
    whatever the namespace holds, and a release uninstall deletes everything its chart made.
    None of these asks for confirmation, and a job run against the wrong context does it to
    production.

    ## Bad
    ```diff
    --- a/scripts/reset-db.sh
    +++ b/scripts/reset-db.sh
    @@ -1,3 +1,4 @@
     #!/usr/bin/env bash
     set -euo pipefail
     kubectl scale statefulset postgres --replicas=0 -n prod
    +kubectl delete pvc data-postgres-0 -n prod
    ```

    ## Good
    ```diff
    --- a/scripts/reset-db.sh
    +++ b/scripts/reset-db.sh
    @@ -1,3 +1,4 @@
     #!/usr/bin/env bash
     set -euo pipefail
     kubectl scale statefulset postgres --replicas=0 -n prod
    +kubectl delete pod postgres-0 -n prod
    ```
    """

    code = "SH105"
    name = "cluster-delete-command"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        throwaway = throwaway_cluster_units(change)
        for command, line in added_commands(change):
            deletion = cluster_deletion(command)
            if deletion is None or command.unit in throwaway:
                continue
            severity = deletion.severity
            if deletion.names and all(is_throwaway(name) for name in deletion.names):
                severity = severity.shifted(-1)  # a review app, a preview, a test namespace
            if deletion.production:
                severity = severity.shifted(1)  # `--context prod`: said in the message
            yield self.finding(
                change,
                line=line,
                message=named(deletion.message, change),
                hint=(
                    "delete by name after checking what it holds, snapshot the volumes first, "
                    "or have a person run it"
                ),
                severity=severity,
                confidence=confidence_of(change),
            )


RULES = (ClusterDeleteCommand,)
