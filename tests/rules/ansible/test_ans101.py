"""ANS101 ansible-stateful-resource-absent: on a real role and playbook."""

from typing import Any

import pytest

from changerisk.testing import found, run_diff

MAIN = "roles/postgres/tasks/main.yml"


def test_turning_the_app_database_absent(ans: Any, role: dict[str, str]) -> None:
    new = role[MAIN].replace(
        "    encoding: UTF-8\n    state: present", "    encoding: UTF-8\n    state: absent"
    )
    [hit] = ans(role, {MAIN: new})
    assert (hit.where, hit.severity, hit.confidence) == (("ANS101", MAIN, 20), "critical", "high")
    assert hit.message == (
        "deletes PostgreSQL database {{ app_db_name }} (community.postgresql.postgresql_db, "
        "state: absent): every table in it is dropped with its data"
    )


def play(*tasks: str) -> str:
    body = "".join(tasks)
    return f"- name: Maintenance\n  hosts: all\n  become: true\n  tasks:\n{body}"


def task(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.strip("\n").splitlines())


@pytest.mark.parametrize(
    ("body", "line", "severity", "message"),
    [
        (
            "- name: Drop the legacy database\n  postgresql_db: name=orders_v1 state=absent\n",
            8,
            "critical",
            "deletes PostgreSQL database orders_v1 (postgresql_db, state: absent): every table "
            "in it is dropped with its data",
        ),
        (
            "- name: Legacy syntax\n  action: mysql_db name=shop state=absent\n",
            8,
            "critical",
            "deletes MySQL database shop (mysql_db, state: absent): every table in it is "
            "dropped with its data",
        ),
        (
            "- name: Remove the namespace\n  kubernetes.core.k8s:\n    kind: Namespace\n"
            "    name: payments\n    state: absent\n",
            11,
            "critical",
            "deletes Namespace payments (kubernetes.core.k8s, state: absent): every object in it "
            "is deleted with it",
        ),
        (
            "- name: Remove the claim\n  kubernetes.core.k8s:\n    state: absent\n"
            "    definition:\n      apiVersion: v1\n      kind: PersistentVolumeClaim\n"
            "      metadata: {name: data, namespace: db}\n",
            9,
            "high",
            "deletes PersistentVolumeClaim data in namespace db (kubernetes.core.k8s, state: absent): its volume is "
            "released, and deleted with its data under a Delete reclaim policy",
        ),
        (
            "- name: Terminate the old fleet\n  amazon.aws.ec2_instance:\n"
            "    instance_ids: [i-0abc, i-0def]\n    state: terminated\n",
            10,
            "high",
            "deletes EC2 instances i-0abc, i-0def (amazon.aws.ec2_instance, state: terminated): "
            "they are terminated; instance store and volumes deleted on termination are lost",
        ),
        (
            "- name: Remove the bucket\n  amazon.aws.s3_bucket:\n    name: media\n"
            "    state: absent\n    force: true\n",
            10,
            "high",
            "deletes S3 bucket media (amazon.aws.s3_bucket, state: absent): the bucket is "
            "deleted; with force every object in it goes first",
        ),
        (
            "- name: Remove the bucket\n  amazon.aws.s3_bucket:\n    name: media\n    state: absent\n",
            10,
            "medium",
            "deletes S3 bucket media (amazon.aws.s3_bucket, state: absent): the bucket is "
            "deleted if it is empty, and the task fails if not",
        ),
        (
            "- name: Uninstall redis\n  kubernetes.core.helm:\n    release_name: redis\n"
            "    release_namespace: cache\n    state: absent\n",
            11,
            "high",
            "deletes Helm release redis (kubernetes.core.helm, state: absent): every object of "
            "its chart is deleted",
        ),
        (
            "- name: Remove the former employee\n  ansible.builtin.user:\n    name: jdoe\n"
            "    state: absent\n    remove: true\n",
            10,
            "medium",
            "deletes user jdoe (ansible.builtin.user, state: absent): the user and its home "
            "directory are deleted",
        ),
        (
            "- name: Tear down\n  community.general.terraform:\n    project_path: infra/prod\n"
            "    state: absent\n",
            10,
            "critical",
            "deletes Terraform workspace infra/prod (community.general.terraform, state: "
            "absent): terraform destroys every resource in its state",
        ),
        (
            "- name: Retire the dataset\n  community.general.zfs:\n    name: tank/orders\n"
            "    state: absent\n",
            10,
            "high",
            "deletes ZFS dataset tank/orders (community.general.zfs, state: absent): the dataset "
            "and its snapshots are destroyed",
        ),
    ],
    ids=[
        "free-form",
        "action",
        "k8s-namespace",
        "k8s-definition",
        "ec2-terminated",
        "bucket-forced",
        "bucket",
        "helm",
        "user-removed",
        "terraform",
        "zfs-dataset",
    ],
)
def test_modules(ans: Any, body: str, line: int, severity: str, message: str) -> None:
    old = {"playbooks/maintenance.yml": play(task("- name: Ping\n  ansible.builtin.ping:\n"))}
    new = {"playbooks/maintenance.yml": old["playbooks/maintenance.yml"] + task(body)}
    [hit] = ans(old, new)
    assert (hit.where, hit.severity) == (("ANS101", "playbooks/maintenance.yml", line), severity)
    assert hit.message == message


def test_blocks_and_handlers(ans: Any, role: dict[str, str]) -> None:
    handlers = "roles/postgres/handlers/main.yml"
    new = role[handlers] + (
        "\n- name: Reset volumes\n  block:\n    - name: Drop the docker volume\n"
        "      community.docker.docker_volume:\n        name: pgdata\n        state: absent\n"
        "  rescue:\n    - ansible.builtin.debug: msg=failed\n"
    )
    assert [h.where for h in ans(role, {handlers: new})] == [("ANS101", handlers, 17)]


@pytest.mark.parametrize(
    "body",
    [
        "- name: Secure MySQL\n  mysql_db: name=test state=absent\n",
        "- name: Remove anonymous users\n  community.mysql.mysql_user:\n    name: ''\n    host_all: true\n    state: absent\n",
        "- name: Drop the scratch database\n  postgresql_db:\n    name: tmp_import\n    state: absent\n",
        '- name: Database per state\n  postgresql_db:\n    name: orders\n    state: "{{ db_state }}"\n',
        "- name: Make sure it exists\n  postgresql_db:\n    name: orders\n    state: present\n",
        "- name: Remove a deployment\n  kubernetes.core.k8s:\n    kind: Deployment\n    name: web\n    state: absent\n",
        "- name: Remove a file\n  kubernetes.core.k8s:\n    src: old.yaml\n    state: absent\n",
        "- name: Lock the account\n  ansible.builtin.user:\n    name: jdoe\n    state: absent\n",
        "- name: Remove a package\n  ansible.builtin.apt:\n    name: mysql-server\n    state: absent\n",
        "# - name: Drop it\n#   postgresql_db: name=orders state=absent\n",
        "- name: Prune a snapshot\n  zfs:\n    name: '{{ pool }}/orders@daily-1'\n    state: absent\n",
    ],
    ids=[
        "mysql-test-db",
        "anonymous-user",
        "throwaway-name",
        "variable-state",
        "present",
        "stateless-kind",
        "kind-unknown",
        "user-kept-home",
        "package",
        "comment",
        "zfs-snapshot",
    ],
)
def test_near_misses(ans: Any, body: str) -> None:
    old = {"playbooks/maintenance.yml": play(task("- name: Ping\n  ansible.builtin.ping:\n"))}
    new = {"playbooks/maintenance.yml": old["playbooks/maintenance.yml"] + task(body)}
    assert ans(old, new) == []


def test_moving_and_renaming_tasks_is_quiet(ans: Any) -> None:
    drop = "- name: Drop the legacy database\n  postgresql_db:\n    name: orders_v1\n    state: absent\n"
    old = {"roles/db/tasks/main.yml": "- name: Install\n  apt: name=postgresql\n" + drop}
    new: dict[str, str | None] = {
        "roles/db/tasks/main.yml": "- name: Install\n  apt: name=postgresql\n"
        "- import_tasks: cleanup.yml\n",
        "roles/db/tasks/cleanup.yml": drop.replace("Drop the legacy database", "Drop orders v1"),
    }
    assert ans(old, new) == []


def test_molecule_tests_and_docs_are_quiet(ans: Any, role: dict[str, str]) -> None:
    destroy = "roles/postgres/molecule/default/destroy.yml"
    new = role[destroy].replace("name: orders", "name: orders_v2")
    readme = "docs/cleanup.yml"
    doc = play(task("- name: Example\n  postgresql_db: name=orders state=absent\n"))
    assert ans(role, {destroy: new, readme: doc}) == []


def test_production_inventory_path_raises(ans: Any) -> None:
    old = {"prod/playbooks/db.yml": play(task("- name: Ping\n  ansible.builtin.ping:\n"))}
    body = "- name: Remove the volume\n  amazon.aws.ec2_vol:\n    id: vol-0abc\n    state: absent\n"
    [hit] = ans(old, {"prod/playbooks/db.yml": old["prod/playbooks/db.yml"] + task(body)})
    assert hit.severity == "critical"


BARE = """\
diff --git a/roles/db/tasks/main.yml b/roles/db/tasks/main.yml
--- a/roles/db/tasks/main.yml
+++ b/roles/db/tasks/main.yml
@@ -10,4 +10,4 @@
 - name: Manage the orders database
   community.mysql.mysql_db:
     name: orders
-    state: present
+    state: absent
"""

BARE_NO_MODULE = """\
diff --git a/roles/db/tasks/main.yml b/roles/db/tasks/main.yml
--- a/roles/db/tasks/main.yml
+++ b/roles/db/tasks/main.yml
@@ -12,2 +12,2 @@
     name: orders
-    state: present
+    state: absent
"""


def test_bare_diffs() -> None:
    assert found(run_diff(BARE, select=["ANS"])) == {("ANS101", "roles/db/tasks/main.yml", 13)}
    assert found(run_diff(BARE_NO_MODULE, select=["ANS"])) == set()
