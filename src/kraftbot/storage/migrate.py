"""The database schema kept current by Alembic migrations (`storage/migrations/versions`).

Every process that opens the database upgrades it first, so an update needs no separate step; on
PostgreSQL an advisory lock, on SQLite a lock file beside the database, makes several processes
starting at once take turns (the first migrates, the rest find it done). A database made before
migrations existed (some or all of its tables created directly, no version row) is adopted by the
first revision, which creates only the tables it lacks and keeps the rows of the others.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from kraftbot.errors import DatabaseUnavailable
from kraftbot.settings import Settings
from kraftbot.storage.database import Base, database_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number: the PostgreSQL advisory lock that serialises migrations between processes.
MIGRATION_LOCK = 7_225_001


def declared_metadata() -> MetaData:
    """Every table the stores declare (importing them registers their tables on `Base`)."""
    from kraftbot.storage import audit, feedback, keys, sessions, users  # noqa: F401

    return Base.metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the migrations know."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def revision(engine: Engine) -> str | None:
    """The database's current revision (None before the first migration)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time on a SQLite file (its driver runs DDL outside transactions,
    so the database itself does not make them wait)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def upgrade(engine: Engine, target: str = "head") -> None:
    """Migrate the database to `target` (the newest revision by default)."""
    with _sqlite_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_config(connection), target)
        after = MigrationContext.configure(connection).get_current_revision()
        if after != before:
            log.info("Database migrated from revision %s to %s", before, after)


def downgrade(engine: Engine, target: str) -> None:
    """Migrate back to `target` ("base" = no tables); for tests of the migrations themselves."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), target)


def shown_url(url: str) -> str:
    """The URL as logs and messages may show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def open_url(url: str) -> Engine:
    """An engine on `url` whose schema is current; connections are checked before use (a restarted
    PostgreSQL is reconnected to). DatabaseUnavailable when it cannot be reached."""
    engine = create_engine(url, pool_pre_ping=True)
    try:
        upgrade(engine)
    except DBAPIError as error:
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        raise DatabaseUnavailable(f"cannot open the database {shown_url(url)}: {reason}") from error
    except CommandError as error:  # e.g. a revision newer than this KraftBot knows
        raise DatabaseUnavailable(
            f"the database {shown_url(url)} has a schema this KraftBot cannot migrate ({error}); "
            "is a newer KraftBot using it?"
        ) from error
    return engine


def open_database(settings: Settings) -> Engine:
    """The configured database (`database.url`, else SQLite in `paths.data_dir`), migrated."""
    return open_url(database_url(settings))
