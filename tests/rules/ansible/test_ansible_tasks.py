"""The Ansible task reader, format detection, and hostile input."""

import pytest
from changerisk.rules.ansible import tasks_of
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.formats import detect_formats
from changerisk.inputs import from_diff_bytes
from changerisk.parsers.yamldoc import parse_stream
from changerisk.testing import run_diff


def added(path: str, text: str) -> str:
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"


@pytest.mark.parametrize(
    ("path", "text", "ansible"),
    [
        ("roles/db/tasks/main.yml", "---\n- name: x\n  apt: name=x\n", True),
        (
            "roles/db/handlers/main.yaml",
            "- name: restart\n  service: name=x state=restarted\n",
            True,
        ),
        ("site.yml", "---\n- hosts: all\n  roles: [db]\n", True),
        ("deploy/site.yml", "- name: Deploy\n  hosts: web\n  tasks: []\n", True),
        ("playbooks/reset.yml", "- name: a\n  import_tasks: b.yml\n", True),
        ("ops/anything.yml", "# play\n- name: Patch\n  hosts: all\n  become: true\n", True),
        ("roles/db/defaults/main.yml", "db_name: x\n", False),
        ("tekton/tasks/build.yaml", "apiVersion: tekton.dev/v1\nkind: Task\n", False),
        ("docker-compose.yml", "services:\n  a: {}\n", False),
        (".github/workflows/tasks/x.yml", "- a\n", False),
        ("charts/x/templates/tasks/job.yaml", "- a\n", False),
        ("config/list.yml", "- a\n- b\n", False),
    ],
)
def test_detection(path: str, text: str, ansible: bool) -> None:
    assert ("ansible" in detect_formats(path, text)) is ansible


def test_the_reader_walks_plays_blocks_and_free_form() -> None:
    text = """\
- name: Site
  hosts: all
  vars: {x: 1}
  pre_tasks:
    - ansible.builtin.debug: msg=start
  tasks:
    - name: Grouped
      block:
        - name: Inner
          community.mysql.mysql_db: name=shop state=absent
      rescue:
        - local_action: ansible.builtin.command echo failed
      always:
        - action:
            module: ansible.builtin.file
            path: /tmp/x
            state: absent
    - name: With args
      ansible.builtin.shell: "rm -rf {{ dir }}/"
      args:
        chdir: /srv
      loop: "{{ dirs }}"
  handlers:
    - name: Restart
      service: name=x state=restarted
"""
    [change] = from_diff_bytes(added("site.yml", text).encode(), origin="t", source="diff").files
    tasks = tasks_of(change)
    assert [(t.module, t.module_line) for t in tasks] == [
        ("ansible.builtin.debug", 5),
        ("community.mysql.mysql_db", 10),
        ("ansible.builtin.command", 12),
        ("ansible.builtin.file", 15),
        ("ansible.builtin.shell", 19),
        ("service", 25),
    ]
    assert tasks[1].text("state") == "absent" and tasks[1].text("name") == "shop"
    assert tasks[3].text("path") == "/tmp/x"
    assert tasks[4].free is not None and tasks[4].free.value == "rm -rf {{ dir }}/"
    assert tasks[4].text("chdir") == "/srv" and tasks[4].loop is not None


def test_unmasked_yaml_keeps_jinja_as_written() -> None:
    text = 'path: "{{ data_dir }}/x"\n'
    assert parse_stream(text).roots[0].text("path") == "TEMPLATE/x"
    assert parse_stream(text, mask=False).roots[0].text("path") == "{{ data_dir }}/x"


ANSIBLISH = st.lists(
    st.sampled_from(
        [
            *list("ab:-{}[]\n #|>'\"=&*!"),
            "- name: x\n",
            "  hosts: all\n",
            "  tasks:\n",
            "  block:\n",
            "    - ",
            "  ansible.builtin.file:\n",
            "    path: /var/lib/mysql\n",
            "    state: absent\n",
            "  shell: rm -rf /\n",
            "  postgresql_db: name=x state=absent\n",
            "  action: file path=/ state=absent\n",
            "  k8s:\n    kind: Namespace\n",
            "{{ item }}",
            "  loop:\n",
            "  args:\n",
            "  argv: [dropdb, x]\n",
            "\t",
            "\n---\n",
        ]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=ANSIBLISH)
@example(text="- action:\n    module: [x]\n")
@example(text="- shell: |\n    rm -rf $'\\x00'\n")
@example(text="- file: path='unclosed state=absent\n")
def test_random_tasks_never_crash_the_rules(text: str) -> None:
    if not text.strip():
        return
    try:
        run_diff(added("roles/x/tasks/main.yml", text), select=["ANS"])
    except Exception as exc:  # the diff reader may refuse odd input; rules must not crash
        assert type(exc).__name__ == "InputError", exc
