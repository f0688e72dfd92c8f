"""Where the database is: `database.url`, or a SQLite file in `paths.data_dir`; the tables' base."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from kraftbot.settings import Settings

SQLITE_FILE = "kraftbot.db"


class Base(DeclarativeBase):
    """The tables of KraftBot's database; their schema is made by `storage.migrate`."""


def database_url(settings: Settings) -> str:
    """The configured URL, else the SQLite file in the data folder (created when missing)."""
    if settings.database.url:
        return settings.database.url
    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.paths.data_dir / SQLITE_FILE).resolve()}"
