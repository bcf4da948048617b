"""File wipe commands: `rm -rf` of `/`, `~`, `*`, a service's data directory or a path whose
variable may be empty, disks formatted or volumes removed, and Docker volume deletes, added to
scripts, CI jobs, recipes and Ansible tasks.
"""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import (
    Variables,
    Wipe,
    added_commands,
    confidence_of,
    data_directory,
    is_ci,
    is_dev_tooling,
    leading_empty_path,
    listed,
    named,
    read_options,
    references,
    variables_in,
)

_ROOT = frozenset({"/", "/*", "/.*"})
_HOME = frozenset({"~", "~/", "~/*", "$HOME", "$HOME/", "$HOME/*", "${HOME}", "${HOME}/"})
_HOME |= {"${HOME}/*"}
_HERE = frozenset({"*", "./*", ".*", "./.*"})


def rm_wipe(command: Command, variables: Variables) -> Wipe | None:
    """`rm -r` of the root, a home directory, everything here, or `$VAR/…` with `VAR` maybe
    empty (`${VAR:?}`, a default, a literal assignment or a test of `$VAR` make it safe)."""
    program = command.program
    if program == "rimraf":
        targets = [arg for arg in command.argv[1:] if not arg.startswith("-")]
        recursive = True
    elif program == "rm":
        options, targets = read_options(command.argv)
        recursive = any(name in ("r", "R", "recursive") for name, _ in options)
    else:
        return None
    if not recursive:
        return None
    found: list[Wipe] = []
    for target in targets:
        if target in _ROOT:
            said = "deletes every file on the machine"
            found.append(
                Wipe(f"runs {program} on {target}: {said}", Severity.CRITICAL, kind="root")
            )
        elif target in _HOME:
            said = "deletes the home directory of the user it runs as"
            found.append(Wipe(f"runs {program} on {target}: {said}", Severity.HIGH, kind="home"))
        elif target in _HERE:
            said = "deletes everything in the working directory, wherever that is when it runs"
            found.append(Wipe(f"runs {program} on {target}: {said}", Severity.MEDIUM, kind="here"))
        elif target.startswith("/") and (service := data_directory(target.rstrip("*"))):
            said = f"deletes the data of {service}"
            found.append(Wipe(f"runs {program} on {target}: {said}", Severity.HIGH, kind="data"))
        else:
            path = _empty_variable_path(target, variables)
            if path is not None:
                found.append(path)
    return max(found, key=lambda wipe: wipe.severity) if found else None


# Block devices that hold nothing that lasts: loop devices (disk images), RAM disks.
_SCRATCH_DEVICE = lazy_compile(r"^/dev/(loop|ram|zram|null$|zero$|std(out|err)$)")


def device_wipe(command: Command) -> Wipe | None:
    """`mkfs`, `wipefs`, `blkdiscard`, `sgdisk --zap-all` or `dd of=` on a block device, and
    `lvremove`, `vgremove`, `zfs destroy`, `zpool destroy`: the volume and its data are gone."""
    program, args = command.program, list(command.argv[1:])
    if program == "dd":
        devices = [arg[3:] for arg in args if arg.startswith("of=/dev/")]
    elif (
        program.startswith("mkfs")
        or program in ("wipefs", "blkdiscard", "mke2fs")
        or (program in ("sgdisk", "sfdisk") and {"--zap-all", "-Z", "--delete"} & set(args))
    ):
        devices = [arg for arg in args if arg.startswith("/dev/")]
    else:
        return _volume_wipe(program, args)
    devices = [device for device in devices if not _SCRATCH_DEVICE.match(device)]
    if not devices:
        return None
    return Wipe(
        f"runs {program} on {listed(devices)}: every file on the device is lost",
        Severity.CRITICAL,
        kind="device",
    )


def _volume_wipe(program: str, args: list[str]) -> Wipe | None:
    words = [arg for arg in args if not arg.startswith("-")]
    if program in ("lvremove", "vgremove") and words:
        what = "logical volume" if program == "lvremove" else "volume group"
        return Wipe(
            f"runs {program}: deletes {what} {listed(words)} and the data on it",
            Severity.HIGH,
            kind="device",
        )
    if program in ("zfs", "zpool") and words[:1] == ["destroy"] and len(words) > 1:
        what = "ZFS dataset" if program == "zfs" else "ZFS pool"
        return Wipe(
            f"runs {program} destroy: deletes {what} {words[-1]} and the data in it",
            Severity.HIGH,
            kind="device",
        )
    return None


# Top-level directories whose loss breaks the machine or loses its data.
_SYSTEM_DIRECTORIES = frozenset(
    {"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "mnt", "opt", "root", "sbin"}
    | {"srv", "usr", "var", "data", "Users", "Library", "System", "Applications", "Volumes"}
)


def reaches_the_system(path: str) -> bool:
    """Whether an absolute path is the root, everything under it (`/*`), a top-level system
    directory, or a top-level name the shell expands (`/v*`, `/$SUB`); `/dist` or
    `/alias/lts` only name something that is not there."""
    parts = [part for part in path.split("/") if part]
    if not parts:
        return True
    if len(parts) > 1:
        return False
    name = parts[0]
    return name in _SYSTEM_DIRECTORIES or any(c in name for c in "*?[$")


def _empty_variable_path(target: str, variables: Variables) -> Wipe | None:
    path = leading_empty_path(target, variables)
    if path is None or not reaches_the_system(path):
        return None
    head = target[: len(target) - len(path)]
    names = list(dict.fromkeys(references(head)))
    shown = listed(names) if names else "the variable"
    verb = "are" if len(names) > 1 else "is"
    return Wipe(
        f"runs rm -r on {target}: when {shown} {verb} empty or unset, that is {path}",
        Severity.HIGH,
        kind="variable",
    )


def docker_wipe(command: Command) -> Wipe | None:
    program, argv = command.program, command.argv
    if program == "docker-compose":
        argv = ("docker", "compose", *argv[1:])
    elif program not in ("docker", "podman"):
        return None
    valued = {"file", "p", "project-name", "filter", "H", "host", "context", "env-file"}
    options, words = read_options(argv, valued=valued)
    if words[:1] == ["compose"]:  # `-f FILE` there is a file, elsewhere `--force`
        words = [w for w in words if not w.endswith((".yml", ".yaml"))]
    flags = {name for name, _ in options}
    if words[:2] in (["volume", "rm"], ["volume", "remove"]) and len(words) > 2:
        names = ", ".join(words[2:])
        return Wipe(
            f"deletes Docker volume {names} and the data in it", Severity.MEDIUM, kind="volume"
        )
    pruned = words[:2] == ["volume", "prune"] or (
        words[:2] == ["system", "prune"] and "volumes" in flags
    )
    if pruned:
        every = flags & {"a", "all"} or words[0] == "system"
        which = "every Docker volume" if every else "every anonymous Docker volume"
        forced = bool(flags & {"f", "force"})
        suffix = " without confirmation" if forced else ""
        severity = Severity.HIGH if forced else Severity.MEDIUM
        said = f"deletes {which} no container uses{suffix}, and the data in them"
        return Wipe(said, severity, kind="volume")
    if words[:2] == ["compose", "down"] and flags & {"v", "volumes"}:
        said = "deletes the Compose project's named volumes and the data in them (down --volumes)"
        return Wipe(said, Severity.MEDIUM, kind="volume")
    return None


class FilesystemWipeCommand(Rule):
    """A script runs `rm -rf` on `/`, `~`, `*`, `$DIR/` or a data directory, or wipes a disk.

    Fires on an added recursive `rm` (or `rimraf`) of `/`, `/*`, a home directory (`~`,
    `$HOME`), everything in the working directory (`*`), or a path that starts with a variable
    that may be empty and leaves the root, everything under it or a system directory
    (`"$DIR/"`, `$BUILD/*`, `$(OUT)/` in a Makefile, `"$PREFIX/usr"`); `"$DIR/dist"` then
    names a path that is not there and stays quiet. A variable is safe when guarded
    (`${DIR:?}`), given a default (`${DIR:-build}`), assigned only non-empty values in the file
    (shell, make, CI `env`, Dockerfile `ENV`/`ARG`), tested (`[ -n "$DIR" ]`, `[ -d "$DIR" ]`),
    or always set (`$HOME`, `$GITHUB_WORKSPACE`).
    `rm -rf build/` and `rm -rf "$DIR"` (nothing left when empty) stay quiet; so do
    Dockerfiles, where a wipe only breaks the image being built. Also fires on a service's
    data directory (`rm -rf /var/lib/postgresql`, `/var/lib/mysql`: high), on a block device
    formatted or overwritten (`mkfs`, `wipefs`, `blkdiscard`, `sgdisk --zap-all`,
    `dd of=/dev/sdb`: critical; loop devices and RAM disks stay quiet), on `lvremove`,
    `vgremove`, `zfs destroy` and `zpool destroy` (high), and on `docker volume rm`,
    `docker volume prune`, `docker system prune --volumes` and `docker compose down -v`.
    Makefiles, package.json scripts and CI jobs, which mostly run on a laptop or a throwaway
    runner, report these at low (data directories and devices in CI: quiet). Ansible
    `shell`, `command` and `raw` tasks are read as scripts, with `{{ var }}` as a variable
    that is set (Ansible fails a task on an undefined variable).

    ## Why it matters
    `rm -rf "$STEAMROOT/"*` with an empty variable is `rm -rf /*`: a variable that a failed
    `cd`, a typo or a missing environment variable leaves empty turns a cleanup into a wipe of
    the machine, including mounted volumes and home directories. A pruned Docker volume takes
    the data of any database whose container happens to be stopped.

    ## Bad
    ```diff
    --- a/scripts/clean.sh
    +++ b/scripts/clean.sh
    @@ -1,2 +1,3 @@
     #!/bin/bash
     source ./config.sh
    +rm -rf "$INSTALL_DIR/"*
    ```

    ## Good
    ```diff
    --- a/scripts/clean.sh
    +++ b/scripts/clean.sh
    @@ -1,2 +1,3 @@
     #!/bin/bash
     source ./config.sh
    +rm -rf "${INSTALL_DIR:?}/"*
    ```
    """

    code = "SH107"
    name = "filesystem-wipe-command"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        if "dockerfile" in change.formats:
            return
        for command, line in added_commands(change):
            wipe = (
                rm_wipe(command, variables_in(change))
                or docker_wipe(command)
                or device_wipe(command)
            )
            if wipe is None:
                continue
            severity = _in_context(wipe, change)
            if severity is None:
                continue
            yield self.finding(
                change,
                line=line,
                message=wipe.message if wipe.kind == "variable" else named(wipe.message, change),
                hint=(
                    "guard the variable (${VAR:?}) or delete a literal path; keep volumes "
                    "that hold data, or back them up first"
                ),
                severity=severity,
                confidence=confidence_of(change),
            )


def _in_context(wipe: Wipe, change: FileChange) -> Severity | None:
    """Makefiles, package.json and CI jobs mostly run on a laptop or a throwaway runner: their
    volume and working-directory wipes are low (a CI job's working directory is its checkout,
    quiet), and an empty variable there is medium."""
    if not (is_dev_tooling(change) or is_ci(change)):
        return wipe.severity
    if wipe.kind == "here":
        return None if is_ci(change) else Severity.LOW
    if wipe.kind == "volume":
        return Severity.LOW
    if wipe.kind in ("data", "device"):
        return None if is_ci(change) else Severity.LOW  # a runner's own disk, or a laptop
    if wipe.kind == "variable":
        return Severity.MEDIUM
    return wipe.severity


RULES = (FilesystemWipeCommand,)
