"""Host access rules: who may log in or become root on a machine (sudoers, PAM, SSH
authorized keys), and file modes that let anyone write a file or run it as its owner
(`chmod 777`, setuid), in configuration files, scripts, Dockerfiles and CI jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from changerisk.formats import SCRIPT_FORMATS
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity, Status

if TYPE_CHECKING:
    from changerisk.parsers.shell import Command

# The shell reader is imported where a script is read: GOV106 looks at every file, and a
# change without scripts never needs it.

_SUDOERS_PATH = lazy_compile(r"(^|/)(sudoers(\.d/[^/]+)?|sudoers\.d/[^/]+)$")
_PAM_PATH = lazy_compile(r"(^|/)(pam\.d/[^/]+|pam\.conf)$")
_KEYS_PATH = lazy_compile(r"(^|/)authorized_keys2?$")
_NOPASSWD_ALL = lazy_compile(r"NOPASSWD\s*:\s*(ALL\b|.*\bALL\s*$)")
_SUDO_ALL = lazy_compile(r"=\s*(\([^)]*\)\s*)?(NOPASSWD\s*:\s*)?ALL\s*$")
_KEY_LINE = lazy_compile(
    r"(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+@openssh\.com)\s+\S+(\s+(.*))?"
)
_WRITES_KEYS = lazy_compile(r"(>>?|\btee\b(\s+-a)?)\s*['\"]?\S*authorized_keys")
_WRITES_SUDOERS = lazy_compile(r"(>>?|\btee\b(\s+-a)?|\bvisudo\b)\s*['\"]?\S*sudoers")


def _code_lines(change: FileChange) -> Iterator[tuple[int, str]]:
    for line in change.added_lines:
        text = line.text.strip()
        if line.new_no and text and not text.startswith("#"):
            yield line.new_no, text


class LoginAccessWidened(Rule):
    """Sudo rules, PAM configuration or SSH authorized keys are edited to let more people in,
    or in as root.

    ## Why it matters
    `NOPASSWD: ALL` makes every command root without a password; a PAM line with
    `pam_permit.so` lets anyone authenticate; a key added to `authorized_keys` logs its
    holder in for good. These edits grant access to machines outside every review tool
    but this one. Reported in sudoers files, `pam.d/`, `authorized_keys`, and in scripts,
    Dockerfiles and cloud-init or Ansible YAML that write them.

    ## Bad
    ```diff
    diff --git a/images/base/sudoers.d/deploy b/images/base/sudoers.d/deploy
    --- a/images/base/sudoers.d/deploy
    +++ b/images/base/sudoers.d/deploy
    @@ -1,1 +1,1 @@
    -deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app
    +deploy ALL=(ALL) NOPASSWD: ALL
    ```

    ## Good
    ```diff
    diff --git a/images/base/sudoers.d/deploy b/images/base/sudoers.d/deploy
    --- a/images/base/sudoers.d/deploy
    +++ b/images/base/sudoers.d/deploy
    @@ -1,1 +1,2 @@
     deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app
    +# the deploy user restarts the app only
    ```
    """

    code = "GOV106"
    name = "host-login-access-widened"
    category = Category.ACCESS
    severity = Severity.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        path = change.path
        if change.is_binary or change.status is Status.DELETED:
            return
        if _SUDOERS_PATH.search(path):
            yield from self._sudoers(change)
        elif _PAM_PATH.search(path):
            yield from self._pam(change)
        elif _KEYS_PATH.search(path):
            yield from self._keys(change)
        elif change.formats & SCRIPT_FORMATS or "yaml" in change.formats:
            yield from self._written(change)

    def _sudoers(self, change: FileChange) -> Iterator[Finding]:
        for number, text in _code_lines(change):
            if text.startswith(("Defaults", "@include", "#include")):
                if re.search(r"!\s*authenticate\b", text):
                    yield self.finding(
                        change,
                        number,
                        "sudo stops asking for a password (Defaults !authenticate)",
                        hint="keep authentication on",
                    )
                continue
            if re.match(r"(User|Runas|Host|Cmnd)_Alias\b", text):
                continue
            who = text.split()[0]
            if _NOPASSWD_ALL.search(text):
                message = f"lets {who} run every command as root without a password"
                severity = Severity.HIGH
            elif _SUDO_ALL.search(text):
                message = f"lets {who} run every command as root"
                severity = Severity.HIGH
            else:
                message = f"grants {who} sudo rights ({text})"
                severity = Severity.MEDIUM
            yield self.finding(
                change,
                number,
                message,
                hint="grant the exact commands needed, with a password",
                severity=severity,
            )

    def _pam(self, change: FileChange) -> Iterator[Finding]:
        service = change.path.rsplit("/", 1)[-1]
        for number, text in _code_lines(change):
            if "pam_permit.so" in text and re.match(r"(auth|account)\b", text):
                message = (
                    f"PAM service {service}: pam_permit.so accepts every login, without a password"
                )
                severity = Severity.CRITICAL
            elif re.search(r"\bnullok\b", text):
                message = f"PAM service {service}: accounts with an empty password may log in"
                severity = Severity.HIGH
            else:
                message = f"PAM service {service}: changes how logins are authenticated ({text})"
                severity = Severity.MEDIUM
            yield self.finding(
                change,
                number,
                message,
                hint="have the owners of host access review PAM edits",
                severity=severity,
            )
        for line in change.removed_lines:
            text = line.text.strip()
            if (
                line.old_no
                and re.match(r"auth\b.*\b(required|requisite)\b", text)
                and not any(added.text.strip() == text for added in change.added_lines)
            ):
                yield self.finding(
                    change,
                    line.old_no,
                    f"PAM service {service}: removes a required authentication step ({text})",
                    hint="keep the step, or replace it in the same change",
                    severity=Severity.HIGH,
                    side="old",
                )

    def _keys(self, change: FileChange) -> Iterator[Finding]:
        user = _user_of(change.path)
        for number, text in _code_lines(change):
            match = _KEY_LINE.search(text)
            if match is None:
                continue
            comment = (match.group(4) or "").strip() or "no comment"
            forced = text.startswith("command=")
            yield self.finding(
                change,
                number,
                f"adds an SSH key ({comment}) that logs in as {user}"
                + (" (limited to a forced command)" if forced else ""),
                hint="confirm whose key it is, and prefer short-lived certificates",
                severity=Severity.LOW if forced else Severity.MEDIUM,
            )

    def _written(self, change: FileChange) -> Iterator[Finding]:
        if change.formats & SCRIPT_FORMATS:
            from .shell_common import added_commands, confidence_of

            for command, line in added_commands(change):
                found = _script_write(command)
                if found is not None:
                    message, severity = found
                    yield self.finding(
                        change,
                        line,
                        message,
                        hint="grant the exact commands needed, with a password; "
                        "deliver SSH keys through your identity provider",
                        severity=severity,
                        confidence=confidence_of(change),
                    )
        if "yaml" in change.formats and not change.formats & {"github-workflow", "ci"}:
            for number, text in _code_lines(change):
                if _NOPASSWD_ALL.search(text):
                    yield self.finding(
                        change,
                        number,
                        "configures passwordless sudo for every command (NOPASSWD: ALL)",
                        hint="grant the exact commands needed",
                        confidence=Confidence.MEDIUM,
                    )


def _script_write(command: Command) -> tuple[str, Severity] | None:
    text = command.text + "\n" + command.stdin
    if _WRITES_SUDOERS.search(command.text) or (
        command.program in ("tee", "cat", "echo", "printf") and "sudoers" in command.text
    ):
        if _NOPASSWD_ALL.search(text):
            return "writes a sudo rule that runs every command as root without a password", (
                Severity.HIGH
            )
        return None
    if _NOPASSWD_ALL.search(text) and command.program in ("echo", "printf", "tee", "cat"):
        return "writes a sudo rule that runs every command as root without a password", (
            Severity.HIGH
        )
    if _WRITES_KEYS.search(command.text):
        return "adds an SSH key to authorized_keys: its holder logs in to the machine", (
            Severity.MEDIUM
        )
    return None


def _user_of(path: str) -> str:
    """`home/deploy/.ssh/authorized_keys` logs in as deploy, `root/.ssh/…` as root."""
    parts = path.split("/")
    if ".ssh" in parts:
        index = parts.index(".ssh")
        if index >= 1 and parts[index - 1] == "root":
            return "root"
        if index >= 2 and parts[index - 2] == "home":
            return parts[index - 1]
    return "the account whose home holds it"


# --- file modes ---------------------------------------------------------------------------------

_TMP = lazy_compile(r"^/(tmp|var/tmp|dev/shm)(/|$)")


def _mode(mode: str) -> tuple[bool, bool]:
    """(world-writable, setuid or setgid) of a chmod mode, octal or symbolic."""
    if re.fullmatch(r"[0-7]{3,4}", mode):
        digits = mode.zfill(4)
        special = int(digits[0])
        return bool(int(digits[3]) & 2), bool(special & 6)
    writable = setuid = False
    for clause in mode.split(","):
        match = re.fullmatch(r"([ugoa]*)([-+=])([rwxXst]*)", clause)
        if match is None:
            continue
        who, op, perms = match.groups()
        if op == "-":
            continue
        if "w" in perms and ("o" in who or "a" in who):
            writable = True
        if "s" in perms and ("u" in who or "g" in who or who in ("", "a")):
            setuid = True
    return writable, setuid


class WorldWritableOrSetuid(Rule):
    """A script or Dockerfile makes files writable by everyone (`chmod 777`, `o+w`) or setuid
    or setgid (`chmod u+s`, `4755`).

    ## Why it matters
    A world-writable program, config or directory lets any process on the machine or in the
    container replace what runs next; a setuid binary runs as its owner (usually root) for
    whoever starts it. Both turn a small foothold into control. `/tmp`-like directories and
    the sticky bit (`1777`) are not reported.

    ## Bad
    ```diff
    diff --git a/Dockerfile b/Dockerfile
    --- a/Dockerfile
    +++ b/Dockerfile
    @@ -1,3 +1,4 @@
     FROM python:3.12-slim
     COPY app /srv/app
    +RUN chmod -R 777 /srv/app
     CMD ["python", "/srv/app/main.py"]
    ```

    ## Good
    ```diff
    diff --git a/Dockerfile b/Dockerfile
    --- a/Dockerfile
    +++ b/Dockerfile
    @@ -1,3 +1,4 @@
     FROM python:3.12-slim
     COPY app /srv/app
    +RUN chmod -R 755 /srv/app
     CMD ["python", "/srv/app/main.py"]
    ```
    """

    code = "GOV107"
    name = "file-mode-world-writable-or-setuid"
    category = Category.ACCESS
    severity = Severity.MEDIUM
    formats = SCRIPT_FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        from .shell_common import added_commands, confidence_of

        for command, line in added_commands(change):
            if command.program != "chmod":
                continue
            args = [
                a
                for a in command.argv[1:]
                if not a.startswith("-") or re.fullmatch(r"-[rwxXst]+", a)
            ]
            if len(args) < 2:
                continue
            mode, targets = args[0], [t for t in args[1:] if not _TMP.match(t)]
            if not targets:
                continue
            writable, setuid = _mode(mode)
            sticky = re.fullmatch(r"1[0-7]{3}", mode) is not None
            where = " ".join(targets)
            recursive = any(
                a in ("-R", "--recursive") or re.fullmatch(r"-\w*R\w*", a) for a in command.argv[1:]
            )
            if setuid:
                yield self.finding(
                    change,
                    line,
                    f"makes {where} setuid/setgid (chmod {mode}): it runs as its owner, "
                    "usually root, for whoever starts it",
                    hint="give the program the one capability it needs (setcap), or run the "
                    "privileged step at build time",
                    severity=Severity.HIGH,
                    confidence=confidence_of(change),
                )
            elif writable and not sticky:
                yield self.finding(
                    change,
                    line,
                    f"makes {where} writable by every user (chmod {'-R ' if recursive else ''}"
                    f"{mode}): any process can replace what runs or is read there",
                    hint="give ownership to the user that writes (chown) and keep 755/644",
                    confidence=confidence_of(change),
                )


RULES = (LoginAccessWidened, WorldWritableOrSetuid)
