"""The README's settings reference is generated from settings.py; this keeps them in step."""

from kraftbot.settings import Settings
from kraftbot.settings_doc import settings_table

from .conftest import PROJECT_ROOT


def test_every_setting_is_explained() -> None:
    rows = settings_table().splitlines()[2:]
    count = sum(len(type(getattr(Settings(), name)).model_fields) for name in Settings.model_fields)
    assert len(rows) == count
    unexplained = [row.split("|")[1] for row in rows if not row.split("|")[4].strip()]
    assert not unexplained, f"add a comment above these fields in settings.py: {unexplained}"


def test_readme_holds_the_current_settings_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, (
        "README settings table is out of date: regenerate it with "
        "`.venv/bin/python scripts/readme_settings.py`"
    )
