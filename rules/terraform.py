"""Terraform / OpenTofu source rules: what the next `terraform apply` will destroy."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.hcl import Block, TerraformFile, terraform_of
from changerisk.regex import lazy_compile
from changerisk.rule import (
    Category,
    ChangeSet,
    Confidence,
    FileChange,
    Finding,
    Rule,
    Severity,
    Status,
)

from .terraform_edits import RULES as EDIT_RULES
from .terraform_plan import RULES as PLAN_RULES
from .tf_common import STATEFUL_TYPES, destroy_severity, directory_of, module_dir


class _Located(NamedTuple):
    change: FileChange
    block: Block


def _collect(
    changeset: ChangeSet,
) -> dict[str, tuple[dict[str, _Located], dict[str, _Located], dict[str, str], set[str], set[str]]]:
    """Per module directory: old blocks, new blocks, moves, forgotten and removed addresses."""
    modules: dict[
        str, tuple[dict[str, _Located], dict[str, _Located], dict[str, str], set[str], set[str]]
    ] = {}
    terraform = [c for c in changeset.files if "terraform" in c.formats and not c.is_binary]
    active = {
        d
        for c in terraform
        if _may_remove_blocks(c)
        for d in (module_dir(c, "old"), module_dir(c, "new"))
    }
    for change in terraform:
        if module_dir(change, "old") not in active and module_dir(change, "new") not in active:
            continue  # no block header removed anywhere in this module: nothing can be destroyed
        for side in ("old", "new"):
            if (side == "old" and change.old_path is None) or (
                side == "new" and change.new_path is None
            ):
                continue
            parsed: TerraformFile = terraform_of(change, side)
            entry = modules.setdefault(module_dir(change, side), ({}, {}, {}, set(), set()))
            target = entry[0] if side == "old" else entry[1]
            for address, block in parsed.addressed().items():
                target.setdefault(address, _Located(change, block))
            if side == "new":
                entry[2].update(parsed.moves())
                entry[3].update(parsed.forgets())
                entry[4].update(parsed.removals())
    return modules


_HEADER_LINE = lazy_compile(
    r'^\s*(resource|module|data|"resource"|"module")\b|"(resource|module)"\s*:'
)


def _may_remove_blocks(change: FileChange) -> bool:
    """Whether this file's change can take a block away.

    A block goes when its header line is removed, the file is deleted or moved, or the
    structure around it changes: a brace added or removed (nesting it into another block), a
    comment or heredoc opened around it. An edit of attribute values alone can do neither,
    so its module need not be parsed. A .tf.json edit is always read.
    """
    if change.status in (Status.DELETED, Status.RENAMED, Status.COPIED) or change.path.endswith(
        ".json"
    ):
        return True
    if any(_HEADER_LINE.search(line.text) for line in change.removed_lines):
        return True
    return any(
        marker in line.text
        for line in (*change.added_lines, *change.removed_lines)
        for marker in _STRUCTURE_MARKERS
    )


_STRUCTURE_MARKERS = ("{", "}", "/*", "*/", "<<")


def _removed(
    changeset: ChangeSet, kinds: tuple[str, ...]
) -> Iterator[tuple[str, _Located, dict[str, _Located], bool]]:
    """Addresses of `kinds` present before and gone after, not covered by moved/removed.

    Yields (address, where it was, the new blocks of that module, destroy-by-removed-block).
    """
    for _, (old, new, moves, forgets, removals) in sorted(_collect(changeset).items()):
        for address in sorted(old.keys() - new.keys()):
            located = old[address]
            if located.block.kind not in kinds:
                continue
            if moves.get(address) in new or address in forgets:
                continue
            yield address, located, new, address in removals


def _renamed_to(address: str, block: Block, new: dict[str, _Located]) -> str | None:
    """The one new block of the same type whose body mostly matches: a rename, not a swap."""
    prefix = address.rsplit(".", 1)[0] + "."
    candidates = [
        a
        for a, located in new.items()
        if a.startswith(prefix)
        and located.block.kind == block.kind
        and _similar(block.attributes, located.block.attributes)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _similar(old: dict[str, str], new: dict[str, str]) -> bool:
    if not old and not new:
        return True
    shared = sum(1 for key, value in old.items() if new.get(key) == value)
    return shared * 2 >= max(len(old), len(new))


# Files that by convention declare no resources: moving them moves no state.
_NO_RESOURCES = frozenset(
    {"variables.tf", "outputs.tf", "versions.tf", "providers.tf", "locals.tf", "terraform.tf"}
)


class ResourceRemoved(Rule):
    """A resource block is removed, so the next apply destroys the real object.

    ## Why it matters
    Terraform deletes what its configuration no longer declares. Removing the block of a
    database, bucket or volume deletes it and its data on the next apply; renaming the block
    without a `moved` block does the same, then creates an empty one. Moving a block to another
    file of the same module is safe and is not reported.

    ## Bad
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,4 +1,4 @@
    -resource "aws_db_instance" "main" {
    +resource "aws_db_instance" "primary" {
       engine         = "postgres"
       instance_class = "db.t3.micro"
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,4 +1,9 @@
    -resource "aws_db_instance" "main" {
    +resource "aws_db_instance" "primary" {
       engine         = "postgres"
       instance_class = "db.t3.micro"
     }
    +
    +moved {
    +  from = aws_db_instance.main
    +  to   = aws_db_instance.primary
    +}
    ```

    ## Configuration
    A `removed` block with `lifecycle { destroy = false }` takes a resource out of Terraform
    without destroying it and clears the finding.
    """

    code = "TF101"
    name = "terraform-resource-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for address, located, new, by_removed in _removed(changeset, ("resource",)):
            rtype = located.block.labels[0]
            severity = destroy_severity(rtype, self.severity)
            renamed = _renamed_to(address, located.block, new)
            what = ": the data it holds is lost" if rtype in STATEFUL_TYPES else ""
            if renamed:
                message = (
                    f"renames {address} to {renamed} without a moved block: the next apply "
                    f"destroys {address} and creates an empty {renamed}"
                )
                hint = f"add moved {{ from = {address}  to = {renamed} }}"
            elif by_removed:
                message = f"destroys {address} through a removed block on the next apply{what}"
                hint = "set lifecycle { destroy = false } in the removed block to keep the object"
            else:
                message = f"destroys {address} on the next apply{what}"
                hint = (
                    "restore the block; if it moved, add a moved block; to stop managing it "
                    "without deleting it, use a removed block with lifecycle { destroy = false }"
                )
            if (
                located.block.nested.get("lifecycle", {}).get("prevent_destroy", "").strip()
                == "true"
            ):
                message += " (it had prevent_destroy = true, which this change drops)"
            if located.block.attributes.get("deletion_protection", "").strip() == "true":
                message += " (deletion_protection = true makes the apply fail until it is off)"
            yield self.finding(
                located.change,
                located.block.line,
                message,
                hint=hint,
                side="old",
                severity=severity,
            )
        yield from self._directory_moves(changeset)

    def _directory_moves(self, changeset: ChangeSet) -> Iterator[Finding]:
        """Terraform files moved to another folder: one low-confidence note per folder pair."""
        pairs: dict[tuple[str, str], list[FileChange]] = {}
        for change in changeset.files:
            if "terraform" not in change.formats or change.status is not Status.RENAMED:
                continue
            old_dir, new_dir = directory_of(change.old_path), directory_of(change.new_path)
            if old_dir != new_dir:
                pairs.setdefault((old_dir, new_dir), []).append(change)
        for (old_dir, new_dir), changes in sorted(pairs.items()):
            if all(posixpath.basename(c.old_path or "") in _NO_RESOURCES for c in changes):
                continue
            first = min(changes, key=lambda c: c.path)
            yield self.finding(
                first,
                1,
                f"moves Terraform files from {old_dir or '.'} to {new_dir or '.'}: resource "
                "addresses follow only if every module call's source follows, and a root "
                "module's state stays behind",
                hint="update each caller's source in this change; for a root module, migrate "
                "its state (terraform init -migrate-state) or use moved/import blocks",
                evidence=f"rename {first.old_path} -> {first.new_path}",
                severity=Severity.LOW,
                confidence=Confidence.LOW,
            )


class ModuleRemoved(Rule):
    """A module call is removed, so the next apply destroys everything the module created.

    ## Why it matters
    A `module` block stands for every resource inside it: a VPC, its subnets, the databases
    in them. Removing or renaming the call without a `moved` block destroys all of them.

    ## Bad
    ```diff
    diff --git a/envs/prod/main.tf b/envs/prod/main.tf
    --- a/envs/prod/main.tf
    +++ b/envs/prod/main.tf
    @@ -1,7 +1,3 @@
     provider "aws" {
       region = "eu-west-1"
     }
    -
    -module "network" {
    -  source = "../../modules/network"
    -}
    ```

    ## Good
    ```diff
    diff --git a/envs/prod/main.tf b/envs/prod/main.tf
    --- a/envs/prod/main.tf
    +++ b/envs/prod/main.tf
    @@ -1,7 +1,12 @@
     provider "aws" {
       region = "eu-west-1"
     }

    -module "network" {
    +module "vpc" {
       source = "../../modules/network"
     }
    +
    +moved {
    +  from = module.network
    +  to   = module.vpc
    +}
    ```
    """

    code = "TF102"
    name = "terraform-module-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for address, located, new, _ in _removed(changeset, ("module",)):
            renamed = _renamed_to(address, located.block, new)
            source = located.block.attributes.get("source", "").strip('"')
            inside = f" (source {source})" if source else ""
            if renamed:
                message = (
                    f"renames {address} to {renamed} without a moved block: destroys and "
                    f"recreates every resource in it{inside}"
                )
                hint = f"add moved {{ from = {address}  to = {renamed} }}"
            else:
                message = f"destroys every resource in {address}{inside} on the next apply"
                hint = "restore the module call, or add a moved block if it was renamed"
            yield self.finding(located.change, located.block.line, message, hint=hint, side="old")


RULES = (ResourceRemoved, ModuleRemoved, *EDIT_RULES, *PLAN_RULES)
