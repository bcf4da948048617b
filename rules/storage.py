"""Storage made public: S3 public access blocks turned off or removed, public ACLs, Azure
storage accounts and containers opened to anonymous reads, GCS public access prevention
lifted.

The settings and what each one does come from `changerisk/data/network_exposure.json`. A
value the old side of the same resource already had is not news; setting the safe value, or
adding a public access block, never fires. Bucket policies and IAM members that name anyone
are IAM103 and IAM107.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.hcl import terraform_of
from changerisk.parsers.tfvalues import blocks_of, get, key_line, scalar
from changerisk.rule import Category, FileChange, Finding, Rule, Severity

from .ingress import table

_PAB = "aws_s3_bucket_public_access_block"
_PAB_FLAGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)


class _Setting(NamedTuple):
    owner: str
    attribute: str
    value: str
    line: int


def _settings(change: FileChange, side: str) -> dict[tuple[str, str], _Setting]:
    """Every setting of the table present on one side, by (owner, attribute)."""
    found: dict[tuple[str, str], _Setting] = {}
    if not (change.old_path if side == "old" else change.new_path):
        return found
    entries = table()["storage"]
    tf_types = {e["type"] for e in entries if "type" in e}
    if "terraform" in change.formats:
        for block in blocks_of(change, side):
            if block.kind != "resource" or block.type not in tf_types:
                continue
            for entry in entries:
                if entry.get("type") != block.type:
                    continue
                value = scalar(get(block.body, entry["attribute"]))
                if value is not None:
                    line = key_line(block.body, entry["attribute"])
                    found[(block.address, entry["attribute"])] = _Setting(
                        block.address, entry["attribute"], value, line
                    )
    if "cloudformation" in change.formats:
        from .cfn_template import template_of

        for resource in template_of(change, side).resources.values():
            for entry in entries:
                if entry.get("cfn") != resource.type:
                    continue
                node = resource.prop(entry["attribute"])
                if node is None or not resource.knows(node) or node.kind != "scalar" or node.tag:
                    continue
                owner = f"{resource.type} {resource.logical_id}"
                found[(owner, entry["attribute"])] = _Setting(
                    owner, entry["attribute"], node.value, node.line
                )
    return found


def _is_on(setting: _Setting | None) -> bool:
    return setting is not None and setting.value == "true"


class StoragePublic(Rule):
    """A storage setting that kept data private is turned off: an S3 public access block
    flag set to false or the block removed, a public-read ACL, an Azure storage account or
    container opened to anonymous reads, GCS public access prevention lifted.

    ## Why it matters
    S3's public access block is the guard that keeps a bucket private even when someone
    later adds a public ACL or a bucket policy with `"Principal": "*"`; turning a flag off,
    or deleting the block, removes the guard. `acl = "public-read"` and Azure's
    `container_access_type = "blob"` publish the data outright. Leaked buckets are among the
    most common cloud breaches, and they start as one line like these. Setting the safe value,
    adding a public access block, or deleting the bucket together with its block is quiet.

    ## Bad
    ```diff
    diff --git a/infra/exports.tf b/infra/exports.tf
    --- a/infra/exports.tf
    +++ b/infra/exports.tf
    @@ -1,7 +1,7 @@
     resource "aws_s3_bucket_public_access_block" "exports" {
       bucket                  = aws_s3_bucket.exports.id
       block_public_acls       = true
    -  block_public_policy     = true
    +  block_public_policy     = false
       ignore_public_acls      = true
       restrict_public_buckets = true
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/exports.tf b/infra/exports.tf
    --- a/infra/exports.tf
    +++ b/infra/exports.tf
    @@ -1,7 +1,7 @@
     resource "aws_s3_bucket_public_access_block" "exports" {
       bucket                  = aws_s3_bucket.exports.id
       block_public_acls       = true
    -  block_public_policy     = false
    +  block_public_policy     = true
       ignore_public_acls      = true
       restrict_public_buckets = true
     }
    ```
    """

    code = "NET103"
    name = "storage-made-public"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        new = _settings(change, "new")
        old = _settings(change, "old")
        for (owner, attribute), setting in new.items():
            if setting.line not in change.added_line_numbers:
                continue
            entry = next(
                (
                    e
                    for e in table()["storage"]
                    if e["attribute"] == attribute
                    and owner.startswith((f"{e.get('type')}.", f"{e.get('cfn')} "))
                    and setting.value in e["values"]
                ),
                None,
            )
            if entry is None:
                continue
            before = old.get((owner, attribute))
            if before is not None and before.value in entry["values"]:
                continue
            if entry.get("only_change") and before is None:
                continue  # a default restated, on a new or an existing resource
            yield self.finding(
                change,
                setting.line,
                f"sets {attribute} = {setting.value} on {owner}: {entry['says']}",
                hint="keep the data private and serve public files through a CDN with an "
                "origin access control, or a presigned URL / SAS token with an expiry",
                severity=Severity.parse(entry["severity"]),
            )
        yield from self._removed_blocks(change, old)

    def _removed_blocks(
        self, change: FileChange, old: dict[tuple[str, str], _Setting]
    ) -> Iterator[Finding]:
        if "terraform" not in change.formats or not change.old_path:
            return
        before = {b.address: b for b in blocks_of(change, "old") if b.kind == "resource"}
        after = {b.address for b in blocks_of(change, "new") if b.kind == "resource"}
        moved = terraform_of(change, "new").moves() if change.new_path else {}
        buckets_gone = any(
            address.startswith("aws_s3_bucket.") and address not in after for address in before
        )
        for address, block in before.items():
            if block.type != _PAB or address in after or address in moved or buckets_gone:
                continue
            if not any(_is_on(old.get((address, flag))) for flag in _PAB_FLAGS):
                continue
            lines = range(block.line, block.end_line + 1)
            if not all(n in change.removed_line_numbers for n in lines):
                continue  # not deleted here: an unseen part of a partial side
            yield self.finding(
                change,
                block.line,
                f"removes {address}: the bucket no longer blocks public ACLs and public "
                "bucket policies (only an account-level block still would)",
                hint="keep the public access block; if the bucket moved, add a moved block",
                side="old",
                anchor=change.new_position(block.line),
                severity=Severity.MEDIUM,
            )


RULES = (StoragePublic,)
