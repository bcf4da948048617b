"""Delete-then-recreate sequences in one script, CI job, make target or package.json script:
`terraform destroy` then `apply`, `delete-stack` then `create-stack`, a namespace deleted then
applied into, a Helm release uninstalled then installed, `dropdb` then `createdb`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command, commands_of
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .cloud import cli_call
from .commands import deleted_namespaces, kubectl_call, terraform_call
from .shell_common import (
    ParsedCall,
    confidence_of,
    first_added,
    is_disposable,
    named,
    read_options,
    table,
    throwaway_cluster_units,
)

_ANY = "*"  # a create that recreates whatever of its family was deleted
_ID_SUFFIXES = ("-name", "-id", "-identifier", "-arn", "-url")


class Step(NamedTuple):
    """One half of a recreate: what a command deletes or creates, by a key both halves share."""

    creates: bool
    key: tuple[str, ...]
    what: str  # what is deleted, for the message ("CloudFormation stack prod-api")
    consequence: str = ""  # what recreating it means
    unattended: bool = False
    plural: bool = False  # `what` is "every resource in …": recreates *them*


_EMPTY = "it comes back new and empty, and whatever uses it is down in between"


def steps_of(command: Command) -> list[Step]:
    """The deletes and creates of `command` that a recreate is made of."""
    for reader in (_terraform, _kubectl, _helm, _cloud, _stacks, _postgres):
        found = reader(command)
        if found:
            return found
    return []


def _terraform(command: Command) -> list[Step]:
    call = terraform_call(command)
    if call is None:
        return []
    where = call.value("chdir", "working-dir", "terragrunt-working-dir") or ""
    key = ("terraform", where)
    what = f"every resource in {where}" if where else "every resource in the workspace"
    if call.destroys:
        consequence = (
            "the new resources start empty, so data in its databases and buckets is lost, and "
            "the service is down in between"
        )
        return [Step(False, key, what, consequence, call.auto_approves, plural=True)]
    if call.verb == "apply" and not call.flag("refresh-only"):
        return [Step(True, key, what)]
    return []


_K8S_LOST = "claims lose their data, and the service is down in between"


def _kubectl(command: Command) -> list[Step]:
    call = kubectl_call(command)
    if call is None:
        return []
    files = tuple(call.values("f", "filename", "k", "kustomize"))
    if call.verb == "replace" and call.flag("force") and files:
        what = f"the objects of {', '.join(files)}"
        consequence = f"they are replaced by new ones, {_K8S_LOST}"
        key = ("replace", *files)
        return [Step(False, key, what, consequence, plural=True), Step(True, key, what)]
    if call.verb == "delete":
        deleted = deleted_namespaces(call)
        if deleted is not None:
            kind, names = deleted
            label = "OpenShift project" if kind == "project" else "Kubernetes namespace"
            consequence = f"every object in it is created anew, {_K8S_LOST}"
            return [Step(False, ("ns", name), f"{label} {name}", consequence) for name in names]
        if files and not call.has("dry-run"):
            what = f"the objects of {', '.join(files)}"
            consequence = f"they are replaced by new ones, {_K8S_LOST}"
            return [Step(False, ("file", *files), what, consequence, plural=True)]
        return []
    if call.verb in ("apply", "create"):
        if call.verb == "create" and call.positionals[:1] in (("ns",), ("namespace",)):
            return [Step(True, ("ns", name), name) for name in call.positionals[1:2]]
        steps = [Step(True, ("file", *files), "")] if files else []
        namespace = call.value("n", "namespace")
        steps.append(Step(True, ("ns", namespace or _ANY), ""))
        return steps
    return []


_HELM_VALUED = frozenset({"n", "namespace", "f", "values", "set", "version", "kube-context"})
_HELM_VALUED |= {"timeout", "set-string", "set-file", "repo", "description", "kubeconfig"}


def _helm(command: Command) -> list[Step]:
    if command.program != "helm":
        return []
    options, words = read_options(command.argv, valued=_HELM_VALUED)
    if len(words) < 2:
        return []
    verb, release = words[0], words[1]
    if verb in ("uninstall", "delete", "del", "un"):
        consequence = f"every object of the chart is created anew, {_K8S_LOST}"
        return [
            Step(False, ("helm", name), f"Helm release {name}", consequence) for name in words[1:]
        ]
    installs = verb == "install" or (
        verb == "upgrade" and any(name in ("install", "i") for name, _ in options)
    )
    return [Step(True, ("helm", release), "")] if installs else []


def _cloud(command: Command) -> list[Step]:
    call = cli_call(command)
    if call is None:
        return []
    if call.program == "aws":
        return _aws(call)
    if call.program in ("gcloud", "az"):
        return _gcloud_az(call)
    return []


def _aws(call: ParsedCall) -> list[Step]:
    service, _, operation = call.verb.partition(" ")
    if service == "s3" and operation in ("rb", "mb"):
        bucket = next((arg.rstrip("/") for arg in call.positionals if arg.startswith("s3://")), "")
        return (
            [Step(operation == "mb", ("s3", bucket), f"S3 bucket {bucket}", _EMPTY)]
            if bucket
            else []
        )
    if service == "cloudformation" and operation == "deploy":
        stack = call.value("stack-name")
        return [Step(True, ("cfn", stack), "")] if stack else []
    verb, _, noun = operation.partition("-")
    if verb not in ("delete", "create") or not noun:
        return []
    name = next((v for k, v in call.options if k.endswith(_ID_SUFFIXES) and v), None)
    if name is None:
        return []
    key = ("cfn", name) if call.verb.startswith("cloudformation ") else ("aws", service, noun, name)
    entry = table()["aws"]["deletes"].get(f"{service} delete-{noun}")
    noun_said = entry["says"].split(" {name}")[0].split(" ", 1)[1] if entry else f"{service} {noun}"
    what = f"CloudFormation stack {name}" if key[0] == "cfn" else f"{noun_said} {name}"
    consequence = (
        "every resource in it is replaced by a new, empty one, and the service is down in between"
        if key[0] == "cfn"
        else _EMPTY
    )
    return [Step(verb == "create", key, what, consequence)]


def _gcloud_az(call: ParsedCall) -> list[Step]:
    words = call.positionals
    verb_at = next((i for i, w in enumerate(words) if w in ("delete", "create")), -1)
    if verb_at < 1:
        return []
    path = " ".join(words[:verb_at])
    names = list(words[verb_at + 1 :]) if call.program == "gcloud" else call.values("name", "n")
    creates = words[verb_at] == "create"
    unattended = call.has("quiet", "q", "yes", "y")
    entry = table()[call.program]["deletes"].get(f"{path} delete")
    noun = entry["says"].split(" {name}")[0].removeprefix("deletes ") if entry else path
    return [
        Step(creates, (call.program, path, name), f"{noun} {name}", _EMPTY, unattended)
        for name in names[:1]
        if not name.startswith("-")
    ]


_STACK_VALUED = frozenset({"stack", "s", "stack-name", "stage", "cwd", "C", "app", "a"})


_STACK_LABELS = {"pulumi": "Pulumi", "cdk": "CDK", "sam": "SAM", "serverless": "Serverless"}


def _stacks(command: Command) -> list[Step]:
    program, argv = command.program, command.argv
    if program not in ("pulumi", "cdk", "sam", "serverless", "sls"):
        return []
    options, words = read_options(argv, valued=_STACK_VALUED)
    call = ParsedCall(program, words[0] if words else "", tuple(options), tuple(words[1:]))
    family = "serverless" if program == "sls" else program
    target = call.value("stack", "s", "stack-name", "stage") or " ".join(call.positionals) or _ANY
    destroys = {"pulumi": ("destroy", "down"), "cdk": ("destroy",), "sam": ("delete",)}
    creates = {"pulumi": ("up", "update"), "cdk": ("deploy",), "sam": ("deploy",)}
    label = _STACK_LABELS[family]
    if target == _ANY:
        shown = f"the selected {label} stack" if family == "pulumi" else f"the app's {label} stacks"
    else:
        shown = f"{label} stack {target}" if family != "serverless" else f"stage {target}"
        shown += " of the Serverless service" if family == "serverless" else ""
    consequence = (
        "every resource in it is replaced by a new, empty one, and the service is down in between"
    )
    unattended = call.flag("yes", "y", "force", "f", "no-prompts")
    if call.verb in destroys.get(family, ("remove",)):
        return [Step(False, (family, target), shown, consequence, unattended)]
    if call.verb in creates.get(family, ("deploy",)):
        return [Step(True, (family, target), "")]
    return []


def _postgres(command: Command) -> list[Step]:
    if command.program not in ("dropdb", "createdb"):
        return []
    valued = {"h", "host", "p", "port", "U", "username", "O", "owner", "T", "template", "E"}
    valued |= {"encoding", "l", "locale", "D", "tablespace", "maintenance-db", "S", "strategy"}
    _, words = read_options(command.argv, valued=valued, bundles=False)
    if not words or is_disposable(words[0]):
        return []
    name = words[0]
    consequence = "it comes back empty, so every table and row in it is lost"
    return [
        Step(
            command.program == "createdb",
            ("pgdb", name),
            f"PostgreSQL database {name}",
            consequence,
        )
    ]


class Recreate(NamedTuple):
    deleted: Step
    deleted_at: int
    created_at: int


def recreates(
    commands: tuple[Command, ...], added: frozenset[int]
) -> Iterator[tuple[Recreate, int]]:
    """Each delete followed by a create of the same thing in the same unit, with the line to
    report (the first added line of the two); pairs with no added line are left out."""
    by_unit: dict[int, list[Command]] = {}
    for command in commands:
        by_unit.setdefault(command.unit, []).append(command)
    for unit in by_unit.values():
        deleted: dict[tuple[str, ...], tuple[Step, Command]] = {}
        reported: set[tuple[str, ...]] = set()
        cwd = ""
        for command in sorted(unit, key=lambda c: c.line):
            if command.program == "cd":
                cwd = command.argv[1] if len(command.argv) > 1 else "~"
            for step in steps_of(command):
                if step.key[0] in _DIRECTORY_BOUND:
                    step = step._replace(key=(*step.key[:-1], cwd, step.key[-1]))
                if not step.creates:
                    deleted.setdefault(step.key, (step, command))
                    continue
                for key, (gone, source) in list(deleted.items()):
                    if key in reported or not _same(key, step.key):
                        continue
                    line = min(
                        (n for n in (first_added(source, added), first_added(command, added)) if n),
                        default=0,
                    )
                    if line:
                        reported.add(key)
                        yield Recreate(gone, source.line, command.line), line


# Families whose commands act on the working directory: `cd a && terraform destroy` and
# `cd b && terraform apply` are two different workspaces.
_DIRECTORY_BOUND = frozenset({"terraform", "file", "replace", "pulumi", "cdk", "sam", "serverless"})


def _same(deleted: tuple[str, ...], created: tuple[str, ...]) -> bool:
    if deleted == created:
        return True
    return deleted[:-1] == created[:-1] and _ANY in (deleted[-1], created[-1])


_CLUSTER_PROGRAMS = frozenset({"kubectl", "oc", "kubecolor", "helm"})


class DeleteThenRecreate(Rule):
    """A script or CI job deletes something and creates it again: torn down and rebuilt empty.

    Fires when one script, CI job, make target or package.json script runs, in order: `terraform
    destroy` then `terraform apply` (also tofu, terragrunt; the same `-chdir`); `aws
    cloudformation delete-stack` then `create-stack` or `deploy` of the same stack, and any `aws
    … delete-X` then `create-X` with the same name; `gcloud … delete` then `create`, and `az …
    delete` then `create`, of the same name; `kubectl delete namespace` then `create namespace`
    or an `apply` into it; `kubectl delete -f F` then `apply -f F`, and `kubectl replace
    --force`; `helm uninstall` then `helm install` or `upgrade --install` of the release;
    `pulumi destroy` then `up`, `cdk destroy` then `deploy`, `sam delete` then `deploy`,
    `serverless remove` then `deploy`; `dropdb` then `createdb`. One of the two must be added
    by the change. Critical when the delete skips its prompt (`-auto-approve`, `--yes`).

    ## Why it matters
    Deleting and recreating is how an agent "fixes" a resource it cannot update in place, and
    how a 13-hour outage started: everything in between is down, the recreated databases,
    buckets and volumes are empty, names and addresses change, and anything that fails halfway
    leaves nothing running at all.

    ## Bad
    ```diff
    --- a/scripts/reset-env.sh
    +++ b/scripts/reset-env.sh
    @@ -1,3 +1,5 @@
     #!/usr/bin/env bash
     set -euo pipefail
     cd "infra/$ENV"
    +terraform destroy -auto-approve
    +terraform apply -auto-approve
    ```

    ## Good
    ```diff
    --- a/scripts/reset-env.sh
    +++ b/scripts/reset-env.sh
    @@ -1,3 +1,5 @@
     #!/usr/bin/env bash
     set -euo pipefail
     cd "infra/$ENV"
    +terraform plan -out=tfplan
    +terraform apply tfplan
    ```
    """

    code = "SH201"
    name = "delete-then-recreate"
    category = Category.RECREATE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        throwaway = throwaway_cluster_units(change)
        commands = tuple(
            command
            for command in commands_of(change)
            if command.unit not in throwaway or command.program not in _CLUSTER_PROGRAMS
        )
        for recreate, line in recreates(commands, change.added_line_numbers):
            gone = recreate.deleted
            unattended = " without confirmation" if gone.unattended else ""
            them = "them" if gone.plural else "it"
            if recreate.deleted_at == recreate.created_at:
                where = f" and creates {them} again in one command"
            else:
                where = (
                    f" (line {recreate.deleted_at}) and creates {them} again "
                    f"(line {recreate.created_at})"
                )
            yield self.finding(
                change,
                line=line,
                message=named(
                    f"deletes {gone.what}{unattended}{where}: {gone.consequence}", change
                ),
                hint=(
                    "change it in place (plan and apply, helm upgrade, kubectl apply), or build "
                    "the new one beside the old and switch over"
                ),
                severity=Severity.CRITICAL if gone.unattended else Severity.HIGH,
                confidence=confidence_of(change),
            )


RULES = (DeleteThenRecreate,)
