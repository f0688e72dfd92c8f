"""The settings reference in the README, generated from settings.py so the two cannot drift.

Each setting's explanation is the comment block right above its field in settings.py.
"""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

from pydantic import BaseModel

from kraftbot import settings as settings_module
from kraftbot.settings import ENV_PREFIX, Settings


def _field_comments() -> dict[tuple[str, str], str]:
    """Map (class name, field name) to the comment lines directly above the field.

    A field with no comment of its own, directly below another field, shares that field's comment
    (one comment may explain a group of fields).
    """
    source = inspect.getsource(settings_module)
    lines = source.splitlines()
    comments: dict[tuple[str, str], str] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        shared = ""
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            block: list[str] = []
            row = statement.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#"):
                block.insert(0, lines[row].strip().lstrip("#").strip())
                row -= 1
            if block:
                shared = " ".join(block)
            elif not lines[statement.lineno - 2].strip():
                shared = ""
            comments[(node.name, statement.target.id)] = shared
    return comments


def _default_text(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return f'"{value}"'


def settings_table() -> str:
    """A Markdown table: setting, environment variable, default, meaning."""
    comments = _field_comments()
    rows = ["| setting | environment variable | default | meaning |", "| --- | --- | --- | --- |"]
    defaults = Settings()
    for section_name in Settings.model_fields:
        section: BaseModel = getattr(defaults, section_name)
        class_name = type(section).__name__
        for key in type(section).model_fields:
            env = f"{ENV_PREFIX}{section_name.upper()}_{key.upper()}"
            meaning = comments.get((class_name, key), "").replace("|", "\\|")
            default = _default_text(getattr(section, key)).replace("|", "\\|")
            if section_name == "paths" and key == "model_cache_dir":
                default = '"~/.cache/kraftbot/models"'
            rows.append(f"| `{section_name}.{key}` | `{env}` | `{default}` | {meaning} |")
    return "\n".join(rows)
