"""The answers and feedback store: stored redacted, kept for their retention, 👎 exported as questions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from kraftbot.evaluation.questions import parse_question
from kraftbot.storage.database import database_url
from kraftbot.storage.feedback import FeedbackStore, UnknownAnswer, export_negative
from kraftbot.values import Citation

from ..doubles import answer_result


@pytest.fixture
def store(engine: Engine) -> FeedbackStore:
    return FeedbackStore(engine, "default")


def _answered(store: FeedbackStore, question: str, history: list[str] | None = None) -> str:
    result = answer_result("Högst 600 000 kronor [1].", question=question)
    result.citations = [Citation(1, "utlysning-1", "Utlysning", "https://www.vinnova.se/u", "Högst 600 000 kronor.")]
    return store.record_answer(result, history or [])


def test_a_down_vote_with_its_comment_becomes_an_evaluation_question(store: FeedbackStore) -> None:
    answer_id = _answered(store, "Hur mycket kan vi få?", ["Vad är Starta er AI-resa?"])
    store.add_feedback(answer_id, "down", "Jag ville veta totalbudgeten")
    store.add_feedback(_answered(store, "Vem får söka?"), "up")
    [line] = export_negative(store)
    item = json.loads(line)
    assert item["question"] == "Hur mycket kan vi få?" and item["history"] == ["Vad är Starta er AI-resa?"]
    assert item["feedback"]["comments"] == ["Jag ville veta totalbudgeten"]
    assert item["feedback"]["answer"].startswith("Högst 600 000 kronor")
    item["facts"] = ["totalbudget"]  # what staff fill in; then the evaluation reads it
    assert parse_question(item).question == "Hur mycket kan vi få?"


def test_personal_data_is_redacted_before_it_is_stored(store: FeedbackStore) -> None:
    answer_id = _answered(store, "Jag heter Anna, anna@kommun.se, 070-123 45 67. Hur mycket?", ["pnr 19850312-1234"])
    store.add_feedback(answer_id, "down", "ring 08-123 456 78")
    with store.engine.connect() as connection:  # every stored column, as the database holds it
        stored = " ".join(
            str(value)
            for table in ("answers", "feedback")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
    assert "Anna" in stored
    for secret in ("anna@kommun.se", "070-123", "19850312", "08-123"):
        assert secret not in stored
    item = json.loads(export_negative(store)[0])
    assert "[e-post borttagen]" in item["question"] and "[telefonnummer borttaget]" in item["feedback"]["comments"][0]


def test_answers_past_their_retention_go_with_their_feedback(store: FeedbackStore) -> None:
    old, recent = _answered(store, "Gammal fråga?"), _answered(store, "Ny fråga?")
    store.add_feedback(old, "down", "fel")
    store.add_feedback(recent, "down", "också fel")
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE answers SET created = :created WHERE id = :id"),
            {"created": datetime.now(UTC) - timedelta(days=40), "id": old},
        )
    assert store.forget_before(datetime.now(UTC) - timedelta(days=30)) == 1
    assert [item.answer.question for item in store.negative_items()] == ["Ny fråga?"]


def test_answers_of_one_conversation_share_its_id(store: FeedbackStore) -> None:
    result = answer_result("Högst 600 000 kronor [1].", question="Hur mycket?")
    answer_id = store.record_answer(result, [], "samtal-1")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT conversation_id FROM answers WHERE id = :id"), {"id": answer_id})
        assert stored.scalar() == "samtal-1"


def test_feedback_on_an_answer_never_shown_is_refused(store: FeedbackStore) -> None:
    with pytest.raises(UnknownAnswer):
        store.add_feedback("no-such-answer", "up")


def test_the_default_database_is_a_sqlite_file_in_the_data_folder(make_settings, tmp_path: Path) -> None:
    settings = make_settings(paths={"data_dir": str(tmp_path / "data")})
    assert database_url(settings) == f"sqlite:///{(tmp_path / 'data' / 'kraftbot.db').resolve()}"
    assert (tmp_path / "data").is_dir()
    settings.database.url = "postgresql+psycopg://kraftbot@localhost/kraftbot"
    assert database_url(settings) == settings.database.url
