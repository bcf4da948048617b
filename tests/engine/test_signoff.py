"""Sign-off policy: the tier from risk x AI-assisted x author level x critical path, the
description check, and approvals read from GitHub review JSON and trailers."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.config import parse_config
from changerisk.description import missing_sections
from changerisk.errors import ConfigError, InputError
from changerisk.forge import parse_reviews, pull_request
from changerisk.gate import SignoffInputs
from changerisk.model import Commit
from changerisk.signoff import DEFAULT_SECTIONS, from_reviews, from_trailers, judge
from changerisk.team import Author, authors_of
from changerisk.testing import run_diff

TEAM = {
    "team": {
        "people": {
            "jun@acme.io": "junior",
            "dev@acme.io": "mid",
            "@lead": {"level": "senior", "aliases": ["lead@acme.io"]},
            "@cto": "principal",
        },
        "groups": {"@acme/payments": ["@pay", "@lead"]},
    },
    "critical-paths": [
        {"paths": ["services/payments/"], "severity": "high", "owners": ["@acme/payments"]}
    ],
}

# medium: a Kubernetes Deployment scaled to zero (K8S102)
MEDIUM = """\
diff --git a/k8s/api.yaml b/k8s/api.yaml
--- a/k8s/api.yaml
+++ b/k8s/api.yaml
@@ -1,7 +1,7 @@
 apiVersion: apps/v1
 kind: Deployment
 metadata:
   name: api
 spec:
-  replicas: 3
+  replicas: 0
   selector:
"""
LOW = """\
diff --git a/app/search/rank.py b/app/search/rank.py
--- a/app/search/rank.py
+++ b/app/search/rank.py
@@ -1,2 +1,2 @@
 def rank(items):
-    return sorted(items)
+    return sorted(items, reverse=True)
"""
CRITICAL_PATH = """\
diff --git a/services/payments/charge.py b/services/payments/charge.py
--- a/services/payments/charge.py
+++ b/services/payments/charge.py
@@ -1,2 +1,2 @@
 def charge(amount):
-    return gateway.charge(amount)
+    return gateway.charge(amount, retry=False)
"""


def _run(diff: str, author: str | None, ai: bool, table: dict | None = None, **inputs):
    config = parse_config(table if table is not None else TEAM, source="test")
    authors = (Author(author, "--author"),) if author else ()
    return run_diff(
        diff,
        config=config,
        ai_assisted=ai,
        signoff=SignoffInputs(authors=authors, **inputs),
    )


MEDIUM_LEVEL = run_diff(MEDIUM).level


def test_fixture_levels() -> None:
    assert MEDIUM_LEVEL == "medium"
    assert run_diff(LOW).level in ("none", "info", "low")


POLICY = [
    # (diff, author, ai-assisted, tier, a reason that must be there)
    (
        MEDIUM,
        "dev@acme.io",
        True,
        "senior",
        "tier senior: AI-assisted change by a mid-level author (dev@acme.io) at risk medium "
        "→ senior sign-off",
    ),
    (
        MEDIUM,
        "jun@acme.io",
        True,
        "senior",
        "AI-assisted change by a junior-level author (jun@acme.io)",
    ),
    (MEDIUM, "lead@acme.io", True, "peer", "tier peer: level medium maps to peer"),
    (MEDIUM, "@cto", True, "peer", "tier peer: level medium maps to peer"),
    (MEDIUM, "dev@acme.io", False, "peer", "tier peer: level medium maps to peer"),
    (
        MEDIUM,
        "stranger@example.com",
        True,
        "senior",
        "author stranger@example.com (--author) is not in the team file: treated as junior",
    ),
    (
        MEDIUM,
        "stranger@example.com",
        True,
        "senior",
        "tier senior: AI-assisted change by a junior-level author (stranger@example.com, not in "
        "the team file) at risk medium → senior sign-off",
    ),
    (
        MEDIUM,
        None,
        True,
        "senior",
        "no author known (no commits, CI event or --author): treated as junior",
    ),
    (LOW, "dev@acme.io", True, "any reviewer", "tier any reviewer"),
    (
        CRITICAL_PATH,
        "lead@acme.io",
        False,
        "senior + owner",
        "tier senior + owner: change touching critical path services/payments/charge.py "
        "→ senior + owner sign-off",
    ),
    (
        CRITICAL_PATH,
        "dev@acme.io",
        True,
        "senior + owner",
        "AI-assisted change by a mid-level author (dev@acme.io) at risk high: tier senior "
        "already meets senior",
    ),
]


@pytest.mark.parametrize(
    ("diff", "author", "ai", "tier", "reason"),
    POLICY,
    ids=[f"{i}-{p[1]}-ai={p[2]}-{p[3]}" for i, p in enumerate(POLICY)],
)
def test_policy_table(diff: str, author: str | None, ai: bool, tier: str, reason: str) -> None:
    report = _run(diff, author, ai)
    assert report.tier == tier
    assert any(reason in r for r in report.reasons), report.reasons


def test_without_team_the_old_ai_policy_holds() -> None:
    # no [team]: an AI-assisted medium change needs senior whoever wrote it
    report = _run(MEDIUM, "lead@acme.io", True, table={})
    assert report.tier == "senior"
    assert not report.authors
    # and a configured critical path alone keeps its level's tier
    report = _run(CRITICAL_PATH, None, False, table={"critical-paths": TEAM["critical-paths"]})
    assert report.tier == "senior"


def test_custom_policy_table() -> None:
    table = {
        **TEAM,
        "sign-off": {
            "policy": [
                {"min-level": "low", "author-below": "mid", "tier": "peer"},
                {"critical-path": True, "tier": "senior"},
            ]
        },
    }
    report = _run(LOW.replace("app/search", "app/search"), "jun@acme.io", False, table)
    assert report.level == "none" or report.tier in ("any reviewer", "peer")
    report = _run(CRITICAL_PATH, "lead@acme.io", False, table)
    assert report.tier == "senior"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"team": {"people": {"a@x.io": "boss"}}},
            'team.people."a@x.io": "boss" is not one of team.levels (junior, mid, senior, '
            "principal)",
        ),
        (
            {
                "team": {
                    "people": {"a@x.io": "mid", "@a": {"level": "senior", "aliases": ["A@x.io"]}}
                }
            },
            'team.people."@a": a@x.io is given two levels (mid under "a@x.io", senior here)',
        ),
        (
            {"team": {"levels": ["ic", "lead"], "people": {"a@x.io": "mid"}}},
            'team.people."a@x.io": "mid" is not one of team.levels (ic, lead)',
        ),
        (
            {"sign-off": {"policy": [{"tier": "boss"}]}},
            'sign-off.policy[0].tier: "boss" is not one of tiers',
        ),
        (
            {"sign-off": {"policy": [{"tier": "senior", "author-below": "guru"}]}},
            'sign-off.policy[0].author-below: "guru" is not one of team.levels',
        ),
        (
            {"sign-off": {"approvals": {"senior": {"level": "guru"}}}},
            'sign-off.approvals."senior".level: "guru" is not one of team.levels',
        ),
        ({"team": {"people": {"a@x.io": 3}}}, "team.people.a@x.io"),
        (
            {"exceptions": {"ignore": [{"codes": ["TF101"], "until": "soon"}]}},
            'exceptions.ignore[0].until: "soon" is not a date (YYYY-MM-DD)',
        ),
    ],
)
def test_config_errors_name_file_and_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(table, "pyproject.toml: [tool.changerisk] ")
    assert str(error.value).startswith("pyproject.toml: [tool.changerisk] ")
    assert message in str(error.value)


# --- description ------------------------------------------------------------------------------

FILLED = """\
Charges stop retrying.

## What changes in production
Card charges no longer retry on gateway timeouts.

**Blast radius:** payments only

### Rollback plan
Revert the PR.

- Testing: unit tests, staging run
"""


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        (FILLED, []),
        (FILLED.replace("Revert the PR.", "<!-- fill in -->"), ["rollback"]),
        (FILLED.replace("Revert the PR.", "TODO"), ["rollback"]),
        (FILLED.replace("- Testing: unit tests, staging run", "Testing:"), ["testing"]),
        ("", ["production impact", "blast radius", "rollback", "testing"]),
        # prose that mentions a section is no section
        (
            "We tested the rollback and the blast radius of this impact.",
            ["production impact", "blast radius", "rollback", "testing"],
        ),
        ("Impact: none\nRisk: low\nRollback: revert\nHow was this tested? CI", ["testing"]),
        ("IMPACT: none\nRISK: low\nROLLBACK: revert\n## How has this been tested?\nCI", []),
        # a label that names no section does not end the one before it
        ("## Rollback\nNote: revert and re-run the job\n## Impact\nx\n## Risk\ny\n## Tests\nz", []),
    ],
)
def test_missing_sections(text: str, missing: list[str]) -> None:
    assert missing_sections(text, DEFAULT_SECTIONS) == missing


def test_missing_sections_is_a_process_finding() -> None:
    report = _run(
        CRITICAL_PATH,
        "dev@acme.io",
        True,
        description="Charges stop retrying.\n\nRollback: revert",
        description_source="pull request description",
    )
    pol = [f for f in report.findings if f.code == "POL101"]
    assert len(pol) == 1
    assert pol[0].category.value == "process"
    assert pol[0].severity.label == "high"
    assert pol[0].message == (
        "the change description (pull request description) lacks production impact, blast "
        "radius and testing: the senior + owner sign-off needs them"
    )
    # below the description tier, nothing is asked
    report = _run(MEDIUM, "lead@acme.io", True, description="", description_source="x")
    assert not [f for f in report.findings if f.code == "POL101"]
    # without a team, nothing is asked either
    report = _run(CRITICAL_PATH, None, True, table={}, description="", description_source="x")
    assert not [f for f in report.findings if f.code == "POL101"]


def test_no_description_source_is_said() -> None:
    report = _run(CRITICAL_PATH, "dev@acme.io", True)
    assert not [f for f in report.findings if f.code == "POL101"]
    assert any("has none to check" in r for r in report.reasons)


# --- reviews ----------------------------------------------------------------------------------

HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
OLD = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def review(login: str, state: str, at: str, commit: str = HEAD, rid: int = 1) -> dict:
    """One review as the GitHub REST API documents it (List reviews for a pull request)."""
    return {
        "id": rid,
        "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
        "user": {"login": login, "id": rid, "type": "User", "site_admin": False},
        "body": "",
        "state": state,
        "html_url": f"https://github.com/acme/shop/pull/12#pullrequestreview-{rid}",
        "pull_request_url": "https://api.github.com/repos/acme/shop/pulls/12",
        "_links": {"html": {"href": "x"}, "pull_request": {"href": "y"}},
        "submitted_at": at,
        "commit_id": commit,
        "author_association": "MEMBER",
    }


def test_paginated_output_is_concatenated_arrays() -> None:
    page1 = json.dumps([review("lead", "COMMENTED", "2026-01-01T10:00:00Z", rid=1)])
    page2 = json.dumps([review("lead", "APPROVED", "2026-01-01T11:00:00Z", rid=2)])
    reviews = parse_reviews(page1 + "\n" + page2 + "\n", "reviews.json")
    assert [(r.login, r.state) for r in reviews] == [("@lead", "COMMENTED"), ("@lead", "APPROVED")]
    assert parse_reviews("", "r.json") == []
    assert len(parse_reviews(json.dumps({"reviews": [review("a", "APPROVED", "x")]}), "r")) == 1


@pytest.mark.parametrize(
    "text", ["{", '{"a": 1}', "[1, 2]", '[{"user": {"login": "x"}}]', "[] junk"]
)
def test_bad_review_json_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError) as error:
        parse_reviews(text, "reviews.json")
    assert str(error.value).startswith("reviews.json: ")


def _judged(items: list[dict], stale: str = "reject", authors=("dev@acme.io",)):
    config = parse_config(TEAM)
    raw = from_reviews(parse_reviews(json.dumps(items), "r"), HEAD, stale)
    return {
        a.identity: (a.counted, a.note)
        for a in judge(raw, [Author(x, "t") for x in authors], config.team)
    }


def test_latest_review_per_user_counts() -> None:
    judged = _judged(
        [
            review("lead", "CHANGES_REQUESTED", "2026-01-01T10:00:00Z", rid=1),
            review("lead", "APPROVED", "2026-01-01T11:00:00Z", rid=2),
            review("lead", "COMMENTED", "2026-01-01T12:00:00Z", rid=3),
            review("cto", "APPROVED", "2026-01-01T10:00:00Z", rid=4),
            review("cto", "CHANGES_REQUESTED", "2026-01-01T13:00:00Z", rid=5),
            review("pay", "DISMISSED", "2026-01-01T10:00:00Z", rid=6),
            review("dev", "APPROVED", "2026-01-01T10:00:00Z", rid=7),
            review("old", "APPROVED", "2026-01-01T10:00:00Z", commit=OLD, rid=8),
            review("ghost", "PENDING", "", rid=9),
        ],
        authors=("dev@acme.io", "@dev"),
    )
    assert judged == {
        "@lead": (True, ""),
        "@cto": (False, "requested changes"),
        "@pay": (False, "approval dismissed"),
        "@dev": (False, "the author's own approval"),
        "@old": (False, "stale: approved a1b2c3d4e5, the head is 6dcb09b5b5"),
    }


def test_stale_approvals_can_be_accepted() -> None:
    judged = _judged([review("old", "APPROVED", "t", commit=OLD)], stale="accept")
    assert judged == {"@old": (True, "")}


def test_author_alias_cannot_approve() -> None:
    # @lead wrote it (as lead@acme.io); the @lead approval is the author's own
    judged = _judged([review("lead", "APPROVED", "t")], authors=("lead@acme.io",))
    assert judged == {"@lead": (False, "the author's own approval")}


def test_trailers_approve() -> None:
    commit = Commit(
        sha="c" * 40,
        author="Dev",
        author_email="dev@acme.io",
        message="Fix\n\nReviewed-by: Lead <lead@acme.io>\nApproved-by: @cto\nSigned-off-by: Dev <dev@acme.io>",
    )
    assert from_trailers([commit]) == [
        ("lead@acme.io", "Reviewed-by in cccccccccc", ""),
        ("@cto", "Approved-by in cccccccccc", ""),
    ]


def _gate(reviews: list[dict], diff: str = CRITICAL_PATH, author: str = "dev@acme.io", **kw):
    return _run(
        diff,
        author,
        True,
        reviews=tuple(parse_reviews(json.dumps(reviews), "r")),
        head_sha=HEAD,
        description=FILLED,
        description_source="pull request description",
        **kw,
    )


def test_gate_needs_a_senior_owner() -> None:
    report = _gate([])
    assert report.blocks
    assert report.missing_approvals == (
        "an approval from a senior or above: @lead, @cto",
        "an owner of services/payments/charge.py: @acme/payments",
    )
    # a principal who is no owner: the level is met, the owner is not
    report = _gate([review("cto", "APPROVED", "t")])
    assert report.missing_approvals == ("an owner of services/payments/charge.py: @acme/payments",)
    # an owner (group member) who is no senior
    report = _gate([review("pay", "APPROVED", "t")])
    assert report.missing_approvals == ("an approval from a senior or above: @lead, @cto",)
    # a senior owner: done
    report = _gate([review("lead", "APPROVED", "t")])
    assert report.missing_approvals == ()
    assert not report.blocks
    assert any(
        "sign-off for tier senior + owner complete: approved by @lead" in r for r in report.reasons
    )


def test_reviewer_not_in_team_file_meets_no_level() -> None:
    report = _gate([review("someone", "APPROVED", "t")], diff=MEDIUM)
    assert report.tier == "senior"
    assert report.approvals[0].level is None
    assert report.missing_approvals == ("an approval from a senior or above: @lead, @cto",)
    # but a peer tier takes anyone but the author
    report = _gate([review("someone", "APPROVED", "t")], diff=MEDIUM, author="lead@acme.io")
    assert report.tier == "peer"
    assert report.missing_approvals == ()


def test_missing_description_blocks_the_gate() -> None:
    report = _run(
        CRITICAL_PATH,
        "dev@acme.io",
        True,
        reviews=tuple(parse_reviews(json.dumps([review("lead", "APPROVED", "t")]), "r")),
        head_sha=HEAD,
        description="Rollback: revert",
        description_source="pull request description",
    )
    assert report.missing_approvals == (
        "the description's missing sections (production impact, blast radius, testing), POL101",
    )


# --- authors ----------------------------------------------------------------------------------


def test_authors_from_commits_event_and_flag() -> None:
    commits = [
        Commit("a" * 40, "Dev", "Dev@Acme.io", "x", committer_email="noreply@github.com"),
        Commit(
            "b" * 40,
            "Copilot",
            "198982749+Copilot@users.noreply.github.com",
            "y",
            committer_email="dev@acme.io",
        ),
    ]
    found = authors_of(
        commits,
        [Author("@dev", "pull request author")],
        agents={"198982749+copilot@users.noreply.github.com"},
    )
    assert [(a.identity, a.source) for a in found] == [
        ("@dev", "pull request author"),
        ("dev@acme.io", "author of aaaaaaaaaa"),
    ]
    assert [a.identity for a in authors_of(commits, explicit=["@Lead"])] == ["@lead"]


def test_github_event_and_gitlab_variables(tmp_path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "submitted",
                "pull_request": {
                    "number": 12,
                    "user": {"login": "Dev"},
                    "body": "## Rollback\nrevert",
                    "head": {"sha": HEAD, "ref": "feature"},
                },
            }
        )
    )
    pr = pull_request({"GITHUB_EVENT_PATH": str(event)})
    assert pr.authors == (Author("@dev", "pull request author"),)
    assert pr.description == "## Rollback\nrevert"
    assert pr.head_sha == HEAD
    # a pull request with an empty body has a description: an empty one
    event.write_text(json.dumps({"pull_request": {"user": {"login": "a"}, "body": None}}))
    assert pull_request({"GITHUB_EVENT_PATH": str(event)}).description == ""
    # a push event has no pull request
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    assert pull_request({"GITHUB_EVENT_PATH": str(event)}).description is None
    gitlab = pull_request(
        {
            "CI_MERGE_REQUEST_IID": "7",
            "GITLAB_USER_LOGIN": "dev",
            "GITLAB_USER_EMAIL": "dev@acme.io",
            "CI_MERGE_REQUEST_DESCRIPTION": "Testing: CI",
        }
    )
    assert [a.identity for a in gitlab.authors] == ["@dev", "dev@acme.io"]
    assert gitlab.description_source == "merge request description"
    assert pull_request({"GITLAB_USER_LOGIN": "dev"}).authors == ()


# --- expiring exceptions ----------------------------------------------------------------------

SUPPRESSED = """\
diff --git a/k8s/api.yaml b/k8s/api.yaml
--- a/k8s/api.yaml
+++ b/k8s/api.yaml
@@ -1,7 +1,8 @@
 apiVersion: apps/v1
 kind: Deployment
 metadata:
   name: api
 spec:
-  replicas: 3
+  # changerisk: ignore[K8S102] until={until} api is retired with OPS-9
+  replicas: 0
   selector:
"""


@pytest.mark.parametrize(
    ("until", "suppressed", "expired"),
    [("2026-03-01", True, False), ("2026-01-31", True, False), ("2026-01-30", False, True)],
)
def test_inline_suppression_expires(until: str, suppressed: bool, expired: bool) -> None:
    config = parse_config({}).with_overrides(today=date(2026, 1, 31))
    report = run_diff(SUPPRESSED.format(until=until), config=config)
    assert any(s.finding.code == "K8S102" for s in report.suppressed) == suppressed
    assert any(f.code == "K8S102" for f in report.findings) != suppressed
    if expired:
        assert report.expired == (
            f"suppression of K8S102 at k8s/api.yaml:6 expired on {until}: K8S102 at "
            "k8s/api.yaml:7 is reported",
        )
    else:
        assert report.expired == ()
        assert report.suppressed[0].reason == f"api is retired with OPS-9 (until {until})"


@pytest.mark.parametrize(
    ("entry", "suppressed", "expired", "pol102"),
    [
        ({"until": "2026-02-15", "reason": "retiring api"}, True, False, ""),
        ({"reason": "retiring api"}, True, False, ""),
        ({"until": "2026-01-01", "reason": "retiring api"}, False, True, ""),
        ({"until": "2026-02-15"}, False, False, "gives no reason, so it suppresses nothing"),
        (
            {"until": "2027-01-01", "reason": "retiring api"},
            True,
            False,
            "runs until 2027-01-01, more than 90 days ahead",
        ),
    ],
)
def test_config_exceptions(entry: dict, suppressed: bool, expired: bool, pol102: str) -> None:
    table = {"exceptions": {"ignore": [{"codes": ["K8S"], "paths": ["k8s/"], **entry}]}}
    config = parse_config(table, source="/repo/.changerisk.toml").with_overrides(
        today=date(2026, 1, 31)
    )
    report = run_diff(MEDIUM, config=config)
    assert bool(report.suppressed) == suppressed
    assert bool(report.expired) == expired
    messages = [f.message for f in report.findings if f.code == "POL102"]
    if pol102:
        assert messages == [f"exception exceptions.ignore[0] for K8S {pol102}"]
        assert [f.path for f in report.findings if f.code == "POL102"] == [".changerisk.toml"]
    else:
        assert messages == []


def test_config_exception_elsewhere_is_silent() -> None:
    table = {"exceptions": {"ignore": [{"codes": ["TF101"], "until": "2099-01-01"}]}}
    report = run_diff(MEDIUM, config=parse_config(table))
    assert not [f for f in report.findings if f.code == "POL102"]


# --- parsers never crash ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_description_parser_never_crashes(text: str) -> None:
    result = missing_sections(text, DEFAULT_SECTIONS)
    assert set(result) <= {s.name for s in DEFAULT_SECTIONS}


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["user", "state", "login", "commit_id"]), inner, max_size=4
                )
            ),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_review_parser_gives_reviews_or_input_error(text: str) -> None:
    try:
        reviews = parse_reviews(text, "r.json")
    except InputError:
        return
    raw = from_reviews(reviews, HEAD, "reject")
    judge(raw, [], parse_config(TEAM).team)


def test_gitlab_approvals_object() -> None:
    text = json.dumps(
        {
            "id": 5,
            "iid": 7,
            "approved": True,
            "approvals_required": 1,
            "approved_by": [{"user": {"id": 2, "username": "lead", "name": "Lead"}}],
        }
    )
    reviews = parse_reviews(text, "approvals.json")
    assert [(r.login, r.state, r.commit_id) for r in reviews] == [("@lead", "APPROVED", "")]


@pytest.mark.parametrize(
    "text",
    [
        "<!--" * 20_000,
        "# " + " " * 60_000 + "x",
        "**" + "a" * 60_000,
        ("Rollback" + " " * 50 + ":") * 2_000,
        "- " * 30_000,
    ],
    ids=["open-comments", "heading-spaces", "bold-unclosed", "labels", "bullets"],
)
def test_description_parser_is_linear_on_hostile_text(text: str) -> None:
    import time

    started = time.perf_counter()
    missing_sections(text, DEFAULT_SECTIONS)
    assert time.perf_counter() - started < 1.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_suppression_parser_never_crashes(text: str) -> None:
    from changerisk.suppression import parse_line

    parsed = parse_line("# changerisk: ignore[TF101] " + text, 1)
    assert parsed is not None
    parsed.expired(date(2026, 1, 31))
