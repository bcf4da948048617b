"""Integrity rules: a change must not be able to quietly switch off its own guardrail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from changerisk.regex import lazy_compile
from changerisk.rule import (
    Category,
    FileChange,
    Finding,
    Rule,
    Severity,
    Status,
    added_suppressions,
)

from .guardrail import complete, config_table, gates, key_line, weakenings

_SECTION = lazy_compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


class SuppressionWithoutReason(Rule):
    """An inline suppression gives no reason, so it suppresses nothing.

    ## Why it matters
    `changerisk: ignore[CODE]` switches a finding off for the line below or the same line.
    Without a reason, a reviewer cannot tell a considered exception from a silenced alarm, so
    changerisk ignores such suppressions and reports them.

    ## Bad
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
    +# changerisk: ignore[SH101]
     terraform destroy
    ```

    ## Good
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
    +# changerisk: ignore[SH101] preview stacks are torn down nightly (OPS-1234)
     terraform destroy
    ```
    """

    code = "INT101"
    name = "suppression-without-reason"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, change: FileChange) -> Iterator[Finding]:
        for entry in added_suppressions(change):
            if not entry.reason or not entry.codes:
                what = ", ".join(entry.codes) or "no rule code"
                yield self.finding(
                    change,
                    entry.line,
                    f"suppresses {what} without a reason: the suppression is ignored",
                    hint="write why after the bracket: changerisk: ignore[CODE] reason",
                )


class SuppressionAdded(Rule):
    """The change adds an inline suppression, switching a finding off for its own lines.

    ## Why it matters
    A change that silences the check on itself needs a second pair of eyes on that decision:
    the suppressed finding is listed in the report and this finding keeps the review tier at
    least at peer level.

    ## Bad
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
    +# changerisk: ignore[SH101] preview stacks are torn down nightly
     terraform destroy
    ```

    ## Good
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,3 +1,3 @@
     #!/bin/sh
     # changerisk: ignore[SH101] preview stacks are torn down nightly
    -terraform destroy
    +terraform destroy -target=module.preview
    ```
    """

    code = "INT102"
    name = "suppression-added"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM

    def check(self, change: FileChange) -> Iterator[Finding]:
        for entry in added_suppressions(change):
            if entry.reason and entry.codes:
                until = f" until {entry.until_text}" if entry.until_text else ""
                yield self.finding(
                    change,
                    entry.line,
                    f"adds a suppression of {', '.join(entry.codes)}{until}: {entry.reason}",
                    hint="a reviewer should agree with the reason; prefer fixing the finding",
                )


class ConfigChanged(Rule):
    """The change edits changerisk's own configuration.

    ## Why it matters
    The configuration decides what is checked, what blocks and who must review. A change that
    also edits it can lower its own bar, so the edit is reported for a reviewer to confirm.

    ## Bad
    ```diff
    diff --git a/.changerisk.toml b/.changerisk.toml
    --- a/.changerisk.toml
    +++ b/.changerisk.toml
    @@ -1,2 +1,2 @@
    -fail-on = "high"
    +fail-on = "critical"
     ignore = []
    ```

    ## Good
    ```diff
    diff --git a/pyproject.toml b/pyproject.toml
    --- a/pyproject.toml
    +++ b/pyproject.toml
    @@ -1,5 +1,5 @@
     [project]
    -version = "1.0.0"
    +version = "1.0.1"

     [tool.changerisk]
     fail-on = "high"
    ```
    """

    code = "INT103"
    name = "changerisk-config-changed"
    category = Category.INTEGRITY
    severity = Severity.MEDIUM
    formats = frozenset({"toml"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        name = change.path.rsplit("/", 1)[-1]
        if name == ".changerisk.toml":
            line, side = change.first_changed_line()
            yield self.finding(
                change,
                line,
                f"changes the changerisk configuration ({change.status.value} {change.path})",
                hint="have a reviewer confirm the new policy, in its own change if possible",
                side=side,
                severity=_config_change_severity(change),
            )
        elif name == "pyproject.toml":
            new_sections = _sections(change.new_text() or "")
            old_sections = _sections(change.old_text() or "")
            for added in change.added_lines:
                if added.new_no and new_sections.get(added.new_no, "").startswith(
                    "tool.changerisk"
                ):
                    yield self._pyproject(change, added.new_no, "new")
                    return
            for removed in change.removed_lines:
                if removed.old_no and old_sections.get(removed.old_no, "").startswith(
                    "tool.changerisk"
                ):
                    yield self._pyproject(change, removed.old_no, "old")
                    return

    def _pyproject(self, change: FileChange, line: int, side: str) -> Finding:
        return self.finding(
            change,
            line,
            "changes the changerisk configuration in [tool.changerisk]",
            hint="have a reviewer confirm the new policy, in its own change if possible",
            side=side,
            severity=_config_change_severity(change),
        )


def _config_change_severity(change: FileChange) -> Severity:
    """Info when both sides read and the new one checks no less (INT105 names what weakens)."""
    old, new = config_table(change, "old"), config_table(change, "new")
    if old is None or new is None or change.status is Status.DELETED:
        return Severity.MEDIUM
    return Severity.MEDIUM if any(True for _ in weakenings(old, new)) else Severity.INFO


class SuppressionExpiryTooFar(Rule):
    """An added suppression expires too far ahead, has an expiry that is no date, or has expired.

    ## Why it matters
    An exception with an expiry (`changerisk: ignore[TF101] until=2026-12-31 reason`) comes
    back to a reviewer when it runs out. One that runs for years is a permanent silence with a
    date on it; one whose date cannot be read, or lies in the past, suppresses nothing. The
    longest expiry allowed is `exceptions.max-days` (90 days) from today.

    ## Bad
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
    +# changerisk: ignore[SH104] until=2999-12-31 preview stacks are torn down nightly
     aws rds delete-db-instance --db-instance-identifier preview
    ```

    ## Good
    ```diff
    diff --git a/deploy.sh b/deploy.sh
    --- a/deploy.sh
    +++ b/deploy.sh
    @@ -1,2 +1,3 @@
     #!/bin/sh
    +# changerisk: ignore[SH104] preview stacks are torn down nightly (OPS-1234)
     aws rds delete-db-instance --db-instance-identifier preview
    ```

    ## Configuration
    ```toml
    [tool.changerisk.exceptions]
    max-days = 90
    ```
    """

    code = "INT104"
    name = "suppression-expiry-too-far"
    category = Category.PROCESS
    severity = Severity.MEDIUM

    def check(self, change: FileChange) -> Iterator[Finding]:
        options = self.settings.options
        max_days = options.get("exceptions.max-days", 90)
        limit = max_days if isinstance(max_days, int) else 90
        today_text = options.get("exceptions.today")
        today = date.fromisoformat(today_text) if isinstance(today_text, str) else date.today()
        for entry in added_suppressions(change):
            if not entry.until_text or not entry.codes or not entry.reason:
                continue
            what = ", ".join(entry.codes)
            until = entry.until
            if until is None:
                message = (
                    f"suppresses {what} until {entry.until_text!r}, which is no date: "
                    "the suppression is ignored"
                )
            elif until < today:
                message = f"suppresses {what} until {until}, already past: it suppresses nothing"
            elif (until - today).days > limit:
                message = (
                    f"suppresses {what} until {until}, {(until - today).days} days from now: "
                    f"more than the {limit} days exceptions may run"
                )
            else:
                continue
            yield self.finding(
                change,
                entry.line,
                message,
                hint=f"give a date (YYYY-MM-DD) at most {limit} days ahead, and renew it when "
                "it runs out if the reason still holds",
            )


def _sections(text: str) -> dict[int, str]:
    """The TOML table each line belongs to."""
    current = ""
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SECTION.match(line)
        if match:
            current = match.group(1).strip().strip('"')
        out[number] = current
    return out


class ConfigWeakened(Rule):
    """The change weakens changerisk's own configuration: a higher fail-on, ignored rules or
    paths, a narrower select, fewer critical paths, lower tiers, new exceptions.

    ## Why it matters
    A change that lowers the bar it is measured by can pass a check it would otherwise fail,
    and so can every change after it. The old and new configuration are compared key by key
    and each weakening is named; a configuration that only tightens is not reported here
    (INT103 notes it at info).

    ## Bad
    ```diff
    diff --git a/.changerisk.toml b/.changerisk.toml
    --- a/.changerisk.toml
    +++ b/.changerisk.toml
    @@ -1,2 +1,2 @@
    -fail-on = "high"
    -ignore = []
    +fail-on = "critical"
    +ignore = ["IAM"]
    ```

    ## Good
    ```diff
    diff --git a/.changerisk.toml b/.changerisk.toml
    --- a/.changerisk.toml
    +++ b/.changerisk.toml
    @@ -1,2 +1,2 @@
    -fail-on = "critical"
    +fail-on = "high"
     ignore = []
    ```
    """

    code = "INT105"
    name = "changerisk-config-weakened"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    formats = frozenset({"toml"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        name = change.path.rsplit("/", 1)[-1]
        if name not in (".changerisk.toml", "pyproject.toml"):
            return
        old, new = config_table(change, "old"), config_table(change, "new")
        if old is None or new is None:
            return
        if name == "pyproject.toml" and change.status is Status.DELETED:
            return
        if change.status is Status.DELETED:
            found = list(weakenings(old, {}))
            if found:
                line, side = change.first_changed_line()
                yield self.finding(
                    change,
                    line,
                    f"deletes {change.path}: defaults apply, so "
                    + "; ".join(w.message for w in found[:3]),
                    hint="keep the configuration; change one setting at a time, with a reason",
                    side=side,
                )
            return
        for weakening in weakenings(old, new):
            line, side = key_line(change, weakening.key)
            yield self.finding(
                change,
                line,
                weakening.message,
                hint="have the owners of the policy approve this in its own change, with the "
                "reason; prefer a suppression with an expiry on the one finding",
                side=side,
            )


class GateWeakened(Rule):
    """The pre-commit hook or CI step that runs changerisk is removed, skipped, or made
    unable to fail.

    ## Why it matters
    The check protects nothing if the change that it checks can also switch it off: a
    removed hook, `stages: [manual]`, `continue-on-error: true`, `allow_failure: true`,
    `|| true`, `--fail-on none` or `if: false` let every later change through. A hook or
    step moved or renamed with the same command is not reported. Wrappers that run the
    check (`make risk`) are named in `integrity.gate-commands`.

    ## Bad
    ```diff
    diff --git a/.github/workflows/risk.yml b/.github/workflows/risk.yml
    --- a/.github/workflows/risk.yml
    +++ b/.github/workflows/risk.yml
    @@ -1,7 +1,8 @@
     on: pull_request
     jobs:
       risk:
         runs-on: ubuntu-latest
         steps:
           - name: changerisk
    +        continue-on-error: true
             run: changerisk check --base origin/main
    ```

    ## Good
    ```diff
    diff --git a/.github/workflows/risk.yml b/.github/workflows/risk.yml
    --- a/.github/workflows/risk.yml
    +++ b/.github/workflows/risk.yml
    @@ -1,7 +1,7 @@
     on: pull_request
     jobs:
       risk:
         runs-on: ubuntu-latest
         steps:
           - name: changerisk
    -        run: changerisk check --base origin/main
    +        run: changerisk check --base origin/main --format github
    ```

    ## Configuration
    ```toml
    [tool.changerisk.integrity]
    gate-commands = ["make risk"]
    ```
    """

    code = "INT106"
    name = "changerisk-gate-weakened"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    formats = frozenset({"yaml", "ci", "github-workflow"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        name = change.path.rsplit("/", 1)[-1]
        if name not in (".pre-commit-config.yaml", ".pre-commit-config.yml") and not (
            change.formats & {"ci", "github-workflow"}
        ):
            return
        configured = self.settings.options.get("integrity.gate-commands", ("changerisk",))
        commands = (
            tuple(str(c) for c in configured)
            if isinstance(configured, (tuple, list))
            else ("changerisk",)
        )
        before = gates(change, "old", commands)
        if not before:
            return
        after = gates(change, "new", commands) if change.new_path is not None else {}
        if not after and change.new_path is not None and not complete(change, "new"):
            return  # a bare diff may not show where the gate went
        for identity, gate in before.items():
            now = after.get(identity)
            if now is None and len(after) >= len(before):
                continue  # renamed or moved: a gate of the same kind is still there
            if now is None:
                line = (
                    gate.line
                    if gate.line in change.removed_line_numbers
                    else next(iter(sorted(change.removed_line_numbers)), gate.line)
                )
                yield self.finding(
                    change,
                    line,
                    f"removes {gate.label}, which runs changerisk: changes are no longer "
                    "checked there",
                    hint="keep the gate; if it must change, change it in its own reviewed change",
                    side="old",
                )
                continue
            for flag in sorted(now.flags - gate.flags):
                line = now.flag_lines.get(flag, now.line)
                if line not in change.added_line_numbers:
                    continue
                yield self.finding(
                    change,
                    line,
                    f"{now.label} runs changerisk, but now {flag}: the check no longer blocks",
                    hint="keep the gate able to fail; suppress single findings with a reason "
                    "instead",
                )


RULES = (
    SuppressionWithoutReason,
    SuppressionAdded,
    ConfigChanged,
    SuppressionExpiryTooFar,
    ConfigWeakened,
    GateWeakened,
)
