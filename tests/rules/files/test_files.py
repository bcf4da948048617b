from pathlib import Path

import pytest
from changerisk.rules.files import RULES

from changerisk.model import Confidence, Severity
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("uninstall_empty_variable_root.diff", {("SH107", "scripts/uninstall.sh", 5)}),
    ("makefile_undefined_build_dir.diff", {("SH107", "Makefile", 7)}),
    ("deploy_host_volume_prune.diff", {("SH107", "deploy/post-release.sh", 6)}),
    ("makefile_dev_volumes.diff", {("SH107", "Makefile", 7), ("SH107", "Makefile", 8)}),
    # near misses: literal paths, guards, defaults, mktemp, tests, loops, a whole variable
    ("guarded_and_literal_paths.diff", set()),
    ("dockerfile_cleanup.diff", set()),  # only the image being built
    ("ci_workspace_wipe.diff", set()),  # a CI job's own checkout; prune without --volumes
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "uninstall_empty_variable_root.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "runs rm -r on $STEAMROOT/*: when $STEAMROOT is empty or unset, that is /*",
        ),
        (
            "makefile_undefined_build_dir.diff",
            Severity.MEDIUM,
            Confidence.MEDIUM,
            "runs rm -r on $(BUILD_DIR)/*: when $(BUILD_DIR) is empty or unset, that is /*",
        ),
        (
            "deploy_host_volume_prune.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes every anonymous Docker volume no container uses without confirmation, and "
            "the data in them",
        ),
    ],
)
def test_severity_confidence_and_message(
    fixture: str, severity: Severity, confidence: Confidence, message: str
) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=RULES).findings
    assert (finding.severity, finding.confidence, finding.message) == (
        severity,
        confidence,
        message,
    )
    assert finding.hint


def test_dev_makefile_volume_wipes_are_low() -> None:
    report = run_fixture(FIXTURES / "makefile_dev_volumes.diff", rules=RULES)
    assert [(f.severity, f.message) for f in report.findings] == [
        (
            Severity.LOW,
            "deletes the Compose project's named volumes and the data in them (down --volumes)",
        ),
        (
            Severity.LOW,
            "deletes every Docker volume no container uses without confirmation, and the data "
            "in them",
        ),
    ]


def _diff(*added: str, path: str = "scripts/run.sh") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100755\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n{body}"
    )


@pytest.mark.parametrize(
    ("lines", "severity", "message"),
    [
        (
            ["sudo rm -rf --no-preserve-root /"],
            Severity.CRITICAL,
            "runs rm on /: deletes every file on the machine",
        ),
        (["rm -fr /*"], Severity.CRITICAL, "runs rm on /*: deletes every file on the machine"),
        (
            ["rm -rf ~"],
            Severity.HIGH,
            "runs rm on ~: deletes the home directory of the user it runs as",
        ),
        (
            ['rm -r "$HOME"/*'],
            Severity.HIGH,
            "runs rm on $HOME/*: deletes the home directory of the user it runs as",
        ),
        (
            ["cd build", "rm -rf *"],
            Severity.MEDIUM,
            "runs rm on *: deletes everything in the working directory, wherever that is when it runs",
        ),
        (
            ['rm -rf "$TARGET/"'],
            Severity.HIGH,
            "runs rm -r on $TARGET/: when $TARGET is empty or unset, that is /",
        ),
        (
            ['rm -rf "${PREFIX}/usr"'],
            Severity.HIGH,
            "runs rm -r on ${PREFIX}/usr: when ${PREFIX} is empty or unset, that is /usr",
        ),
        (
            ["rm -rf ${NVM_DIR}/v* .nvmrc"],
            Severity.HIGH,
            "runs rm -r on ${NVM_DIR}/v*: when ${NVM_DIR} is empty or unset, that is /v*",
        ),
        (
            ['rm -rf "$ROOT$SUB/"'],
            Severity.HIGH,
            "runs rm -r on $ROOT$SUB/: when $ROOT and $SUB are empty or unset, that is /",
        ),
        (
            ["cleanup() {", '  local dir="$1"', '  rm -rf "$dir/"*', "}"],
            Severity.HIGH,
            "runs rm -r on $dir/*: when $dir is empty or unset, that is /*",
        ),
        (
            ['DIR="${DIR-}"', 'rm -rf "$DIR/"'],
            Severity.HIGH,
            "runs rm -r on $DIR/: when $DIR is empty or unset, that is /",
        ),
        (
            ["while read -r d; do", '  rm -rf "$d/"', "done < dirs.txt"],
            Severity.HIGH,
            "runs rm -r on $d/: when $d is empty or unset, that is /",
        ),
        (
            ['npx rimraf "$OUT/"'],
            Severity.HIGH,
            "runs rm -r on $OUT/: when $OUT is empty or unset, that is /",
        ),
        (
            ["systemctl stop postgresql", "rm -rf /var/lib/postgresql/16/main"],
            Severity.HIGH,
            "runs rm on /var/lib/postgresql/16/main: deletes the data of postgresql",
        ),
        (
            ["rm -rf /var/lib/mysql/*"],
            Severity.HIGH,
            "runs rm on /var/lib/mysql/*: deletes the data of mysql",
        ),
        (
            ["mkfs.ext4 -F /dev/nvme1n1"],
            Severity.CRITICAL,
            "runs mkfs.ext4 on /dev/nvme1n1: every file on the device is lost",
        ),
        (
            ["sudo dd if=/dev/zero of=/dev/sdb bs=1M count=10"],
            Severity.CRITICAL,
            "runs dd on /dev/sdb: every file on the device is lost",
        ),
        (
            ["wipefs -a /dev/xvdf /dev/xvdg"],
            Severity.CRITICAL,
            "runs wipefs on /dev/xvdf and /dev/xvdg: every file on the device is lost",
        ),
        (
            ["lvremove -y vg0/pgdata"],
            Severity.HIGH,
            "runs lvremove: deletes logical volume vg0/pgdata and the data on it",
        ),
        (
            ["zfs destroy -r tank/db"],
            Severity.HIGH,
            "runs zfs destroy: deletes ZFS dataset tank/db and the data in it",
        ),
        (
            ["docker volume rm pgdata"],
            Severity.MEDIUM,
            "deletes Docker volume pgdata and the data in it",
        ),
        (
            ["docker-compose down --volumes"],
            Severity.MEDIUM,
            "deletes the Compose project's named volumes and the data in them (down --volumes)",
        ),
        (
            ["podman volume prune --all"],
            Severity.MEDIUM,
            "deletes every Docker volume no container uses, and the data in them",
        ),
    ],
)
def test_command_lines(lines: list[str], severity: Severity, message: str) -> None:
    (finding,) = run_diff(_diff(*lines), rules=RULES).findings
    assert (finding.severity, finding.message) == (severity, message)


@pytest.mark.parametrize(
    "lines",
    [
        ["rm -rf build/ dist/ node_modules"],
        ["rm -f /"],  # not recursive
        ['rm -rf "$DIR"'],  # nothing left to delete when empty
        ['rm -rf "$BUILD_DIR/dist"'],  # `/dist` is not there
        ['rm -rf "${NVM_DIR}/alias/lts"'],
        ["rm -rf $DIR"],
        ['rm -rf "${DIR:?}/"'],
        ['rm -rf "${DIR:?set DIR}/"*'],
        ['rm -rf "${DIR:-/tmp/build}/"'],
        ["DIR=/opt/app/releases", 'rm -rf "$DIR/"*'],
        ['BASE="$1"', 'DIR="$BASE/cache"', 'rm -rf "$DIR/"'],
        ["tmp=$(mktemp -d)", "trap 'rm -rf \"$tmp/\"' EXIT"],
        [': "${OUT:?}"', 'rm -rf "$OUT/"'],
        ['[ -d "$OUT" ] || exit 1', 'rm -rf "$OUT/"'],
        ['[ "$#" -eq 1 ] || exit 2', 'rm -rf "$1/"'],
        ['for d in a b; do rm -rf "$d/"; done'],
        ['rm -rf "$HOME/.cache"'],
        ['rm -rf "$GITHUB_WORKSPACE/"*'],
        ['rm -rf "$(dirname "$0")/build"'],
        ["rm -rf ~/.npm/_cacache"],
        ["echo rm -rf /"],
        ["# rm -rf /"],
        ["docker system prune -af"],  # no volumes
        ["docker volume ls"],
        ["docker compose down"],
        ["rm -f /var/lib/mysql/mysql.sock"],  # one file, not the data directory
        ["rm -rf /var/lib/postgresql/16/main/postmaster.pid"],
        ["rm -rf /var/lib/apt/lists/*"],  # a package index, not a service's data
        ["mkfs.ext4 -F disk.img"],  # an image file, not a device
        ["mkfs.ext4 /dev/loop0"],  # a loop device over an image
        ["dd if=/dev/sda of=/dev/null"],
        ["dd if=/dev/sda of=backup.img"],
        ["sgdisk --print /dev/sda"],
        ["zfs list -t snapshot"],
        ["zfs destroy"],
    ],
)
def test_quiet_command_lines(lines: list[str]) -> None:
    assert run_diff(_diff(*lines), rules=RULES).findings == ()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Makefile", Severity.LOW),  # a developer's own machine
        (".github/workflows/ci.yml", None),  # the runner's own disk
    ],
)
def test_data_directories_and_devices_in_dev_tooling(path: str, expected: Severity | None) -> None:
    if path == "Makefile":
        diff = _diff("reset:", "\trm -rf /var/lib/mysql", path=path)
    else:
        diff = _diff(
            "on: push", "jobs:", "  t:", "    runs-on: ubuntu-latest", "    steps:",
            "      - run: sudo rm -rf /var/lib/mysql && sudo mkfs.ext4 /dev/sdb", path=path,
        )  # fmt: skip
    findings = run_diff(diff, rules=RULES).findings
    assert [f.severity for f in findings] == ([expected] if expected else [])


def test_variables_from_ci_env_and_dockerfile_args_are_known() -> None:
    workflow = (
        "diff --git a/.github/workflows/c.yml b/.github/workflows/c.yml\nnew file mode 100644\n"
        "index 0..1\n--- /dev/null\n+++ b/.github/workflows/c.yml\n@@ -0,0 +1,7 @@\n"
        '+env:\n+  OUT: dist\n+jobs:\n+  c:\n+    steps:\n+      - run: rm -rf "$OUT/"\n'
        '+      - run: rm -rf "$OTHER/"\n'
    )
    assert found(run_diff(workflow, rules=RULES)) == {("SH107", ".github/workflows/c.yml", 7)}


def test_package_json_scripts_are_read() -> None:
    text = (
        '{\n  "scripts": {\n    "clean": "rimraf \\"$npm_config_out/\\"",\n    "b": "tsc"\n  }\n}'
    )
    lines = text.split("\n")
    diff = (
        "diff --git a/package.json b/package.json\nnew file mode 100644\nindex 0..1\n"
        f"--- /dev/null\n+++ b/package.json\n@@ -0,0 +1,{len(lines)} @@\n"
        + "".join(f"+{line}\n" for line in lines)
    )
    (finding,) = run_diff(diff, rules=RULES).findings
    assert (finding.line, finding.severity) == (3, Severity.MEDIUM)


def test_test_fixtures_are_lowered_by_their_path() -> None:
    (finding,) = run_diff(
        _diff('rm -rf "$DIR/"', path="tests/fixtures/cleanup.sh"), rules=RULES
    ).findings
    assert (finding.base_severity, finding.severity) == (Severity.HIGH, Severity.MEDIUM)
    assert finding.adjustments == ("non-production path: lowered one level",)
