"""The files of `changerisk/data`, read through the package's own loader.

This is what `pkgutil.get_data` does, and it works wherever the package is imported from (an
installed wheel, an editable install, a zip archive). `importlib.resources` would do it too,
but importing it costs the hook about 4 ms (it brings in `tempfile` and `zipfile`).
"""

from __future__ import annotations

import os


def read_text(name: str) -> str:
    """The text of `changerisk/data/<name>`."""
    import changerisk

    spec = changerisk.__spec__
    loader = spec.loader if spec is not None else None
    get_data = getattr(loader, "get_data", None)
    if get_data is None or changerisk.__file__ is None:
        raise FileNotFoundError(f"changerisk data file {name}: the package has no data loader")
    path = os.path.join(os.path.dirname(changerisk.__file__), "data", name)
    data: bytes = get_data(path)
    return data.decode("utf-8")
