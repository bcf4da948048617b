"""RBAC roles and bindings, and pod security, compared object by object across the change."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.testing import run_diff

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: app-reader
  namespace: shop
rules:
  - apiGroups: [""]
    resources: [{resources}]
    verbs: [{verbs}]
"""
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: ops
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {role}
subjects:
  - kind: {subject_kind}
    name: {subject}
"""
DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: monitoring
spec:
  selector:
    matchLabels:
      app: node-agent
  template:
    metadata:
      labels:
        app: node-agent
    spec:
{pod}      containers:
        - name: agent
          image: acme/agent:{version}
{container}"""


def _diff(path: str, old: str | None, new: str | None) -> str:
    """A full-file unified diff, as git would print it with -U<large>."""
    old_lines = old.splitlines() if old else []
    new_lines = new.splitlines() if new else []
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += f"new file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    elif new is None:
        head += f"deleted file mode 100644\n--- a/{path}\n+++ /dev/null\n"
    else:
        head += f"--- a/{path}\n+++ b/{path}\n"
    import difflib

    body = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=1000))[2:]
    return head + "\n".join(body) + "\n"


def check(path: str, old: str | None, new: str | None, select: str = "RBAC") -> set[Any]:
    report = run_diff(_diff(path, old, new), select=[select])
    return {(f.code, f.line, f.severity.label, f.message) for f in report.findings}


def role(kind: str = "Role", resources: str = '"configmaps"', verbs: str = '"get", "list"') -> str:
    return ROLE.format(kind=kind, resources=resources, verbs=verbs)


def test_wildcard_verbs_and_resources_on_a_cluster_role_is_cluster_admin() -> None:
    old = role("ClusterRole")
    new = (
        old.replace('apiGroups: [""]', 'apiGroups: ["*"]')
        .replace('resources: ["configmaps"]', 'resources: ["*"]')
        .replace('verbs: ["get", "list"]', 'verbs: ["*"]')
    )
    assert check("deploy/rbac.yaml", old, new) == {
        (
            "RBAC101",
            7,
            "critical",
            "widens ClusterRole app-reader in namespace shop with every verb on every resource of "
            "every API group: full control in every namespace, the same as cluster-admin",
        ),
    }


def test_secrets_read_added_to_a_role_is_medium_and_names_the_namespace() -> None:
    new = role(resources='"configmaps", "secrets"')
    assert check("deploy/rbac.yaml", role(), new) == {
        (
            "RBAC101",
            8,
            "medium",
            "widens Role app-reader in namespace shop with get/list on secrets: reads every "
            "secret in namespace shop (tokens, passwords, keys)",
        ),
    }


def test_escalating_verbs_are_high() -> None:
    new = role(resources='"clusterroles"', verbs='"get", "bind", "escalate"')
    found = check("deploy/rbac.yaml", role(), new)
    assert {(code, line, sev) for code, line, sev, _ in found} == {
        ("RBAC101", 8, "high"),
    } or len(found) == 2
    assert any("bind any role" in m for *_, m in found)
    assert any("grant itself permissions" in m for *_, m in found)


def test_a_new_read_only_role_is_quiet() -> None:
    assert check("deploy/rbac.yaml", None, role()) == set()


def test_narrowing_a_role_is_quiet() -> None:
    assert check("deploy/rbac.yaml", role(verbs='"*"'), role()) == set()


def test_a_role_moved_to_another_file_is_quiet() -> None:
    text = role(resources='"secrets"')
    diff = _diff("old/rbac.yaml", text, None) + _diff("deploy/rbac.yaml", None, text)
    assert not run_diff(diff, select=["RBAC"]).findings


def test_secret_get_limited_to_named_secrets_is_quiet() -> None:
    new = role(resources='"secrets"', verbs='"get"').replace(
        "    verbs:", '    resourceNames: ["tls"]\n    verbs:'
    )
    assert check("deploy/rbac.yaml", role(), new) == set()


def test_cluster_admin_binding_is_critical() -> None:
    new = BINDING.format(
        kind="ClusterRoleBinding",
        role="cluster-admin",
        subject_kind="ServiceAccount",
        subject="deployer",
    )
    assert check("deploy/bind.yaml", None, new) == {
        (
            "RBAC102",
            8,
            "critical",
            "binds cluster-admin to ServiceAccount deployer (ClusterRoleBinding ops): full "
            "control of the cluster and every namespace",
        ),
    }


def test_binding_to_anonymous_is_critical_even_for_a_small_role() -> None:
    old = BINDING.format(
        kind="ClusterRoleBinding", role="view", subject_kind="Group", subject="oncall"
    )
    new = old.replace("name: oncall", "name: system:unauthenticated")
    assert check("deploy/bind.yaml", old, new) == {
        (
            "RBAC102",
            11,
            "critical",
            "binds ClusterRole view to unauthenticated requests (ClusterRoleBinding ops): anyone "
            "who reaches the API server gets it, without credentials",
        ),
    }


def test_existing_admin_binding_touched_elsewhere_is_quiet() -> None:
    old = BINDING.format(
        kind="ClusterRoleBinding", role="cluster-admin", subject_kind="User", subject="alice"
    )
    new = old.replace("  name: ops\n", "  name: ops\n  labels:\n    team: sre\n")
    assert check("deploy/bind.yaml", old, new) == set()


def test_binding_to_an_ordinary_role_is_quiet() -> None:
    new = BINDING.format(
        kind="ClusterRoleBinding", role="view", subject_kind="Group", subject="oncall"
    )
    assert check("deploy/bind.yaml", None, new) == set()


def ds(pod: str = "", container: str = "", version: str = "1.0") -> str:
    return DAEMONSET.format(pod=pod, container=container, version=version)


def test_privileged_container_added() -> None:
    new = ds(container="          securityContext:\n            privileged: true\n")
    assert check("deploy/agent.yaml", ds(), new) == {
        (
            "RBAC201",
            19,
            "high",
            "runs container agent privileged in DaemonSet node-agent in namespace monitoring: the "
            "container gets every capability and device of the node, as good as root on it",
        ),
    }


def test_already_privileged_spec_with_an_image_bump_is_quiet() -> None:
    context = "          securityContext:\n            privileged: true\n"
    pod = "      hostPID: true\n"
    assert check("deploy/agent.yaml", ds(pod, context), ds(pod, context, "1.1")) == set()


def test_host_paths_rank_by_what_they_reach() -> None:
    volumes = (
        "      volumes:\n"
        "        - name: docker\n          hostPath:\n            path: /var/run/docker.sock\n"
        "        - name: logs\n          hostPath:\n            path: /var/log/app\n"
    )
    found = check("deploy/agent.yaml", ds(), ds(pod=volumes))
    assert {(line, sev) for _, line, sev, _ in found} == {(18, "critical"), (21, "medium")}


def test_host_namespaces_capabilities_and_root() -> None:
    pod = "      hostNetwork: true\n      hostPID: true\n"
    container = (
        "          securityContext:\n            runAsUser: 0\n"
        "            capabilities:\n              add: [NET_ADMIN, SYS_ADMIN]\n"
    )
    found = check("deploy/agent.yaml", ds(), ds(pod, container))
    assert {(line, sev) for _, line, sev, _ in found} == {
        (15, "medium"),
        (16, "high"),
        (24, "medium"),
        (26, "medium"),
        (26, "high"),
    } or len(found) == 5
    assert any("SYS_ADMIN capability" in m for *_, m in found)


def test_hardening_is_quiet() -> None:
    container = (
        "          securityContext:\n            runAsNonRoot: true\n"
        "            allowPrivilegeEscalation: false\n"
    )
    assert check("deploy/agent.yaml", ds(), ds(container=container)) == set()


HELM = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ include "exporter.fullname" . }}
spec:
  template:
    spec:
      {{- if .Values.hostNetwork }}
      hostNetwork: true
      {{- end }}
      containers:
        - name: exporter
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          securityContext:
            privileged: {{ .Values.privileged }}
"""


def test_helm_template_conditional_is_one_level_lower_and_values_are_unknown() -> None:
    old = HELM.replace(
        "      {{- if .Values.hostNetwork }}\n      hostNetwork: true\n      {{- end }}\n", ""
    )
    found = check("charts/exporter/templates/daemonset.yaml", old, HELM)
    assert {(code, line, sev) for code, line, sev, _ in found} == {("RBAC201", 9, "low")}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"abc:-[]{}* \n\"'",
                "true",
                "privileged",
                "verbs",
                "{{ x }}",
                "kind: Role\n",
                "  ",
                "- ",
                "hostPath:",
                "rules:",
            ]
        ),
        max_size=80,
    )
)
def test_arbitrary_yaml_never_crashes(parts: list[str]) -> None:
    body = "apiVersion: v1\nkind: Pod\n" + "".join(parts)
    report = run_diff(_diff("k8s/x.yaml", None, body), select=["RBAC"])
    assert all(f.code.startswith("RBAC") for f in report.findings)


def test_a_new_node_agent_is_one_finding_naming_everything_it_takes() -> None:
    pod = "      hostNetwork: true\n      hostPID: true\n"
    container = "          securityContext:\n            privileged: true\n"
    found = check("deploy/agent.yaml", None, ds(pod, container))
    assert found == {
        (
            "RBAC201",
            15,
            "high",
            "shares the node's process namespace (hostPID: true); runs container agent privileged; "
            "shares the node's network (hostNetwork: true) in DaemonSet node-agent in namespace "
            "monitoring: sees and signals every process on the node, and reads their environment",
        ),
    }


def test_read_only_wildcard_on_a_custom_api_group_does_not_claim_secrets() -> None:
    new = (
        role("ClusterRole")
        .replace('apiGroups: [""]', 'apiGroups: ["cilium.io"]')
        .replace('resources: ["configmaps"]', 'resources: ["*"]')
    )
    assert check("deploy/rbac.yaml", None, new) == {
        (
            "RBAC101",
            7,
            "medium",
            "creates ClusterRole app-reader in namespace shop with get/list on every resource of API "
            "group cilium.io: reads every object in every namespace",
        ),
    }
