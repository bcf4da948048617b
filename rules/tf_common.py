"""What Terraform resource types hold: shared by the Terraform source and plan rules."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from changerisk.parsers.hcl import Block, terraform_of
from changerisk.rule import ChangeSet, FileChange, Severity, Status

# Resource types that hold data or identity that a recreate cannot bring back.
STATEFUL_TYPES = frozenset(
    {
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_dynamodb_table",
        "aws_s3_bucket",
        "aws_ebs_volume",
        "aws_efs_file_system",
        "aws_elasticache_cluster",
        "aws_elasticache_replication_group",
        "aws_redshift_cluster",
        "aws_docdb_cluster",
        "aws_neptune_cluster",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_sqs_queue",
        "aws_kinesis_stream",
        "aws_msk_cluster",
        "aws_route53_zone",
        "aws_eks_cluster",
        "aws_ecr_repository",
        "aws_backup_vault",
        "aws_cognito_user_pool",
        "aws_fsx_lustre_file_system",
        "google_sql_database_instance",
        "google_sql_database",
        "google_storage_bucket",
        "google_bigquery_dataset",
        "google_bigquery_table",
        "google_spanner_instance",
        "google_spanner_database",
        "google_bigtable_instance",
        "google_compute_disk",
        "google_container_cluster",
        "google_kms_crypto_key",
        "google_kms_key_ring",
        "google_secret_manager_secret",
        "google_pubsub_topic",
        "google_dns_managed_zone",
        "google_filestore_instance",
        "google_redis_instance",
        "google_project",
        "azurerm_mssql_database",
        "azurerm_mssql_server",
        "azurerm_postgresql_flexible_server",
        "azurerm_postgresql_server",
        "azurerm_mysql_flexible_server",
        "azurerm_cosmosdb_account",
        "azurerm_storage_account",
        "azurerm_storage_container",
        "azurerm_managed_disk",
        "azurerm_key_vault",
        "azurerm_key_vault_key",
        "azurerm_kubernetes_cluster",
        "azurerm_redis_cache",
        "azurerm_dns_zone",
        "azurerm_resource_group",
        "azurerm_servicebus_namespace",
        "azurerm_eventhub_namespace",
        "kubernetes_persistent_volume",
        "kubernetes_persistent_volume_claim",
        "kubernetes_namespace",
        "digitalocean_database_cluster",
        "digitalocean_volume",
        "cloudflare_zone",
        "github_repository",
        "vault_mount",
    }
)
EPHEMERAL_TYPES = frozenset(
    {
        "null_resource",
        "terraform_data",
        "time_sleep",
        "time_static",
        "local_file",
        "local_sensitive_file",
        "random_id",
        "random_string",
        "random_pet",
        "random_integer",
        "random_shuffle",
        "random_password",
        "random_uuid",
        "tls_private_key",
    }
)


def destroy_severity(resource_type: str, default: Severity = Severity.HIGH) -> Severity:
    """How bad destroying a resource of this type is: data lost, nothing, or in between."""
    if resource_type in STATEFUL_TYPES:
        return Severity.CRITICAL
    if resource_type in EPHEMERAL_TYPES:
        return Severity.LOW
    return default


def module_dir(change: FileChange, side: str) -> str:
    """The module directory a side's blocks belong to. A renamed file carries its blocks
    along: moving a module's files to a new folder keeps the addresses inside it."""
    moved = change.status in (Status.RENAMED, Status.COPIED) and change.new_path is not None
    return directory_of(change.old_path if side == "old" and not moved else change.new_path)


def directory_of(path: str | None) -> str:
    return posixpath.dirname(path or "")


class Located(NamedTuple):
    """A block and the file change it was read from."""

    change: FileChange
    block: Block


class Pair(NamedTuple):
    """One resource before and after the change (its address may differ through `moved`)."""

    address: str
    old: Located
    new: Located


@dataclass
class ModuleSides:
    """The blocks of one module directory on each side of the change."""

    old: dict[str, Located] = field(default_factory=dict)
    new: dict[str, Located] = field(default_factory=dict)
    old_blocks: list[Located] = field(default_factory=list)
    new_blocks: list[Located] = field(default_factory=list)
    moves: dict[str, str] = field(default_factory=dict)
    moved_from: set[str] = field(default_factory=set)


def edited_modules(changeset: ChangeSet) -> dict[str, ModuleSides]:
    """Per module directory, the blocks of the Terraform files this change edits (built once
    per change, shared by the Terraform rules)."""
    return changeset.cached("terraform:modules", lambda: _edited_modules(changeset))


def _edited_modules(changeset: ChangeSet) -> dict[str, ModuleSides]:
    modules: dict[str, ModuleSides] = {}
    for change in changeset.files:
        if "terraform" not in change.formats or change.is_binary:
            continue
        if not change.added_lines and not change.removed_lines:
            continue  # a pure rename or mode change edits no block
        for side in ("old", "new"):
            if (change.old_path if side == "old" else change.new_path) is None:
                continue
            parsed = terraform_of(change, side)
            sides = modules.setdefault(module_dir(change, side), ModuleSides())
            target = sides.old if side == "old" else sides.new
            blocks = sides.old_blocks if side == "old" else sides.new_blocks
            for block in parsed.blocks:
                blocks.append(Located(change, block))
                if block.address:
                    target.setdefault(block.address, Located(change, block))
            if side == "new":
                sides.moves.update(parsed.moves())
                sides.moved_from.update(parsed.moves())
    return modules


def resource_pairs(changeset: ChangeSet) -> Iterator[Pair]:
    """Resources present on both sides of an edited module, following `moved` blocks."""
    for _, sides in sorted(edited_modules(changeset).items()):
        for address, old in sorted(sides.old.items()):
            if old.block.kind != "resource":
                continue
            new = sides.new.get(sides.moves.get(address, address)) or sides.new.get(address)
            if new is not None and new.block.kind == "resource":
                yield Pair(address, old, new)
