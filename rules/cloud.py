"""Cloud deletion commands: aws, gcloud, gsutil, az, and stack destroys of Pulumi, the AWS CDK,
CDK for Terraform, SAM and the Serverless Framework, added to scripts, CI jobs and recipes.

What each command deletes, and how bad that is, comes from `changerisk/data/shell_commands.json`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from changerisk.formats import SCRIPT_FORMATS
from changerisk.parsers.shell import Command
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .shell_common import (
    ParsedCall,
    added_commands,
    confidence_of,
    is_throwaway,
    named,
    read_options,
    severity_named,
    table,
)

# Long options that take no value (every other `--name word` takes the word as its value).
_AWS_BOOLEANS = frozenset(
    {"debug", "no-verify-ssl", "no-paginate", "no-sign-request", "no-cli-pager", "recursive"}
    | {"force", "dryrun", "dry-run", "no-dry-run", "quiet", "only-show-errors", "no-progress"}
    | {"skip-final-snapshot", "no-skip-final-snapshot", "delete-automated-backups"}
    | {
        "no-delete-automated-backups",
        "force-delete-without-recovery",
        "skip-final-cluster-snapshot",
    }
    | {"no-skip-final-cluster-snapshot", "cli-auto-prompt", "no-cli-auto-prompt"}
    | {"exact-timestamps", "follow-symlinks", "no-follow-symlinks", "request-payer"}
)
_GCLOUD_BOOLEANS = frozenset(
    {"quiet", "async", "no-async", "all", "force", "log-http", "user-output-enabled"}
    | {"no-user-output-enabled", "keep-disks", "recursive", "continue-on-error", "all-versions"}
)
_GCLOUD_VALUED: frozenset[str] = frozenset()  # gcloud's short flags take no value
_AZ_BOOLEANS = frozenset(
    {"yes", "no-wait", "debug", "verbose", "only-show-errors", "force", "force-deletion"}
    | {"delete-snapshots", "dryrun", "dry-run"}
)
_AZ_SHORT_VALUED = frozenset({"n", "g", "s", "l", "c", "o"})
_ID_SUFFIXES = ("-name", "-id", "-ids", "-identifier", "-arn", "-url")


class Deletion(NamedTuple):
    """What one cloud command deletes, as the finding will say it."""

    message: str
    severity: Severity
    unattended: bool = False  # a flag answered the CLI's own prompt
    confidence: Confidence | None = None
    names: tuple[str, ...] = ()  # what it deletes, as named on the command line


def cli_call(command: Command) -> ParsedCall | None:
    """Read an aws, gcloud, gsutil or az command: `verb` is its command path (`s3 rm`,
    `sql instances delete`, `group delete`), positionals what follows it."""
    program = command.program
    argv = command.argv
    if program == "aws":
        options, positionals = read_options(argv, booleans=_AWS_BOOLEANS, bundles=False)
        return ParsedCall(
            program, " ".join(positionals[:2]), tuple(options), tuple(positionals[2:])
        )
    if program in ("gcloud", "az"):
        booleans = _GCLOUD_BOOLEANS if program == "gcloud" else _AZ_BOOLEANS
        valued = _GCLOUD_VALUED if program == "gcloud" else _AZ_SHORT_VALUED
        options, positionals = read_options(argv, valued=valued, booleans=booleans, bundles=False)
        while positionals and positionals[0] in ("alpha", "beta"):
            positionals.pop(0)
        return ParsedCall(program, "", tuple(options), tuple(positionals))
    if program == "gsutil":
        options, positionals = read_options(argv, valued={"o", "h", "u", "i"}, bundles=True)
        verb = positionals[0] if positionals else ""
        return ParsedCall(program, verb, tuple(options), tuple(positionals[1:]))
    return None


def command_path(call: ParsedCall, entries: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The longest table key the positionals start with (`sql instances delete`), and the
    names after it; ("", ()) when none matches."""
    words = call.positionals
    for size in range(min(len(words), 5), 0, -1):
        key = " ".join(words[:size])
        if key in entries:
            return key, words[size:]
    return "", ()


def _from_entry(
    call: ParsedCall, entry: dict[str, Any], names: list[str], cli: dict[str, Any]
) -> Deletion:
    says, severity = entry["says"], severity_named(entry["severity"])
    if call.has(*entry.get("raise", ())):
        says, severity = entry.get("says_raised", says), severity.shifted(1)
    if call.has(*entry.get("lower", ())):
        says, severity = entry.get("says_lowered", says), severity.shifted(-1)
    name = ", ".join(names)
    message = says.replace(" {name}", f" {name}" if name else "")
    unattended = call.has(*cli["no_prompt"])
    severity = severity.shifted(1) if unattended else severity
    return Deletion(message, severity, unattended, names=tuple(names))


def _unknown(call: ParsedCall, what: str, names: list[str]) -> Deletion:
    shown = f" on {', '.join(names)}" if names else ""
    return Deletion(
        f"runs {call.program} {what}{shown}: deletes it for good",
        Severity.LOW,
        confidence=Confidence.LOW,
        names=tuple(names),
    )


def aws_deletion(call: ParsedCall) -> Deletion | None:
    if call.has("dry-run", "dryrun"):
        return None
    service, _, operation = call.verb.partition(" ")
    if service == "s3":
        return _s3(call, operation)
    cli = table()["aws"]
    if call.verb in cli["routine"] or "tag" in operation:
        return None
    entry = cli["deletes"].get(call.verb)
    if entry is not None:
        return _from_entry(call, entry, call.values(*entry["id"]), cli)
    if operation.startswith("delete-"):
        names = [v for k, v in call.options if k.endswith(_ID_SUFFIXES) and v is not None]
        return _unknown(call, call.verb, names[:1])
    return None


def _s3(call: ParsedCall, operation: str) -> Deletion | None:
    target = next((arg for arg in call.positionals if arg.startswith("s3://")), "")
    if operation == "rb" and target:
        if call.flag("force"):
            said = f"deletes S3 bucket {target} and every object in it"
            return Deletion(said, Severity.HIGH, names=(target,))
        return Deletion(
            f"deletes S3 bucket {target}: once freed, the name can be claimed by another account",
            Severity.MEDIUM,
            names=(target,),
        )
    if operation == "rm" and target and call.flag("recursive"):
        return _recursive_objects(target, "s3://", call.has("include", "exclude"))
    return None


def _recursive_objects(target: str, scheme: str, filtered: bool) -> Deletion:
    bucket, _, prefix = target.removeprefix(scheme).partition("/")
    where = f"under {target}" if prefix.strip("/*") else f"in bucket {scheme}{bucket}"
    if filtered:
        said = f"deletes every object {where} that the filters match"
        return Deletion(said, Severity.MEDIUM, names=(target,))
    return Deletion(f"deletes every object {where}", Severity.HIGH, names=(target,))


def gcloud_deletion(call: ParsedCall) -> Deletion | None:
    words = call.positionals
    if words[:2] == ("storage", "rm"):
        targets = [w for w in words[2:] if w.startswith("gs://")]
        if targets and call.has("recursive", "r", "R"):
            return _recursive_objects(targets[0], "gs://", False)
        return None
    return _table_lookup(call, "gcloud", ("delete", "destroy"))


def az_deletion(call: ParsedCall) -> Deletion | None:
    if call.has("dryrun", "dry-run"):
        return None
    return _table_lookup(call, "az", ("delete", "purge", "delete-batch"))


def _table_lookup(call: ParsedCall, program: str, verbs: tuple[str, ...]) -> Deletion | None:
    cli = table()[program]
    key, rest = command_path(call, cli["deletes"])
    if key:
        entry = cli["deletes"][key]
        ids = entry["id"]
        names = call.values(*ids) if ids else [w for w in rest if not w.startswith("-")]
        return _from_entry(call, entry, names, cli)
    verb_at = next((i for i, w in enumerate(call.positionals) if w in verbs), -1)
    if verb_at < 1:
        return None
    path = " ".join(call.positionals[: verb_at + 1])
    if path in cli["routine"]:
        return None
    names = list(call.positionals[verb_at + 1 :]) or call.values("name", "n")
    return _unknown(call, path, names[:3])


def gsutil_deletion(call: ParsedCall) -> Deletion | None:
    targets = [arg for arg in call.positionals if arg.startswith("gs://")]
    if not targets:
        return None
    if call.verb == "rb":
        return Deletion(
            f"deletes Cloud Storage bucket {targets[0]}: once freed, the name can be claimed "
            "by anyone",
            Severity.MEDIUM,
            names=(targets[0],),
        )
    if call.verb == "rm" and call.has("r", "R", "recursive"):
        return _recursive_objects(targets[0], "gs://", False)
    return None


# --- whole-stack destroys of other infrastructure-as-code tools ------------------------------

_STACK_VALUED = frozenset(
    {"stack", "s", "cwd", "C", "target", "t", "config-file", "parallel", "p", "message", "m"}
    | {"stack-name", "region", "profile", "stage", "app", "a", "c", "context", "output", "o"}
    | {"config", "exclude", "include", "var", "var-file", "s3-bucket", "role-arn"}
)


def stack_deletion(command: Command) -> Deletion | None:
    """`pulumi destroy`, `cdk destroy`, `cdktf destroy`, `sam delete`, `serverless remove`."""
    program, argv = command.program, command.argv
    options, positionals = read_options(argv, valued=_STACK_VALUED)
    call = ParsedCall(program, positionals[0] if positionals else "", tuple(options), ())
    names = positionals[1:]
    if program == "pulumi" and call.verb in ("destroy", "down"):
        if call.has("preview-only"):
            return None
        stack = call.value("stack", "s")
        where = f"stack {stack}" if stack else "the selected stack"
        targets = call.values("target", "t")
        what = f"{', '.join(targets)} in {where}" if targets else f"every resource in {where}"
        said = f"runs pulumi destroy: deletes {what}"
        return _stack(said, call.flag("yes", "y"), bool(targets), (stack,) if stack else ())
    if program == "cdk" and call.verb == "destroy":
        if call.flag("all") or not names:
            what = "every stack of the app and every resource in them"
        else:
            what = f"CloudFormation stack {', '.join(names)} and every resource in it"
        return _stack(f"runs cdk destroy: deletes {what}", call.flag("force", "f"), False, names)
    if program == "cdktf" and call.verb == "destroy":
        what = f"stack {', '.join(names)}" if names else "the app's stacks"
        return _stack(
            f"runs cdktf destroy: deletes every resource of {what}",
            call.flag("auto-approve"),
            False,
            names,
        )
    if program == "sam" and call.verb == "delete":
        stack = call.value("stack-name")
        what = (
            f"CloudFormation stack {stack}" if stack else "the application's CloudFormation stack"
        )
        return _stack(
            f"runs sam delete: deletes {what} and every resource in it",
            call.flag("no-prompts"),
            False,
            (stack,) if stack else (),
        )
    if program in ("serverless", "sls") and call.verb == "remove":
        stage = call.value("stage", "s")
        what = f"stage {stage} of the service" if stage else "the service's default stage"
        return Deletion(
            f"runs {program} remove: deletes the CloudFormation stack of {what} and every "
            "resource in it",
            Severity.HIGH,
            names=(stage,) if stage else (),
        )
    return None


def _stack(message: str, unattended: bool, targeted: bool, names: Sequence[str] = ()) -> Deletion:
    severity = Severity.CRITICAL if unattended else Severity.HIGH
    severity = severity.shifted(-1) if targeted else severity
    return Deletion(message, severity, unattended, names=tuple(names))


def cloud_deletion(command: Command) -> Deletion | None:
    """What `command` deletes in a cloud account, or None."""
    call = cli_call(command)
    if call is None:
        return stack_deletion(command)
    if call.program == "aws":
        return aws_deletion(call)
    if call.program == "gcloud":
        return gcloud_deletion(call)
    if call.program == "az":
        return az_deletion(call)
    return gsutil_deletion(call)


class CloudDeleteCommand(Rule):
    """A script or CI job deletes cloud resources: a database, bucket, cluster, stack or account.

    Reads `aws`, `gcloud`, `gsutil` and `az` commands, and whole-stack destroys (`pulumi
    destroy`, `cdk destroy`, `cdktf destroy`, `sam delete`, `serverless remove`). What each
    command deletes and its severity come from a table of the commands that delete data or
    whole environments (`changerisk/data/shell_commands.json`): stateful resources (databases,
    buckets, volumes, clusters, DNS zones, keys) are high, stateless ones medium; deletes of
    single messages, items, tags and old versions stay quiet, and any other delete command of
    these CLIs is low. A flag that answers the CLI's own prompt (`--quiet`, `--yes`, `--force`,
    `--no-prompts`) raises the severity one level; skipping a final snapshot raises it too.
    `aws s3 rm` of one object stays quiet; `--recursive` fires. Dry runs never fire.

    ## Why it matters
    These commands delete the real thing, at once, with whatever credentials the job has: a
    database with its automated backups, a bucket with every object, a resource group with
    everything in it. A variable that expands to the wrong name, a job triggered on the wrong
    branch or a profile pointing at production takes out production, and the data does not
    come back.

    ## Bad
    ```diff
    --- a/.github/workflows/cleanup.yml
    +++ b/.github/workflows/cleanup.yml
    @@ -12,2 +12,3 @@ jobs:
           - uses: aws-actions/configure-aws-credentials@v4
           - run: aws cloudformation describe-stacks --stack-name prod-api
    +      - run: aws cloudformation delete-stack --stack-name prod-api
    ```

    ## Good
    ```diff
    --- a/.github/workflows/cleanup.yml
    +++ b/.github/workflows/cleanup.yml
    @@ -12,2 +12,3 @@ jobs:
           - uses: aws-actions/configure-aws-credentials@v4
           - run: aws cloudformation describe-stacks --stack-name prod-api
    +      - run: aws s3 rm s3://prod-api-artifacts/builds/1234.zip
    ```
    """

    code = "SH104"
    name = "cloud-delete-command"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH
    formats = SCRIPT_FORMATS
    confidence = Confidence.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for command, line in added_commands(change):
            deletion = cloud_deletion(command)
            if deletion is None:
                continue
            message, severity = deletion.message, deletion.severity
            if deletion.names and all(is_throwaway(name) for name in deletion.names):
                severity = severity.shifted(-1)  # a review app, a preview, a test stack
            if deletion.unattended:
                head, colon, tail = message.partition(":")
                message = f"{head} without confirmation{colon}{tail}"
            yield self.finding(
                change,
                line=line,
                message=named(message, change),
                hint=(
                    "have a person delete it after checking what it holds; keep a final "
                    "snapshot or backup, and turn on deletion protection for production"
                ),
                severity=severity,
                confidence=deletion.confidence or confidence_of(change),
            )


RULES = (CloudDeleteCommand,)
