"""Where a change comes from: a diff file, standard input, or the git repository."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from changerisk import git
from changerisk.diff import parse_diff
from changerisk.errors import GitError, InputError
from changerisk.formats import SAMPLE_CHARS, detect_formats
from changerisk.model import ChangeSet, Commit, FileChange, Status, TextLoader
from changerisk.regex import lazy_compile

MAX_INPUT_BYTES = 512 * 1024 * 1024
# Every blob id of an `index` line, in the bytes (the parsed ids are among them); a newline
# leads the pattern, which is found much faster than a line start
_INDEX_IDS = lazy_compile(rb"\nindex ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)")


def from_diff_file(path: str, root: str | None = None) -> ChangeSet:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a diff file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return from_diff_bytes(data, origin=path, source="diff", root=root)


def from_diff_bytes(data: bytes, origin: str, source: str, root: str | None = None) -> ChangeSet:
    """A change from diff bytes; inside a repository, full texts come from its blobs."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{origin}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
    asked: list[str] = []
    present_later = None
    if root is not None:  # git looks up the blobs of the index lines while the diff is read
        pairs = _INDEX_IDS.findall(b"\n" + data)  # (the first line too)
        asked = [i.decode() for pair in pairs for i in pair if i.strip(b"0")]
        present_later = git.blobs_present_later(root, asked)
    files = parse_diff(data, origin=origin)
    if root is not None and present_later is not None:
        ids = [b for c in files for b in (c.old_blob, c.new_blob) if b and set(b) != {"0"}]
        present = present_later()
        unasked = set(ids) - set(asked)  # (none: each id read is on an index line)
        if unasked:
            present = present | git.blobs_present(root, sorted(unasked))
        for change in files:
            _attach_blob_loaders(change, root, worktree=False, present=present)
            _refine_formats(change)
    from changerisk import mbox

    return ChangeSet(
        files=files,
        source=source,
        description=origin,
        repo_root=root,
        commits=mbox.commits(data) if mbox.is_mbox(data) else (),
        base_rev="HEAD" if root is not None else None,
    )


def from_git(
    mode: str, base: str | None = None, cwd: str | None = None, head: str = "HEAD"
) -> ChangeSet:
    """A change read from the repository: `worktree` (git diff HEAD), `staged`, or `base`
    (`head` against its merge base with `base`; `base` may be the empty tree, for a first push).
    """
    root = git.repo_root(cwd)
    commits: tuple[Commit, ...] = ()
    merge = ""
    read: Callable[[Sequence[str], bool], bytes]
    if mode == "staged":
        read, description = partial(git.diff_staged, root), "staged changes"
    elif mode == "base":
        if not base:
            raise GitError("--base needs a ref")
        if base == git.EMPTY_TREE:
            merge, description = base, f"{head} (all of its history)"
            commits = git.log(root, [head])
        else:
            merge, description = git.merge_base(root, base, head), f"{base}...{head}"
            commits = git.commits_in_range(root, merge, head)
        read = partial(git.diff_range, root, merge, head)
    else:
        read = partial(git.diff_worktree, root)
        description = "uncommitted changes (git diff HEAD)"
    files = _reread_as_text(parse_diff(read((), False), origin=description), read, description)
    old_rev = merge if mode == "base" else "HEAD"
    new_rev = head if mode == "base" else ":"
    for change in files:
        _attach_blob_loaders(
            change, root, worktree=mode == "worktree", old_rev=old_rev, new_rev=new_rev
        )
        _refine_formats(change)
    return ChangeSet(
        files=files,
        source=mode,
        description=description,
        repo_root=root,
        commits=commits,
        base_rev=old_rev,
    )


def attach_loaders(change: FileChange, root: str, old_rev: str, new_rev: str) -> None:
    """Give a file change of a commit its full texts and refine its formats from them."""
    _attach_blob_loaders(change, root, worktree=False, old_rev=old_rev, new_rev=new_rev)
    _refine_formats(change)


def _reread_as_text(
    files: list[FileChange], read: Callable[[Sequence[str], bool], bytes], origin: str
) -> list[FileChange]:
    """Read again with `--text` the files git called binary though their format is text.

    A `.gitattributes` line such as `*.tf -diff` (which a change can add for itself) makes git
    print "Binary files differ" for Terraform, hiding every line from the rules. A file with
    NUL bytes stays binary.
    """
    out = []
    for change in files:
        if change.is_binary and change.formats:
            paths = list(dict.fromkeys(p for p in (change.old_path, change.new_path) if p))
            try:
                again = parse_diff(read(paths, True), origin=origin)
            except InputError:
                again = []
            if len(again) == 1 and not again[0].is_binary:
                change = again[0]
        out.append(change)
    return out


_SNIFFED = (".yaml", ".yml", ".json")


def _refine_formats(change: FileChange) -> None:
    """Detect YAML/JSON kinds (Kubernetes, CloudFormation, IAM policy) and extensionless
    scripts from the full text where there is one, not only from the hunks."""
    name = posixpath.basename(change.path).lower()
    if change.is_binary or not (name.endswith(_SNIFFED) or "." not in name):
        return
    side = "new" if change.new_path is not None else "old"
    text = change.new_text() if side == "new" else change.old_text()
    if text and not change.is_partial(side):
        change.formats = change.formats | detect_formats(change.path, text[:SAMPLE_CHARS])


def _attach_blob_loaders(
    change: FileChange,
    root: str,
    worktree: bool,
    old_rev: str | None = None,
    new_rev: str | None = None,
    present: set[str] | None = None,
) -> None:
    """Full texts from blob ids; where the diff has none (pure renames), by revision and path.
    `present`: the blob ids the repository has, when known (a diff from elsewhere)."""

    def known(blob: str | None) -> bool:
        return bool(blob) and set(blob or "") != {"0"} and (present is None or blob in present)

    if change.status is not Status.ADDED:
        if known(change.old_blob):
            change.load_old = _blob_loader(root, change.old_blob or "")
        elif old_rev and change.old_path:
            change.load_old = _path_loader(root, old_rev, change.old_path)
    if change.status is not Status.DELETED:
        if worktree and change.new_path:
            change.load_new = _file_loader(root, change.new_path)
        elif known(change.new_blob):
            change.load_new = _blob_loader(root, change.new_blob or "")
        elif new_rev and change.new_path:
            change.load_new = _path_loader(root, new_rev, change.new_path)


def _decode(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None


def _blob_loader(root: str, blob: str) -> TextLoader:
    return lambda: _decode(git.read_blob(root, blob))


def _path_loader(root: str, revision: str, path: str) -> TextLoader:
    return lambda: _decode(git.read_path(root, revision, path))


def _file_loader(root: str, relative: str) -> TextLoader:
    """The work-tree file as git would store it: a symbolic link is its target's name, never
    the content it points at, and nothing outside the repository is read."""

    def load() -> str | None:
        path = os.path.join(root, relative)
        try:
            if os.path.islink(path):
                return os.readlink(path)
            top = os.path.realpath(root)
            if os.path.commonpath([top, os.path.realpath(path)]) != top:
                return None
            return _decode(Path(path).read_bytes())
        except (OSError, ValueError):
            return None

    return load


def from_plan_file(path: str) -> FileChange:
    """A Terraform plan (`terraform show -json` output) as a file of the change.

    The plan is read and validated here, so a file that is not a plan stops the run with a
    clear error before any rule runs; rules find the parsed plan in the file's cache.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a plan file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if data.startswith(b"PK"):
        raise InputError(
            f"{path}: a binary plan file; give its JSON: terraform show -json {path} > plan.json"
        )
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 (byte {exc.start}); give terraform show -json output"
        ) from None
    return from_plan_text(text, path)


def from_plan_text(text: str, path: str) -> FileChange:
    """A plan's JSON text as a file change named `path`."""
    from changerisk.parsers.plan import parse_plan

    plan = parse_plan(text, origin=path)
    change = FileChange(
        old_path=path,
        new_path=path,
        status=Status.MODIFIED,
        formats=frozenset({"terraform-plan"}),
        load_new=lambda: text,
    )
    change.cached("plan", lambda: plan)
    return change
