"""The files of `changerisk/data`.

`pkgutil.get_data` reads them through the package's own loader, wherever the package is
imported from (an installed wheel, an editable install, a zip archive). `importlib.resources`
would do it too, but importing it costs the hook about 4 ms (it brings in `tempfile` and
`zipfile`); `pkgutil` costs a tenth of that.
"""

from __future__ import annotations

import pkgutil


def read_text(name: str) -> str:
    """The text of `changerisk/data/<name>`."""
    data = pkgutil.get_data("changerisk", f"data/{name}")
    if data is None:
        raise FileNotFoundError(f"changerisk data file {name}: the package has no data loader")
    return data.decode("utf-8")
