"""A small JSON cache in the user's cache directory, for what is slow to find and rarely
changes (the installed rule plugins). Anything wrong with it (no home, a read-only disk, a
damaged or foreign file) is a miss: the caller finds the value again, and nothing fails.

`CHANGERISK_CACHE_DIR` moves the directory; `CHANGERISK_NO_CACHE` (any value) turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

NO_CACHE_ENV = "CHANGERISK_NO_CACHE"
CACHE_DIR_ENV = "CHANGERISK_CACHE_DIR"


def cache_dir() -> Path | None:
    """The directory, or None when caching is off or there is no place for it."""
    if os.environ.get(NO_CACHE_ENV):
        return None
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
    else:
        home = os.path.expanduser("~")
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = xdg if os.path.isabs(xdg) else os.path.join(home, ".cache") if home != "~" else ""
    return Path(base) / "changerisk" if base else None


def read(name: str, key: str) -> object | None:
    """The value stored under `name` with this `key`, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data.get("value")


def write(name: str, key: str, value: object) -> None:
    """Store `value` under `name` and `key`, replacing the file whole (never half written)."""
    folder = cache_dir()
    if folder is None:
        return
    target = folder / name
    partial = folder / f".{name}.{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({"key": key, "value": value}), encoding="utf-8")
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
