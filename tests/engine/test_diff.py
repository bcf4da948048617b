"""parse_diff on real git output: paths, statuses, line numbers, anchors, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from changerisk.diff import parse_diff
from changerisk.errors import InputError
from changerisk.formats import detect_formats
from changerisk.model import FileChange, Status

FIXTURES = Path(__file__).parent / "fixtures"


def parse_fixture(name: str) -> list[FileChange]:
    return parse_diff((FIXTURES / name).read_bytes(), origin=name)


def only(changes: list[FileChange]) -> FileChange:
    assert len(changes) == 1, changes
    return changes[0]


def lines_of(change: FileChange) -> list[tuple[str, str, int | None, int | None]]:
    return [(ln.kind, ln.text, ln.old_no, ln.new_no) for h in change.hunks for ln in h.lines]


# (fixture, old_path, new_path, status, is_binary, old_mode, new_mode, hunk count)
# fmt: off
FILE_CASES = [
    ("added.diff", None, "infra/queue.tf", Status.ADDED, False, None, "100644", 1),
    ("deleted.diff", "infra/db.tf", None, Status.DELETED, False, "100644", None, 1),
    ("modified.diff", "infra/variables.tf", "infra/variables.tf", Status.MODIFIED, False, "100644", "100644", 2),
    ("renamed_pure.diff", "infra/db.tf", "infra/database.tf", Status.RENAMED, False, None, None, 0),
    ("renamed_edit.diff", "infra/variables.tf", "infra/vars.tf", Status.RENAMED, False, "100644", "100644", 1),
    ("copied.diff", "infra/variables.tf", "infra/variables_copy.tf", Status.COPIED, False, "100644", "100644", 1),
    ("mode_only.diff", "scripts/deploy.sh", "scripts/deploy.sh", Status.MODE_CHANGED, False, "100644", "100755", 0),
    ("binary_differ.diff", "assets/logo.png", "assets/logo.png", Status.BINARY, True, "100644", "100644", 0),
    ("binary_patch.diff", "assets/logo.png", "assets/logo.png", Status.BINARY, True, "100644", "100644", 0),
    ("unicode_quoted.diff", "infra/prod db/ä.tf", "infra/prod db/ä.tf", Status.MODIFIED, False, "100644", "100644", 1),
    ("unicode_quotepath_off.diff", "infra/prod db/ä.tf", "infra/prod db/ä.tf", Status.MODIFIED, False, "100644", "100644", 1),
    ("no_newline.diff", "scripts/q.sql", "scripts/q.sql", Status.MODIFIED, False, "100644", "100644", 1),
    ("crlf.diff", "infra/win.tfvars", "infra/win.tfvars", Status.MODIFIED, False, "100644", "100644", 1),
    ("plain_diff_u.diff", "old.conf", "new.conf", Status.MODIFIED, False, None, None, 1),
    ("format_patch.diff", "infra/db.tf", None, Status.DELETED, False, "100644", None, 1),
]
# fmt: on


@pytest.mark.parametrize(
    ("fixture", "old_path", "new_path", "status", "is_binary", "old_mode", "new_mode", "hunks"),
    FILE_CASES,
    ids=[c[0] for c in FILE_CASES],
)
def test_file_header(
    fixture: str,
    old_path: str | None,
    new_path: str | None,
    status: Status,
    is_binary: bool,
    old_mode: str | None,
    new_mode: str | None,
    hunks: int,
) -> None:
    change = only(parse_fixture(fixture))
    assert (change.old_path, change.new_path) == (old_path, new_path)
    assert change.status is status
    assert change.is_binary is is_binary
    assert (change.old_mode, change.new_mode) == (old_mode, new_mode)
    assert len(change.hunks) == hunks
    assert change.path == (new_path or old_path)


def test_blob_ids_come_from_the_index_line() -> None:
    change = only(parse_fixture("modified.diff"))
    assert change.old_blob == "74c58c294f24fe95be1d82247d1c7ad9cd7d79e6"
    assert change.new_blob == "c30b43aacf937854f7d13a9854db6c0edc0c0bd7"
    added = only(parse_fixture("added.diff"))
    assert added.old_blob is not None and set(added.old_blob) == {"0"}


def test_pure_rename_has_no_blobs_and_no_lines() -> None:
    change = only(parse_fixture("renamed_pure.diff"))
    assert change.old_blob is None and change.new_blob is None
    assert change.added_lines == () and change.removed_lines == ()


def test_modified_two_hunks_line_numbers() -> None:
    change = only(parse_fixture("modified.diff"))
    first, second = change.hunks
    assert (first.old_start, first.old_len, first.new_start, first.new_len) == (1, 4, 1, 4)
    assert (second.old_start, second.old_len, second.new_start, second.new_len) == (9, 4, 9, 4)
    assert [(ln.text, ln.new_no) for ln in change.added_lines] == [
        ('variable "v_one" {}', 1),
        ('variable "v_twelve" {}', 12),
    ]
    assert [(ln.text, ln.old_no) for ln in change.removed_lines] == [
        ('variable "v1" {}', 1),
        ('variable "v12" {}', 12),
    ]
    assert change.added_line_numbers == {1, 12}
    assert change.removed_line_numbers == {1, 12}
    # context lines carry both numbers
    assert (" ", 'variable "v9" {}', 9, 9) in lines_of(change)


def test_added_file_lines() -> None:
    change = only(parse_fixture("added.diff"))
    assert lines_of(change) == [
        ("+", 'resource "aws_sqs_queue" "jobs" {', None, 1),
        ("+", '  name = "jobs"', None, 2),
        ("+", "}", None, 3),
    ]


def test_removed_block_numbers_and_anchor() -> None:
    """Removed lines keep their old numbers; the anchor is the new line they stood before."""
    change = only(parse_fixture("removed_block.diff"))
    removed = [(ln.text, ln.old_no, ln.anchor) for ln in change.removed_lines]
    assert removed == [
        ('  instance_type = "t3.micro"', 7, 7),
        ("}", 8, 7),
        ("", 9, 7),
        ('resource "aws_s3_bucket" "logs" {', 10, 7),
        ('  bucket = "acme-logs"', 11, 7),
    ]
    assert [(ln.text, ln.new_no) for ln in change.added_lines] == [
        ('  instance_type = "t3.large"', 7),
        ("  sensitive = true", 12),
    ]
    assert all(ln.new_no is None for ln in change.removed_lines)
    assert change.new_position(10) == 7
    assert change.new_position(12) == 8  # context after the removal shifts by -4
    assert change.new_position(14) == 10
    assert change.new_position(1) == 1  # before the hunk: unchanged


def test_deleted_file_anchor_is_line_one() -> None:
    # Bug: a hunk with an empty new side ("+0,0") gave anchor 0, the line before the hunk.
    change = only(parse_fixture("deleted.diff"))
    assert [(ln.old_no, ln.anchor) for ln in change.removed_lines] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 1),
    ]


ZERO_CONTEXT = b"""\
diff --git a/infra/variables.tf b/infra/variables.tf
index 74c58c294f24fe95be1d82247d1c7ad9cd7d79e6..0ad0ba4e3a3fe3a51f4d1e7c4a7b0c7bca6b3f0c 100644
--- a/infra/variables.tf
+++ b/infra/variables.tf
@@ -5,2 +4,0 @@ variable "v3" {}
-variable "v5" {}
-variable "v6" {}
@@ -9,0 +8,1 @@ variable "v8" {}
+variable "v8b" {}
@@ -12 +11 @@ variable "v11" {}
-variable "v12" {}
+variable "v_twelve" {}
"""


def test_zero_context_anchors() -> None:
    """`git diff -U0`: "+4,0" means after new line 4, so the removed lines stood at line 5."""
    change = only(parse_diff(ZERO_CONTEXT))
    assert [(ln.text, ln.old_no, ln.anchor) for ln in change.removed_lines] == [
        ('variable "v5" {}', 5, 5),
        ('variable "v6" {}', 6, 5),
        ('variable "v12" {}', 12, 11),
    ]
    assert [(ln.text, ln.new_no) for ln in change.added_lines] == [
        ('variable "v8b" {}', 8),
        ('variable "v_twelve" {}', 11),
    ]
    assert change.new_position(5) == 5


def test_zero_context_positions_between_hunks() -> None:
    change = only(parse_diff(ZERO_CONTEXT))
    assert change.new_position(7) == 5  # v7 follows v4 once v5 and v6 are gone
    assert change.new_position(9) == 7  # v9 stands before the inserted v8b
    assert change.new_position(10) == 9


def test_no_newline_marker_is_not_a_line() -> None:
    change = only(parse_fixture("no_newline.diff"))
    assert lines_of(change) == [
        ("-", "SELECT 1;", 1, None),
        ("+", "SELECT 2;", None, 1),
        ("+", "SELECT 3;", None, 2),
    ]


def test_crlf_content_lines_lose_the_carriage_return() -> None:
    change = only(parse_fixture("crlf.diff"))
    assert lines_of(change) == [
        (" ", "a = 1", 1, 1),
        ("-", "b = 2", 2, None),
        ("+", "b = 20", None, 2),
        (" ", "c = 3", 3, 3),
    ]


@pytest.mark.parametrize("fixture", ["modified.diff", "removed_block.diff", "deleted.diff"])
def test_whole_diff_with_crlf_line_ends_parses_like_lf(fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    crlf = data.replace(b"\n", b"\r\n")
    assert lines_of(only(parse_diff(crlf))) == lines_of(only(parse_diff(data)))
    assert only(parse_diff(crlf)).path == only(parse_diff(data)).path


def test_utf8_bom_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + (FIXTURES / "added.diff").read_bytes()
    assert only(parse_diff(data)).new_path == "infra/queue.tf"


def test_plain_diff_u_lines() -> None:
    change = only(parse_fixture("plain_diff_u.diff"))
    assert lines_of(change) == [
        (" ", "a", 1, 1),
        ("-", "b", 2, None),
        ("+", "B", None, 2),
        (" ", "c", 3, 3),
        (" ", "d", 4, 4),
        ("+", "e", None, 5),
    ]


def test_several_files_in_order() -> None:
    data = b"".join(
        (FIXTURES / name).read_bytes()
        for name in ("added.diff", "binary_differ.diff", "deleted.diff", "mode_only.diff")
    )
    assert [(c.path, c.status) for c in parse_diff(data)] == [
        ("infra/queue.tf", Status.ADDED),
        ("assets/logo.png", Status.BINARY),
        ("infra/db.tf", Status.DELETED),
        ("scripts/deploy.sh", Status.MODE_CHANGED),
    ]


def test_str_input_is_accepted() -> None:
    text = (FIXTURES / "added.diff").read_text(encoding="utf-8")
    assert only(parse_diff(text)).new_path == "infra/queue.tf"


# --- paths git quotes or splits awkwardly -------------------------------------------------

PATH_CASES = [
    (
        "quotepath_off_with_double_quote",
        # git quotes a name holding '"' even with core.quotepath=off, and keeps UTF-8 raw.
        # Bug: unquoting went through latin-1 and gave '\ufffd"q.tf'.
        'diff --git "a/ä\\"q.tf" "b/ä\\"q.tf"\n'
        "new file mode 100644\n"
        "index 0000000..7898192\n"
        "--- /dev/null\n"
        '+++ "b/ä\\"q.tf"\n'
        "@@ -0,0 +1 @@\n"
        "+a\n",
        None,
        'ä"q.tf',
    ),
    (
        "quotepath_off_beyond_latin1",
        # Bug: a character outside latin-1 in a quoted name raised UnicodeEncodeError.
        'diff --git "a/€\\"x.tf" "b/€\\"x.tf"\n'
        "new file mode 100644\n"
        "index 0000000..6178079\n"
        "--- /dev/null\n"
        '+++ "b/€\\"x.tf"\n'
        "@@ -0,0 +1 @@\n"
        "+b\n",
        None,
        '€"x.tf',
    ),
    (
        "quoted_octal_and_backslash",
        'diff --git "a/back\\\\slash \\303\\266.tf" "b/back\\\\slash \\303\\266.tf"\n'
        "new file mode 100644\n"
        "index 0000000..f2ad6c7\n"
        "--- /dev/null\n"
        '+++ "b/back\\\\slash \\303\\266.tf"\t\n'
        "@@ -0,0 +1 @@\n"
        "+c\n",
        None,
        "back\\slash ö.tf",
    ),
    (
        "deleted_file_in_dir_named_a_b",
        # Bug: unidiff splits the header at the last " b/": the path became
        # "envs/a b/db.tf b/envs/a", lost its .tf format, and TF101 never ran.
        "diff --git a/envs/a b/db.tf b/envs/a b/db.tf\n"
        "deleted file mode 100644\n"
        "index bb7819e..0000000\n"
        "--- a/envs/a b/db.tf\t\n"
        "+++ /dev/null\n"
        "@@ -1,3 +0,0 @@\n"
        '-resource "aws_db_instance" "main" {\n'
        '-  engine = "postgres"\n'
        "-}\n",
        "envs/a b/db.tf",
        None,
    ),
    (
        "modified_file_in_dir_named_a_b",
        # Bug: the same split made unidiff reject the +++ line ("Target without source").
        "diff --git a/envs/a b/db.tf b/envs/a b/db.tf\n"
        "index bb7819e..94336e0 100644\n"
        "--- a/envs/a b/db.tf\t\n"
        "+++ b/envs/a b/db.tf\t\n"
        "@@ -1,3 +1,3 @@\n"
        ' resource "aws_db_instance" "main" {\n'
        '-  engine = "postgres"\n'
        '+  engine = "mysql"\n'
        " }\n",
        "envs/a b/db.tf",
        "envs/a b/db.tf",
    ),
    (
        "mode_change_in_dir_named_a_b",
        "diff --git a/x b/c.sh b/x b/c.sh\nold mode 100644\nnew mode 100755\n",
        "x b/c.sh",
        "x b/c.sh",
    ),
    (
        "empty_new_file_in_dir_named_a_b",
        "diff --git a/x b/y.tf b/x b/y.tf\n"
        "new file mode 100644\n"
        "index 0000000000000000000000000000000000000000..e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\n",
        None,
        "x b/y.tf",
    ),
    (
        "rename_with_edit_into_dir_named_a_b",
        "diff --git a/db.tf b/x b/db.tf\n"
        "similarity index 80%\n"
        "rename from db.tf\n"
        "rename to x b/db.tf\n"
        "index bb7819e..94336e0 100644\n"
        "--- a/db.tf\n"
        "+++ b/x b/db.tf\t\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n",
        "db.tf",
        "x b/db.tf",
    ),
    (
        "quoted_rename_one_side",
        'diff --git a/old name.txt "b/new n\\303\\244me.txt"\n'
        "similarity index 100%\n"
        "rename from old name.txt\n"
        'rename to "new n\\303\\244me.txt"\n',
        "old name.txt",
        "new näme.txt",
    ),
    (
        "mnemonic_prefixes",
        "diff --git i/infra/main.tf w/infra/main.tf\n"
        "index 3daad34..6a63b14 100644\n"
        "--- i/infra/main.tf\n"
        "+++ w/infra/main.tf\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n",
        "infra/main.tf",
        "infra/main.tf",
    ),
    (
        "no_prefix",
        "diff --git infra/main.tf infra/main.tf\n"
        "index 3daad34..6a63b14 100644\n"
        "--- infra/main.tf\n"
        "+++ infra/main.tf\n"
        "@@ -1 +1 @@\n"
        "-a\n"
        "+b\n",
        "infra/main.tf",
        "infra/main.tf",
    ),
]


@pytest.mark.parametrize(
    ("diff", "old_path", "new_path"),
    [c[1:] for c in PATH_CASES],
    ids=[c[0] for c in PATH_CASES],
)
def test_awkward_paths(diff: str, old_path: str | None, new_path: str | None) -> None:
    change = only(parse_diff(diff.encode("utf-8")))
    assert (change.old_path, change.new_path) == (old_path, new_path)
    if change.path.endswith(".tf"):
        assert "terraform" in change.formats


def test_quoted_and_unquoted_unicode_paths_agree() -> None:
    quoted = only(parse_fixture("unicode_quoted.diff"))
    raw = only(parse_fixture("unicode_quotepath_off.diff"))
    assert quoted.path == raw.path == "infra/prod db/ä.tf"
    assert lines_of(quoted) == lines_of(raw)
    assert quoted.formats == raw.formats == {"terraform"}


# --- empty and refused input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"\n", b"  \n\n\t\n", ""], ids=["empty", "newline", "blank", "str"]
)
def test_empty_input_is_no_files(data: bytes | str) -> None:
    assert parse_diff(data) == []


ERROR_CASES = [
    ("garbage", b"hello world\nthis is not a diff\n", "no unified diff found"),
    ("prose_with_dashes", b"--- a heading\nsome text\n", "no file changes"),
    (
        "non_utf8",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+\xff\xfe\n",
        "not UTF-8 text (invalid byte at line 6, in x)",
    ),
    (
        "latin1_on_line_2",
        b"--- a/caf\xe9.txt\n+++ b/caf\xe9.txt\n@@ -1 +1 @@\n-a\n+b\n",
        "line 1",
    ),
    (
        "nul_byte",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\x00\n",
        "NUL byte at line 6",
    ),
    ("combined", None, "combined diffs (diff --cc) are not supported"),
    (
        "truncated_hunk",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+c\n",
        "Hunk is shorter than expected",
    ),
    (
        "truncated_plain_hunk",
        b"--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+c\n",
        "Hunk is shorter than expected",
    ),
    (
        # Bug: lines past the count of the hunk header were dropped without a word, so an
        # added "terraform destroy" after them was never checked.
        "hunk_longer_than_header",
        b"--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-b\n+c\n+terraform destroy -auto-approve\n",
        "line 6: changed line outside any hunk",
    ),
    (
        # Bug: an unreadable hunk header was skipped with the lines under it.
        "malformed_hunk_header",
        b"--- a/x\n+++ b/x\n@@ -a,b +c @@\n-a\n+b\n",
        "line 3: malformed hunk header",
    ),
    (
        "changed_lines_without_hunk_header",
        b"diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n-a\n+b\n",
        "line 5: changed line outside any hunk",
    ),
    ("hunk_without_file", b"@@ -1 +1 @@\n-a\n+b\n", "Unexpected hunk"),
]


@pytest.mark.parametrize(("name", "data", "words"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_refused_input(name: str, data: bytes | None, words: str) -> None:
    if data is None:
        data = (FIXTURES / "combined.diff").read_bytes()
    with pytest.raises(InputError) as info:
        parse_diff(data, origin="change.diff")
    message = str(info.value)
    assert message.startswith("change.diff: ")
    assert words in message
    assert "\n" not in message


def test_truncated_hunk_in_the_middle_of_a_diff() -> None:
    """A hunk cut short by the next file header is an error, not a shorter file."""
    data = (
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n"
        + (FIXTURES / "added.diff").read_bytes()
    )
    with pytest.raises(InputError, match="malformed diff"):
        parse_diff(data)


def test_format_patch_signature_is_not_a_changed_line() -> None:
    change = only(parse_fixture("format_patch.diff"))
    assert len(change.removed_lines) == 4
    assert change.added_lines == ()


# --- format detection ----------------------------------------------------------------------

FORMAT_CASES = [
    ("infra/main.tf", "", {"terraform"}),
    ("infra/main.tf.json", "", {"terraform", "json"}),
    ("envs/prod.tfvars", "", {"tfvars"}),
    (".github/workflows/x.yml", "", {"yaml", "github-workflow", "ci"}),
    (".github/workflows/deploy.yaml", "", {"yaml", "github-workflow", "ci"}),
    (".gitlab-ci.yml", "", {"yaml", "ci"}),
    ("Dockerfile", "", {"dockerfile"}),
    ("docker/Dockerfile.prod", "", {"dockerfile"}),
    ("Makefile", "", {"makefile"}),
    ("db/migrate/20240101000000_add_index.rb", "", {"ruby", "rails-migration"}),
    ("app/migrations/0001_x.py", "", {"python", "django-migration"}),
    ("alembic/versions/x.py", "", {"python", "alembic-migration"}),
    ("V1__init.sql", "", {"sql", "sql-migration"}),
    ("CODEOWNERS", "", {"codeowners"}),
    (".github/CODEOWNERS", "", {"codeowners"}),
    ("k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n", {"yaml", "kubernetes"}),
    ("k8s/values.yaml", "replicas: 3\n", {"yaml"}),
    ("cfn/stack.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\n', {"yaml", "cloudformation"}),
    ("cfn/stack.json", '{"Resources": {}}', {"json", "cloudformation"}),
    ("cfn/bucket.yml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n", {"yaml", "cloudformation"}),
    ("scripts/run", "#!/bin/bash\necho hi\n", {"shell"}),
    ("notes", "", set()),
]


@pytest.mark.parametrize(
    ("path", "sample", "expected"), FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES]
)
def test_detect_formats(path: str, sample: str, expected: set[str]) -> None:
    assert detect_formats(path, sample) == expected


def test_formats_by_content_come_from_the_hunks() -> None:
    diff = (
        "diff --git a/k8s/api.yaml b/k8s/api.yaml\n"
        "index 1111111..2222222 100644\n"
        "--- a/k8s/api.yaml\n"
        "+++ b/k8s/api.yaml\n"
        "@@ -1,4 +1,4 @@\n"
        " apiVersion: apps/v1\n"
        " kind: Deployment\n"
        " spec:\n"
        "-  replicas: 2\n"
        "+  replicas: 3\n"
    )
    assert only(parse_diff(diff)).formats == {"yaml", "kubernetes"}


def test_deleted_file_formats_use_the_old_path() -> None:
    assert only(parse_fixture("deleted.diff")).formats == {"terraform"}
    assert only(parse_fixture("binary_differ.diff")).formats == set()


def test_hunk_lines_that_look_like_file_headers_are_content() -> None:
    """A removed `-- note` (an SQL comment) then an added `++ x` read `--- note`/`+++ x`
    inside the hunk: content, not a file header waiting for hunks."""
    data = (
        b"diff --git a/db/notes.sql b/db/notes.sql\n--- a/db/notes.sql\n+++ b/db/notes.sql\n"
        b"@@ -1,3 +1,3 @@\n--- note\n+++ x\n SELECT 1;\n keep\n"
    )
    [change] = parse_diff(data)
    assert [(line.kind, line.text) for line in change.hunks[0].lines] == [
        ("-", "-- note"),
        ("+", "++ x"),
        (" ", "SELECT 1;"),
        (" ", "keep"),
    ]
