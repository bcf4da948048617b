"""INT104: an added suppression whose expiry is too far ahead, no date, or already past."""

from __future__ import annotations

from datetime import date

import pytest

from changerisk.config import parse_config
from changerisk.testing import run_diff

DIFF = """\
diff --git a/deploy.sh b/deploy.sh
--- a/deploy.sh
+++ b/deploy.sh
@@ -1,2 +1,3 @@
 #!/bin/sh
+# changerisk: ignore[SH104] {rest}
 aws rds delete-db-instance --db-instance-identifier preview
"""
TODAY = date(2026, 1, 31)


@pytest.mark.parametrize(
    ("rest", "max_days", "message"),
    [
        (
            "until=2026-12-31 preview is torn down nightly",
            None,
            "suppresses SH104 until 2026-12-31, 334 days from now: more than the 90 days "
            "exceptions may run",
        ),
        (
            "until=2026-12-31 preview is torn down nightly",
            365,
            None,
        ),
        ("until=2026-04-30 preview is torn down nightly", None, None),  # 89 days
        (
            "until=2026-05-02 preview is torn down nightly",
            None,
            "suppresses SH104 until 2026-05-02, 91 days from now: more than the 90 days "
            "exceptions may run",
        ),
        (
            "until=next-week preview is torn down nightly",
            None,
            "suppresses SH104 until 'next-week', which is no date: the suppression is ignored",
        ),
        (
            "until=2025-12-31 preview is torn down nightly",
            None,
            "suppresses SH104 until 2025-12-31, already past: it suppresses nothing",
        ),
        ("preview is torn down nightly (OPS-1234)", None, None),  # no expiry: INT102's business
        ("until=2026-12-31", None, None),  # no reason: INT101 reports it
        ("mentions until then, no date given", None, None),
    ],
)
def test_int104(rest: str, max_days: int | None, message: str | None) -> None:
    table = {"exceptions": {"max-days": max_days}} if max_days else {}
    config = parse_config(table).with_overrides(today=TODAY)
    report = run_diff(DIFF.format(rest=rest), select=["INT104"], config=config)
    found = [(f.code, f.path, f.line, f.message) for f in report.findings]
    if message is None:
        assert found == []
    else:
        assert found == [("INT104", "deploy.sh", 2, message)]
        assert report.findings[0].category.value == "process"


def test_int102_names_the_expiry() -> None:
    config = parse_config({}).with_overrides(today=TODAY)
    report = run_diff(
        DIFF.format(rest="until=2026-02-28 preview is torn down nightly"),
        select=["INT102"],
        config=config,
    )
    assert [f.message for f in report.findings] == [
        "adds a suppression of SH104 until 2026-02-28: preview is torn down nightly"
    ]


def test_process_findings_cannot_be_suppressed_inline() -> None:
    diff = DIFF.format(rest="until=2999-01-01 preview").replace(
        "+# changerisk: ignore[SH104]", "+# changerisk: ignore[SH104,INT104]"
    )
    report = run_diff(diff, select=["INT104"], config=parse_config({}).with_overrides(today=TODAY))
    assert [f.code for f in report.findings] == ["INT104"]
