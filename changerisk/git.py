"""The one module that runs git.

Every call fixes the flags that user configuration could otherwise change (prefixes, colour,
external diff drivers, path quoting, rename detection, log encoding and signatures), turns off
the file-system monitor (a configured command git would run), and scrubs inherited `GIT_*`
variables that would point git at another repository or index.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence

from changerisk.errors import GitError, GitMissing
from changerisk.model import Commit

DIFF_FLAGS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "-M",
    "--full-index",
    "--no-relative",
    "--ignore-submodules=none",
)
_CONFIG = (
    "-c",
    "core.quotepath=off",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "color.ui=never",
    "-c",
    "diff.external=",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
)
_KEEP_ENV = {"GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP_ENV}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def run_git(
    args: Sequence[str],
    cwd: str | None = None,
    check: bool = True,
    index: str | None = None,
    stdin: bytes | None = None,
) -> bytes:
    """Run git with the fixed configuration and return its standard output as bytes.

    `index` points git at another index file (a scratch copy); `stdin` is fed to git.
    """
    exe = shutil.which("git")
    if exe is None:
        raise GitMissing("git is not installed or not on PATH")
    env = _env()
    if index is not None:
        env["GIT_INDEX_FILE"] = index
    proc = subprocess.run(
        [exe, *_CONFIG, *args],
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        check=False,
    )
    if check and proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        message = detail[-1] if detail else f"exit {proc.returncode}"
        raise GitError(f"git {args[0]}: {message.removeprefix('fatal: ')}")
    return proc.stdout


def repo_root(cwd: str | None = None) -> str:
    """The top of the work tree containing `cwd`, or a GitError saying there is none."""
    try:
        out = run_git(["rev-parse", "--show-toplevel"], cwd=cwd)
    except GitMissing:
        raise
    except GitError:
        raise GitError(
            "not inside a git repository: give a diff file or '-' for standard input"
        ) from None
    return out.decode("utf-8", "surrogateescape").strip()


def _only(paths: Sequence[str], text: bool) -> list[str]:
    """`--text` and literal pathspecs after `--`, to read some files again as text."""
    return [*(["--text"] if text else []), "--", *(f":(literal){path}" for path in paths)]


def diff_worktree(root: str, paths: Sequence[str] = (), text: bool = False) -> bytes:
    """`git diff HEAD`: everything not yet committed, staged or not, new files included.

    Files git does not track yet (and does not ignore) are part of the change a developer or an
    agent is about to commit: they are added, with `--intent-to-add`, to a scratch copy of the
    index, so they show as new files while the real index is never touched.
    """
    args = ["diff", *DIFF_FLAGS, "HEAD" if _has_head(root) else EMPTY_TREE, *_only(paths, text)]
    untracked = run_git(
        ["ls-files", "-z", "--others", "--exclude-standard", *_only(paths, False)], cwd=root
    )
    if not untracked.strip(b"\0"):
        return run_git(args, cwd=root)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="changerisk-") as scratch:
        index = os.path.join(scratch, "index")
        real = run_git(["rev-parse", "--git-path", "index"], cwd=root).decode().strip()
        real = os.path.join(root, real)
        if os.path.isfile(real):
            shutil.copyfile(real, index)
        run_git(
            ["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"],
            cwd=root,
            index=index,
            stdin=b"\0".join(b":(literal)" + name for name in untracked.split(b"\0") if name),
        )
        return run_git(args, cwd=root, index=index)


def diff_staged(root: str, paths: Sequence[str] = (), text: bool = False) -> bytes:
    """`git diff --cached`: what the next commit will contain."""
    return run_git(["diff", "--cached", *DIFF_FLAGS, *_only(paths, text)], cwd=root)


def merge_base(root: str, ref: str, head: str = "HEAD") -> str:
    verify = run_git(
        ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root, check=False
    )
    if not verify.strip():
        if _is_shallow(root):
            raise GitError(
                f"unknown revision {ref!r} in a shallow clone: fetch more history "
                "(e.g. git fetch --unshallow, or fetch-depth: 0 in actions/checkout)"
            )
        raise GitError(f"unknown revision {ref!r}: fetch it first (e.g. git fetch origin {ref})")
    try:
        return run_git(["merge-base", ref, head], cwd=root).decode().strip()
    except GitError:
        raise GitError(
            f"no merge base between {ref} and {head}: the clone may be shallow "
            "(fetch more history, e.g. git fetch --unshallow)"
        ) from None


def _is_shallow(root: str) -> bool:
    out = run_git(["rev-parse", "--is-shallow-repository"], cwd=root, check=False)
    return out.strip() == b"true"


def diff_range(
    root: str, base: str, head: str = "HEAD", paths: Sequence[str] = (), text: bool = False
) -> bytes:
    return run_git(["diff", *DIFF_FLAGS, base, head, *_only(paths, text)], cwd=root)


def commits_in_range(root: str, base: str, head: str = "HEAD") -> tuple[Commit, ...]:
    return log(root, [f"{base}..{head}"])


def log(root: str, revisions: Sequence[str]) -> tuple[Commit, ...]:
    """Commits (newest first) of `git log` over `revisions` (ranges, --max-count, --since…)."""
    out = run_git(
        [
            "log",
            "--no-color",
            "--format=%H%x00%an%x00%ae%x00%aI%x00%P%x00%ce%x00%B%x1e",
            *revisions,
            "--",
        ],
        cwd=root,
    ).decode("utf-8", "replace")
    commits = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        fields = [*record.split("\x00", 6), *[""] * 7][:7]
        sha, name, email, date, parents, committer_email, message = fields
        commits.append(
            Commit(
                sha=sha,
                author=name,
                author_email=email,
                message=message.strip(),
                date=date,
                parents=tuple(parents.split()),
                committer_email=committer_email,
            )
        )
    return tuple(commits)


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class BlobReader:
    """One `git cat-file --batch` process serving every blob read of a run.

    A change with hundreds of files would otherwise start hundreds of git processes.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, spec: str) -> bytes | None:
        """The blob named by `spec` (an id, or `REV:path`), or None when there is none."""
        if "\n" in spec:
            return self._read_one(spec)
        try:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3:
                return None  # "<spec> missing" or "ambiguous"
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after the content
        except (OSError, ValueError):
            self.close()
            return self._read_one(spec)
        return data if header[1] == b"blob" else None

    def _read_one(self, spec: str) -> bytes | None:
        try:
            return run_git(["cat-file", "blob", spec], cwd=self.root)
        except GitError:
            return None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            exe = shutil.which("git")
            if exe is None:
                raise GitMissing("git is not installed or not on PATH")
            self._proc = subprocess.Popen(
                [exe, *_CONFIG, "cat-file", "--batch"],
                cwd=self.root,
                env=_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None


_READERS: dict[str, BlobReader] = {}


def blob_reader(root: str) -> BlobReader:
    """The shared reader of the repository at `root` (closed at exit)."""
    if root not in _READERS:
        if not _READERS:
            atexit.register(close_readers)
        _READERS[root] = BlobReader(root)
    return _READERS[root]


def close_readers() -> None:
    """Stop every shared reader's `git cat-file` process."""
    for reader in _READERS.values():
        reader.close()
    _READERS.clear()


def blobs_present(root: str, blobs: Sequence[str]) -> set[str]:
    """Which of `blobs` (ids, abbreviated or full) the repository at `root` has, in one
    `git cat-file --batch-check` call: a diff from elsewhere names blobs this repository never
    had, and asking for each one in turn costs a round trip per file."""
    wanted = [b for b in dict.fromkeys(blobs) if b and "\n" not in b]
    if not wanted:
        return set()
    try:
        out = run_git(["cat-file", "--batch-check"], cwd=root, stdin="\n".join(wanted).encode())
    except GitError:
        return set(wanted)  # cannot tell: let each read find out
    answers = out.decode("utf-8", "replace").splitlines()
    if len(answers) != len(wanted):
        return set(wanted)
    return {blob for blob, answer in zip(wanted, answers, strict=True) if " blob " in answer}


def blobs_present_later(root: str, blobs: Sequence[str]) -> Callable[[], set[str]]:
    """`blobs_present` started in the background, so that git looks the blobs up while the
    caller reads the diff; the function returned waits for the answer (or the error)."""
    outcome: list[set[str] | BaseException] = []

    def ask() -> None:
        try:
            outcome.append(blobs_present(root, blobs))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=ask, name="changerisk-blobs", daemon=True)
    worker.start()

    def answer() -> set[str]:
        worker.join()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    return answer


def read_blob(root: str, blob: str) -> bytes | None:
    """The content of a blob, or None when this repository does not have it."""
    if not blob or set(blob) == {"0"}:
        return None
    return blob_reader(root).read(blob)


def read_path(root: str, revision: str, path: str) -> bytes | None:
    """The content of `path` at `revision` (":" for the index), or None."""
    spec = f":{path}" if revision == ":" else f"{revision}:{path}"
    return blob_reader(root).read(spec)


def _has_head(root: str) -> bool:
    return bool(run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=root, check=False))


def tracked_files(root: str, revision: str, limit: int = 50_000) -> tuple[str, ...]:
    """The paths of the files of `revision`'s tree (at most `limit`), for rules that ask which
    existing files a change affects (CODEOWNERS coverage)."""
    out = run_git(["ls-tree", "-r", "-z", "--name-only", revision], cwd=root)
    names = out.decode("utf-8", "surrogateescape").split("\x00")
    return tuple(name for name in names[:limit] if name)
