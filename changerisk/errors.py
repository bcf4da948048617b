"""The errors changerisk raises; each `str()` is the one line a user acts on."""

from __future__ import annotations


class ChangeriskError(Exception):
    """Base of every error changerisk reports: exit code 2, one line, no traceback."""


class InputError(ChangeriskError):
    """The change could not be read: malformed diff, bad encoding, unreadable file or plan."""


class GitError(ChangeriskError):
    """A git invocation failed or no repository was found where one is needed."""


class GitMissing(GitError):
    """No git executable: nothing can be read from a repository."""


class ConfigError(ChangeriskError):
    """The configuration file is invalid; the message names the file and the key."""


class PluginError(ChangeriskError):
    """A rule plugin could not be loaded or declares invalid metadata."""


class RuleCrash(ChangeriskError):
    """A rule raised while checking a file; its findings cannot be trusted to be complete."""

    def __init__(self, code: str, path: str, error: BaseException) -> None:
        self.code = code
        self.path = path
        self.error = error
        super().__init__(
            f"rule {code} crashed on {path}: {type(error).__name__}: {error} (--debug for details)"
        )
