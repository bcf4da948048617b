"""Terraform and namespace command rules: `terraform destroy`, `apply -auto-approve` and
`kubectl delete namespace` added to scripts, CI jobs, recipes, images and package.json scripts.

The other shell rules are in `cloud`, `cluster`, `wipes` and `recreate`; `shell` gathers them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import (
    ParsedCall,
    added_commands,
    confidence_of,
    is_production,
    is_throwaway,
    throwaway_cluster_units,
)

# --- terraform / tofu / terragrunt ---------------------------------------------------------

_TERRAFORM = frozenset({"terraform", "tofu", "terragrunt"})
_TERRAFORM_VALUED = frozenset(
    {
        "var",
        "var-file",
        "target",
        "replace",
        "exclude",
        "state",
        "state-out",
        "backup",
        "lock-timeout",
        "parallelism",
        "out",
        "chdir",
        "generate-config-out",
        "working-dir",
        "config",
        "source",
        "iam-assume-role",
        "queue-include-dir",
        "queue-exclude-dir",
        "log-level",
        "tf-path",
        "terragrunt-working-dir",
        "terragrunt-config",
        "terragrunt-source",
        "terragrunt-iam-role",
        "terragrunt-include-dir",
        "terragrunt-exclude-dir",
        "terragrunt-parallelism",
        "terragrunt-tfpath",
    }
)


@dataclass(frozen=True)
class TerraformCall(ParsedCall):
    """`terraform [global options] VERB [options] [args]`; terragrunt's run-all too."""

    run_all: bool = False

    @property
    def destroys(self) -> bool:
        return self.verb == "destroy" or (self.verb == "apply" and self.flag("destroy"))

    @property
    def auto_approves(self) -> bool:
        names = ["auto-approve"]
        if self.verb == "destroy":
            names.append("force")  # Terraform before 0.15
        if self.program == "terragrunt":
            names += ["non-interactive", "terragrunt-non-interactive"]
        return self.flag(*names)

    @property
    def applies_saved_plan(self) -> bool:
        """A positional argument to apply is a saved plan file (a directory only before 0.15)."""
        return any(arg not in (".", "..") and not arg.endswith("/") for arg in self.positionals)

    @property
    def shown(self) -> str:
        """How a reviewer would write the command: `terragrunt run-all destroy`, …"""
        prefix = f"{self.program} run-all" if self.run_all else self.program
        if self.verb == "apply" and self.destroys:
            return f"{prefix} apply -destroy"
        return f"{prefix} {self.verb}"


def terraform_call(command: Command) -> TerraformCall | None:
    """Read a terraform, tofu or terragrunt command line; None for any other program."""
    program = command.program
    if program not in _TERRAFORM:
        return None
    argv = command.argv
    verb, run_all = "", False
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            continue
        if arg.startswith("-") and arg != "-":
            name, equals, value = arg.lstrip("-").partition("=")
            if not equals and name in _TERRAFORM_VALUED and i < len(argv):
                value, equals = argv[i], "="
                i += 1
            options.append((name, value if equals else None))
        elif not verb and program == "terragrunt" and arg in ("run-all", "run", "stack"):
            run_all = run_all or arg == "run-all"
        elif not verb and program == "terragrunt" and arg in ("destroy-all", "apply-all"):
            verb, run_all = arg.removesuffix("-all"), True
        elif not verb:
            verb = arg
        else:
            positionals.append(arg)
    if program == "terragrunt" and any(name == "all" for name, _ in options):
        run_all = True
    return TerraformCall(program, verb, tuple(options), tuple(positionals), run_all=run_all)


class TerraformDestroyCommand(Rule):
    """A script or CI job runs `terraform destroy`, deleting the real infrastructure.

    Reads shell scripts, CI jobs (GitHub Actions, GitLab CI, CircleCI and others), Makefile
    recipes and Dockerfile `RUN` lines, and fires on an added `terraform destroy`,
    `tofu destroy`, `terragrunt destroy`, `terragrunt run-all destroy` or
    `terraform apply -destroy`. `terraform plan -destroy` only shows the plan and does not fire.

    ## Why it matters
    `terraform destroy` deletes every resource in the workspace's state: databases, buckets,
    DNS zones, clusters. In a script or a CI job it runs with whatever workspace, backend and
    credentials the job has at that moment, so a wrong branch, variable or working directory
    points it at production. With `-auto-approve` nothing asks before the deletes start, and
    data in deleted databases and buckets does not come back.

    ## Bad
    ```diff
    --- a/scripts/teardown.sh
    +++ b/scripts/teardown.sh
    @@ -1,3 +1,4 @@
     #!/usr/bin/env bash
     set -euo pipefail
     cd infra/preview
    +terraform destroy -auto-approve
    ```

    ## Good
    ```diff
    --- a/scripts/teardown.sh
    +++ b/scripts/teardown.sh
    @@ -1,3 +1,4 @@
     #!/usr/bin/env bash
     set -euo pipefail
     cd infra/preview
    +terraform plan -destroy -out=destroy.tfplan
    ```
    """

    code = "SH101"
    name = "terraform-destroy-command"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for command, line in added_commands(change):
            call = terraform_call(command)
            if call is None or not call.destroys:
                continue
            targets = call.values("target")
            if targets:
                them = "them" if len(targets) > 1 else "it"
                what = f"deletes {', '.join(targets)} and everything that depends on {them}"
            elif call.run_all:
                what = "deletes every resource of every module under the directory"
            else:
                what = "deletes every resource in the workspace"
            severity = Severity.CRITICAL if call.auto_approves else Severity.HIGH
            if targets:
                severity = severity.shifted(-1)
            suffix = " without confirmation" if call.auto_approves else ""
            yield self.finding(
                change,
                line=line,
                message=f"runs {call.shown}: {what}{suffix}",
                hint=(
                    f"destroy from a reviewed plan ({call.program} plan -destroy -out) applied "
                    "by a person, or target one resource"
                ),
                severity=severity,
                confidence=confidence_of(change),
            )


class TerraformAutoApprove(Rule):
    """A script or CI job runs `terraform apply -auto-approve` without a saved plan.

    Fires on an added `terraform apply -auto-approve` (also `tofu` and `terragrunt`) that
    computes its own plan. Applying a saved plan file (`terraform apply -auto-approve tfplan`)
    applies what was reviewed and does not fire; neither does `-auto-approve=false`. A destroy
    is reported by SH101.

    ## Why it matters
    Without a saved plan, `apply -auto-approve` computes a new plan and applies it at once: no
    one sees the replacements and deletes it contains before they happen. Drift, a provider
    upgrade or a changed variable between review and apply turns into unreviewed changes to
    production, and a forced replacement of a database is applied like any other change.

    ## Bad
    ```diff
    --- a/.github/workflows/deploy.yml
    +++ b/.github/workflows/deploy.yml
    @@ -10,2 +10,3 @@ jobs:
           - uses: hashicorp/setup-terraform@v3
           - run: terraform init
    +      - run: terraform apply -auto-approve
    ```

    ## Good
    ```diff
    --- a/.github/workflows/deploy.yml
    +++ b/.github/workflows/deploy.yml
    @@ -10,2 +10,3 @@ jobs:
           - uses: hashicorp/setup-terraform@v3
           - run: terraform init
    +      - run: terraform apply -auto-approve tfplan  # the plan reviewed in the plan job
    ```
    """

    code = "SH102"
    name = "terraform-auto-approve"
    category = Category.PROCESS
    severity = Severity.MEDIUM
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for command, line in added_commands(change):
            call = terraform_call(command)
            if call is None or call.verb != "apply" or call.destroys:
                continue
            if not call.auto_approves or call.applies_saved_plan or call.flag("refresh-only"):
                continue  # a refresh-only apply writes the state, never the infrastructure
            scope = "in every module under the directory" if call.run_all else "to the workspace"
            yield self.finding(
                change,
                line=line,
                message=(
                    f"runs {call.shown} -auto-approve: applies a plan nobody reviewed {scope}, "
                    "including any replacements and deletes in it"
                ),
                hint=(
                    f"save the plan ({call.program} plan -out=tfplan), review it, then apply "
                    f"that file ({call.program} apply tfplan)"
                ),
                confidence=confidence_of(change),
            )


# --- kubectl / oc --------------------------------------------------------------------------

_KUBECTL = frozenset({"kubectl", "oc", "kubecolor"})
_KUBECTL_VALUED = frozenset(
    {
        "n",
        "namespace",
        "context",
        "kubeconfig",
        "cluster",
        "user",
        "s",
        "server",
        "token",
        "as",
        "as-group",
        "as-uid",
        "l",
        "selector",
        "f",
        "filename",
        "o",
        "output",
        "field-selector",
        "grace-period",
        "timeout",
        "k",
        "kustomize",
        "request-timeout",
        "certificate-authority",
        "client-certificate",
        "client-key",
        "cache-dir",
        "tls-server-name",
        "username",
        "password",
        "v",
    }
)
_NAMESPACE_TYPES = frozenset({"ns", "namespace", "namespaces"})
_PROJECT_TYPES = frozenset({"project", "projects"})


class KubectlCall(ParsedCall):
    """`kubectl [flags] VERB [flags] [args]` (or `oc`)."""

    @property
    def target(self) -> str:
        """The context or cluster the command line names, or "" (then the current context)."""
        return self.value("context", "cluster") or ""

    @property
    def in_target(self) -> str:
        """` in context prod` when the command line names a context (or cluster), else ""."""
        if not self.target:
            return ""
        kind = "context" if self.value("context") else "cluster"
        return f" in {kind} {self.target}"

    @property
    def targets_production(self) -> bool:
        """Whether the named context or cluster is production (`--context prod`, `prd-eu`)."""
        return bool(self.target) and is_production(self.target)


def kubectl_call(command: Command) -> KubectlCall | None:
    """Read a kubectl (or oc) command line; None for any other program."""
    program = command.program
    if program not in _KUBECTL:
        return None
    argv = command.argv
    verb = ""
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positionals.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, equals, value = arg[2:].partition("=")
        elif arg.startswith("-") and len(arg) > 1:
            name, equals, value = arg[1:2], "", ""
            if "=" in arg[2:3] or (len(arg) > 2 and arg[1] in _KUBECTL_VALUED):
                equals, value = "=", arg[2:].removeprefix("=")  # -n=prod, -nprod
        elif not verb:
            verb = arg
            continue
        else:
            positionals.append(arg)
            continue
        if not equals and name in _KUBECTL_VALUED and i < len(argv):
            value, equals = argv[i], "="
            i += 1
        options.append((name, value if equals else None))
    return KubectlCall(program, verb, tuple(options), tuple(positionals))


def deleted_namespaces(call: KubectlCall) -> tuple[str, list[str]] | None:
    """("namespace" or "project", names) when `call` deletes namespaces, else None."""
    if call.verb != "delete" or not call.positionals:
        return None
    dry_run = call.value("dry-run")
    if dry_run not in (None, "none", "false") or ("dry-run", None) in call.options:
        return None
    kinds = _NAMESPACE_TYPES | (_PROJECT_TYPES if call.program == "oc" else frozenset())
    first = call.positionals[0]
    if "/" in first:
        pairs = [arg.partition("/") for arg in call.positionals]
        names = [name for kind, _, name in pairs if kind.split(".")[0] in kinds and name]
        matched = [kind.split(".")[0] for kind, _, name in pairs if kind.split(".")[0] in kinds]
    else:
        matched = [kind.split(".")[0] for kind in first.split(",") if kind.split(".")[0] in kinds]
        names = list(call.positionals[1:])
    if not matched:
        return None
    return ("project" if matched[0] in _PROJECT_TYPES else "namespace"), names


class KubectlDeleteNamespace(Rule):
    """A script or CI job runs `kubectl delete namespace`, deleting everything in it.

    Fires on an added `kubectl delete namespace|namespaces|ns NAME`, `kubectl delete ns/NAME`
    and `oc delete project NAME`; `--all` or `--all-namespaces` makes it critical. Deleting a
    pod, deployment or other object inside a namespace (`kubectl delete pod web-1 -n prod`)
    does not fire, nor does a `--dry-run`, nor a delete in a CI job or script that creates its
    own throwaway cluster (kind, minikube, k3d). A namespace named for a short-lived
    environment (`review-42`, `pr-7`, `preview-…`, `e2e`) is one level lower; a
    `--context` or `--cluster` named for production (`prod`, `production`, `prd`, `live`) is
    named in the message and one level higher.

    ## Why it matters
    Deleting a namespace deletes every object in it: deployments, services, secrets, config
    maps, and the persistent volume claims whose volumes are often deleted with them. Nothing
    asks for confirmation, the delete cannot be stopped once the namespace is terminating, and
    a variable that expands to the wrong name or a job that runs against the wrong context
    takes a production namespace down with all its data.

    ## Bad
    ```diff
    --- a/.gitlab-ci.yml
    +++ b/.gitlab-ci.yml
    @@ -20,3 +20,4 @@ cleanup:
       stage: cleanup
       script:
         - kubectl config use-context staging
    +    - kubectl delete namespace review-$CI_MERGE_REQUEST_IID
    ```

    ## Good
    ```diff
    --- a/.gitlab-ci.yml
    +++ b/.gitlab-ci.yml
    @@ -20,3 +20,4 @@ cleanup:
       stage: cleanup
       script:
         - kubectl config use-context staging
    +    - kubectl delete deployment,service -l app=review -n review-$CI_MERGE_REQUEST_IID
    ```
    """

    code = "SH103"
    name = "kubectl-delete-namespace"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        throwaway = throwaway_cluster_units(change)
        for command, line in added_commands(change):
            call = kubectl_call(command)
            deleted = deleted_namespaces(call) if call is not None else None
            if call is None or deleted is None or command.unit in throwaway:
                continue
            kind, names = deleted
            message = _namespace_message(call, kind, names, "xargs" in command.wrappers)
            if message is None:
                continue
            everything = call.flag("all", "all-namespaces", "A")
            severity = Severity.CRITICAL if everything else Severity.HIGH
            if names and all(is_throwaway(name) for name in names):
                severity = severity.shifted(-1)  # a review app, a preview, a test namespace
            if call.targets_production:
                severity = severity.shifted(1)
            yield self.finding(
                change,
                line=line,
                message=message,
                hint=(
                    "delete the objects you mean to remove by name, or have a person delete "
                    "the namespace after checking what it holds"
                ),
                severity=severity,
                confidence=confidence_of(change),
            )


def _namespace_message(call: KubectlCall, kind: str, names: list[str], piped: bool) -> str | None:
    label = "OpenShift project" if kind == "project" else "Kubernetes namespace"
    where = call.in_target
    if names:
        if len(names) == 1:
            return f"deletes {label} {names[0]}{where} and every object in it"
        return f"deletes {label}s {', '.join(names)}{where} and every object in them"
    if call.flag("all"):
        cluster = f"{where[4:]}" if where else "the cluster"
        return f"deletes every {label} in {cluster} and every object in them"
    selector = call.value("l", "selector", "field-selector")
    if selector is not None:
        return f"deletes every {label} matching {selector}{where} and every object in them"
    if piped:
        return f"deletes the {label}s xargs reads from its input{where} and every object in them"
    return None  # kubectl refuses a delete with no name, selector or --all


RULES = (TerraformDestroyCommand, TerraformAutoApprove, KubectlDeleteNamespace)
