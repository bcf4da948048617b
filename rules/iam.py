"""Every IAM rule, one entry point: wildcards (access), policy principals, escalation and
conditions (iam_policies), administrator roles and public members (iam_grants)."""

from __future__ import annotations

from . import access, iam_grants, iam_policies

RULES = (*access.RULES, *iam_policies.RULES, *iam_grants.RULES)
