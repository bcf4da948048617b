"""Package data files."""

from __future__ import annotations

import pytest


def test_data_files_are_read_through_the_package_loader() -> None:
    """`datafiles.read_text` reads what the package ships, as `importlib.resources` would."""
    from importlib import resources

    from changerisk.datafiles import read_text

    for name in ("config.schema.json", "ai_agents.json", "starter.toml", "tf_replacement.json"):
        expected = resources.files("changerisk").joinpath(f"data/{name}").read_text("utf-8")
        assert read_text(name) == expected
    with pytest.raises(OSError):
        read_text("no-such-file.json")
