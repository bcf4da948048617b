"""`git format-patch` series: the commits' authors and messages are read for provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk import mbox
from changerisk.inputs import from_diff_bytes

if TYPE_CHECKING:
    from conftest import GitRepo

SERIES = b"""From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: =?UTF-8?q?Ren=C3=A9e=20Dev?= <renee@example.com>
Date: Wed, 1 May 2024 12:00:00 +0000
Subject: [PATCH 1/2] Drop the orders database, it moved to
 the new account

The new account holds the data now.

Co-authored-by: Claude <noreply@anthropic.com>
---
 infra/db.tf | 3 ---
 1 file changed, 3 deletions(-)

diff --git a/infra/db.tf b/infra/db.tf
deleted file mode 100644
index 013f388..0000000
--- a/infra/db.tf
+++ /dev/null
@@ -1,3 +0,0 @@
-resource "aws_db_instance" "orders" {
-  engine = "postgres"
-}
--- 
2.43.0


From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
From: Ann Example <ann@example.com>
Date: Thu, 2 May 2024 09:30:00 +0200
Subject: [PATCH 2/2] Docs

---
 README.md | 1 +
 1 file changed, 1 insertion(+)

diff --git a/README.md b/README.md
index 1111111..2222222 100644
--- a/README.md
+++ b/README.md
@@ -1 +1,2 @@
 x
+y
--- 
2.43.0

"""


def test_series_commits_are_read_in_order() -> None:
    commits = mbox.commits(SERIES)
    assert [c.sha[:4] for c in commits] == ["1111", "2222"]
    first, second = commits
    assert first.author == "Renée Dev"
    assert first.author_email == "renee@example.com"
    assert first.subject == "Drop the orders database, it moved to the new account"
    assert first.message.endswith("Co-authored-by: Claude <noreply@anthropic.com>")
    assert first.date == "2024-05-01T12:00:00+00:00"
    assert second.message == "Docs"
    assert second.date == "2024-05-02T09:30:00+02:00"


def test_series_makes_the_change_ai_assisted() -> None:
    from changerisk.api import ai_provenance
    from changerisk.config import Config

    changeset = from_diff_bytes(SERIES, origin="series.patch", source="diff")
    assert [f.path for f in changeset.files] == ["infra/db.tf", "README.md"]
    sources = ai_provenance(changeset, Config(), env={})
    assert any("Co-authored-by: Claude" in s for s in sources), sources


def test_plain_diff_has_no_commits() -> None:
    data = SERIES.split(b"---\n", 1)[1].split(b"\n\n", 1)[1]
    assert not mbox.is_mbox(data)
    assert from_diff_bytes(data, origin="x.diff", source="diff").commits == ()


def test_real_format_patch_series(git_repo: GitRepo) -> None:
    git_repo.commit("Init", {"README.md": "x\n"})
    git_repo.commit("Add bucket", {"main.tf": 'resource "aws_s3_bucket" "logs" {}\n'})
    git_repo.commit("Remove bucket\n\nAssisted-by: Cursor", {"main.tf": ""})
    data = git_repo.git("format-patch", "--stdout", "HEAD~2").encode()
    commits = mbox.commits(data)
    assert [c.subject for c in commits] == ["Add bucket", "Remove bucket"]
    assert commits[1].message == "Remove bucket\n\nAssisted-by: Cursor"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_never_crashes_on_arbitrary_mail(body: bytes) -> None:
    data = b"From " + b"a" * 40 + b" Mon Sep 17 00:00:00 2001\n" + body
    for commit in mbox.commits(data):
        assert isinstance(commit.message, str)
