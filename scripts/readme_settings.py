"""Regenerate the settings table in README.md from settings.py (between the settings markers)."""

from __future__ import annotations

import re
from pathlib import Path

from kraftbot.settings_doc import settings_table

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)", re.DOTALL)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(BLOCK.sub(lambda m: m.group(1) + settings_table() + m.group(2), text), encoding="utf-8")


if __name__ == "__main__":
    main()
