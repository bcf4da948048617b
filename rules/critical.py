"""Critical-path rules: changes to the parts of the product a team has declared critical."""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.rule import Category, ChangeSet, Finding, Rule, Severity, path_matches


class CriticalPathChanged(Rule):
    """A change touches a configured critical path (payments, auth, production config…).

    ## Why it matters
    Some files carry more blast radius than their diff shows: the payment flow, the login
    service, the production overlay. Teams list them under `critical-paths`, with the severity
    and the owners a change to them needs; this rule reports every changed file there.

    ## Bad
    ```diff
    diff --git a/services/payments/charge.py b/services/payments/charge.py
    --- a/services/payments/charge.py
    +++ b/services/payments/charge.py
    @@ -1,2 +1,2 @@
     def charge(amount):
    -    return gateway.charge(amount)
    +    return gateway.charge(amount, retry=False)
    ```

    ## Good
    ```diff
    diff --git a/services/search/rank.py b/services/search/rank.py
    --- a/services/search/rank.py
    +++ b/services/search/rank.py
    @@ -1,2 +1,2 @@
     def rank(items):
    -    return sorted(items)
    +    return sorted(items, reverse=True)
    ```

    ## Configuration
    ```toml
    [[tool.changerisk.critical-paths]]
    paths = ["services/payments/"]
    severity = "high"
    owners = ["@acme/payments"]
    description = "payment processing"
    ```
    The examples above assume this configuration. Patterns are gitignore-style.
    """

    code = "CRIT101"
    name = "critical-path-changed"
    category = Category.CRITICAL_PATH
    severity = Severity.HIGH
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        for change in changeset.files:
            paths = {p for p in (change.old_path, change.new_path) if p}
            for entry in self.settings.critical_paths:
                if not any(path_matches(p, entry.patterns) for p in paths):
                    continue
                what = entry.description or ", ".join(entry.patterns)
                owners = f"; owners {', '.join(entry.owners)}" if entry.owners else ""
                line, side = change.first_changed_line()
                yield self.finding(
                    change,
                    line,
                    f"{change.status.value} {change.path} in critical path: {what}{owners}",
                    hint="ask the owners of this path to review; keep the change small",
                    severity=entry.severity,
                    side=side,
                )
                break


RULES = (CriticalPathChanged,)
