"""ANS102 ansible-broad-path-removed: `file: state=absent` on wide or data paths."""

from typing import Any

import pytest
from changerisk.rules.ansible import reach
from hypothesis import given
from hypothesis import strategies as st

from changerisk.model import Severity

MAIN = "roles/postgres/tasks/main.yml"


def removal(path: str, extra: str = "") -> str:
    return f"\n- name: Remove it\n  ansible.builtin.file:\n    path: {path}\n    state: absent\n{extra}"


@pytest.mark.parametrize(
    ("path", "severity", "confidence", "what"),
    [
        ("/", "critical", "high", "every file on the host"),
        ("/etc", "critical", "high", "/etc and everything under it"),
        ("/var/lib/docker", "high", "high", "the data of docker (/var/lib/docker)"),
        (
            "/var/lib/postgresql/16/main",
            "high",
            "high",
            "the data of postgresql (/var/lib/postgresql/16/main)",
        ),
        ("/var/log", "high", "high", "/var/log and everything under it"),
        ("/home/deploy", "high", "high", "the home directory /home/deploy"),
        ("/data/uploads", "medium", "high", "/data/uploads and everything under it"),
    ],
)
def test_wide_paths(
    ans: Any, role: dict[str, str], path: str, severity: str, confidence: str, what: str
) -> None:
    [hit] = ans(role, {MAIN: role[MAIN] + removal(path)})
    assert (hit.where, hit.severity, hit.confidence) == (("ANS102", MAIN, 50), severity, confidence)
    assert hit.message == f"deletes {what} on every host of the play (file: state: absent)"


def test_loop_items_are_judged_one_by_one(ans: Any, role: dict[str, str]) -> None:
    loop = "  loop:\n    - /var/lib/app/cache\n    - /var/lib/mysql\n"
    [hit] = ans(role, {MAIN: role[MAIN] + removal('"{{ item }}"', loop)})
    assert (hit.where, hit.severity) == (("ANS102", MAIN, 50), "high")
    assert hit.message.startswith("deletes the data of mysql (/var/lib/mysql) on every host")


def test_every_wide_loop_item_is_named(ans: Any, role: dict[str, str]) -> None:
    loop = "  loop:\n    - /etc/kubernetes/\n    - /var/lib/kubelet\n    - /var/lib/etcd\n"
    [hit] = ans(role, {MAIN: role[MAIN] + removal('"{{ item }}"', loop)})
    assert hit.message == (
        "deletes the data of kubelet (/var/lib/kubelet) and the data of etcd (/var/lib/etcd) "
        "on every host of the play (file: state: absent)"
    )


def test_free_form_and_dest(ans: Any, role: dict[str, str]) -> None:
    body = (
        "\n- name: Legacy\n  file: dest=/var/lib/redis state=absent\n"
        "\n- name: Legacy too\n  ansible.legacy.file:\n    dest: /srv/media\n    state: absent\n"
    )
    hits = ans(role, {MAIN: role[MAIN] + body})
    assert [(h.where, h.severity) for h in hits] == [
        (("ANS102", MAIN, 49), "high"),
        (("ANS102", MAIN, 53), "medium"),
    ]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/etc/nginx/sites-enabled/default", ""),
        ("/tmp/build", ""),
        ("/opt/app/releases/0.9.0", ""),
        ("/var/lib/mysql/mysql.sock", ""),
        ("releases/old", ""),
        ('"{{ download_dir }}"', ""),
        ('"{{ tempdir.path }}"', ""),
        ('"{{ item.path }}"', '  loop: "{{ old_backups.files }}"\n'),
        ('"{{ item }}"', "  loop:\n    - /opt/app/a.tar.gz\n    - /opt/app/b.tar.gz\n"),
        ('"/var/www/{{ site }}/cache"', ""),
        ("/var/lib/postgresql", "  when: false\n# state is absent, path would be wide\n"),
        # Ansible fails on an undefined variable; what a defined one holds is set elsewhere
        ('"{{ pg_data_dir }}"', ""),
        ('"{{ app_root }}/"', ""),
        ('"{{ prefix }}/var/lib/mysql"', ""),
        ('"{{ kube_config_dir }}/admission-controls.yaml"', ""),
    ],
    ids=[
        "narrow-config",
        "tmp",
        "old-release",
        "socket-file",
        "relative",
        "temporary-variable",
        "tempfile-result",
        "find-results",
        "literal-narrow-loop",
        "literal-prefix",
        "unchanged-elsewhere",
        "variable",
        "variable-prefix",
        "variable-then-data-directory",
        "variable-then-file",
    ],
)
def test_near_misses(ans: Any, role: dict[str, str], path: str, extra: str) -> None:
    if path == "/var/lib/postgresql":  # the same task already in the old files: not new
        old = dict(role, **{MAIN: role[MAIN] + removal(path)})
        assert ans(old, {MAIN: old[MAIN] + "\n# a comment\n"}) == []
        return
    assert ans(role, {MAIN: role[MAIN] + removal(path, extra)}) == []


def test_directory_state_is_quiet(ans: Any, role: dict[str, str]) -> None:
    new = role[MAIN] + removal("/var/lib/postgresql").replace("state: absent", "state: directory")
    assert ans(role, {MAIN: new}) == []


def test_reach_table() -> None:
    assert reach("/var/lib/mysql/")  # a trailing slash
    assert reach("/var/lib/mysql/*") == reach("/var/lib/mysql")
    assert reach("/var/cache") is None and reach("/var/tmp") is None
    assert reach("relative/var/lib") is None
    assert reach("/var/lib/foo") is None  # not a known data directory
    assert reach("{{ x }}") is None and reach("{{ x }}/") is None
    found = reach("'/'")
    assert found is not None and found.severity is Severity.CRITICAL


@given(st.text(max_size=60))
def test_path_judgement_never_raises(text: str) -> None:
    reach(text)
