"""Terraform / OpenTofu source rules for blocks that stay but change in a way that destroys:
replacement-forcing attributes, safety guards turned off, instance keys, the state backend."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from changerisk.datafiles import read_text
from changerisk.parsers.hcl import Block
from changerisk.regex import lazy_compile
from changerisk.rule import Category, ChangeSet, Confidence, Finding, Rule, Severity

from .tf_common import (
    EPHEMERAL_TYPES,
    STATEFUL_TYPES,
    Located,
    ModuleSides,
    Pair,
    destroy_severity,
    edited_modules,
    resource_pairs,
)

_REFERENCE = lazy_compile(r"\b(var|local|module|data|each|count|path|terraform)\.|\$\{|\(")


def normalized(value: str | None) -> str | None:
    """An attribute's expression text without layout: `"${var.x}"` reads as `var.x`."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", value).strip()
    whole = re.fullmatch(r'"\$\{([^{}"]*)\}"', text)
    return whole.group(1).strip() if whole else text


def is_literal(value: str | None) -> bool:
    return value is not None and not _REFERENCE.search(value)


@cache
def replacement_table() -> dict[str, dict[str, Any]]:
    """The curated table of replacement-forcing attributes (changerisk/data)."""
    text = read_text("tf_replacement.json")
    table: dict[str, dict[str, Any]] = json.loads(text)["resources"]
    return table


def ignored_changes(block: Block) -> set[str]:
    """Attribute names in `lifecycle { ignore_changes = [...] }` ("all" for `all`)."""
    value = block.nested.get("lifecycle", {}).get("ignore_changes", "")
    if re.fullmatch(r"\s*all\s*", value):
        return {"all"}
    return {m.group(1) for m in re.finditer(r"([A-Za-z_][\w-]*)", value)}


def _added(located: Located, line: int) -> bool:
    return line in located.change.added_line_numbers


def _removed_line(located: Located, line: int) -> bool:
    return line in located.change.removed_line_numbers


def _what(rtype: str, kind: str) -> str:
    if rtype in STATEFUL_TYPES:
        return f"a new, empty {kind}; the data in the old one is lost unless restored from a backup"
    return f"a new {kind} (destroy, then create)"


class ReplacementForced(Rule):
    """An attribute that cannot change in place is changed, so apply replaces the resource.

    ## Why it matters
    Providers cannot update some attributes of a live object: a database's zone, name or
    encryption, a bucket's name, a subnet's CIDR block. Terraform plans these as a replacement:
    destroy the old object, then create a new one. For a database that is a new, empty
    database; for a subnet, everything in it must move. The attributes come from a curated
    table of the provider schemas (`changerisk/data/tf_replacement.json`: 108 AWS, Google
    Cloud and Azure resource types, each with the source it was read from); attributes that
    force a replacement only for some values (an instance type across CPU architectures) are
    documented there and not reported.

    ## Bad
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,5 +1,5 @@
     resource "aws_db_instance" "orders" {
    -  storage_encrypted = false
    +  storage_encrypted = true
       engine            = "postgres"
       instance_class    = "db.t3.micro"
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,5 +1,5 @@
     resource "aws_db_instance" "orders" {
       storage_encrypted = true
       engine            = "postgres"
    -  instance_class    = "db.t3.micro"
    +  instance_class    = "db.t3.small"
     }
    ```

    ## Configuration
    Extend the table for other resource types:
    ```toml
    [tool.changerisk.terraform]
    replacement-attributes = { "acme_cluster" = ["name", "region"] }
    ```
    An attribute listed in `lifecycle { ignore_changes }` is not reported.
    """

    code = "TF103"
    name = "terraform-replacement-forced"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    scope = "changeset"

    def _table(self) -> dict[str, tuple[str, dict[str, dict[str, Any]]]]:
        table = {
            rtype: (entry.get("kind", "resource"), dict(entry.get("attributes", {})))
            for rtype, entry in replacement_table().items()
        }
        extra = self.settings.options.get("terraform.replacement-attributes", {})
        if isinstance(extra, dict):
            for rtype, names in extra.items():
                kind, attributes = table.get(rtype, ("resource", {}))
                table[rtype] = (kind, {**attributes, **{n: {} for n in names}})
        return table

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        table = self._table()
        for pair in resource_pairs(changeset):
            rtype = pair.new.block.labels[0]
            if rtype not in table:
                continue
            kind, attributes = table[rtype]
            ignored = ignored_changes(pair.new.block)
            for name, info in attributes.items():
                if info.get("conditional") or name.count(".") > 1:
                    continue  # replaces only for some values, or nested beyond what we read
                finding = self._changed(pair, rtype, kind, name, info, ignored)
                if finding is not None:
                    yield finding
                    break  # one replacement per resource: the first cause is enough

    def _changed(
        self,
        pair: Pair,
        rtype: str,
        kind: str,
        name: str,
        info: dict[str, Any],
        ignored: set[str],
    ) -> Finding | None:
        old_value, new_value = _value(pair.old.block, name), _value(pair.new.block, name)
        top = name.split(".", 1)[0]
        if old_value == new_value or new_value is None or ignored & {"all", name, top}:
            return None  # removing an attribute leaves the computed value: no diff planned
        line = pair.new.block.line_of(name)
        if not _added(pair.new, line):
            return None
        address = pair.new.block.address
        if old_value is None:
            message = (
                f"replaces {address} if the live {name} differs from {new_value}: "
                f"setting `{name}` forces {_what(rtype, kind)}"
            )
            confidence = Confidence.MEDIUM
        else:
            message = f"replaces {address}: changing `{name}` forces {_what(rtype, kind)}"
            literal = is_literal(old_value) and is_literal(new_value)
            confidence = Confidence.HIGH if literal else Confidence.MEDIUM
            if not literal:
                message += " (if the rendered value changes)"
        if pair.new.block.nested.get("lifecycle", {}).get("create_before_destroy") == "true":
            message += " (create_before_destroy: the new one is created first)"
        severity = destroy_severity(rtype, self.severity)
        if confidence is not Confidence.HIGH and severity > Severity.MEDIUM:
            severity = severity.shifted(-1)  # a reference may render the same value
        return self.finding(
            pair.new.change,
            line,
            message,
            hint=f"keep `{name}` as it is, or plan a migration: create the new {kind} beside "
            "the old one, move the data and traffic, then remove the old one",
            severity=severity,
            confidence=confidence,
        )


# attribute, the value that switches the guard off, whether removing the attribute does,
# and what the guard protects
_GUARDS: tuple[tuple[str, str, bool, str], ...] = (
    ("lifecycle.prevent_destroy", "false", True, "Terraform refused to destroy it"),
    ("deletion_protection", "false", True, "the provider refused to delete it"),
    ("deletion_protection_enabled", "false", True, "the provider refused to delete it"),
    ("enable_deletion_protection", "false", True, "the provider refused to delete it"),
    ("disable_api_termination", "false", True, "the instance could not be terminated by API"),
    ("skip_final_snapshot", "true", False, "a final snapshot was taken before deletion"),
    ("force_destroy", "true", False, "a non-empty store could not be deleted"),
    ("force_delete", "true", False, "a non-empty repository could not be deleted"),
    ("backup_retention_period", "0", False, "automated backups were kept"),
    ("versioning_configuration.status", '"Suspended"', False, "old object versions were kept"),
    ("point_in_time_recovery.enabled", "false", True, "the table could be restored"),
)
# Google resources default `deletion_protection` to true: removing the line keeps it on.
_DEFAULT_ON = lazy_compile(r"^google_")


def _value(block: Block, name: str) -> str | None:
    if "." in name:
        outer, inner = name.split(".", 1)
        nested = block.nested.get(outer)
        value = nested.get(inner) if nested is not None else None
    else:
        value = block.attributes.get(name)
    return normalized(value)


class SafetyGuardRemoved(Rule):
    """A guard against deleting data is removed or switched off on an existing resource.

    ## Why it matters
    `prevent_destroy`, `deletion_protection`, final snapshots, backups and versioning are what
    stands between a bad apply and lost data. Turning one off is sometimes the first step of a
    planned removal, and always the step that makes the next mistake unrecoverable.

    ## Bad
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,6 +1,6 @@
     resource "aws_db_instance" "orders" {
       identifier          = "orders"
       engine              = "postgres"
    -  deletion_protection = true
    -  skip_final_snapshot = false
    +  deletion_protection = false
    +  skip_final_snapshot = true
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,6 +1,6 @@
     resource "aws_db_instance" "orders" {
       identifier          = "orders"
       engine              = "postgres"
    -  deletion_protection = false
    +  deletion_protection = true
       skip_final_snapshot = false
     }
    ```
    """

    code = "TF104"
    name = "terraform-safety-guard-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.MEDIUM
    formats = frozenset({"terraform"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for pair in resource_pairs(changeset):
            rtype = pair.new.block.labels[0]
            if rtype in EPHEMERAL_TYPES:
                continue
            for name, off, removal_disables, what in _GUARDS:
                finding = self._guard(pair, rtype, name, off, removal_disables, what)
                if finding is not None:
                    yield finding
            yield from self._lifecycle(pair, rtype)

    def _guard(
        self, pair: Pair, rtype: str, name: str, off: str, removal_disables: bool, what: str
    ) -> Finding | None:
        old_value, new_value = _value(pair.old.block, name), _value(pair.new.block, name)
        default_on = name == "deletion_protection" and bool(_DEFAULT_ON.match(rtype))
        was = old_value if old_value is not None else (off if removal_disables else None)
        if default_on and old_value is None:
            was = "true"
        if old_value == new_value or was == off:
            return None
        address = pair.new.block.address
        stateful = rtype in STATEFUL_TYPES
        severity = Severity.HIGH if stateful else self.severity
        if new_value == off:
            line = pair.new.block.line_of(name)
            if not _added(pair.new, line):
                return None
            return self.finding(
                pair.new.change,
                line,
                f"switches off a guard on {address}: `{name} = {off}`; until now {what}",
                hint="keep the guard on unless this change is the reviewed first step of "
                "removing the resource; then say so in the description",
                severity=severity,
            )
        if new_value is None and old_value is not None and removal_disables:
            if default_on:
                return None
            line = pair.old.block.line_of(name)
            if not _removed_line(pair.old, line):
                return None
            return self.finding(
                pair.old.change,
                line,
                f"removes a guard from {address}: `{name}` falls back to its default (off); "
                f"until now {what}",
                hint="keep the guard in the configuration",
                severity=severity,
                side="old",
            )
        return None

    def _lifecycle(self, pair: Pair, rtype: str) -> Iterator[Finding]:
        address = pair.new.block.address
        old_cycle = pair.old.block.nested.get("lifecycle", {})
        new_cycle = pair.new.block.nested.get("lifecycle", {})
        trigger = normalized(new_cycle.get("replace_triggered_by"))
        data = ": its data goes each time" if rtype in STATEFUL_TYPES else ""
        if trigger and trigger != normalized(old_cycle.get("replace_triggered_by")):
            line = pair.new.block.line_of("lifecycle.replace_triggered_by")
            if _added(pair.new, line):
                yield self.finding(
                    pair.new.change,
                    line,
                    f"replaces {address} whenever {trigger} changes (replace_triggered_by){data}",
                    hint="make sure a replacement of this resource is harmless",
                    severity=destroy_severity(rtype, Severity.MEDIUM)
                    if rtype in STATEFUL_TYPES
                    else Severity.MEDIUM,
                )
        lost = ignored_changes(pair.old.block) - ignored_changes(pair.new.block)
        forcing = set(replacement_table().get(rtype, {}).get("attributes", {}))
        risky = sorted(lost & forcing) if "all" not in lost else sorted(forcing)
        if risky:
            line = pair.new.block.line_of("lifecycle")
            if not (_added(pair.new, line) or pair.new.change.added_line_numbers & _span(pair)):
                return
            yield self.finding(
                pair.new.change,
                line,
                f"stops ignoring changes to {', '.join(f'`{n}`' for n in risky)} of {address}: "
                "if the live value drifted, the next apply replaces it",
                hint="run a plan first; keep the attribute in ignore_changes if it is managed "
                "outside Terraform",
                severity=destroy_severity(rtype, Severity.MEDIUM)
                if rtype in STATEFUL_TYPES
                else Severity.MEDIUM,
                confidence=Confidence.MEDIUM,
            )


def _span(pair: Pair) -> frozenset[int]:
    return frozenset(range(pair.new.block.line, pair.new.block.end_line + 1))


_INDEX = lazy_compile(r"\[([^\]]*)\]")


def _count(block: Block) -> int | None:
    value = normalized(block.attributes.get("count"))
    return int(value) if value is not None and value.isdigit() else None


def _literal_keys(block: Block) -> set[str] | None:
    """The keys of a literal `for_each` (a list, a set of strings or an object), else None."""
    value = normalized(block.attributes.get("for_each"))
    if value is None:
        return None
    inner = re.fullmatch(r"(?:toset\()?\s*\[(.*)\]\s*\)?", value, re.DOTALL)
    if inner is not None:
        items = [i.strip() for i in inner.group(1).split(",") if i.strip()]
        if all(re.fullmatch(r'"[^"]*"', i) for i in items):
            return {i.strip('"') for i in items}
        return None
    obj = re.fullmatch(r"\{(.*)\}", value, re.DOTALL)
    if obj is not None and not _REFERENCE.search(obj.group(1)):
        return set(re.findall(r'(?:^|[\s,{])"?([\w-]+)"?\s*[=:]', obj.group(1)))
    return None


def _scheme(block: Block) -> str:
    if "for_each" in block.attributes:
        return "for_each"
    if "count" in block.attributes:
        return "count"
    return "single"


class InstancesRemoved(Rule):
    """`count`/`for_each` shrinks or changes its key scheme, so apply destroys instances.

    ## Why it matters
    Each instance of a counted resource has its own address: `aws_instance.web[2]`,
    `aws_s3_bucket.logs["eu"]`. Lowering `count`, setting it to 0, dropping a key from a
    literal `for_each`, or switching between `count` and `for_each` destroys the instances
    whose addresses disappear, and for a key-scheme switch creates them again, empty.

    ## Bad
    ```diff
    diff --git a/infra/buckets.tf b/infra/buckets.tf
    --- a/infra/buckets.tf
    +++ b/infra/buckets.tf
    @@ -1,4 +1,4 @@
     resource "aws_s3_bucket" "logs" {
    -  for_each = toset(["eu", "us"])
    +  for_each = toset(["eu"])
       bucket   = "acme-logs-${each.key}"
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/buckets.tf b/infra/buckets.tf
    --- a/infra/buckets.tf
    +++ b/infra/buckets.tf
    @@ -1,4 +1,4 @@
     resource "aws_s3_bucket" "logs" {
    -  for_each = toset(["eu"])
    +  for_each = toset(["eu", "us"])
       bucket   = "acme-logs-${each.key}"
     }
    ```
    """

    code = "TF105"
    name = "terraform-instances-removed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        modules = edited_modules(changeset)
        for pair in resource_pairs(changeset):
            finding = self._shrunk(pair) or self._rekeyed(
                pair, modules_moved_from(modules, pair.address)
            )
            if finding is not None:
                yield finding

    def _shrunk(self, pair: Pair) -> Finding | None:
        old, new = pair.old.block, pair.new.block
        address = new.address
        rtype = new.labels[0]
        severity = destroy_severity(rtype, self.severity)
        data = ": their data is lost" if rtype in STATEFUL_TYPES else ""
        old_count, new_count = _count(old), _count(new)
        added_zero = new_count == 0 and "count" not in old.attributes  # `count = 0` added
        if new_count is not None and (
            added_zero or ("count" in old.attributes and old_count != new_count)
        ):
            line = new.line_of("count")
            if not _added(pair.new, line):
                return None
            if new_count == 0:
                message = f"destroys every instance of {address} (count = 0){data}"
            elif old_count is not None and new_count < old_count:
                gone = ", ".join(f"[{i}]" for i in range(new_count, old_count))
                message = f"destroys {address}{gone} (count {old_count} -> {new_count}){data}"
            else:
                return None
            return self.finding(
                pair.new.change,
                line,
                message,
                hint="check which instances go; to keep one, move it with a moved block first",
                severity=severity,
            )
        old_keys, new_keys = _literal_keys(old), _literal_keys(new)
        if old_keys is not None and new_keys is not None and old_keys - new_keys:
            line = new.line_of("for_each")
            if not _added(pair.new, line):
                return None
            gone = ", ".join(f'{address}["{k}"]' for k in sorted(old_keys - new_keys))
            return self.finding(
                pair.new.change,
                line,
                f"destroys {gone}: the key leaves for_each{data}",
                hint="if the key was renamed, add a moved block from the old key to the new",
                severity=severity,
            )
        return None

    def _rekeyed(self, pair: Pair, moved: bool) -> Finding | None:
        old_scheme, new_scheme = _scheme(pair.old.block), _scheme(pair.new.block)
        if old_scheme == new_scheme or moved:
            return None
        if {old_scheme, new_scheme} == {"single", "count"}:
            return None  # Terraform moves `a` <-> `a[0]` by itself
        attribute = new_scheme if new_scheme != "single" else old_scheme
        block = pair.new if new_scheme != "single" else pair.old
        line = block.block.line_of(attribute)
        side = "new" if block is pair.new else "old"
        if not (_added(block, line) if side == "new" else _removed_line(block, line)):
            return None
        rtype = pair.new.block.labels[0]
        data = ", empty" if rtype in STATEFUL_TYPES else ""
        return self.finding(
            block.change,
            line,
            f"changes the instance keys of {pair.new.block.address} from {old_scheme} to "
            f"{new_scheme}: every instance is destroyed and created again{data}, unless moved "
            "blocks map the old addresses to the new",
            hint='add a moved block per instance (from = a[0], to = a["key"])',
            severity=destroy_severity(rtype, self.severity),
            side=side,
        )


def modules_moved_from(modules: dict[str, ModuleSides], address: str) -> bool:
    """Whether any moved block of the change starts from `address` (any instance key)."""
    return any(address in sides.moved_from for sides in modules.values())


# Settings that say where the state lives; others (region, locking, credentials) do not move it.
_STATE_LOCATION = frozenset(
    {
        "bucket",
        "key",
        "prefix",
        "workspace_key_prefix",
        "path",
        "workspace_dir",
        "container_name",
        "storage_account_name",
        "resource_group_name",
        "organization",
        "hostname",
        "address",
        "conn_str",
        "schema_name",
        "name",
        "workspaces",
    }
)


def _backend(located: Located) -> tuple[str, int] | None:
    for kind, labels, line in located.block.children:
        if kind == "backend":
            return (labels[0] if labels else "?"), line
        if kind == "cloud":
            return "cloud", line
    return None


class BackendChanged(Rule):
    """The state backend moves or goes, so Terraform no longer sees what it manages.

    ## Why it matters
    The state maps the configuration to real objects. A new backend type, bucket, key or
    workspace prefix points Terraform at a different (often empty) state: unless the state is
    migrated with `terraform init -migrate-state`, the next plan wants to create everything
    again, and the old objects are left unmanaged. Removing the backend block falls back to a
    local state file on whoever runs it.

    ## Bad
    ```diff
    diff --git a/envs/prod/versions.tf b/envs/prod/versions.tf
    --- a/envs/prod/versions.tf
    +++ b/envs/prod/versions.tf
    @@ -1,7 +1,7 @@
     terraform {
       backend "s3" {
         bucket = "acme-terraform-state"
    -    key    = "prod/network.tfstate"
    +    key    = "prod/network-v2.tfstate"
         region = "eu-west-1"
       }
     }
    ```

    ## Good
    ```diff
    diff --git a/envs/prod/versions.tf b/envs/prod/versions.tf
    --- a/envs/prod/versions.tf
    +++ b/envs/prod/versions.tf
    @@ -1,7 +1,8 @@
     terraform {
       backend "s3" {
         bucket = "acme-terraform-state"
         key    = "prod/network.tfstate"
         region = "eu-west-1"
    +    use_lockfile = true
       }
     }
    ```
    """

    code = "TF106"
    name = "terraform-backend-changed"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = frozenset({"terraform"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for _, sides in sorted(edited_modules(changeset).items()):
            old = [(b, *found) for b in sides.old_blocks if (found := _backend(b))]
            new = [(b, *found) for b in sides.new_blocks if (found := _backend(b))]
            if not old or len(old) > 1 or len(new) > 1:
                continue  # adding a first backend is a migration Terraform asks about
            old_block, old_type, old_line = old[0]
            if old_type == "local" and not new:
                continue  # the default backend is the local one
            if not new and not sides.new_blocks:
                continue  # the whole root module goes: nobody plans it from here again
            if not new:
                if old_block.change.removed_line_numbers & {old_line}:
                    yield self.finding(
                        old_block.change,
                        old_line,
                        f"removes the {old_type} backend: state falls back to a local file, and "
                        "a plan from a fresh checkout wants to create everything again",
                        hint="keep the backend block; to move state, change it and run "
                        "terraform init -migrate-state",
                        side="old",
                    )
                continue
            new_block, new_type, new_line = new[0]
            moved = self._moved(old_block.block, new_block.block, old_type, new_type)
            if not moved:
                continue
            line = self._line(new_block, moved, new_line)
            if line is None:
                continue
            yield self.finding(
                new_block.change,
                line,
                f"moves the Terraform state ({moved}): unless it is migrated with terraform "
                "init -migrate-state, the next plan starts from an empty state and wants to "
                "create everything again",
                hint="migrate the state in the same reviewed step (terraform init "
                "-migrate-state), or revert the backend change",
            )

    @staticmethod
    def _moved(old: Block, new: Block, old_type: str, new_type: str) -> str:
        if old_type != new_type:
            return f"backend {old_type} -> {new_type}"
        section = "cloud" if new_type == "cloud" else "backend"
        before, after = old.nested.get(section, {}), new.nested.get(section, {})
        changed = [
            f"{key} {before.get(key, '(unset)')} -> {after.get(key, '(unset)')}"
            for key in sorted(_STATE_LOCATION)
            if normalized(before.get(key)) != normalized(after.get(key))
        ]
        return ", ".join(changed)

    @staticmethod
    def _line(located: Located, moved: str, fallback: int) -> int | None:
        added = located.change.added_line_numbers
        for key in sorted(_STATE_LOCATION):
            line = located.block.lines.get(f"backend.{key}") or located.block.lines.get(
                f"cloud.{key}"
            )
            if line and line in added and f"{key} " in moved:
                return line
        if fallback in added:
            return fallback
        return None


RULES = (ReplacementForced, SafetyGuardRemoved, InstancesRemoved, BackendChanged)
