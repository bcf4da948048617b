"""NET103 storage-made-public."""

import difflib

import pytest
from changerisk.rules.storage import StoragePublic

from changerisk.model import Severity
from changerisk.testing import run_diff


def diff(path: str, old: str | None, new: str | None, context: int = 50) -> str:
    """A `git diff`-shaped unified diff of two texts (None: the file is absent)."""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += "new file mode 100644\n"
    if new is None:
        head += "deleted file mode 100644\n"
    source = f"a/{path}" if old is not None else "/dev/null"
    target = f"b/{path}" if new is not None else "/dev/null"
    return head + "".join(difflib.unified_diff(before, after, source, target, n=context))


def run(text: str) -> list[tuple[str, str, int, str, Severity, str]]:
    report = run_diff(text, rules=[StoragePublic])
    return [(f.code, f.path, f.line, f.message, f.severity, f.side) for f in report.findings]


BUCKET = """resource "aws_s3_bucket" "exports" {
  bucket = "acme-exports"
}

resource "aws_s3_bucket_public_access_block" "exports" {
  bucket                  = aws_s3_bucket.exports.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
"""


def test_public_access_block_turned_off() -> None:
    new = BUCKET.replace("restrict_public_buckets = true", "restrict_public_buckets = false")
    assert run(diff("infra/exports.tf", BUCKET, new)) == [
        (
            "NET103",
            "infra/exports.tf",
            10,
            "sets restrict_public_buckets = false on aws_s3_bucket_public_access_block.exports: "
            "a public bucket policy takes effect for anonymous callers",
            Severity.HIGH,
            "new",
        )
    ]


def test_public_access_block_removed() -> None:
    new = BUCKET.split("\n\n")[0] + "\n"
    assert run(diff("infra/exports.tf", BUCKET, new)) == [
        (
            "NET103",
            "infra/exports.tf",
            5,
            "removes aws_s3_bucket_public_access_block.exports: the bucket no longer blocks "
            "public ACLs and public bucket policies (only an account-level block still would)",
            Severity.MEDIUM,
            "old",
        )
    ]


def test_public_acl_and_azure_container() -> None:
    new = """resource "aws_s3_bucket_acl" "site" {
  bucket = aws_s3_bucket.site.id
  acl    = "public-read"
}
resource "azurerm_storage_container" "media" {
  name                  = "media"
  storage_account_name  = azurerm_storage_account.main.name
  container_access_type = "container"
}
"""
    found = run(diff("storage.tf", None, new))
    assert [(f[2], f[4]) for f in found] == [(3, Severity.HIGH), (8, Severity.CRITICAL)]
    assert found[1][3] == (
        "sets container_access_type = container on azurerm_storage_container.media: anyone "
        "can list and read every blob of the container"
    )


def test_cloudformation_bucket() -> None:
    old = """Resources:
  Site:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: Private
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
Outputs:
  Name:
    Value: !Ref Site
"""
    new = old.replace("AccessControl: Private", "AccessControl: PublicRead")
    assert [(f[2], f[3]) for f in run(diff("site.yaml", old, new))] == [
        (
            5,
            "sets AccessControl = PublicRead on AWS::S3::Bucket Site: the bucket's objects can "
            "be read by anyone",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # turned back on
        (BUCKET.replace("= true", "= false"), BUCKET),
        # a public access block added
        (BUCKET.split("\n\n")[0] + "\n", BUCKET),
        # the bucket deleted together with its block
        (BUCKET, None),
        # re-indented, same values
        (BUCKET.replace("= false", "= true"), BUCKET.replace("  block", "    block")),
        # a default restated on a new storage account
        (
            None,
            'resource "azurerm_storage_account" "a" {\n  public_network_access_enabled = true\n}\n',
        ),
    ],
)
def test_near_misses(old: str | None, new: str | None) -> None:
    assert not run(diff("infra/exports.tf", old, new))


def test_both_buckets_removed_and_block_moved() -> None:
    new = (
        BUCKET.replace(
            'resource "aws_s3_bucket_public_access_block" "exports" {',
            'resource "aws_s3_bucket_public_access_block" "exports_v2" {',
        )
        + "moved {\n  from = aws_s3_bucket_public_access_block.exports\n"
        + ("  to   = aws_s3_bucket_public_access_block.exports_v2\n}\n")
    )
    assert not run(diff("infra/exports.tf", BUCKET, new))


def test_public_network_access_switched_back_on() -> None:
    old = (
        'resource "azurerm_storage_account" "logs" {\n  name = "acmelogs"\n'
        "  public_network_access_enabled = false\n}\n"
    )
    new = old.replace("= false", "= true")
    assert [(f[2], f[4]) for f in run(diff("st.tf", old, new))] == [(3, Severity.MEDIUM)]
    # the default written out on an existing account is not a change
    bare = 'resource "azurerm_storage_account" "logs" {\n  name = "acmelogs"\n}\n'
    restated = bare.replace("}\n", "  public_network_access_enabled = true\n}\n")
    assert not run(diff("st.tf", bare, restated))
