"""Every storage test runs on SQLite and on a real PostgreSQL: the one `scripts/test.sh` starts
(`scripts/postgres.sh`), named by POSTGRES_TEST_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from kraftbot.storage.database import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kraftbot.db'}"
    else:
        url = os.environ.get("POSTGRES_TEST_URL", "")
        if not url:
            pytest.skip("no PostgreSQL: scripts/test.sh starts one (scripts/postgres.sh)")
    created = create_engine(url)
    Base.metadata.drop_all(created)
    Base.metadata.create_all(created)
    yield created
    Base.metadata.drop_all(created)
    created.dispose()
