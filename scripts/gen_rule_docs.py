"""Render docs/rules.md from the installed rules' metadata and docstrings.

    python scripts/gen_rule_docs.py           # rewrite docs/rules.md
    python scripts/gen_rule_docs.py --check   # exit 1 when docs/rules.md is stale

Only the rules of the changerisk distribution are documented, not third-party plugins that
happen to be installed. Run it after adding or editing a rule (and `pip install -e .` first,
so a new rule module's entry point is registered).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from changerisk.docs import builtin_rules, render_reference

TARGET = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that it is current")
    parser.add_argument("--output", type=Path, default=TARGET, help="where to write")
    args = parser.parse_args(argv)
    text = render_reference(builtin_rules())
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is stale: run python scripts/gen_rule_docs.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
