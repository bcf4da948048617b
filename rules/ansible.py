"""Ansible rules: tasks a change adds that delete data when the play runs.

Tasks are read structurally (`changerisk.rules.ansible_tasks`): plays, roles' task and
handler files, blocks. A task fires only when the change adds it or turns it destructive, and
not when the same task (without its name) was already in the change's old files: moving tasks
between files, or renaming them, is not a new risk. Molecule scenarios, tests, examples and
docs are not read.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from changerisk.datafiles import read_text
from changerisk.parsers.ansible import FORMATS, Task, is_deployed, tasks_in, written
from changerisk.regex import lazy_compile
from changerisk.rule import Category, ChangeSet, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import data_directory

_THROWAWAY = lazy_compile(r"(?i)^(test|tmp|temp|scratch|dummy)([_-].*)?$")
_BARE = lazy_compile(r"^\{\{\s*([A-Za-z_][\w.\[\]'\"]*)\s*(\|[^}]*)?\}\}$")


@cache
def table() -> dict[str, Any]:
    """The curated module table (changerisk/data/ansible.json), by module name."""
    text = read_text("ansible.json")
    data: dict[str, Any] = json.loads(text)
    return {name: entry for entry in data["modules"] for name in entry["modules"]}


def tasks_of(change: FileChange, side: str = "new") -> tuple[Task, ...]:
    """Every task of one side of an Ansible file, read once per run."""

    def build() -> tuple[Task, ...]:
        path = change.new_path if side == "new" else change.old_path
        if change.is_binary or path is None:
            return ()
        text = change.old_text() if side == "old" else change.new_text()
        return tasks_in(text) if text else ()

    return change.cached(f"ansible-tasks:{side}", build)


def _tasks(changeset: ChangeSet) -> Iterator[tuple[FileChange, Task]]:
    """New-side tasks of deployed Ansible files that were not in the old files already:
    moving a task between files, or renaming it, is not a new risk."""

    def build() -> frozenset[tuple[str, object]]:
        return frozenset(
            task.signature
            for change in changeset.files
            if change.formats & FORMATS
            for task in tasks_of(change, "old")
        )

    before = changeset.cached("ansible-old-signatures", build)
    for change in changeset.files:
        if change.formats & FORMATS and change.new_path and is_deployed(change.path):
            for task in tasks_of(change):
                if task.signature not in before:
                    yield change, task


class StatefulResourceAbsent(Rule):
    """A task sets a database, bucket, instance, volume or cluster to `state: absent`.

    Modules from a curated table (`changerisk/data/ansible.json`): databases and their users
    (MySQL, PostgreSQL, SQL Server, MongoDB, InfluxDB), message brokers, AWS, Azure and Google
    Cloud instances, volumes, buckets, databases and clusters, CloudFormation stacks,
    OpenStack, VMware, Proxmox and LXD guests, Docker and Podman volumes, Kubernetes objects
    of stateful kinds and Helm releases, LVM, ZFS and partitions, Terraform projects, and
    users removed with their home. A state a variable decides, MySQL's anonymous test
    database and users, and throwaway names (test, tmp, scratch) are not reported.

    ## Why it matters
    `state: absent` is idempotent deletion: on every run, on every host the play targets, the
    database, bucket or volume is deleted if it exists. A play meant for one environment that
    runs against another (a wrong inventory, a missing `--limit`) deletes production data.

    ## Bad
    ```diff
    diff --git a/roles/orders/tasks/main.yml b/roles/orders/tasks/main.yml
    --- a/roles/orders/tasks/main.yml
    +++ b/roles/orders/tasks/main.yml
    @@ -1,4 +1,8 @@
     - name: Install PostgreSQL client
       ansible.builtin.apt:
         name: postgresql-client
         state: present
    +- name: Drop the legacy orders database
    +  community.postgresql.postgresql_db:
    +    name: orders_legacy
    +    state: absent
    ```

    ## Good
    ```diff
    diff --git a/roles/orders/tasks/main.yml b/roles/orders/tasks/main.yml
    --- a/roles/orders/tasks/main.yml
    +++ b/roles/orders/tasks/main.yml
    @@ -1,4 +1,8 @@
     - name: Install PostgreSQL client
       ansible.builtin.apt:
         name: postgresql-client
         state: present
    +- name: Create the orders database
    +  community.postgresql.postgresql_db:
    +    name: orders
    +    state: present
    ```
    """

    code = "ANS101"
    name = "ansible-stateful-resource-absent"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        modules = table()
        for change, task in _tasks(changeset):
            entry = modules.get(task.module)
            if entry is not None:
                finding = self._check(change, task, entry)
                if finding is not None:
                    yield finding

    def _check(self, change: FileChange, task: Task, entry: dict[str, Any]) -> Finding | None:
        [(param, values)] = entry["when"].items()
        node = task.param(param)
        value = task.text(param)
        if node is None or value is None or value.strip("'\"") not in values:
            return None  # another state, or one a variable decides
        if not all(task.is_true(name) for name in entry.get("requires", ())):
            return None
        names = [task.param(n) for n in entry["names"]]
        named = next((n for n in names if n is not None), None)
        label = written(task, named) if named is not None else ""
        routine = any(mark in label for mark in entry.get("routine_marks", ()))
        if label.strip("'\"") in entry.get("ignore_names", ()) or _THROWAWAY.match(label):
            return None
        if routine:
            return None  # a snapshot of a dataset, not the dataset
        severity = Severity.parse(entry["severity"])
        noun, consequence = entry["noun"], entry["consequence"]
        what = f"{noun} {label}".strip()
        if entry.get("kubernetes"):
            found = _kubernetes_kind(task)
            if found is None:
                return None
            what, severity, consequence = found
        forced = [f for f in entry.get("force", ()) if task.is_true(f)]
        if "force" in entry and not forced:
            severity = Severity.MEDIUM
            consequence = consequence.split(";")[0] + " if it is empty, and the task fails if not"
        if not task.touched(change.added_line_numbers, node):
            return None
        return self.finding(
            change,
            node.line if node.line in change.added_line_numbers else task.module_line,
            f"deletes {what} ({task.module}, {param}: {value}): {consequence}",
            hint="delete it by hand after a backup, or guard the task to the one host and "
            "environment meant (when: / --limit) and say so in the description",
            severity=severity,
        )


def _kubernetes_kind(task: Task) -> tuple[str, Severity, str] | None:
    """(object, severity, consequence) for a k8s task deleting a stateful kind, else None."""
    definition = task.param("definition", "resource_definition")
    if definition is not None and definition.kind != "map":
        definition = None

    def field(name: str, *path: str) -> str:
        value = task.text(name) or (definition.text(*path) if definition is not None else None)
        return (value or "").strip("'\"")

    from .kubernetes import CLUSTER_SCOPED, DELETION

    kind = field("kind", "kind")
    name = field("name", "metadata", "name")
    namespace = field("namespace", "metadata", "namespace")
    if kind not in DELETION:
        return None  # not a stateful or wide-reach kind (or a kind a variable decides)
    severity, consequence = DELETION[kind]
    where = f" in namespace {namespace}" if namespace and kind not in CLUSTER_SCOPED else ""
    what = f"{kind} {name}{where}" if name else kind
    return what, severity, consequence


# --- paths -----------------------------------------------------------------------------------


class Reach(NamedTuple):
    """What deleting a path reaches."""

    severity: Severity
    what: str
    confidence: Confidence = Confidence.HIGH


def reach(path: str) -> Reach | None:
    """How wide a literal absolute path is (None for a narrow or relative one)."""
    path = path.strip().strip("'\"")
    if path.endswith("/*"):
        path = path[:-2] or "/"
    if not path.startswith("/") or any(c in path for c in "*?[${%"):
        return None
    norm = posixpath.normpath(path)
    parts = [p for p in norm.split("/") if p]
    if not parts:
        return Reach(Severity.CRITICAL, "every file on the host")
    if len(parts) == 1:
        if parts[0] in ("tmp", "dev"):
            return None
        return Reach(Severity.CRITICAL, f"{norm} and everything under it")
    top, second = parts[0], parts[1]
    if top == "var" and second == "lib" and len(parts) >= 3:
        service = data_directory(norm)
        return None if service is None else Reach(Severity.HIGH, f"the data of {service} ({norm})")
    if len(parts) == 2:
        if top == "var" and second not in ("tmp", "cache"):
            return Reach(Severity.HIGH, f"{norm} and everything under it")
        if top in ("usr", "boot"):
            return Reach(Severity.HIGH, f"{norm} and everything under it")
        if top == "home":
            return Reach(Severity.HIGH, f"the home directory {norm}")
        if top in ("data", "srv", "mnt", "media"):
            return Reach(Severity.MEDIUM, f"{norm} and everything under it")
    return None


def _loop_items(task: Task) -> list[str] | None:
    """The literal paths a `loop:` / `with_items:` gives `{{ item }}`, else None."""
    loop = task.loop
    if loop is None or loop.kind != "seq":
        return None
    items = []
    for node in loop.items:
        if node.kind == "scalar":
            items.append(node.value)
        elif node.kind == "map" and node.text("path"):
            items.append(node.text("path") or "")
        else:
            return None
    return items


class BroadPathRemoved(Rule):
    """A `file` task with `state: absent` deletes a system or data directory.

    Fires on `ansible.builtin.file` (`path`, `dest` or `name`) set to `state: absent` on `/`
    or a top-level directory (critical), `/var/lib/<service>` data directories of databases
    and stores, `/var/<dir>`, `/usr/<dir>`, `/home/<user>` (high), `/data`, `/srv`, `/mnt`
    subdirectories (medium). Paths a `loop` lists are judged one by one. A path with a
    `{{ variable }}` in it is not judged: Ansible fails a task whose variable is undefined, and
    what a defined one holds is decided elsewhere (an inventory, a role default), as are loop
    items of a variable. Narrow paths (`/etc/nginx/sites-enabled/default`) are not reported.

    ## Why it matters
    `state: absent` deletes a directory recursively, without a prompt, on every host of the
    play. A data directory (`/var/lib/postgresql`) takes the database with it; a variable
    that is wrong on one host deletes whatever it names there.

    ## Bad
    ```diff
    diff --git a/roles/postgres/tasks/reset.yml b/roles/postgres/tasks/reset.yml
    --- a/roles/postgres/tasks/reset.yml
    +++ b/roles/postgres/tasks/reset.yml
    @@ -1,2 +1,7 @@
     - name: Stop PostgreSQL
       ansible.builtin.service: name=postgresql state=stopped
    +
    +- name: Remove the old cluster
    +  ansible.builtin.file:
    +    path: /var/lib/postgresql
    +    state: absent
    ```

    ## Good
    ```diff
    diff --git a/roles/postgres/tasks/reset.yml b/roles/postgres/tasks/reset.yml
    --- a/roles/postgres/tasks/reset.yml
    +++ b/roles/postgres/tasks/reset.yml
    @@ -1,2 +1,7 @@
     - name: Stop PostgreSQL
       ansible.builtin.service: name=postgresql state=stopped
    +
    +- name: Remove the default site
    +  ansible.builtin.file:
    +    path: /etc/nginx/sites-enabled/default
    +    state: absent
    ```
    """

    code = "ANS102"
    name = "ansible-broad-path-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = FORMATS
    scope = "changeset"

    _FILE = frozenset({"file", "ansible.builtin.file", "ansible.legacy.file"})

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for change, task in _tasks(changeset):
            if task.module not in self._FILE or task.text("state") not in ("absent", "'absent'"):
                continue
            node = task.param("path", "dest", "name")
            path = task.text("path", "dest", "name")
            if (
                node is None
                or path is None
                or not task.touched(change.added_line_numbers, node, task.param("state"))
            ):
                continue
            found = self._judge(task, path)
            if found is None:
                continue
            line = node.line if node.line in change.added_line_numbers else task.module_line
            yield self.finding(
                change,
                line,
                f"deletes {found.what} on every host of the play (file: state: absent)",
                hint="delete the narrowest path that does what is meant, and take a backup "
                "first when it holds data",
                severity=found.severity,
                confidence=found.confidence,
            )

    @staticmethod
    def _judge(task: Task, path: str) -> Reach | None:
        bare = _BARE.match(path.strip().strip("'\""))
        if bare and bare.group(1).split(".")[0] == "item":
            items = _loop_items(task)
            wide = [r for r in (reach(item) for item in items or ()) if r is not None]
            if not wide:
                return None
            whats = [r.what for r in wide]
            what = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " and " + whats[-1]
            return Reach(max(r.severity for r in wide), what)
        return reach(path)


RULES = (StatefulResourceAbsent, BroadPathRemoved)
