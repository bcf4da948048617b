"""Critical-path rules: changes to the parts of the product a team has declared critical."""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.rule import Category, ChangeSet, Confidence, Finding, Rule, Severity, path_matches


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


# Built-in critical areas: (what, severity, gitignore-style patterns). Configured critical
# paths take precedence; non-production paths (tests, fixtures, docs…) and prose are skipped.
_AREAS: tuple[tuple[str, Severity, tuple[str, ...]], ...] = (
    (
        "payments and billing",
        Severity.LOW,
        (
            "**/payment/**",
            "**/payments/**",
            "**/billing/**",
            "**/checkout/**",
            "**/invoic*/**",
            "**/*payment*.*",
            "**/*billing*.*",
            "**/*checkout*.*",
        ),
    ),
    (
        "authentication and sessions",
        Severity.LOW,
        (
            "**/auth/**",
            "**/authn/**",
            "**/authz/**",
            "**/authentication/**",
            "**/authorization/**",
            "**/login/**",
            "**/oauth*/**",
            "**/sso/**",
            "**/sessions/**",
            "**/auth.*",
            "**/auth_*.*",
            "**/*_auth.*",
            "**/authentication.*",
            "**/login.*",
            "**/session.*",
            "**/sessions.*",
            "**/permissions.*",
        ),
    ),
    (
        "cryptography",
        Severity.LOW,
        (
            "**/crypto/**",
            "**/cryptography/**",
            "**/encryption/**",
            "**/*crypto*.*",
            "**/*encrypt*.*",
        ),
    ),
    (
        "secrets management",
        Severity.LOW,
        ("**/secrets/**", "**/vault/**", ".sops.yaml", "**/*.sops.*", "**/*secret*.*"),
    ),
    (
        "database configuration",
        Severity.INFO,
        (
            "**/database.yml",
            "**/database.yaml",
            "**/knexfile.*",
            "**/ormconfig.*",
            "**/alembic.ini",
            "**/flyway.conf",
            "**/pgbouncer.ini",
        ),
    ),
    (
        "deployment pipeline",
        Severity.INFO,
        (
            ".github/workflows/*deploy*",
            ".github/workflows/*release*",
            "**/deploy/**",
            "**/deployment/**",
            "**/argocd/**",
            "**/helmfile*",
            "**/.gitlab-ci.yml",
            "**/Jenkinsfile",
        ),
    ),
    (
        "production environment",
        Severity.INFO,
        (
            "**/overlays/prod*/**",
            "**/environments/prod*/**",
            "**/envs/prod*/**",
            "**/env/prod*/**",
            "**/*prod*.tfvars",
            "**/*production*.tfvars",
            "**/values-prod*.y*ml",
            "**/values.prod*.y*ml",
        ),
    ),
)
_PROSE = frozenset({"markdown", "docs", "text"})
# The patterns of every area: none is negated, so a path matches this list exactly when it
# matches some area's.
_ANY_AREA = tuple(pattern for _, _, patterns in _AREAS for pattern in patterns)


class CriticalAreaChanged(Rule):
    """A change touches code that is critical in most products: payments, login, crypto…

    ## Why it matters
    Some parts of a product carry more blast radius than their diff shows: the payment flow,
    authentication and sessions, cryptography and secrets, database configuration, deployment
    pipelines, production overlays. This rule recognises them by path with built-in patterns,
    so a change there is visible even before a team lists its own `critical-paths` (which take
    precedence, with their own severity and owners). Tests, fixtures, docs and prose are not
    reported.

    ## Bad
    ```diff
    diff --git a/app/billing/invoice.py b/app/billing/invoice.py
    --- a/app/billing/invoice.py
    +++ b/app/billing/invoice.py
    @@ -1,2 +1,2 @@
     def total(lines):
    -    return sum(line.amount for line in lines)
    +    return sum(line.amount for line in lines if line.amount > 0)
    ```

    ## Good
    ```diff
    diff --git a/app/search/rank.py b/app/search/rank.py
    --- a/app/search/rank.py
    +++ b/app/search/rank.py
    @@ -1,2 +1,2 @@
     def rank(items):
    -    return sorted(items)
    +    return sorted(items, reverse=True)
    ```
    """

    code = "CRIT102"
    name = "critical-area-changed"
    category = Category.CRITICAL_PATH
    severity = Severity.LOW
    confidence = Confidence.LOW
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        options = self.settings.options
        quiet = tuple(str(p) for p in _strings(options.get("environments.non-production")))
        configured = tuple(p for cp in self.settings.critical_paths for p in cp.patterns)
        for change in changeset.files:
            paths = [p for p in (change.new_path, change.old_path) if p]
            if not any(path_matches(p, _ANY_AREA) for p in paths):
                continue  # most files: one match against every area's patterns at once
            if change.formats & _PROSE or any(path_matches(p, quiet) for p in paths):
                continue
            if configured and any(path_matches(p, configured) for p in paths):
                continue  # CRIT101 reports it, as the team configured
            for what, severity, patterns in _AREAS:
                if any(path_matches(p, patterns) for p in paths):
                    line, side = change.first_changed_line()
                    yield self.finding(
                        change,
                        line,
                        f"{change.status.value} {change.path}: {what} code (built-in pattern)",
                        hint="have someone who knows this area review it; list the path under "
                        "critical-paths to set its severity and owners",
                        severity=severity,
                        side=side,
                    )
                    break


def _strings(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else ()


RULES = (CriticalPathChanged, CriticalAreaChanged)
