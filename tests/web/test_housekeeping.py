"""The hourly clean-up: expired sign-ins always go; stored answers only past a set retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from kraftbot.web.housekeeping import forget_old

from ..doubles import answer_result


def _age(stores, table: str, column: str, days: float) -> None:
    with stores.feedback.engine.begin() as connection:
        connection.execute(text(f"UPDATE {table} SET {column} = :when"), {"when": datetime.now(UTC) - timedelta(days)})


def _count(stores, table: str) -> int:
    with stores.feedback.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_expired_sessions_go_and_answers_stay_without_a_retention(stores) -> None:
    stores.users.add("anna", "ett-långt-lösenord")
    stores.sessions.start("anna")
    stores.feedback.record_answer(answer_result("Svar."), [])
    _age(stores, "sessions", "expires", 1)
    _age(stores, "answers", "created", 400)
    forget_old(stores, retention_days=0)
    assert _count(stores, "sessions") == 0 and _count(stores, "answers") == 1


def test_answers_past_the_retention_go_and_newer_ones_stay(stores) -> None:
    stores.feedback.record_answer(answer_result("Gammalt svar."), [])
    _age(stores, "answers", "created", 31)
    stores.feedback.record_answer(answer_result("Nytt svar."), [])
    forget_old(stores, retention_days=30)
    with stores.feedback.engine.connect() as connection:
        assert connection.execute(text("SELECT answer FROM answers")).scalars().all() == ["Nytt svar."]
