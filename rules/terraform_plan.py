"""Terraform / OpenTofu plan rules: what `terraform apply` of a reviewed plan destroys.

A plan (`changerisk check --plan plan.json`, the output of `terraform show -json PLANFILE`) is
the ground truth the source rules estimate: its actions say what an apply does.
"""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.parsers.plan import Plan, ResourceChange
from changerisk.rule import Category, FileChange, Finding, Rule, Severity

from .terraform_edits import replacement_table
from .tf_common import STATEFUL_TYPES, destroy_severity

_DELETE_REASONS = {
    "delete_because_no_resource_config": "its block is gone from the configuration",
    "delete_because_no_module": "its module call is gone",
    "delete_because_wrong_repetition": "count/for_each was added or removed",
    "delete_because_count_index": "its count index is gone",
    "delete_because_each_key": "its for_each key is gone",
    "delete_because_no_move_target": "its moved block points nowhere",
}
_REPLACE_REASONS = {
    "replace_because_tainted": "it is tainted",
    "replace_by_request": "-replace asked for it",
    "replace_by_triggers": "replace_triggered_by fired",
}


def plan_of(change: FileChange) -> Plan:
    """The plan read at input time (`changerisk.inputs.from_plan_file`)."""
    plan: Plan = change.cached("plan", lambda: Plan("", "", ()))
    return plan


def _evidence(entry: ResourceChange) -> str:
    reason = f" ({entry.action_reason})" if entry.action_reason else ""
    return f"{entry.address}: {' + '.join(entry.actions)}{reason}"


class PlanDeletes(Rule):
    """The plan deletes a resource.

    ## Why it matters
    A plan's `delete` action is not an estimate: applying the plan deletes the object. For a
    database, bucket or volume, its data goes with it. A `removed` block with
    `lifecycle { destroy = false }` plans `forget` instead, which keeps the object.

    ## Bad
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "aws_db_instance.main",
     "mode": "managed", "type": "aws_db_instance", "name": "main",
     "change": {"actions": ["delete"]}, "action_reason": "delete_because_no_resource_config"}]}
    ```

    ## Good
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "aws_db_instance.main",
     "mode": "managed", "type": "aws_db_instance", "name": "main",
     "change": {"actions": ["forget"]}}]}
    ```
    """

    code = "TF301"
    name = "terraform-plan-deletes"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = frozenset({"terraform-plan"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        for entry in plan_of(change).changes:
            if entry.mode != "managed" or not entry.deletes:
                continue
            reason = _DELETE_REASONS.get(entry.action_reason, "")
            data = ": the data it holds is lost" if entry.type in STATEFUL_TYPES else ""
            because = f" because {reason}" if reason else ""
            yield self.finding(
                change,
                entry.line,
                f"destroys {entry.address}{because}{data}",
                hint="if it moved, add a moved block; to stop managing it without deleting it, "
                "use a removed block with lifecycle { destroy = false }",
                evidence=_evidence(entry),
                severity=destroy_severity(entry.type, self.severity),
            )


class PlanReplaces(Rule):
    """The plan replaces a resource: delete and create, in one order or the other.

    ## Why it matters
    `["delete", "create"]` destroys the object before creating its successor (downtime, and
    for stateful resources an empty successor); `["create", "delete"]` (create_before_destroy)
    avoids the gap but still ends with a new object. `replace_paths` names the attribute that
    forced it.

    ## Bad
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "aws_db_instance.orders",
     "mode": "managed", "type": "aws_db_instance", "name": "orders",
     "change": {"actions": ["delete", "create"], "replace_paths": [["identifier"]]},
     "action_reason": "replace_because_cannot_update"}]}
    ```

    ## Good
    ```json
    {"format_version": "1.2", "resource_changes": [{"address": "aws_db_instance.orders",
     "mode": "managed", "type": "aws_db_instance", "name": "orders",
     "change": {"actions": ["update"]}}]}
    ```
    """

    code = "TF302"
    name = "terraform-plan-replaces"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = frozenset({"terraform-plan"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        table = replacement_table()
        for entry in plan_of(change).changes:
            if entry.mode != "managed" or not entry.replaces:
                continue
            kind = str(table.get(entry.type, {}).get("kind", "object"))
            paths = ", ".join(f"`{'.'.join(p)}`" for p in entry.replace_paths if p)
            cause = (
                f"changing {paths} forces"
                if paths
                else f"{_REPLACE_REASONS[entry.action_reason]}; the plan makes"
                if entry.action_reason in _REPLACE_REASONS
                else "the plan makes"
            )
            stateful = entry.type in STATEFUL_TYPES
            what = (
                f"a new, empty {kind}; the data in the old one is lost unless restored from a "
                "backup"
                if stateful
                else f"a new {kind}"
            )
            order = (
                "destroy first, then create"
                if entry.actions[0] == "delete"
                else "create first, then destroy"
            )
            yield self.finding(
                change,
                entry.line,
                f"replaces {entry.address}: {cause} {what} ({order})",
                hint="keep the forcing attribute as it is, or plan the migration of the data "
                "and traffic before applying",
                evidence=_evidence(entry),
                severity=destroy_severity(entry.type, self.severity),
            )


RULES = (PlanDeletes, PlanReplaces)
