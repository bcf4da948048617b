"""Every shell command rule (code prefix SH), gathered for the `changerisk.rules` entry point."""

from __future__ import annotations

from . import cloud, cluster, commands, databases, files, git_push, recreate

RULES = (
    *commands.RULES,
    *cloud.RULES,
    *cluster.RULES,
    *databases.RULES,
    *files.RULES,
    *git_push.RULES,
    *recreate.RULES,
)
