"""Every storage test runs on SQLite and on a real PostgreSQL (the one `scripts/test.sh` starts with
`scripts/postgres.sh`, named by POSTGRES_TEST_URL), its schema made by the migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from kraftbot.storage.migrate import declared_metadata, upgrade


def empty(engine: Engine) -> None:
    """No KraftBot tables and no migration record (the PostgreSQL database is shared between tests)."""
    with engine.begin() as connection:
        declared_metadata().drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kraftbot.db'}"
    else:
        url = os.environ.get("POSTGRES_TEST_URL", "")
        if not url:
            pytest.skip("no PostgreSQL: scripts/test.sh starts one (scripts/postgres.sh)")
    created = create_engine(url)
    empty(created)
    upgrade(created)
    yield created
    empty(created)
    created.dispose()
