"""A short run of the fuzzer in the suite; `python tests/fuzz/fuzz_check.py N` runs it long."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_fuzz_check_short_run() -> None:
    spec = importlib.util.spec_from_file_location(
        "fuzz_check", Path(__file__).with_name("fuzz_check.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.run(150)
