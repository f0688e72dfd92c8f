"""The migrations make exactly the tables the stores declare, keep rows of a database made before
them, go down and up again, and let several processes start at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.orm import Session

from kraftbot.errors import DatabaseUnavailable
from kraftbot.storage.feedback import StoredAnswer
from kraftbot.storage.migrate import declared_metadata, downgrade, head_revision, open_url, revision, upgrade

from .conftest import empty


def test_the_newest_schema_is_what_the_stores_declare(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), declared_metadata())
    assert differences == []
    assert revision(engine) == head_revision()


def test_the_migrations_have_one_newest_revision() -> None:
    assert head_revision() is not None  # two branches would raise: one would never run


def test_upgrading_again_changes_nothing(engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    upgrade(engine)
    assert sorted(inspect(engine).get_table_names()) == before and revision(engine) == head_revision()


@pytest.mark.parametrize("never_made", [[], ["users"], ["api_keys", "users"]], ids=["all", "no-users", "answers-only"])
def test_a_database_made_before_migrations_keeps_its_rows(engine: Engine, never_made: list[str]) -> None:
    empty(engine)
    upgrade(engine, "0001")
    with engine.begin() as connection:  # as the stores left it: the tables they made, no version row
        connection.execute(text("DROP TABLE alembic_version"))
        for table in never_made:
            connection.execute(text(f"DROP TABLE {table}"))
        connection.execute(
            text(
                "INSERT INTO answers (id, created, question, history, answer, citations, mode, refused, index_name,"
                " model) VALUES ('a1', :created, 'Vad?', '[]', 'Svar.', '[]', 'answer', false, 'default', 'none')"
            ),
            {"created": datetime(2026, 11, 1, tzinfo=UTC)},
        )
    upgrade(engine)
    assert revision(engine) == head_revision()
    with Session(engine) as session:
        kept = session.get(StoredAnswer, "a1")
        assert kept is not None and kept.question == "Vad?" and kept.conversation_id is None


def test_down_to_nothing_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"answers", "feedback", "api_keys", "users", "sessions"} <= set(inspect(engine).get_table_names())


def test_processes_starting_at_once_migrate_once(engine: Engine) -> None:
    for _ in range(3):
        empty(engine)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: upgrade(create_engine(engine.url)), range(4)))
        assert revision(engine) == head_revision()


def test_a_database_newer_than_this_kraftbot_is_a_clear_error(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseUnavailable, match="newer KraftBot"):
        open_url(engine.url.render_as_string(hide_password=False))
