"""Bare diffs (no repository): a text rebuilt from hunks has blank stand-ins for the lines no
hunk shows. Structure that spans them cannot be judged, so it must never produce a finding
that the full files would not."""

from __future__ import annotations

import difflib

from changerisk.testing import found, run_diff


def file_diff(path: str, old: str, new: str, context: int = 3) -> str:
    body = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), n=context
        )
    )
    _, _, rest = body.partition("\n")
    _, _, rest = rest.partition("\n")
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{rest}"


def deployments(image: str, replicas: int) -> str:
    return "".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i}\nspec:\n"
        f"  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: svc{i}\n"
        f"  template:\n    metadata:\n      labels:\n        app: svc{i}\n    spec:\n"
        f"      containers:\n        - name: app\n          image: acme/svc{i}:{image}\n"
        for i in range(6)
    )


def test_image_bump_in_a_bare_diff_is_not_a_selector_change() -> None:
    """The hunks show `selector:` and, after a gap of unseen lines, `spec: containers:` one
    level deeper: read naively, the selector swallows the containers and "changes"."""
    diff = file_diff("k8s/services.yaml", deployments("1.0.0", 2), deployments("1.1.0", 3))
    assert "@@" in diff and diff.count("@@ -") > 3  # several hunks with gaps between them
    assert found(run_diff(diff)) == set()


def test_a_selector_change_shown_whole_still_fires() -> None:
    """With the object shown from `kind:` to past its selector, the change is judged."""
    old = deployments("1.0.0", 2)
    new = old.replace("      app: svc2\n  template", "      app: svc2-v2\n  template")
    report = run_diff(file_diff("k8s/services.yaml", old, new, context=8))
    assert {(code, line) for code, _, line in found(report)} == {("K8S201", 46)}
