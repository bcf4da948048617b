"""Kubernetes access rules: RBAC roles and bindings that widen who may do what, and pod specs
that reach through to the node (privileged, host namespaces, host paths, root, capabilities).

Each object is compared with itself before the change (by kind, namespace and name across the
whole change, or by position in its file when Helm computes the name), so only what the change
adds is reported: an already privileged DaemonSet whose image is bumped is quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.yamldoc import YNode, stream_of
from changerisk.regex import lazy_compile
from changerisk.rule import Category, ChangeSet, Confidence, FileChange, Finding, Rule, Severity

FORMATS = frozenset({"kubernetes", "helm", "kustomize"})
_MASK = "TEMPLATE"
_ROLES = frozenset({"Role", "ClusterRole"})
_BINDINGS = frozenset({"RoleBinding", "ClusterRoleBinding"})
# Where each workload kind keeps its pod spec.
_POD_SPEC = {
    "Pod": ("spec",),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_TEMPLATE_SPEC = ("spec", "template", "spec")
_WORKLOADS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
)
_HELM_OPEN = lazy_compile(r"\{\{-?\s*(if|with|range)\b")
_HELM_END = lazy_compile(r"\{\{-?\s*end\b")


class Obj(NamedTuple):
    change: FileChange
    side: str
    root: YNode
    kind: str
    namespace: str
    name: str

    @property
    def label(self) -> str:
        name = self.name if _MASK not in self.name else "(templated name)"
        where = (
            f" in namespace {self.namespace}"
            if self.namespace and _MASK not in self.namespace
            else ""
        )
        return f"{self.kind} {name}{where}"


def _objects(change: FileChange, side: str) -> list[Obj]:
    path = change.old_path if side == "old" else change.new_path
    if path is None or change.is_binary:
        return []
    found: list[Obj] = []
    for root in stream_of(change, side).roots:
        if root.kind != "map":
            continue
        items = root.get("items")
        for node in items.items if (items is not None and items.kind == "seq") else [root]:
            if node.kind != "map":
                continue
            kind, name = node.text("kind"), node.text("metadata", "name")
            if not kind or not node.text("apiVersion"):
                continue
            namespace = node.text("metadata", "namespace") or ""
            found.append(Obj(change, side, node, kind, namespace, name or ""))
    return found


def pairs(changeset: ChangeSet, kinds: frozenset[str]) -> Iterator[tuple[Obj | None, Obj]]:
    """Each object of `kinds` after the change, with itself before it (None when new).

    Objects with a literal name pair across the change by kind, namespace and name; objects
    whose name a template computes pair within their file, in order.
    """
    old_named: dict[tuple[str, str, str], Obj] = {}
    old_local: dict[tuple[str, str, str, str], list[Obj]] = {}
    for change in changeset.files:
        if not change.formats & FORMATS:
            continue
        for obj in _objects(change, "old"):
            if obj.kind not in kinds:
                continue
            if obj.name and _MASK not in obj.name + obj.namespace:
                old_named.setdefault((obj.kind, obj.namespace, obj.name), obj)
            path = change.old_path or ""
            old_local.setdefault((path, obj.kind, obj.namespace, obj.name), []).append(obj)
    for change in changeset.files:
        if not change.formats & FORMATS or change.new_path is None:
            continue
        seen: dict[tuple[str, str, str, str], int] = {}
        for obj in _objects(change, "new"):
            if obj.kind not in kinds:
                continue
            key = (change.old_path or change.new_path, obj.kind, obj.namespace, obj.name)
            index = seen.get(key, 0)
            seen[key] = index + 1
            before = old_named.get((obj.kind, obj.namespace, obj.name))
            if before is None or not obj.name or _MASK in obj.name + obj.namespace:
                local = old_local.get(key, [])
                before = local[index] if index < len(local) else None
            yield before, obj


def _added(obj: Obj, node: YNode) -> bool:
    """Whether the change added a line of `node` (its key line counts: `privileged: true`)."""
    added = obj.change.added_line_numbers
    return any(node.line <= n <= max(node.end_line, node.line) for n in added)


def _conditional_lines(change: FileChange) -> frozenset[int]:
    """Lines of a Helm template inside `{{ if }}` / `{{ with }}` / `{{ range }}` blocks: set only
    when a chart value asks for it."""

    def build() -> frozenset[int]:
        if "helm" not in change.formats and "{{" not in (change.new_text() or ""):
            return frozenset()
        depth, inside = 0, set()
        for number, line in enumerate((change.new_text() or "").splitlines(), start=1):
            opens = len(_HELM_OPEN.findall(line))
            ends = len(_HELM_END.findall(line))
            if depth > 0:
                inside.add(number)
            depth = max(depth + opens - ends, 0)
        return frozenset(inside)

    return change.cached("helm-conditional-lines", build)


def _strings(node: YNode | None) -> list[str]:
    if node is None:
        return []
    if node.kind == "seq":
        return [i.value for i in node.items if i.kind == "scalar" and not i.null]
    if node.kind == "scalar" and not node.null:
        return [node.value]
    return []


# --- RBAC roles -------------------------------------------------------------------------------

_READ = frozenset({"get", "list", "watch"})
_ESCALATING = ("escalate", "bind", "impersonate")
_SENSITIVE = frozenset(
    {
        "secrets",
        "pods",
        "pods/exec",
        "roles",
        "clusterroles",
        "rolebindings",
        "clusterrolebindings",
        "serviceaccounts",
        "serviceaccounts/token",
        "nodes",
        "nodes/proxy",
        "persistentvolumes",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "customresourcedefinitions",
        "certificatesigningrequests",
        "deployments",
        "daemonsets",
        "statefulsets",
        "jobs",
        "cronjobs",
        "replicasets",
    }
)


class Grant(NamedTuple):
    """One dangerous thing a role allows: `key` compares across the change, the rest reports."""

    key: tuple[str, ...]
    what: str
    consequence: str
    severity: Severity


def grants(role: Obj) -> list[tuple[Grant, YNode]]:
    """The dangerous grants of a Role or ClusterRole, each with its rule node."""
    rules = role.root.get("rules")
    if rules is None or rules.kind != "seq":
        return []
    cluster = role.kind == "ClusterRole"
    scope = "in every namespace" if cluster else f"in namespace {role.namespace or '(default)'}"
    out: list[tuple[Grant, YNode]] = []
    for rule in rules.items:
        if rule.kind != "map":
            continue
        verbs = {v.lower() if v != "*" else v for v in _strings(rule.get("verbs"))}
        resources = set(_strings(rule.get("resources")))
        groups = set(_strings(rule.get("apiGroups")))
        named = bool(_strings(rule.get("resourceNames")))
        if not verbs or (not resources and not _strings(rule.get("nonResourceURLs"))):
            continue
        every_verb = "*" in verbs
        for grant in _rule_grants(verbs, resources, groups, named, every_verb, cluster, scope):
            out.append((grant, rule))
    return out


def _rule_grants(
    verbs: set[str],
    resources: set[str],
    groups: set[str],
    named: bool,
    every_verb: bool,
    cluster: bool,
    scope: str,
) -> Iterator[Grant]:
    top = Severity.CRITICAL if cluster else Severity.HIGH
    if every_verb and "*" in resources and "*" in groups:
        yield Grant(
            ("all",),
            "every verb on every resource of every API group",
            f"full control {scope}, the same as cluster-admin"
            if cluster
            else f"full control {scope}, secrets and role bindings included",
            top,
        )
        return
    if "*" in resources:
        read_only = verbs <= _READ
        core = not groups or bool(groups & {"", "*"})  # the core group holds the secrets
        if read_only:
            consequence = f"reads every object {scope}" + (", secrets included" if core else "")
            severity = Severity.HIGH if cluster and core else Severity.MEDIUM
        else:
            consequence, severity = f"changes any object {scope}", Severity.HIGH
        yield Grant(
            ("all-resources", ",".join(sorted(groups)), "read" if read_only else "write"),
            f"{'/'.join(sorted(verbs))} on every resource"
            + (f" of API group {', '.join(sorted(g or 'core' for g in groups))}" if groups else ""),
            consequence,
            severity,
        )
    elif every_verb:
        sensitive = sorted(resources & _SENSITIVE)
        yield Grant(
            ("all-verbs", ",".join(sorted(resources))),
            f"every verb on {', '.join(sorted(resources))}",
            f"creates, changes and deletes them {scope}",
            Severity.HIGH if sensitive else Severity.MEDIUM,
        )
    for verb in _ESCALATING:
        if verb in verbs:
            yield Grant(
                ("escalating", verb),
                f"the {verb} verb on {', '.join(sorted(resources)) or 'it'}",
                {
                    "escalate": "can grant itself permissions it does not have",
                    "bind": "can bind any role, cluster-admin included, to anyone",
                    "impersonate": "can act as any user, group or service account",
                }[verb]
                + f" {scope}",
                Severity.HIGH,
            )
    secret_verbs = (verbs & _READ) if not every_verb else {"*"}
    if "secrets" in resources and secret_verbs and not (named and secret_verbs <= {"get"}):
        yield Grant(
            ("secrets",),
            f"{'/'.join(sorted(secret_verbs))} on secrets",
            f"reads every secret {scope} (tokens, passwords, keys)",
            Severity.HIGH if cluster else Severity.MEDIUM,
        )
    if "pods/exec" in resources and ({"create", "*"} & verbs):
        yield Grant(
            ("exec",),
            "create on pods/exec",
            f"runs commands inside any pod {scope}, with that pod's credentials",
            Severity.MEDIUM,
        )


class RoleWidened(Rule):
    """A Role or ClusterRole gains wildcard, escalating or secret-reading permissions.

    ## Why it matters
    RBAC is additive: a `*` verb or resource grants everything that exists now and every API
    added later; `escalate`, `bind` and `impersonate` let the holder give itself more; reading
    secrets hands over every token and password in scope. Whoever holds the role (a service
    account, a CI bot) gets that power, and so does anyone who takes over the pod. A read-only
    role (`get`/`list` on configmaps) is not reported, nor a role that narrows.

    ## Bad
    ```diff
    diff --git a/deploy/rbac.yaml b/deploy/rbac.yaml
    --- a/deploy/rbac.yaml
    +++ b/deploy/rbac.yaml
    @@ -1,8 +1,8 @@
     apiVersion: rbac.authorization.k8s.io/v1
     kind: ClusterRole
     metadata:
       name: deploy-bot
     rules:
       - apiGroups: ["apps"]
         resources: ["deployments"]
    -    verbs: ["get", "list", "patch"]
    +    verbs: ["*"]
    ```

    ## Good
    ```diff
    diff --git a/deploy/rbac.yaml b/deploy/rbac.yaml
    --- a/deploy/rbac.yaml
    +++ b/deploy/rbac.yaml
    @@ -1,8 +1,8 @@
     apiVersion: rbac.authorization.k8s.io/v1
     kind: ClusterRole
     metadata:
       name: deploy-bot
     rules:
       - apiGroups: ["apps"]
         resources: ["deployments"]
    -    verbs: ["*"]
    +    verbs: ["get", "list", "patch"]
    ```
    """

    code = "RBAC101"
    name = "kubernetes-role-widened"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for before, role in pairs(changeset, _ROLES):
            had = {g.key for g, _ in grants(before)} if before is not None else set()
            reported: set[tuple[str, ...]] = set()
            for grant, rule in grants(role):
                if grant.key in had or grant.key in reported or not _added(role, rule):
                    continue
                reported.add(grant.key)
                line = _changed_line(role, rule)
                conditional = line in _conditional_lines(role.change)
                yield self.finding(
                    role.change,
                    line,
                    f"{'creates' if before is None else 'widens'} {role.label} with "
                    f"{grant.what}: {grant.consequence}",
                    hint="grant the verbs and resources the workload needs, by name; read "
                    "secrets through resourceNames or a secret store",
                    severity=grant.severity.shifted(-1) if conditional else grant.severity,
                    confidence=Confidence.MEDIUM if conditional else None,
                )


def _changed_line(obj: Obj, node: YNode) -> int:
    added = sorted(
        n for n in obj.change.added_line_numbers if node.line <= n <= max(node.end_line, node.line)
    )
    return added[0] if added else node.line


# --- RBAC bindings ----------------------------------------------------------------------------

_POWERFUL_ROLES = {
    "cluster-admin": ("full control of {scope}", Severity.CRITICAL, Severity.HIGH),
    "admin": (
        "read and write of everything in {scope}, secrets and role bindings included",
        Severity.HIGH,
        Severity.MEDIUM,
    ),
}
_SPECIAL_SUBJECTS = {
    "system:masters": (
        "members of system:masters",
        Severity.CRITICAL,
        "bypass every RBAC check, and the grant cannot be revoked",
    ),
    "system:anonymous": (
        "anonymous requests",
        Severity.CRITICAL,
        "anyone who reaches the API server gets it, without credentials",
    ),
    "system:unauthenticated": (
        "unauthenticated requests",
        Severity.CRITICAL,
        "anyone who reaches the API server gets it, without credentials",
    ),
    "system:authenticated": (
        "every authenticated user",
        Severity.HIGH,
        "every user and every service account of every namespace gets it",
    ),
}


def _subjects(binding: Obj) -> list[tuple[str, YNode]]:
    node = binding.root.get("subjects")
    if node is None or node.kind != "seq":
        return []
    out = []
    for item in node.items:
        if item.kind != "map":
            continue
        kind, name = item.text("kind") or "", item.text("name") or ""
        namespace = item.text("namespace") or ""
        label = f"{kind} {namespace + '/' if namespace else ''}{name}".strip()
        out.append((label if name not in _SPECIAL_SUBJECTS else name, item))
    return out


class BindingToPowerfulRole(Rule):
    """A RoleBinding or ClusterRoleBinding grants cluster-admin or admin, or binds anonymous,
    unauthenticated or all authenticated users, or system:masters.

    ## Why it matters
    A ClusterRoleBinding to `cluster-admin` gives full control of every namespace and of the
    cluster itself; a binding to `system:anonymous` or `system:unauthenticated` hands a role to
    anyone who can reach the API server; `system:authenticated` to every service account of
    every namespace. Only what the change adds is reported, not existing bindings it touches.

    ## Bad
    ```diff
    diff --git a/deploy/ci-rbac.yaml b/deploy/ci-rbac.yaml
    new file mode 100644
    --- /dev/null
    +++ b/deploy/ci-rbac.yaml
    @@ -0,0 +1,12 @@
    +apiVersion: rbac.authorization.k8s.io/v1
    +kind: ClusterRoleBinding
    +metadata:
    +  name: ci-deployer
    +roleRef:
    +  apiGroup: rbac.authorization.k8s.io
    +  kind: ClusterRole
    +  name: cluster-admin
    +subjects:
    +  - kind: ServiceAccount
    +    name: deployer
    +    namespace: ci
    ```

    ## Good
    ```diff
    diff --git a/deploy/ci-rbac.yaml b/deploy/ci-rbac.yaml
    new file mode 100644
    --- /dev/null
    +++ b/deploy/ci-rbac.yaml
    @@ -0,0 +1,13 @@
    +apiVersion: rbac.authorization.k8s.io/v1
    +kind: RoleBinding
    +metadata:
    +  name: ci-deployer
    +  namespace: shop
    +roleRef:
    +  apiGroup: rbac.authorization.k8s.io
    +  kind: Role
    +  name: deployer
    +subjects:
    +  - kind: ServiceAccount
    +    name: deployer
    +    namespace: ci
    ```
    """

    code = "RBAC102"
    name = "kubernetes-binding-to-powerful-role"
    category = Category.ACCESS
    severity = Severity.CRITICAL
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for before, binding in pairs(changeset, _BINDINGS):
            role = binding.root.text("roleRef", "name") or ""
            role_kind = binding.root.text("roleRef", "kind") or ""
            old_role = before.root.text("roleRef", "name") if before is not None else None
            old_subjects = {label for label, _ in _subjects(before)} if before else set()
            subjects = _subjects(binding)
            powerful = _POWERFUL_ROLES.get(role) if role_kind == "ClusterRole" else None
            for label, node in subjects:
                new_grant = role != old_role or label not in old_subjects
                if not new_grant or not (_added(binding, node) or role != old_role):
                    continue
                ref = binding.root.at("roleRef", "name")
                line = (
                    _changed_line(binding, ref)
                    if ref is not None and (role != old_role or before is None)
                    else _changed_line(binding, node)
                )
                special = _SPECIAL_SUBJECTS.get(label)
                if special is not None:
                    who, severity, consequence = special
                    yield self.finding(
                        binding.change,
                        line,
                        f"binds {role_kind} {role} to {who} ({binding.label}): {consequence}",
                        hint="bind the role to the named users, groups or service accounts "
                        "that need it",
                        severity=severity,
                    )
                elif powerful is not None:
                    what, cluster_severity, ns_severity = powerful
                    cluster = binding.kind == "ClusterRoleBinding"
                    scope = (
                        "the cluster and every namespace"
                        if cluster
                        else (f"namespace {binding.namespace or '(default)'}")
                    )
                    yield self.finding(
                        binding.change,
                        line,
                        f"binds {role} to {label} ({binding.label}): " + what.format(scope=scope),
                        hint="bind a role with the verbs and resources it needs; for a "
                        "namespace, a RoleBinding to a namespaced Role",
                        severity=cluster_severity if cluster else ns_severity,
                    )


# --- pod security -----------------------------------------------------------------------------

_HOST_PATHS = (
    ("/", Severity.CRITICAL, "the whole node file system"),
    ("/var/run/docker.sock", Severity.CRITICAL, "the container runtime: root on the node"),
    ("/run/docker.sock", Severity.CRITICAL, "the container runtime: root on the node"),
    (
        "/run/containerd/containerd.sock",
        Severity.CRITICAL,
        "the container runtime: root on the node",
    ),
    (
        "/var/run/containerd/containerd.sock",
        Severity.CRITICAL,
        "the container runtime: root on the node",
    ),
    ("/run/crio/crio.sock", Severity.CRITICAL, "the container runtime: root on the node"),
    ("/etc", Severity.HIGH, "the node's configuration, users and credentials"),
    ("/root", Severity.HIGH, "root's home directory on the node"),
    ("/var/lib/kubelet", Severity.HIGH, "every pod's volumes and service-account tokens"),
    ("/proc", Severity.HIGH, "every process of the node"),
    ("/sys", Severity.HIGH, "the node's kernel settings"),
    ("/dev", Severity.HIGH, "the node's devices"),
    ("/boot", Severity.HIGH, "the node's kernel and boot loader"),
)
_CAPABILITIES = {
    "ALL": Severity.HIGH,
    "SYS_ADMIN": Severity.HIGH,
    "SYS_PTRACE": Severity.MEDIUM,
    "SYS_MODULE": Severity.HIGH,
    "NET_ADMIN": Severity.MEDIUM,
    "NET_RAW": Severity.LOW,
    "DAC_READ_SEARCH": Severity.MEDIUM,
    "BPF": Severity.MEDIUM,
    "PERFMON": Severity.LOW,
}


class Exposure(NamedTuple):
    key: tuple[str, ...]
    node: YNode
    what: str
    consequence: str
    severity: Severity


def _pod_spec(obj: Obj) -> YNode | None:
    path = _POD_SPEC.get(obj.kind) or (_TEMPLATE_SPEC if obj.kind in _WORKLOADS else None)
    if path is None:
        node = obj.root.at(*_TEMPLATE_SPEC)  # Argo Rollouts, OpenKruise and other workloads
        return node if node is not None and node.get("containers") is not None else None
    node = obj.root.at(*path)
    return node if node is not None and node.kind == "map" else None


def _true(node: YNode | None) -> bool:
    return node is not None and node.kind == "scalar" and node.value.lower() == "true"


def exposures(obj: Obj) -> list[Exposure]:
    spec = _pod_spec(obj)
    if spec is None:
        return []
    out: list[Exposure] = []
    host = {
        "hostNetwork": (
            "the node's network",
            "sees all node traffic and binds node ports; network policies do not apply",
            Severity.MEDIUM,
        ),
        "hostPID": (
            "the node's process namespace",
            "sees and signals every process on the node, and reads their environment",
            Severity.HIGH,
        ),
        "hostIPC": (
            "the node's IPC namespace",
            "reads shared memory of other processes on the node",
            Severity.MEDIUM,
        ),
    }
    for key, (what, consequence, severity) in host.items():
        node = spec.get(key)
        if _true(node):
            assert node is not None
            out.append(
                Exposure((key,), node, f"shares {what} ({key}: true)", consequence, severity)
            )
    out.extend(_host_path_exposures(spec))
    pod_context = spec.get("securityContext")
    if pod_context is not None and pod_context.kind == "map":
        out.extend(_context_exposures(pod_context, "pod"))
    for field in ("initContainers", "containers", "ephemeralContainers"):
        containers = spec.get(field)
        if containers is None or containers.kind != "seq":
            continue
        for container in containers.items:
            if container.kind != "map":
                continue
            name = container.text("name") or "?"
            context = container.get("securityContext")
            if context is not None and context.kind == "map":
                out.extend(_context_exposures(context, name))
    return out


def _host_path_exposures(spec: YNode) -> Iterator[Exposure]:
    volumes = spec.get("volumes")
    if volumes is None or volumes.kind != "seq":
        return
    for volume in volumes.items:
        path_node = volume.at("hostPath", "path") if volume.kind == "map" else None
        if path_node is None or path_node.kind != "scalar" or _MASK in path_node.value:
            continue
        path = path_node.value.rstrip("/") or "/"
        severity, consequence = Severity.MEDIUM, "reads or writes files on the node"
        for prefix, level, what in _HOST_PATHS:
            if path == prefix or (prefix != "/" and path.startswith(prefix + "/")):
                severity, consequence = level, f"reaches {what}"
                break
        hint_name = volume.text("name") or "?"
        yield Exposure(
            ("hostPath", path),
            path_node,
            f"mounts the node's {path} (hostPath volume {hint_name})",
            consequence,
            severity,
        )


def _context_exposures(context: YNode, who: str) -> Iterator[Exposure]:
    label = (
        "the pod"
        if who == "pod"
        else ("a container" if _MASK in who or who == "?" else f"container {who}")
    )
    node = context.get("privileged")
    if _true(node):
        assert node is not None
        yield Exposure(
            (who, "privileged"),
            node,
            f"runs {label} privileged",
            "the container gets every capability and device of the node, as good as root on it",
            Severity.HIGH,
        )
    node = context.get("allowPrivilegeEscalation")
    if _true(node):
        assert node is not None
        yield Exposure(
            (who, "allowPrivilegeEscalation"),
            node,
            f"lets {label} gain privileges (allowPrivilegeEscalation: true)",
            "setuid binaries inside it can become root",
            Severity.LOW,
        )
    node = context.get("runAsUser")
    if node is not None and node.kind == "scalar" and node.value.strip() == "0":
        yield Exposure(
            (who, "runAsUser"),
            node,
            f"runs {label} as root (runAsUser: 0)",
            "a break-out of the container starts as root",
            Severity.MEDIUM,
        )
    node = context.get("runAsNonRoot")
    if node is not None and node.kind == "scalar" and node.value.lower() == "false":
        yield Exposure(
            (who, "runAsNonRoot"),
            node,
            f"lets {label} run as root (runAsNonRoot: false)",
            "the image's root user is no longer refused",
            Severity.LOW,
        )
    adds = context.at("capabilities", "add")
    if adds is not None and adds.kind == "seq":
        for item in adds.items:
            name = item.value.upper().removeprefix("CAP_") if item.kind == "scalar" else ""
            severity = _CAPABILITIES.get(name)
            if severity is not None:
                yield Exposure(
                    (who, "cap", name),
                    item,
                    f"gives {label} the {name} capability",
                    _CAPABILITY_TEXT.get(name, "a kernel privilege most pods never need"),
                    severity,
                )


_CAPABILITY_TEXT = {
    "ALL": "every kernel capability: close to root on the node",
    "SYS_ADMIN": "mounts, namespaces and most of root's powers: a known container escape",
    "SYS_MODULE": "loads kernel modules: root on the node",
    "NET_ADMIN": "rewrites the node's or pod's network: routes, firewall, interfaces",
    "SYS_PTRACE": "attaches to other processes and reads their memory",
}


class PodSecurityWeakened(Rule):
    """A pod spec gains privileged mode, host namespaces, host paths, root or kernel
    capabilities.

    ## Why it matters
    A privileged container, a `hostPath` of `/` or of the container runtime's socket, or
    `hostPID` turn a compromise of one pod into root on the node, and from there every pod
    on it. Only what the change adds is reported: a spec that was already privileged and
    had only its image bumped is quiet. Settings inside a Helm `{{ if }}` block, which a
    chart value switches on, are one level lower.

    ## Bad
    ```diff
    diff --git a/deploy/agent.yaml b/deploy/agent.yaml
    --- a/deploy/agent.yaml
    +++ b/deploy/agent.yaml
    @@ -1,12 +1,14 @@
     apiVersion: apps/v1
     kind: DaemonSet
     metadata:
       name: agent
     spec:
       selector:
         matchLabels: {app: agent}
       template:
         spec:
           containers:
             - name: agent
               image: acme/agent:1.4.0
    +          securityContext:
    +            privileged: true
    ```

    ## Good
    ```diff
    diff --git a/deploy/agent.yaml b/deploy/agent.yaml
    --- a/deploy/agent.yaml
    +++ b/deploy/agent.yaml
    @@ -1,12 +1,14 @@
     apiVersion: apps/v1
     kind: DaemonSet
     metadata:
       name: agent
     spec:
       selector:
         matchLabels: {app: agent}
       template:
         spec:
           containers:
             - name: agent
               image: acme/agent:1.4.0
    +          securityContext:
    +            allowPrivilegeEscalation: false
    ```
    """

    code = "RBAC201"
    name = "kubernetes-pod-security-weakened"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for before, obj in pairs(changeset, _WORKLOADS | {"Pod", "CronJob"} | _OTHER_WORKLOADS):
            had = {e.key for e in exposures(before)} if before is not None else set()
            found = [e for e in exposures(obj) if e.key not in had and _added(obj, e.node)]
            if before is None and len(found) > 1:
                found.sort(key=lambda e: (-e.severity, e.node.line))
                worst = found[0]
                whats = list(dict.fromkeys(e.what for e in found))
                found = [
                    Exposure(
                        worst.key,
                        min((e.node for e in found), key=lambda n: n.line),
                        "; ".join(whats[:4])
                        + (f" and {len(whats) - 4} more" if len(whats) > 4 else ""),
                        worst.consequence,
                        worst.severity,
                    )
                ]
            for exposure in found:
                line = _changed_line(obj, exposure.node)
                conditional = line in _conditional_lines(obj.change)
                yield self.finding(
                    obj.change,
                    line,
                    f"{exposure.what} in {obj.label}: {exposure.consequence}",
                    hint="drop it, or confine the workload to dedicated nodes and document why "
                    "it needs the node; prefer specific capabilities and read-only mounts",
                    severity=exposure.severity.shifted(-1) if conditional else exposure.severity,
                    confidence=Confidence.MEDIUM if conditional else None,
                )


_OTHER_WORKLOADS = frozenset({"Rollout", "CloneSet", "AdvancedStatefulSet"})

RULES = (RoleWidened, BindingToPowerfulRole, PodSecurityWeakened)
