"""GitHub Actions workflow rules: what the token may do, whose code runs with it, and which
secrets reach it.

Workflows are read with the line-keeping YAML reader; `${{ … }}` expressions are kept as
text. Each job is compared with itself before the change, so only what the change adds is
reported: a write scope the job already had, or a checkout that was already there under the
same trigger, is quiet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.yamldoc import YNode, parse_stream
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

FORMATS = frozenset({"github-workflow"})
# Triggers that run with the base repository's secrets and a write token, on an event a
# stranger can cause (a fork's pull request, a comment).
PRIVILEGED_EVENTS = ("pull_request_target", "workflow_run", "issue_comment")
_HEAD_REF = lazy_compile(
    r"github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|"
    r"github\.event\.workflow_run\.head_(sha|branch)|refs/pull/|"
    r"github\.event\.pull_request\.merge_commit_sha|pull_request\.head\.repo|"
    r"steps\.[\w-]+\.outputs\.(head_)?(sha|ref)|github\.event\.issue\.number"
)
_CHECKOUT_COMMAND = lazy_compile(
    r"\bgh\s+pr\s+checkout\b|\bgit\s+fetch\b[^\n]*\bpull/|\bgit\s+checkout\b[^\n]*"
    r"(github\.event\.pull_request\.head|github\.head_ref|workflow_run\.head_)"
)
# Scopes whose write access reaches code, releases, packages, deployments or cloud accounts.
_SCOPES = {
    "contents": ("pushes commits and tags, creates releases", Severity.MEDIUM),
    "actions": ("changes and reruns workflows, deletes artifacts and caches", Severity.MEDIUM),
    "packages": ("publishes and deletes packages", Severity.MEDIUM),
    "deployments": ("creates deployments", Severity.LOW),
    "id-token": (
        "requests OIDC tokens: the cloud credentials of every role that trusts this repository",
        Severity.MEDIUM,
    ),
    "security-events": ("dismisses code-scanning alerts", Severity.LOW),
    "attestations": ("signs build attestations", Severity.LOW),
}


def workflow(change: FileChange, side: str) -> YNode | None:
    """The workflow mapping of one side, with `${{ }}` expressions left as text."""

    def build() -> YNode | None:
        text = change.old_text() if side == "old" else change.new_text()
        if not text:
            return None
        stream = parse_stream(text.replace("{{", "((").replace("}}", "))"))
        roots = [r for r in stream.roots if r.kind == "map"]
        return roots[0] if len(roots) == 1 else None

    return change.cached(f"workflow:{side}", build)


def events(root: YNode | None) -> set[str]:
    if root is None:
        return set()
    node = root.get("on") or root.get("true")  # YAML 1.1 readers may read `on` as true
    if node is None:
        return set()
    if node.kind == "scalar":
        return {node.value}
    if node.kind == "seq":
        return {i.value for i in node.items if i.kind == "scalar"}
    return set(node.keys())


def jobs(root: YNode | None) -> dict[str, YNode]:
    node = root.get("jobs") if root is not None else None
    if node is None or node.kind != "map":
        return {}
    return {k.value: v for k, v in node.entries if k.kind == "scalar" and v.kind == "map"}


def _steps(job: YNode) -> list[YNode]:
    node = job.get("steps")
    return (
        [s for s in node.items if s.kind == "map"]
        if node is not None and node.kind == "seq"
        else []
    )


def _added(change: FileChange, node: YNode) -> bool:
    added = change.added_line_numbers
    return any(node.line <= n <= max(node.end_line, node.line) for n in added)


def _first_added(change: FileChange, node: YNode) -> int:
    added = sorted(
        n for n in change.added_line_numbers if node.line <= n <= max(node.end_line, node.line)
    )
    return added[0] if added else node.line


def _new_or_changed(change: FileChange, node: YNode) -> bool:
    return change.old_path is None or _added(change, node)


# --- GOV102 permissions -------------------------------------------------------------------------


def _permissions(node: YNode | None) -> tuple[str, dict[str, tuple[str, YNode]]]:
    """("write-all" | "read-all" | "map" | "none" | "absent", scope -> (level, node))."""
    if node is None:
        return "absent", {}
    if node.kind == "scalar":
        return (node.value if node.value in ("write-all", "read-all") else "none"), {}
    if node.kind == "map":
        return "map", {
            k.value: (v.value.lower(), v)
            for k, v in node.entries
            if k.kind == "scalar" and v.kind == "scalar"
        }
    return "none", {}


class TokenPermissionsWidened(Rule):
    """A workflow or job gains `write-all`, a write scope (`contents`, `actions`, `packages`,
    `id-token`…), or loses the `permissions` block that limited its token.

    ## Why it matters
    Every job gets a `GITHUB_TOKEN`; its permissions are what a compromised action or a
    script injection can do with it: push to protected code, publish packages, or, with
    `id-token: write`, mint credentials for every cloud role that trusts the repository.
    Narrowing permissions is not reported.

    ## Bad
    ```diff
    diff --git a/.github/workflows/release.yml b/.github/workflows/release.yml
    --- a/.github/workflows/release.yml
    +++ b/.github/workflows/release.yml
    @@ -1,8 +1,7 @@
     name: release
     on: push
    -permissions:
    -  contents: read
    +permissions: write-all
     jobs:
       build:
         runs-on: ubuntu-latest
         steps:
    ```

    ## Good
    ```diff
    diff --git a/.github/workflows/release.yml b/.github/workflows/release.yml
    --- a/.github/workflows/release.yml
    +++ b/.github/workflows/release.yml
    @@ -1,7 +1,8 @@
     name: release
     on: push
    -permissions: write-all
    +permissions:
    +  contents: read
     jobs:
       build:
         runs-on: ubuntu-latest
         steps:
    ```
    """

    code = "GOV102"
    name = "workflow-token-permissions-widened"
    category = Category.ACCESS
    severity = Severity.MEDIUM
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = workflow(change, "old"), workflow(change, "new")
        if new is None or (old is None and change.old_path is not None):
            return
        old_jobs, new_jobs = jobs(old), jobs(new)
        top_old = _permissions(old.get("permissions") if old is not None else None)
        top_new = _permissions(new.get("permissions"))
        yield from self._compare(
            change,
            "the workflow",
            top_old,
            top_new,
            new.get("permissions"),
            existed=old is not None,
        )
        if top_old[0] != "absent" and top_new[0] == "absent" and old is not None:
            unlimited = [name for name, job in new_jobs.items() if job.get("permissions") is None]
            if unlimited:
                yield self._removed(change, old, ", ".join(unlimited))
        for name, job in new_jobs.items():
            before = old_jobs.get(name)
            job_old = _permissions(before.get("permissions") if before is not None else None)
            job_new = _permissions(job.get("permissions"))
            if job_old[0] == "absent" and before is not None:
                job_old = top_old  # the job inherited the workflow's permissions
            yield from self._compare(
                change,
                f"job {name}",
                job_old,
                job_new,
                job.get("permissions"),
                existed=before is not None,
            )

    def _compare(
        self,
        change: FileChange,
        who: str,
        before: tuple[str, dict[str, tuple[str, YNode]]],
        after: tuple[str, dict[str, tuple[str, YNode]]],
        node: YNode | None,
        existed: bool,
    ) -> Iterator[Finding]:
        if node is None or not _added(change, node):
            return
        if after[0] == "write-all" and before[0] != "write-all":
            yield self.finding(
                change,
                _first_added(change, node),
                f"gives {who} a write-all token: every scope, from pushing code to "
                "publishing packages and minting cloud credentials",
                hint="list the scopes the jobs need (contents: read, …) at job level",
                severity=Severity.HIGH,
            )
            return
        if after[0] != "map" or before[0] == "write-all":
            return
        for scope, (level, value) in after[1].items():
            if level != "write" or scope not in _SCOPES or not _added(change, value):
                continue
            if before[1].get(scope, ("",))[0] == "write":
                continue
            what, severity = _SCOPES[scope]
            if not existed:
                severity = severity.shifted(-1)
            yield self.finding(
                change,
                value.line,
                f"gives {who} {scope}: write, so its token {what}",
                hint="grant write scopes only to the job that needs them, and pin the "
                "actions that job runs to a commit",
                severity=severity,
            )

    def _removed(self, change: FileChange, old: YNode, unlimited: str) -> Finding:
        line = old.key_line("permissions") or 1
        if line not in change.removed_line_numbers:
            line = next(iter(sorted(change.removed_line_numbers)), line)
        return self.finding(
            change,
            line,
            f"removes the workflow's permissions block: jobs {unlimited} get the repository's "
            "default token, which is write to everything on older repositories and "
            "organisations",
            hint="keep a top-level `permissions:` (contents: read) and widen per job",
            side="old",
        )


# --- GOV103 untrusted code ----------------------------------------------------------------------


class _Exposure(NamedTuple):
    key: tuple[str, ...]
    node: YNode
    message: str
    severity: Severity


def _mitigated(job: YNode, root: YNode) -> bool:
    """An approval gate: a protected environment, or a label or author check."""
    if job.get("environment") is not None:
        return True
    conditions = " ".join(
        (node.value if node is not None and node.kind == "scalar" else "")
        for node in (job.get("if"), root.get("if"))
    )
    return bool(re.search(r"labels|author_association|github\.actor\b|\.user\.login", conditions))


def exposures(root: YNode | None) -> list[_Exposure]:
    if root is None:
        return []
    triggers = events(root)
    privileged = [e for e in PRIVILEGED_EVENTS if e in triggers]
    out: list[_Exposure] = []
    for name, job in jobs(root).items():
        if privileged:
            for step in _steps(job):
                checkout = _untrusted_checkout(step)
                if checkout is None:
                    continue
                gated = _mitigated(job, root)
                out.append(
                    _Exposure(
                        (name, "checkout"),
                        checkout,
                        f"job {name} runs on {'/'.join(privileged)} and checks out the pull "
                        "request's code: a fork's build scripts run with the repository's "
                        "secrets and a write token"
                        + (" (behind an approval gate)" if gated else ""),
                        Severity.MEDIUM if gated else Severity.HIGH,
                    )
                )
                break
        runner = job.get("runs-on")
        labels = []
        if runner is not None:
            labels = (
                [runner.value]
                if runner.kind == "scalar"
                else [i.value for i in runner.items if i.kind == "scalar"]
                if runner.kind == "seq"
                else []
            )
        untrusted = [e for e in ("pull_request", "pull_request_target") if e in triggers]
        if untrusted and any(label == "self-hosted" for label in labels) and runner is not None:
            out.append(
                _Exposure(
                    (name, "self-hosted"),
                    runner,
                    f"job {name} runs pull requests ({'/'.join(untrusted)}) on a self-hosted "
                    "runner: a fork's code runs on your machine, and may stay there for the "
                    "next job",
                    Severity.MEDIUM,
                )
            )
    return out


def _untrusted_checkout(step: YNode) -> YNode | None:
    uses = step.text("uses") or ""
    if uses.startswith("actions/checkout@"):
        for key in ("ref", "repository"):
            node = step.at("with", key)
            if node is not None and node.kind == "scalar" and _HEAD_REF.search(node.value):
                return node
        return None
    run = step.get("run")
    if run is not None and run.kind == "scalar" and _CHECKOUT_COMMAND.search(run.value):
        return run
    return None


class UntrustedCodeInPrivilegedWorkflow(Rule):
    """A `pull_request_target`, `workflow_run` or `issue_comment` workflow checks out the pull
    request's code, or pull requests run on a self-hosted runner.

    ## Why it matters
    `pull_request_target` and `workflow_run` run with the base repository's secrets and a
    write token. Checking out the pull request's head there and building it runs a stranger's
    code with both ("pwn request"). On a self-hosted runner, a fork's pull request runs on
    your own machine. Reported when the change adds the checkout or the trigger; an approval
    gate (a protected environment, a label check) lowers it.

    ## Bad
    ```diff
    diff --git a/.github/workflows/preview.yml b/.github/workflows/preview.yml
    --- a/.github/workflows/preview.yml
    +++ b/.github/workflows/preview.yml
    @@ -1,9 +1,9 @@
     name: preview
    -on: pull_request
    +on: pull_request_target
     jobs:
       build:
         runs-on: ubuntu-latest
         steps:
           - uses: actions/checkout@v4
             with:
               ref: ${{ github.event.pull_request.head.sha }}
    ```

    ## Good
    ```diff
    diff --git a/.github/workflows/preview.yml b/.github/workflows/preview.yml
    --- a/.github/workflows/preview.yml
    +++ b/.github/workflows/preview.yml
    @@ -1,7 +1,7 @@
     name: preview
     on: pull_request_target
     jobs:
       build:
         runs-on: ubuntu-latest
         steps:
    -      - uses: actions/checkout@v4
    +      - uses: actions/checkout@v5
    ```
    """

    code = "GOV103"
    name = "workflow-runs-untrusted-code"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = workflow(change, "old"), workflow(change, "new")
        if new is None:
            return
        had = {e.key for e in exposures(old)}
        trigger = new.get("on") or new.get("true")
        trigger_added = trigger is not None and _added(change, trigger)
        for exposure in exposures(new):
            if exposure.key in had:
                continue
            if not (_new_or_changed(change, exposure.node) or trigger_added):
                continue
            line = (
                _first_added(change, exposure.node)
                if _added(change, exposure.node) or trigger is None
                else _first_added(change, trigger)
            )
            yield self.finding(
                change,
                line,
                exposure.message,
                hint="build pull requests under `pull_request` (no secrets); keep "
                "`pull_request_target` for labelling and commenting, without checking out "
                "the head, or put the job behind an environment that needs approval",
                severity=exposure.severity,
                confidence=Confidence.HIGH,
            )


class SecretsInherited(Rule):
    """A call of a reusable workflow passes every secret with `secrets: inherit`.

    ## Why it matters
    `secrets: inherit` hands the called workflow every secret of the repository and the
    organisation, not the two it needs; a compromise of that workflow, or of an action it
    uses, reads them all. Reported higher when the workflow runs on `pull_request_target` or
    `workflow_run`.

    ## Bad
    ```diff
    diff --git a/.github/workflows/deploy.yml b/.github/workflows/deploy.yml
    --- a/.github/workflows/deploy.yml
    +++ b/.github/workflows/deploy.yml
    @@ -1,6 +1,5 @@
     on: push
     jobs:
       deploy:
         uses: acme/pipelines/.github/workflows/deploy.yml@v3
    -    secrets:
    -      DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}
    +    secrets: inherit
    ```

    ## Good
    ```diff
    diff --git a/.github/workflows/deploy.yml b/.github/workflows/deploy.yml
    --- a/.github/workflows/deploy.yml
    +++ b/.github/workflows/deploy.yml
    @@ -1,6 +1,7 @@
     on: push
     jobs:
       deploy:
         uses: acme/pipelines/.github/workflows/deploy.yml@v3
         secrets:
           DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}
    +      REGISTRY_TOKEN: ${{ secrets.REGISTRY_TOKEN }}
    ```
    """

    code = "GOV104"
    name = "workflow-secrets-inherited"
    category = Category.ACCESS
    severity = Severity.LOW
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        old, new = workflow(change, "old"), workflow(change, "new")
        if new is None:
            return
        old_jobs = jobs(old)
        privileged = [e for e in PRIVILEGED_EVENTS if e in events(new)]
        for name, job in jobs(new).items():
            node = job.get("secrets")
            if node is None or node.kind != "scalar" or node.value != "inherit":
                continue
            before = old_jobs.get(name)
            if before is not None and before.text("secrets") == "inherit":
                continue
            if not _added(change, node):
                continue
            called = job.text("uses") or "the called workflow"
            yield self.finding(
                change,
                node.line,
                f"job {name} passes every repository and organisation secret to {called}"
                + (f", on {'/'.join(privileged)}" if privileged else ""),
                hint="pass the secrets the called workflow declares, by name",
                severity=Severity.MEDIUM if privileged else Severity.LOW,
            )


RULES = (TokenPermissionsWidened, UntrustedCodeInPrivilegedWorkflow, SecretsInherited)
