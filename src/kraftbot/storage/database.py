"""The database engine: `database.url`, or a SQLite file in `paths.data_dir`."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import DeclarativeBase

from kraftbot.settings import Settings

SQLITE_FILE = "kraftbot.db"


class Base(DeclarativeBase):
    """The tables of KraftBot's database (answers, feedback, API keys, users)."""


def database_url(settings: Settings) -> str:
    """The configured URL, else the SQLite file in the data folder (created when missing)."""
    if settings.database.url:
        return settings.database.url
    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.paths.data_dir / SQLITE_FILE).resolve()}"


def create_database_engine(settings: Settings) -> Engine:
    """An engine whose connections are checked before use (a restarted PostgreSQL is reconnected to);
    each store creates the tables it needs."""
    return create_engine(database_url(settings), pool_pre_ping=True)
