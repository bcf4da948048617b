"""What the forge tells a CI job, read from files and environment only (no network): the pull
request of a GitHub event file, GitLab's merge-request variables, and review lists as the
GitHub REST API returns them (`gh api repos/OWNER/REPO/pulls/N/reviews --paginate`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from changerisk.errors import InputError
from changerisk.team import Author, identity


class PullRequest(NamedTuple):
    """The pull / merge request a CI job runs for, as far as the environment says."""

    authors: tuple[Author, ...] = ()
    description: str | None = None
    description_source: str = ""
    head_sha: str = ""


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: the {what} is not JSON: {exc}") from None


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def pull_request(env: Mapping[str, str]) -> PullRequest:
    """The pull request of a GitHub Actions event (GITHUB_EVENT_PATH), else GitLab's merge
    request (CI_MERGE_REQUEST_IID with GITLAB_USER_LOGIN, GITLAB_USER_EMAIL and
    CI_MERGE_REQUEST_DESCRIPTION), else nothing."""
    event_path = env.get("GITHUB_EVENT_PATH", "")
    if event_path and Path(event_path).is_file():
        event = _read_json(event_path, "GitHub event file")
        pr = event.get("pull_request") if isinstance(event, dict) else None
        if isinstance(pr, dict):
            user = _table(pr.get("user"))
            login = str(user.get("login") or "")
            head = _table(pr.get("head"))
            body = pr.get("body")
            return PullRequest(
                authors=(Author(f"@{identity(login)}", "pull request author"),) if login else (),
                description=body if isinstance(body, str) else "",
                description_source="pull request description",
                head_sha=str(head.get("sha") or ""),
            )
    if env.get("CI_MERGE_REQUEST_IID"):
        authors = []
        login = env.get("GITLAB_USER_LOGIN", "").strip()
        if login:
            authors.append(Author(f"@{identity(login)}", "GITLAB_USER_LOGIN"))
        email = env.get("GITLAB_USER_EMAIL", "").strip()
        if email:
            authors.append(Author(identity(email), "GITLAB_USER_EMAIL"))
        description = env.get("CI_MERGE_REQUEST_DESCRIPTION")
        return PullRequest(
            authors=tuple(authors),
            description=description,
            description_source="merge request description" if description is not None else "",
            head_sha=env.get("CI_COMMIT_SHA", ""),
        )
    return PullRequest()


class Review(NamedTuple):
    """One review of the list: who, in what state, on which commit, when."""

    login: str
    state: str
    commit_id: str
    submitted_at: str
    order: int


def parse_reviews(text: str, origin: str) -> list[Review]:
    """Reviews from the API's JSON: one array, or several concatenated (one per page, as
    `gh api --paginate` writes them), or an object with a `reviews` array; GitLab's merge
    request approvals object (`approved_by`) is read as approvals without a commit."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    text = text.lstrip("\ufeff")
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputError(f"{origin}: not review JSON: {exc}") from None
        values.append(value)
    reviews: list[Review] = []
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("approved_by"), list):
            value = _gitlab_approvals(value["approved_by"])
        if isinstance(value, dict) and isinstance(value.get("reviews"), list):
            value = value["reviews"]
        if not isinstance(value, list):
            raise InputError(f"{origin}: expected a list of reviews, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, dict) or "state" not in item:
                raise InputError(f"{origin}: a review without a state: {str(item)[:80]}")
            user = item.get("user")
            login = str(user.get("login") or "") if isinstance(user, dict) else ""
            reviews.append(
                Review(
                    login=f"@{identity(login)}" if login else "",
                    state=str(item["state"]).upper(),
                    commit_id=str(item.get("commit_id") or ""),
                    submitted_at=str(item.get("submitted_at") or ""),
                    order=len(reviews),
                )
            )
    return reviews


def _gitlab_approvals(entries: list[Any]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        user = _table(_table(entry).get("user"))
        out.append({"user": {"login": user.get("username", "")}, "state": "APPROVED"})
    return out


def read_reviews(path: str) -> list[Review]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the approvals: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the approvals file is not UTF-8 text") from None
    return parse_reviews(text, path)
