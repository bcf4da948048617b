"""Ansible `shell`, `command` and `raw` tasks are scripts: the shell rules (SH1xx) read them."""

from typing import Any

import pytest

from changerisk.testing import found, run_diff

PLAY = "playbooks/maintenance.yml"
HEAD = "- name: Maintenance\n  hosts: db\n  become: true\n  tasks:\n    - name: Ping\n      ansible.builtin.ping:\n"


def tasks(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.strip("\n").splitlines())


@pytest.mark.parametrize(
    ("body", "where", "severity", "message"),
    [
        (
            "- name: Reset\n  ansible.builtin.command: dropdb --if-exists orders\n",
            ("SH106", 8),
            "high",
            "drops PostgreSQL database orders: every table and row in it is deleted",
        ),
        (
            "- name: Reset\n  ansible.builtin.command:\n    argv: [dropdb, orders]\n",
            ("SH106", 9),
            "high",
            "drops PostgreSQL database orders: every table and row in it is deleted",
        ),
        (
            '- name: Drop\n  shell: psql -U postgres -c "DROP DATABASE IF EXISTS orders"\n',
            ("SH106", 8),
            "high",
            "runs psql: drops database orders and every table in it",
        ),
        (
            "- name: Empty sessions\n  command: mysql -e 'TRUNCATE TABLE app.sessions'\n",
            ("SH106", 8),
            "high",
            "runs mysql: deletes every row of table app.sessions",
        ),
        (
            "- name: Tear down\n  ansible.builtin.command:\n    cmd: terraform destroy -auto-approve\n"
            "    chdir: /srv/infra\n",
            ("SH101", 9),
            "critical",
            "runs terraform destroy: deletes every resource in the workspace without confirmation",
        ),
        (
            "- name: Remove the namespace\n  ansible.builtin.shell: kubectl delete namespace payments\n",
            ("SH103", 8),
            "high",
            "deletes Kubernetes namespace payments and every object in it",
        ),
        (
            "- name: Wipe\n  ansible.builtin.shell: |\n    systemctl stop mysql\n"
            "    rm -rf /var/lib/mysql\n",
            ("SH107", 10),
            "high",
            "runs rm on /var/lib/mysql: deletes the data of mysql",
        ),
        (
            "- name: Flush\n  ansible.builtin.command: redis-cli -h cache FLUSHALL\n",
            ("SH106", 8),
            "high",
            "runs redis-cli FLUSHALL: deletes every key in every database of the Redis server cache",
        ),
        (
            "- name: Format\n  ansible.builtin.command: mkfs.ext4 -F /dev/nvme1n1\n",
            ("SH107", 8),
            "critical",
            "runs mkfs.ext4 on /dev/nvme1n1: every file on the device is lost",
        ),
        (
            "- name: Delete the stack\n  ansible.builtin.command: >-\n"
            "    aws cloudformation delete-stack --stack-name {{ stack }}\n",
            ("SH104", 9),
            "high",
            "deletes CloudFormation stack ${stack} and every resource in it",
        ),
    ],
    ids=[
        "dropdb",
        "argv",
        "psql-drop",
        "mysql-truncate",
        "terraform",
        "kubectl",
        "rm-data-directory",
        "redis",
        "mkfs",
        "jinja-name",
    ],
)
def test_destructive_commands(
    ans: Any, body: str, where: tuple[str, int], severity: str, message: str
) -> None:
    [hit] = ans({PLAY: HEAD}, {PLAY: HEAD + tasks(body)}, select="SH")
    assert (hit.where, hit.severity) == ((where[0], PLAY, where[1]), severity)
    assert hit.message == message


def test_delete_then_recreate_in_one_play(ans: Any) -> None:
    body = tasks(
        "- name: Drop\n  ansible.builtin.command: dropdb orders\n"
        "- name: Create\n  ansible.builtin.command: createdb orders\n"
    )
    hits = ans({PLAY: HEAD}, {PLAY: HEAD + body}, select="SH201")
    assert [h.where for h in hits] == [("SH201", PLAY, 8)]


@pytest.mark.parametrize(
    "body",
    [
        '- name: Say\n  shell: echo "rm -rf /var/lib/mysql"\n',
        "- name: Script\n  shell: |\n    # rm -rf /var/lib/mysql\n    systemctl restart mysql\n",
        "- name: Back up\n  command: pg_dump --format=custom --file=/backup/orders.dump orders\n",
        "- name: Clean\n  shell: rm -rf /tmp/build /var/tmp/cache\n",
        "- name: Socket\n  file: path=/run/mysqld state=directory\n",
        "- name: Socket\n  command: rm -f /var/lib/mysql/mysql.sock\n",
        "- name: Plan\n  command: terraform plan -destroy -out=destroy.tfplan\n",
        '- name: Whole path in a variable\n  shell: rm -rf "{{ release_dir }}"\n',
        "- name: Temp\n  shell: rm -rf {{ tmp_dir }}/\n",
        # Ansible fails a task whose variable is undefined: `{{ root }}/` is never `/`
        "- name: Clean\n  ansible.builtin.shell: rm -rf {{ app_root }}/\n",
        "- name: Loop device\n  command: mkfs.ext4 /dev/loop0\n",
        "- name: Help\n  command: dropdb --help\n",
        "- name: Pods\n  command: kubectl delete pod web-0 -n payments\n",
        "- name: Select\n  command: psql -c 'SELECT count(*) FROM orders'\n",
    ],
    ids=[
        "echo",
        "comment",
        "pg-dump",
        "tmp",
        "not-a-command",
        "not-recursive",
        "plan-only",
        "bare-variable",
        "temporary-variable",
        "jinja-variable",
        "loop-device",
        "help",
        "pod",
        "select",
    ],
)
def test_near_misses(ans: Any, body: str) -> None:
    assert ans({PLAY: HEAD}, {PLAY: HEAD + tasks(body)}, select="SH") == []


def test_an_existing_command_edited_elsewhere_is_quiet(ans: Any) -> None:
    body = tasks("- name: Reset\n  ansible.builtin.command: dropdb --if-exists orders\n")
    old = {PLAY: HEAD + body}
    new = {PLAY: HEAD + body.replace("- name: Reset", "- name: Reset the orders database")}
    assert ans(old, new, select="SH") == []


def test_role_fixture_backup_task_is_quiet(ans: Any, role: dict[str, str]) -> None:
    backup = "roles/postgres/tasks/backup.yml"
    changed = role[backup].replace("--format=custom", "--format=directory")
    assert ans(role, {backup: changed}, select="SH") == []


BARE = """\
diff --git a/roles/db/tasks/reset.yml b/roles/db/tasks/reset.yml
--- a/roles/db/tasks/reset.yml
+++ b/roles/db/tasks/reset.yml
@@ -4,2 +4,4 @@
 - name: Stop the database
   ansible.builtin.service: name=postgresql state=stopped
+- name: Drop it
+  ansible.builtin.command: dropdb orders
"""


def test_bare_diff() -> None:
    assert found(run_diff(BARE, select=["SH"])) == {("SH106", "roles/db/tasks/reset.yml", 7)}


MOLECULE = BARE.replace("roles/db/tasks/reset.yml", "roles/db/molecule/default/prepare.yml")


def test_molecule_scenarios_are_not_read() -> None:
    assert run_diff(MOLECULE, select=["SH"]).findings == ()
