"""Commits of `git format-patch` output: one mail per commit, its message above the diff.

A patch series carries what a bare diff has lost: who wrote each commit and its message, with
the trailers (`Co-authored-by:`, `Assisted-by:`) that tell an AI-assisted change. The mails are
read with the standard library's email parser, so encoded headers (`=?UTF-8?q?…?=`) and folded
subjects come out as git wrote them.
"""

from __future__ import annotations

import re

from changerisk.model import Commit
from changerisk.regex import lazy_compile

# The separator line git writes before each mail; the date is fixed by git.
_FROM_LINE = lazy_compile(rb"^From ([0-9a-f]{7,64}) Mon Sep 17 00:00:00 2001\r?$", re.MULTILINE)
_SUBJECT_PREFIX = lazy_compile(r"^\[PATCH[^\]]*\]\s*")
# The message ends at the diffstat's `---` line, or at the diff itself when there is none.
_MESSAGE_END = lazy_compile(rb"^(?:---\r?$|diff --git |Index: )", re.MULTILINE)


def is_mbox(data: bytes) -> bool:
    """Whether the input starts (after blank lines) like `git format-patch` output."""
    return _FROM_LINE.match(data.lstrip(b"\r\n")) is not None


def commits(data: bytes) -> tuple[Commit, ...]:
    """The commits of a patch series, in order; mails that do not parse are skipped."""
    starts = list(_FROM_LINE.finditer(data))
    out = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
        commit = _commit(start.group(1).decode("ascii"), data[start.end() : end])
        if commit is not None:
            out.append(commit)
    return tuple(out)


def _commit(sha: str, mail: bytes) -> Commit | None:
    head, sep, body = mail.lstrip(b"\r\n").partition(b"\n\n")
    if not sep:
        return None
    from email.parser import BytesHeaderParser  # the mail modules: only for a patch series
    from email.utils import parseaddr

    headers = BytesHeaderParser().parsebytes(head + b"\n\n")
    author, email = parseaddr(_text(headers.get("From", "")))
    subject = _SUBJECT_PREFIX.sub("", " ".join(_text(headers.get("Subject", "")).split()))
    end = _MESSAGE_END.search(body)
    text = body[: end.start()] if end else body
    message = "\n".join(
        line.rstrip() for line in text.decode("utf-8", "replace").strip().splitlines()
    )
    full = f"{subject}\n\n{message}" if message else subject
    return Commit(
        sha=sha,
        author=author,
        author_email=email,
        message=full,
        date=_iso_date(_text(headers.get("Date", ""))),
    )


def _iso_date(value: str) -> str:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def _text(value: object) -> str:
    """A header's text with RFC 2047 encoded words decoded."""
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        return str(value)
