"""GOV106 (sudoers, PAM, authorized_keys) and GOV107 (chmod world-writable or setuid)."""

from typing import Any

import pytest

from changerisk.testing import run_diff


def added(path: str, *lines: str, context: str = "") -> str:
    body = "".join(f"+{line}\n" for line in lines)
    if context:
        return (
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -1,1 +1,{len(lines) + 1} @@\n {context}\n{body}"
        )
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def check(diff: str, select: str) -> set[Any]:
    return {
        (f.code, f.path, f.line, f.severity.label, f.message)
        for f in run_diff(diff, select=[select]).findings
    }


CASES = [
    (
        "sudoers nopasswd all",
        added("ops/sudoers.d/ci", "ci ALL=(ALL) NOPASSWD: ALL"),
        {
            (
                "GOV106",
                "ops/sudoers.d/ci",
                1,
                "high",
                "lets ci run every command as root without a password",
            )
        },
    ),
    (
        "sudoers one command",
        added("ops/sudoers.d/ci", "ci ALL=(root) /usr/bin/systemctl restart app"),
        {
            (
                "GOV106",
                "ops/sudoers.d/ci",
                1,
                "medium",
                "grants ci sudo rights (ci ALL=(root) /usr/bin/systemctl restart app)",
            )
        },
    ),
    (
        "pam permit",
        added("etc/pam.d/sshd", "auth sufficient pam_permit.so", context="# sshd"),
        {
            (
                "GOV106",
                "etc/pam.d/sshd",
                2,
                "critical",
                "PAM service sshd: pam_permit.so accepts every login, without a password",
            )
        },
    ),
    (
        "authorized key",
        added(
            "hosts/bastion/.ssh/authorized_keys",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq contractor@laptop",
        ),
        {
            (
                "GOV106",
                "hosts/bastion/.ssh/authorized_keys",
                1,
                "medium",
                "adds an SSH key (contractor@laptop) that logs in as the account whose home holds it",
            )
        },
    ),
    (
        "script writes sudoers",
        added("scripts/setup.sh", "#!/bin/sh", "echo 'app ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers"),
        {
            (
                "GOV106",
                "scripts/setup.sh",
                2,
                "high",
                "writes a sudo rule that runs every command as root without a password",
            )
        },
    ),
    (
        "cloud-init sudo",
        added(
            "infra/user-data.yaml", "users:", "  - name: ops", "    sudo: ALL=(ALL) NOPASSWD:ALL"
        ),
        {
            (
                "GOV106",
                "infra/user-data.yaml",
                3,
                "high",
                "configures passwordless sudo for every command (NOPASSWD: ALL)",
            )
        },
    ),
    (
        "docs mention is quiet",
        added("docs/setup.md", "Add `ci ALL=(ALL) NOPASSWD: ALL` to sudoers"),
        set(),
    ),
    ("sudoers comment is quiet", added("ops/sudoers.d/ci", "# ci ALL=(ALL) NOPASSWD: ALL"), set()),
]


@pytest.mark.parametrize(("case", "diff", "expected"), CASES, ids=[c[0] for c in CASES])
def test_gov106(case: str, diff: str, expected: set[Any]) -> None:
    assert check(diff, "GOV106") == expected


CHMOD = [
    (
        "chmod 777 in Dockerfile",
        added("Dockerfile", "FROM alpine", "RUN chmod -R 777 /srv/app"),
        {
            (
                "GOV107",
                "Dockerfile",
                2,
                "medium",
                "makes /srv/app writable by every user (chmod -R 777): any process can replace what "
                "runs or is read there",
            )
        },
    ),
    (
        "setuid",
        added("scripts/install.sh", "#!/bin/bash", "sudo chmod u+s /usr/local/bin/backup"),
        {
            (
                "GOV107",
                "scripts/install.sh",
                2,
                "high",
                "makes /usr/local/bin/backup setuid/setgid (chmod u+s): it runs as its owner, usually "
                "root, for whoever starts it",
            )
        },
    ),
    (
        "octal setuid",
        added("scripts/install.sh", "#!/bin/bash", "chmod 4755 /opt/tool"),
        {
            (
                "GOV107",
                "scripts/install.sh",
                2,
                "high",
                "makes /opt/tool setuid/setgid (chmod 4755): it runs as its owner, usually root, for "
                "whoever starts it",
            )
        },
    ),
    (
        "tmp and sticky are quiet",
        added("scripts/x.sh", "#!/bin/sh", "chmod 777 /tmp/cache", "chmod 1777 /srv/shared"),
        set(),
    ),
    (
        "755 and +x are quiet",
        added("scripts/x.sh", "#!/bin/sh", "chmod 755 bin/run", "chmod +x bin/run"),
        set(),
    ),
    ("markdown is quiet", added("README.md", "run `chmod 777 /srv/app` if it fails"), set()),
]


@pytest.mark.parametrize(("case", "diff", "expected"), CHMOD, ids=[c[0] for c in CHMOD])
def test_gov107(case: str, diff: str, expected: set[Any]) -> None:
    assert check(diff, "GOV107") == expected
