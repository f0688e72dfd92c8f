"""The README's settings reference, generated from the settings schema so the two cannot drift.

Each row is one field of one section: its name, environment variable, default and description.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from kraftbot.settings import Settings
from kraftbot.settings_sources import env_name

README_BLOCK = re.compile(r"(<!-- settings:start -->\n).*?(\n<!-- settings:end -->)", re.DOTALL)


def _default_text(value: object) -> str:
    """A default as JSON; a path under the home folder with `~`, so the table is the same for everyone."""
    if isinstance(value, Path):
        home = Path.home()
        value = f"~/{value.relative_to(home).as_posix()}" if value.is_relative_to(home) else value.as_posix()
    return json.dumps(value, ensure_ascii=False)


def settings_table() -> str:
    """A Markdown table: setting, environment variable, default, description."""
    rows = ["| setting | environment variable | default | description |", "| --- | --- | --- | --- |"]
    for section, section_field in Settings.model_fields.items():
        model: type[BaseModel] = section_field.annotation  # type: ignore[assignment]
        for key, field in model.model_fields.items():
            default = _default_text(field.get_default(call_default_factory=True)).replace("|", "\\|")
            description = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{section}.{key}` | `{env_name(section, key)}` | `{default}` | {description} |")
    return "\n".join(rows)


def with_settings_table(readme: str) -> str:
    """The README text with the block between the settings markers replaced by the current table."""
    if not README_BLOCK.search(readme):
        raise ValueError("README has no <!-- settings:start --> ... <!-- settings:end --> block")
    return README_BLOCK.sub(lambda match: match.group(1) + settings_table() + match.group(2), readme)
