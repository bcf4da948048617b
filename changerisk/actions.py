"""An agent's action as a change the rules read, so the guard checks it as `check` would.

A shell command becomes a one-file change: a shell script whose every line is added, so the
shell rules read it (quotes, `&&` chains, `sudo`, `bash -c`, delete-then-recreate within one
command line) and their findings name the command. A file write or edit becomes the real diff
between the file on disk (nothing, when it is new) and the text the agent would leave, with
the file's path inside its repository, so path context, CODEOWNERS and the configuration apply
as for a commit. The other Terraform files of the module ride along unchanged, so a resource
moved to a file already written is not a destroy.
"""

from __future__ import annotations

import os
from pathlib import Path

from changerisk.diff import hunks_between
from changerisk.errors import InputError
from changerisk.formats import SAMPLE_CHARS, detect_formats
from changerisk.guard import Action, Edit
from changerisk.inputs import MAX_INPUT_BYTES
from changerisk.model import ChangeSet, FileChange, Hunk, Line, Status

COMMAND_PATH = "<command>"  # no glob of the configuration matches it
MAX_CONTEXT_FILES = 200


def changeset_for(action: Action, cwd: str) -> tuple[ChangeSet, tuple[str, ...]]:
    """The change the action makes, and notes on what was not checked."""
    if action.is_command:
        return _command_change(action.command), ()
    return _write_change(action, cwd)


def _command_change(command: str) -> ChangeSet:
    text = command.replace("\r\n", "\n")
    if not text.strip():
        return ChangeSet(files=[], source="guard", description="an empty command")
    if len(text.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
        raise InputError(f"the command is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    lines = text.rstrip("\n").split("\n")
    hunk = Hunk(0, 0, 1, len(lines), tuple(Line("+", t, None, n) for n, t in enumerate(lines, 1)))
    change = FileChange(
        old_path=None,
        new_path=COMMAND_PATH,
        status=Status.ADDED,
        hunks=(hunk,),
        formats=frozenset({"shell"}),
        load_new=lambda: "\n".join(lines) + "\n",
    )
    return ChangeSet(files=[change], source="guard", description="a command an agent runs")


def _write_change(action: Action, cwd: str) -> tuple[ChangeSet, tuple[str, ...]]:
    target = Path(cwd, action.path) if not os.path.isabs(action.path) else Path(action.path)
    target = Path(os.path.normpath(target))
    root = repository_of(target.parent)
    shown = _shown_path(target, root, cwd)
    before = read_text(target)
    after = _after(action, before, shown)
    if after is None:
        return (
            ChangeSet(files=[], source="guard", description=shown),
            (f"the edit does not apply to {shown} as it is on disk: nothing changes",),
        )
    if action.done:  # the file on disk already holds the edit: rebuild the text before it
        before, after = after, before
    if before == after:
        return ChangeSet(files=[], source="guard", description=shown), ()
    status = Status.ADDED if before is None else Status.MODIFIED
    old_text = before or ""
    change = FileChange(
        old_path=None if before is None else shown,
        new_path=shown,
        status=status,
        hunks=hunks_between(old_text, after),
        formats=detect_formats(shown, after[:SAMPLE_CHARS] or old_text[:SAMPLE_CHARS]),
        load_old=(lambda: old_text) if before is not None else None,
        load_new=lambda: after,
    )
    files = [change, *_module_context(change, target, root, cwd)]
    changeset = ChangeSet(
        files=files,
        source="guard",
        description=f"a write to {shown}",
        repo_root=str(root) if root else None,
        context_paths=frozenset(f.path for f in files[1:]),
    )
    return changeset, ()


def _after(action: Action, before: str | None, shown: str) -> str | None:
    """The text the agent leaves in the file (None when its edit would not apply)."""
    if action.content is not None:
        return action.content.replace("\r\n", "\n")
    if action.done:
        # after the fact: the text on disk is the result; undo the edits to get the text before
        if before is None:
            raise InputError(f"{shown}: the edited file is not on disk")
        undone: str | None = before
        for edit in reversed(action.edits):
            if undone is None:
                return None
            undone = _replace(undone, Edit(edit.new, edit.old, edit.every))
        return undone
    text: str | None = before
    for edit in action.edits:
        if text is None:
            if edit.old:
                return None  # editing a file that does not exist: the tool fails
            text = edit.new
            continue
        text = _replace(text, edit)
        if text is None:
            return None
    return text


def _replace(text: str, edit: Edit) -> str | None:
    if not edit.old:
        return text + edit.new if not text else None
    if edit.old not in text:
        return None
    return text.replace(edit.old, edit.new, -1 if edit.every else 1)


def read_text(path: Path) -> str | None:
    """The file's text as the agent would find it (None when there is no file)."""
    try:
        if not path.is_file():
            if path.exists():
                raise InputError(f"{path}: not a regular file")
            return None
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start})") from None


def repository_of(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder` (a `.git` folder or file), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _shown_path(target: Path, root: Path | None, cwd: str) -> str:
    """The path a reviewer knows: inside the repository, else inside the agent's folder, else
    absolute."""
    for base in (root, Path(os.path.normpath(cwd)) if cwd else None):
        if base is None:
            continue
        try:
            return target.relative_to(base).as_posix()
        except ValueError:
            continue
    return target.as_posix()


def _module_context(
    change: FileChange, target: Path, root: Path | None, cwd: str
) -> list[FileChange]:
    """The module's other Terraform files, unchanged, for the rules that compare a module's
    resources before and after (a block moved to another file of the module is no destroy)."""
    if "terraform" not in change.formats:
        return []
    out: list[FileChange] = []
    try:
        siblings = sorted(target.parent.iterdir())
    except OSError:
        return []
    for path in siblings:
        name = path.name
        if path == target or not (name.endswith((".tf", ".tf.json", ".tofu"))):
            continue
        try:
            text = read_text(path)
        except InputError:
            continue
        if text is None:
            continue
        shown = _shown_path(path, root, cwd)
        out.append(
            FileChange(
                old_path=shown,
                new_path=shown,
                status=Status.MODIFIED,
                formats=detect_formats(shown, text[:SAMPLE_CHARS]),
                load_old=lambda text=text: text,  # type: ignore[misc]
                load_new=lambda text=text: text,  # type: ignore[misc]
            )
        )
        if len(out) >= MAX_CONTEXT_FILES:
            break
    return out
