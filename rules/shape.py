"""Change-shape rules: just-in-time risk signals of the change as a whole.

Defect-prediction research on commits (Kamei et al., "A large-scale empirical study of
just-in-time quality assurance", 2013) finds size (lines added and deleted), diffusion (files,
directories, subsystems, and the entropy of the change across files) and deletion among the
strongest predictors of a defect-inducing change; code-review studies find reviewers miss more
past a few hundred lines. Generated, vendored and lock files are discounted: their size says
nothing about review effort.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import PurePosixPath

from changerisk.rule import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Rule,
    Severity,
    Status,
    path_matches,
    path_name,
    path_parts,
)

LOCKFILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "cargo.lock",
        "go.sum",
        "gemfile.lock",
        "composer.lock",
        "mix.lock",
        "pubspec.lock",
        "podfile.lock",
        "packages.lock.json",
        ".terraform.lock.hcl",
        "flake.lock",
    }
)
GENERATED = (
    "vendor/",
    "third_party/",
    "third-party/",
    "node_modules/",
    "dist/",
    "build/",
    "*.min.js",
    "*.min.css",
    "*.map",
    "*.pb.go",
    "*_pb2.py",
    "*_pb2_grpc.py",
    "*.pb.ts",
    "*.generated.*",
    "*_generated.*",
    "*.gen.go",
    "zz_generated*.go",
    "__snapshots__/",
    "*.snap",
)
DEFAULTS = {
    "large-lines": 1000,
    "components": 8,
    "entropy-files": 20,
    "deleted-files": 20,
    "deleted-lines": 1000,
}


def _option(rule: Rule, key: str) -> int:
    value = rule.settings.options.get(f"change-shape.{key}", DEFAULTS[key])
    return value if isinstance(value, int) else DEFAULTS[key]


def discounted(change: FileChange) -> bool:
    """Lock files, generated and vendored files: their size is not review effort."""
    name = path_name(change.path).lower()
    return name in LOCKFILES or path_matches(change.path, GENERATED)


def reviewed_files(changeset: ChangeSet) -> list[FileChange]:
    """The files whose size is review effort (picked once for the three rules that ask)."""
    return list(changeset.cached("shape:reviewed", lambda: tuple(_reviewed(changeset))))


def _reviewed(changeset: ChangeSet) -> Iterator[FileChange]:
    return (c for c in changeset.files if not discounted(c) and "terraform-plan" not in c.formats)


def _size(change: FileChange) -> int:
    return len(change.added_lines) + len(change.removed_lines)


def _component(path: str) -> str:
    parts = path_parts(path)
    return parts[0] if len(parts) > 1 else "."


def entropy(sizes: list[int]) -> float:
    """Normalised Shannon entropy of the change across files: 0 focused, 1 evenly spread."""
    total = sum(sizes)
    if total == 0 or len(sizes) < 2:
        return 0.0
    value = -sum(s / total * math.log2(s / total) for s in sizes if s)
    return value / math.log2(len(sizes))


def _anchor(rule: Rule, files: list[FileChange], message: str, hint: str) -> Finding:
    """A change-wide finding, anchored on the largest file (the first place to look)."""
    biggest = max(files, key=lambda c: (_size(c), c.path))
    line, side = biggest.first_changed_line()
    evidence = (
        f"largest: {biggest.path} (+{len(biggest.added_lines)} -{len(biggest.removed_lines)})"
    )
    return rule.finding(biggest, line, message, hint=hint, side=side, evidence=evidence)


class LargeChange(Rule):
    """The change is too large to review well.

    ## Why it matters
    Size is the most robust predictor of a defect-inducing change, and reviewers find fewer
    problems per line once a change passes a few hundred lines. Lock files, generated and
    vendored files are not counted.

    ## Bad
    ```diff
    diff --git a/app/big.py b/app/big.py
    --- a/app/big.py
    +++ b/app/big.py
    @@ -1,1 +1,1 @@
    -x = 1
    +x = 2
    ```

    ## Good
    ```diff
    diff --git a/poetry.lock b/poetry.lock
    --- a/poetry.lock
    +++ b/poetry.lock
    @@ -1,1 +1,1 @@
    -version = "1.0"
    +version = "1.1"
    ```

    ## Configuration
    ```toml
    [tool.changerisk.change-shape]
    large-lines = 1
    ```
    Default: more than 1000 added plus deleted lines. The examples assume `large-lines = 1`;
    a lock file is never counted.
    """

    code = "SHAPE101"
    name = "large-change"
    category = Category.CHANGE_SHAPE
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        files = reviewed_files(changeset)
        added = sum(len(c.added_lines) for c in files)
        deleted = sum(len(c.removed_lines) for c in files)
        limit = _option(self, "large-lines")
        if files and added + deleted > limit:
            yield _anchor(
                self,
                files,
                f"changes {added + deleted} lines (+{added} -{deleted}) in {len(files)} files, "
                f"more than {limit}: too large to review well",
                hint="split it into changes that can be reviewed and reverted on their own",
            )


class DiffuseChange(Rule):
    """The change is spread over many parts of the repository.

    ## Why it matters
    A change that touches many subsystems, or spreads its lines evenly over many files, is
    harder to review and more often defect-inducing than a focused one of the same size: no
    single reviewer knows all the parts it touches.

    ## Bad
    ```diff
    diff --git a/api/a.py b/api/a.py
    --- a/api/a.py
    +++ b/api/a.py
    @@ -1 +1 @@
    -a = 1
    +a = 2
    diff --git a/web/b.py b/web/b.py
    --- a/web/b.py
    +++ b/web/b.py
    @@ -1 +1 @@
    -b = 1
    +b = 2
    ```

    ## Good
    ```diff
    diff --git a/api/a.py b/api/a.py
    --- a/api/a.py
    +++ b/api/a.py
    @@ -1 +1 @@
    -a = 1
    +a = 2
    ```

    ## Configuration
    ```toml
    [tool.changerisk.change-shape]
    components = 2
    ```
    Default: 8 top-level directories; or, with at least `entropy-files` (20) files in 3 or more
    folders, an entropy above 0.9 (lines spread almost evenly). The examples assume
    `components = 2`.
    """

    code = "SHAPE102"
    name = "diffuse-change"
    category = Category.CHANGE_SHAPE
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        files = reviewed_files(changeset)
        if not files:
            return
        components = sorted({_component(c.path) for c in files})
        spread = entropy([_size(c) for c in files])
        if len(components) >= _option(self, "components"):
            shown = ", ".join(components[:8]) + (" …" if len(components) > 8 else "")
            yield _anchor(
                self,
                files,
                f"touches {len(components)} top-level components ({shown}): no single "
                "reviewer knows them all",
                hint="split it by component, or ask a reviewer from each",
            )
        elif (
            len(files) >= _option(self, "entropy-files")
            and spread > 0.9
            and len({str(PurePosixPath(c.path).parent) for c in files}) >= 3
        ):
            yield _anchor(
                self,
                files,
                f"spreads its lines evenly over {len(files)} files (entropy {spread:.2f})",
                hint="split it, or make sure it is one mechanical change (a rename, a format)",
            )


class MassDeletion(Rule):
    """The change deletes many files or mostly deletes.

    ## Why it matters
    Deleting is fast and hard to undo in production: a removed folder of manifests, modules or
    migrations is how environments disappear. A change that is almost only deletions deserves
    a reviewer who knows what the deleted code still serves.

    ## Bad
    ```diff
    diff --git a/envs/prod/a.tf b/envs/prod/a.tf
    deleted file mode 100644
    --- a/envs/prod/a.tf
    +++ /dev/null
    @@ -1,2 +0,0 @@
    -locals {
    -}
    ```

    ## Good
    ```diff
    diff --git a/envs/prod/a.tf b/envs/prod/a.tf
    --- a/envs/prod/a.tf
    +++ b/envs/prod/a.tf
    @@ -1,2 +1,3 @@
     locals {
    +  a = 1
     }
    ```

    ## Configuration
    ```toml
    [tool.changerisk.change-shape]
    deleted-files = 1
    ```
    Defaults: 20 deleted files, or 1000 deleted lines making up 90% or more of the change.
    The examples assume `deleted-files = 1`.
    """

    code = "SHAPE103"
    name = "mass-deletion"
    category = Category.CHANGE_SHAPE
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        files = reviewed_files(changeset)
        deleted_files = [c for c in files if c.status is Status.DELETED]
        deleted = sum(len(c.removed_lines) for c in files)
        added = sum(len(c.added_lines) for c in files)
        if len(deleted_files) >= _option(self, "deleted-files"):
            folders = sorted({str(PurePosixPath(c.path).parent) for c in deleted_files})
            shown = ", ".join(folders[:5]) + (" …" if len(folders) > 5 else "")
            yield _anchor(
                self,
                deleted_files,
                f"deletes {len(deleted_files)} files (in {shown})",
                hint="check that nothing still deploys, imports or reads them",
            )
        elif deleted >= _option(self, "deleted-lines") and deleted >= 0.9 * (deleted + added):
            yield _anchor(
                self,
                files,
                f"mostly deletes: -{deleted} +{added} lines",
                hint="check that nothing still deploys, imports or reads what goes",
            )


class BinaryInCriticalPath(Rule):
    """A binary file changes under a configured critical path.

    ## Why it matters
    A binary cannot be reviewed line by line: a changed keystore, certificate bundle, compiled
    plugin or database file in a critical area is trusted blindly unless someone checks it.

    ## Bad
    ```diff
    diff --git a/services/payments/keystore.jks b/services/payments/keystore.jks
    index 1111111..2222222 100644
    Binary files a/services/payments/keystore.jks and b/services/payments/keystore.jks differ
    ```

    ## Good
    ```diff
    diff --git a/docs/logo.png b/docs/logo.png
    index 1111111..2222222 100644
    Binary files a/docs/logo.png and b/docs/logo.png differ
    ```

    ## Configuration
    ```toml
    [[tool.changerisk.critical-paths]]
    paths = ["services/payments/"]
    ```
    """

    code = "SHAPE104"
    name = "binary-in-critical-path"
    category = Category.CHANGE_SHAPE
    severity = Severity.MEDIUM
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        patterns = tuple(p for cp in self.settings.critical_paths for p in cp.patterns)
        if not patterns:
            return
        for change in changeset.files:
            if change.is_binary and path_matches(change.path, patterns):
                yield self.finding(
                    change,
                    1,
                    f"{_VERBS.get(change.status, 'changes')} binary file {change.path} in a "
                    "critical path: it cannot be reviewed as text",
                    hint="say in the description where it comes from and how it was checked",
                    evidence=f"binary {change.path}",
                )


_VERBS = {Status.ADDED: "adds", Status.DELETED: "deletes", Status.RENAMED: "renames"}

RULES = (LargeChange, DiffuseChange, MassDeletion, BinaryInCriticalPath)
