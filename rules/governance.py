"""Repository governance rules: who must approve what (CODEOWNERS) and what a merge to a
protected branch requires (branch protection settings and rulesets).

CODEOWNERS files are read with the `codeowners` library, whose matching follows GitHub's (the
last matching pattern decides). With a repository, every file of the base revision is asked
who owned it before and who owns it after, so an override by a later, broader pattern is seen
with the files it moves; on a bare diff, one sample path per pattern stands in for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from changerisk.owners import LOCATIONS, files_at, parse_codeowners
from changerisk.parsers.yamldoc import YNode, stream_of
from changerisk.rule import Category, ChangeSet, FileChange, Finding, Rule, Severity, Status

from . import host_access as host_rules
from . import workflows as workflow_rules

_EXAMPLES = 3


class _Rule(NamedTuple):
    line: int
    pattern: str
    owners: tuple[str, ...]


def _decide(parsed: Any, path: str) -> _Rule | None:
    owners, line, pattern, _ = parsed.matching_line(path)
    if line is None:
        return None
    return _Rule(line, pattern or "", tuple(owner for _, owner in owners))


def _probe(pattern: str) -> list[str]:
    """Sample paths a pattern matches, for a bare diff without the repository's files."""
    if not pattern or pattern.startswith(("!", "#", "[", "^[")):
        return []
    path = re.sub(r"\[[^\]]*\]", "x", pattern.lstrip("/"))
    path = path.replace("**", "a").replace("*", "x").replace("?", "x")
    if not path:
        return ["x.file"]
    if path.endswith("/"):
        return [path + "x.file"]
    return [path, path + "/x.file"]


def _patterns(text: str) -> list[str]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "[", "^[")):
            continue
        out.append(line.split()[0])
    return out


def _covers(parsed: Any, line: int, pattern: str) -> bool:
    """Whether the rule on `line` matches every sample path of `pattern` (is as broad)."""
    regex = next((entry[0] for entry in parsed.paths if entry[3] == line), None)
    probes = _probe(pattern)
    if regex is None or not probes:
        return True
    return all(regex.search(path) is not None for path in probes)


class _Loss(NamedTuple):
    kind: str  # "unowned" | "dropped" | "moved"
    before: _Rule
    after: _Rule | None
    paths: tuple[str, ...]


def owner_losses(old_text: str, new_text: str, files: Sequence[str] | None) -> list[_Loss]:
    """Paths that lose owners they had, grouped by the rule before and the rule after."""
    old, new = parse_codeowners(old_text), parse_codeowners(new_text)
    probes = (
        list(files)
        if files is not None
        else list(
            dict.fromkeys(
                p for pat in _patterns(old_text) + _patterns(new_text) for p in _probe(pat)
            )
        )
    )
    groups: dict[tuple[str, int, int], list[str]] = {}
    rules: dict[tuple[str, int, int], tuple[_Rule, _Rule | None]] = {}
    for path in probes:
        before = _decide(old, path)
        if before is None or not before.owners:
            continue
        after = _decide(new, path)
        kept = set(after.owners) if after is not None else set()
        if set(before.owners) <= kept:
            continue
        if not kept:
            kind = "unowned"
        elif (
            after is not None
            and after.pattern != before.pattern
            and not _covers(new, after.line, before.pattern)
        ):
            continue  # a narrower rule hands part of the paths to other owners: delegation
        elif kept < set(before.owners):
            kind = "dropped"
        else:
            kind = "moved"
        key = (kind, before.line, after.line if after is not None else 0)
        groups.setdefault(key, []).append(path)
        rules[key] = (before, after)
    return [
        _Loss(key[0], rules[key][0], rules[key][1], tuple(paths))
        for key, paths in sorted(groups.items(), key=lambda item: (item[0][1], item[0][2]))
    ]


class CodeownersCoverageLost(Rule):
    """Paths lose their code owners: a rule or its owners are removed, a later broader pattern
    overrides earlier specific ones, or the CODEOWNERS file itself goes.

    ## Why it matters
    With branch protection's "require review from code owners", CODEOWNERS decides who must
    approve a change to each path. Removing an owner, deleting a rule, or adding a catch-all
    pattern after the specific ones (the last match wins) silently lets changes to those paths
    merge without the team that runs them. Adding owners is not reported.

    ## Bad
    ```diff
    diff --git a/.github/CODEOWNERS b/.github/CODEOWNERS
    --- a/.github/CODEOWNERS
    +++ b/.github/CODEOWNERS
    @@ -1,3 +1,4 @@
     * @acme/platform
     /services/payments/ @acme/payments
     /infra/ @acme/sre
    +/services/ @acme/backend
    ```

    ## Good
    ```diff
    diff --git a/.github/CODEOWNERS b/.github/CODEOWNERS
    --- a/.github/CODEOWNERS
    +++ b/.github/CODEOWNERS
    @@ -1,3 +1,4 @@
     * @acme/platform
    +/services/ @acme/backend
     /services/payments/ @acme/payments
     /infra/ @acme/sre
    ```
    """

    code = "GOV101"
    name = "codeowners-coverage-lost"
    category = Category.ACCESS
    severity = Severity.MEDIUM
    formats = frozenset({"codeowners"})
    scope = "changeset"

    def check_changeset(self, changeset: ChangeSet) -> Iterator[Finding]:
        owners_files = [c for c in changeset.files if "codeowners" in c.formats]
        files: tuple[str, ...] | None = None
        if owners_files:
            files = files_at(changeset.repo_root, changeset.base_rev)
        for change in owners_files:
            old_text = change.old_text()
            if old_text is None:
                continue  # a new CODEOWNERS file adds owners
            new_text = change.new_text()
            if new_text is None:
                partner = _replacement(change, owners_files)
                if partner is None:
                    yield self._removed(change, old_text, files)
                    continue
                new_text = partner.new_text() or ""
            for loss in owner_losses(old_text, new_text, files):
                yield self._loss(change, loss, files is not None)

    def _removed(self, change: FileChange, old_text: str, files: Sequence[str] | None) -> Finding:
        line, _ = change.first_changed_line()
        scope = (
            f"{len(files)} files lose their code owners"
            if files is not None
            else f"its {len(_patterns(old_text))} rules no longer name code owners"
        )
        return self.finding(
            change,
            line,
            f"removes {change.path}: {scope}, so changes merge without an owner's review",
            hint="keep the file (move it to .github/CODEOWNERS in the same change if that "
            "was the aim)",
            severity=Severity.HIGH,
            side="old",
        )

    def _loss(self, change: FileChange, loss: _Loss, with_files: bool) -> Finding:
        before, after = loss.before, loss.after
        was = " ".join(before.owners)
        if with_files:
            examples = ", ".join(loss.paths[:_EXAMPLES]) + (
                ", …" if len(loss.paths) > _EXAMPLES else ""
            )
            noun = "file" if len(loss.paths) == 1 else "files"
            subject = f"{len(loss.paths)} {noun} under `{before.pattern}` ({examples})"
        else:
            subject = f"paths under `{before.pattern}`"
        cause = ""
        if after is not None and after.pattern != before.pattern and after.line > 0:
            cause = f": `{after.pattern}` on line {after.line} now decides"
        if loss.kind == "unowned" or after is None:
            message = f"leaves {subject} without a code owner (was {was}){cause}"
            severity = Severity.HIGH
        elif loss.kind == "dropped":
            gone = " ".join(o for o in before.owners if o not in after.owners)
            message = f"drops code owner {gone} from {subject} (keeps {' '.join(after.owners)})"
            message += cause
            severity = Severity.MEDIUM
        else:
            message = f"hands {subject} from {was} to {' '.join(after.owners)}{cause}"
            severity = Severity.MEDIUM
        new_path = change.new_path is not None
        if new_path and after is not None and after.line in change.added_line_numbers:
            line, side = after.line, "new"
        elif before.line in change.removed_line_numbers:
            line, side = before.line, "old"
        else:
            line, side = change.first_changed_line()
        return self.finding(
            change,
            line,
            message,
            hint="keep the specific rules after broader ones (the last match wins), and "
            "add owners rather than replace them unless the team agreed",
            severity=severity,
            side=side,
        )


def _replacement(change: FileChange, others: list[FileChange]) -> FileChange | None:
    for other in others:
        if other is not change and other.new_path in LOCATIONS and other.new_text() is not None:
            return other
    return None


# --- branch protection ------------------------------------------------------------------------


class _Weakening(NamedTuple):
    line: int
    side: str
    message: str
    severity: Severity


def _scalar(node: YNode | None) -> str | None:
    if node is None or node.kind != "scalar":
        return None
    return "" if node.null else node.value.lower()


def _int(node: YNode | None) -> int | None:
    value = _scalar(node)
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _contexts(node: YNode | None) -> dict[str, YNode]:
    """Required status check names: `contexts: [..]`, `checks: [{context: ..}]`, or a
    ruleset's `required_status_checks: [{context: ..}]`."""
    if node is None:
        return {}
    out: dict[str, YNode] = {}
    for key in ("contexts", "checks", "required_status_checks"):
        items = node.get(key) if node.kind == "map" else None
        if items is None or items.kind != "seq":
            continue
        for item in items.items:
            name = item.value if item.kind == "scalar" else (item.text("context") or "")
            if name:
                out[name] = item
    return out


def _protection_of(root: YNode) -> dict[str, YNode]:
    """Branch name -> its `protection` node (probot settings)."""
    branches = root.get("branches")
    out: dict[str, YNode] = {}
    if branches is None or branches.kind != "seq":
        return out
    for entry in branches.items:
        if entry.kind != "map":
            continue
        name = entry.text("name")
        protection = entry.get("protection")
        if name and protection is not None:
            out[name] = protection
            out[f"{name}\0line"] = YNode("scalar", entry.key_line("protection"), 0)
    return out


def settings_weakenings(old: YNode, new: YNode, change: FileChange) -> Iterator[_Weakening]:
    """What a probot `.github/settings.yml` change removes from branch protection."""
    before, after = _protection_of(old), _protection_of(new)
    for branch, was in before.items():
        if was.kind != "map" or "\0" in branch:
            continue
        now = after.get(branch)
        if now is None or now.kind != "map":
            line = now.line if now is not None else before[f"{branch}\0line"].line
            yield _Weakening(
                line,
                "new" if now is not None else "old",
                f"removes the protection of branch {branch}: anyone with write access pushes "
                "to it directly, force pushes included",
                Severity.HIGH,
            )
            continue
        yield from _review_weakenings(branch, was, now, "required_pull_request_reviews")
        for key, weakened_when, message, severity in (
            ("enforce_admins", "off", "turned off, admins bypass its protection", Severity.MEDIUM),
            (
                "allow_force_pushes",
                "on",
                "set, force pushes may rewrite its history",
                Severity.HIGH,
            ),
            ("allow_deletions", "on", "set, the branch may be deleted", Severity.HIGH),
        ):
            old_value, new_value = _scalar(was.get(key)), _scalar(now.get(key))
            if weakened_when == "off":
                weakened = old_value == "true" and new_value != "true"
            else:
                weakened = new_value == "true" and old_value != "true"
            if weakened:
                node = now.get(key)
                yield _Weakening(
                    node.line if node is not None else now.line,
                    "new",
                    f"branch {branch}: {key} {message}",
                    severity,
                )
        yield from _checks_weakenings(
            branch, was.get("required_status_checks"), now.get("required_status_checks"), now
        )


def _review_weakenings(branch: str, was: YNode, now: YNode, key: str) -> Iterator[_Weakening]:
    old_reviews, new_reviews = was.get(key), now.get(key)
    if old_reviews is None or old_reviews.kind != "map":
        return
    if new_reviews is None or new_reviews.kind != "map":
        yield _Weakening(
            new_reviews.line if new_reviews is not None else now.line,
            "new",
            f"branch {branch}: pull request reviews no longer required, changes merge unreviewed",
            Severity.HIGH,
        )
        return
    count_key = "required_approving_review_count"
    old_count, new_count = _int(old_reviews.get(count_key)), _int(new_reviews.get(count_key))
    if old_count is not None and (new_count or 0) < old_count:
        node = new_reviews.get(count_key) or new_reviews
        yield _Weakening(
            node.line,
            "new",
            f"branch {branch}: required approvals lowered from {old_count} to "
            f"{new_count or 0}, fewer people read a change before it merges",
            Severity.HIGH if not new_count else Severity.MEDIUM,
        )
    for flag, message in (
        ("require_code_owner_reviews", "code owners no longer have to approve"),
        ("require_code_owner_review", "code owners no longer have to approve"),
        ("dismiss_stale_reviews", "approvals survive new pushes"),
        ("dismiss_stale_reviews_on_push", "approvals survive new pushes"),
        ("require_last_push_approval", "the last pusher may approve their own push"),
    ):
        if _scalar(old_reviews.get(flag)) == "true" and _scalar(new_reviews.get(flag)) != "true":
            node = new_reviews.get(flag) or new_reviews
            yield _Weakening(
                node.line, "new", f"branch {branch}: {flag} turned off, {message}", Severity.MEDIUM
            )


def _checks_weakenings(
    branch: str, was: YNode | None, now: YNode | None, parent: YNode
) -> Iterator[_Weakening]:
    before = _contexts(was)
    if not before and not (was is not None and was.kind == "map"):
        return
    if now is None or now.kind != "map":
        yield _Weakening(
            now.line if now is not None else parent.line,
            "new",
            f"branch {branch}: required status checks removed, changes merge "
            "with failing or missing CI",
            Severity.HIGH,
        )
        return
    after = _contexts(now)
    gone = [name for name in before if name not in after]
    listed = now.get("contexts") or now.get("checks") or now
    if gone:
        yield _Weakening(
            listed.line,
            "new",
            f"branch {branch}: required status checks {', '.join(gone)} removed, "
            "changes merge without them passing",
            Severity.MEDIUM,
        )


_RULESET_RULES = {
    "pull_request": (
        "pull requests are no longer required, changes are pushed unreviewed",
        Severity.HIGH,
    ),
    "non_fast_forward": ("force pushes are allowed", Severity.HIGH),
    "deletion": ("the branch may be deleted", Severity.HIGH),
    "required_status_checks": ("required status checks are gone", Severity.HIGH),
    "required_signatures": ("unsigned commits are accepted", Severity.MEDIUM),
    "required_linear_history": ("merge commits are accepted", Severity.LOW),
    "code_scanning": ("code scanning results no longer block", Severity.MEDIUM),
}


def _ruleset_rules(root: YNode) -> dict[str, YNode]:
    rules = root.get("rules")
    out: dict[str, YNode] = {}
    if rules is None or rules.kind != "seq":
        return out
    for item in rules.items:
        kind = item.text("type") if item.kind == "map" else None
        if kind:
            out[kind] = item
    return out


def _may_be_ruleset(text: str) -> bool:
    """Whether `text` can hold a ruleset's `enforcement` key: as written, or spelled with an
    escape (which needs a backslash)."""
    return "enforcement" in text or "\\" in text


def is_ruleset(root: YNode) -> bool:
    """A repository ruleset as GitHub exports it: `enforcement` and a `rules` list."""
    return (
        root.kind == "map"
        and root.get("enforcement") is not None
        and (root.get("rules") is not None)
    )


def ruleset_weakenings(old: YNode, new: YNode) -> Iterator[_Weakening]:
    name = new.text("name") or old.text("name") or "ruleset"
    enforcement_old, enforcement_new = (
        _scalar(old.get("enforcement")),
        _scalar(new.get("enforcement")),
    )
    if enforcement_old == "active" and enforcement_new != "active":
        node = new.get("enforcement") or new
        yield _Weakening(
            node.line,
            "new",
            f"ruleset {name}: enforcement {enforcement_new or 'removed'}, none of "
            "its rules block anything",
            Severity.HIGH,
        )
        return
    before, after = _ruleset_rules(old), _ruleset_rules(new)
    for kind, node in before.items():
        if kind in after:
            continue
        message, severity = _RULESET_RULES.get(kind, (f"its {kind} rule is gone", Severity.LOW))
        yield _Weakening(
            node.line, "old", f"ruleset {name}: {kind} rule removed, {message}", severity
        )
    if "pull_request" in before and "pull_request" in after:
        was = before["pull_request"].get("parameters")
        now = after["pull_request"].get("parameters")
        if was is not None and now is not None and was.kind == "map" and now.kind == "map":
            yield from _review_weakenings(name, _wrap(was), _wrap(now), "reviews")
    if "required_status_checks" in before and "required_status_checks" in after:
        was = before["required_status_checks"].get("parameters")
        now = after["required_status_checks"].get("parameters")
        gone = [c for c in _contexts(was) if c not in _contexts(now)]
        if gone and now is not None:
            yield _Weakening(
                now.line,
                "new",
                f"ruleset {name}: required status checks {', '.join(gone)} removed",
                Severity.MEDIUM,
            )
    old_bypass, new_bypass = old.get("bypass_actors"), new.get("bypass_actors")
    old_count = len(old_bypass.items) if old_bypass is not None and old_bypass.kind == "seq" else 0
    if new_bypass is not None and new_bypass.kind == "seq" and len(new_bypass.items) > old_count:
        added = new_bypass.items[old_count] if old_count < len(new_bypass.items) else new_bypass
        yield _Weakening(
            added.line,
            "new",
            f"ruleset {name}: bypass actors added, they skip every rule of it",
            Severity.MEDIUM,
        )


def _wrap(node: YNode) -> YNode:
    """Ruleset review parameters under the key the probot reader expects."""
    return YNode(
        "map",
        node.line,
        node.end_line,
        entries=((YNode("scalar", node.line, node.line, value="reviews"), node),),
    )


class BranchProtectionWeakened(Rule):
    """Branch protection or a ruleset is weakened: fewer required approvals, force pushes or
    deletions allowed, admins exempt, status checks or the whole protection removed.

    ## Why it matters
    Branch protection is what makes review and CI mandatory. Settings kept in the repository
    (`.github/settings.yml` of the Settings app, ruleset JSON exports applied by automation)
    change the rules for every later merge the moment they are applied, including the merge
    that changes them. Tightening is not reported.

    ## Bad
    ```diff
    diff --git a/.github/settings.yml b/.github/settings.yml
    --- a/.github/settings.yml
    +++ b/.github/settings.yml
    @@ -1,7 +1,7 @@
     branches:
       - name: main
         protection:
           required_pull_request_reviews:
    -        required_approving_review_count: 2
    +        required_approving_review_count: 1
           enforce_admins: true
    -      allow_force_pushes: false
    +      allow_force_pushes: true
    ```

    ## Good
    ```diff
    diff --git a/.github/settings.yml b/.github/settings.yml
    --- a/.github/settings.yml
    +++ b/.github/settings.yml
    @@ -1,7 +1,7 @@
     branches:
       - name: main
         protection:
           required_pull_request_reviews:
    -        required_approving_review_count: 1
    +        required_approving_review_count: 2
           enforce_admins: true
           allow_force_pushes: false
    ```
    """

    code = "GOV105"
    name = "branch-protection-weakened"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"yaml", "json"})

    def check(self, change: FileChange) -> Iterator[Finding]:
        if change.status is Status.ADDED:
            return
        name = change.path.rsplit("/", 1)[-1].lower()
        is_settings = name in ("settings.yml", "settings.yaml") and "/.github/" in (
            "/" + change.path
        )
        if not is_settings and "json" not in change.formats:
            return
        if not is_settings and not _may_be_ruleset(change.old_text() or ""):
            return  # most JSON files: no `enforcement` key, not worth parsing
        old_roots = [r for r in stream_of(change, "old").roots if r.kind == "map"]
        new_roots = [r for r in stream_of(change, "new").roots if r.kind == "map"]
        if len(old_roots) != 1:
            return
        old = old_roots[0]
        new = new_roots[0] if len(new_roots) == 1 else YNode("map", 1, 1)
        if is_settings:
            found = list(settings_weakenings(old, new, change))
        elif is_ruleset(old):
            found = list(ruleset_weakenings(old, new)) if change.new_path else []
        else:
            return
        for weakening in found:
            line = weakening.line
            changed = (
                change.added_line_numbers
                if weakening.side == "new"
                else change.removed_line_numbers
            )
            if line not in changed:
                line, side = change.first_changed_line()
            else:
                side = weakening.side
            yield self.finding(
                change,
                line,
                weakening.message,
                hint="keep the protection; if a rule must go, change it in its own reviewed "
                "change with the reason",
                severity=weakening.severity,
                side=side,
            )


# The GOV family spans three modules; the entry point names this tuple.
RULES = (
    CodeownersCoverageLost,
    *workflow_rules.RULES,
    BranchProtectionWeakened,
    *host_rules.RULES,
)
