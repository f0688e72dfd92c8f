"""Regenerate the settings table in README.md from the settings schema (between the settings markers).

With --check, change nothing and exit 1 when the README's table is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kraftbot.settings_table import with_settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report whether README.md is up to date")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    updated = with_settings_table(text)
    if args.check:
        if updated != text:
            print(f"{README}: settings table out of date; run: .venv/bin/python scripts/readme_settings.py")
            return 1
        return 0
    if updated != text:
        README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
