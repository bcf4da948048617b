"""Tree-sitter parsing within a time budget.

Error recovery on some texts runs for minutes: a minified vendored script rebuilt from a bare
diff's hunks (blank lines standing in for what the hunks do not show) took 140 s in the
TypeScript grammar. A parse that runs past its budget is abandoned and its reader treats the
text as one it cannot read structurally (no calls, no routes): application-code readers look
for patterns in first-party source, which parses in milliseconds.
"""

from __future__ import annotations

import time
from typing import Any

BUDGET_SECONDS = 0.5
_CHUNK = 1 << 16


def parse(language: Any, data: bytes, budget: float = BUDGET_SECONDS) -> Any | None:
    """The syntax tree of `data`, or None when parsing takes longer than `budget` seconds."""
    import tree_sitter

    deadline = time.monotonic() + budget

    def read(offset: int, _point: object) -> bytes:
        return data[offset : offset + _CHUNK]

    def too_long(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        return tree_sitter.Parser(language).parse(read, progress_callback=too_long)
    except ValueError:  # "Parsing failed": the budget ran out
        return None
