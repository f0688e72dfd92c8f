"""The chat server through HTTP: events in order (sources before the answer, the answer once and
whole), feedback stored, failures as Swedish messages."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from kraftbot.answering.pipeline import Assistant
from kraftbot.errors import BackendError
from kraftbot.storage.feedback import FeedbackStore
from kraftbot.web.app import BACKEND_FAILURE, UNEXPECTED_FAILURE, build_app, source_cards

from ..doubles import passage
from .conftest import QUESTION, parse_events


def _ask(client: TestClient, question: str, history: list[str] | None = None) -> list[tuple[str, dict]]:
    with client.stream("POST", "/api/ask", json={"question": question, "history": history or []}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        return parse_events(response.read().decode("utf-8"))


def test_the_sources_come_before_the_answer_and_the_answer_comes_once(stores, assistant: Assistant) -> None:
    events = _ask(TestClient(build_app(assistant, stores)), QUESTION)
    names = [name for name, _ in events]
    assert names == ["status", "sources", "status", "sentence", "answer", "done"]
    # the whole answer's lead is the sentences sent before it, nothing withdrawn
    assert " ".join(data["text"] for name, data in events if name == "sentence") == dict(events)["answer"]["text"]
    assert all(data["text"].startswith("⏳") for name, data in events if name == "status")
    sources = dict(events)["sources"]["sources"]
    assert sources[0]["url"].endswith("2022-00880/") and sources[0]["doc_type"] == "utlysning"
    answer = dict(events)["answer"]
    assert "600 000 kronor" in answer["text"] and not answer["refused"] and answer["mode"] == "extractive"
    assert answer["citations"][0]["quote"] in answer["text"].replace(" [1]", "")


def test_a_down_vote_with_a_comment_is_stored_with_the_conversation(stores, assistant: Assistant, store) -> None:
    client = TestClient(build_app(assistant, stores))
    answer_id = dict(_ask(client, "Och vem får söka där?", ["Vad är Starta er AI-resa?"]))["answer"]["id"]
    response = client.post(
        "/api/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "Fel, 070-1234567"}
    )
    assert response.status_code == 204
    [item] = store.negative_items()
    assert item.answer.history == ["Vad är Starta er AI-resa?"] and item.answer.question == "Och vem får söka där?"
    assert item.comments == ["Fel, [telefonnummer borttaget]"] and item.answer.index_name == "default"


def test_feedback_must_name_a_shown_answer_and_a_rating(stores, assistant: Assistant) -> None:
    client = TestClient(build_app(assistant, stores))
    assert client.post("/api/feedback", json={"answer_id": "okänd", "rating": "up"}).status_code == 404
    assert client.post("/api/feedback", json={"answer_id": "x", "rating": "kanske"}).status_code == 422


def test_an_empty_question_gets_a_swedish_message_and_nothing_is_stored(stores, assistant: Assistant) -> None:
    events = _ask(TestClient(build_app(assistant, stores)), "   ")
    assert [name for name, _ in events] == ["status", "error", "done"]
    assert "tom" in dict(events)["error"]["text"]
    assert _stored_answers(stores) == 0


@pytest.mark.parametrize(
    ("error", "message"),
    [(BackendError("rewrite model unreachable"), BACKEND_FAILURE), (ZeroDivisionError("bug"), UNEXPECTED_FAILURE)],
    ids=["backend-down", "bug"],
)
def test_failures_become_a_swedish_message(
    stores,
    assistant: Assistant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error,
    message,
) -> None:
    def failing(question: str, history: list[str] | None = None) -> None:
        raise error  # fault injection: the follow-up's model, or a bug deep in the answer path

    monkeypatch.setattr(assistant, "prepare", failing)
    with caplog.at_level(logging.ERROR, logger="kraftbot.web.app"):
        events = _ask(TestClient(build_app(assistant, stores)), QUESTION)
    assert dict(events)["error"]["text"] == message and "answer" not in dict(events)
    assert caplog.records, "the failure is logged in English"


def test_the_page_is_swedish() -> None:
    from kraftbot.web.app import STATIC

    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in page and "Vad kan jag fråga?" in page and 'for="question"' in page


def test_a_source_card_per_document_with_its_date() -> None:
    first = passage("Högst 600 000 kronor.", url="https://www.vinnova.se/u1", date="2022")
    same = passage("Kommuner får söka.", url="https://www.vinnova.se/u1", date="2022", node_id="u#1")
    other = passage("Åtta projekt.", "nyhet", url="https://www.vinnova.se/n")
    cards = source_cards([first, same, other])
    assert [card.url for card in cards] == ["https://www.vinnova.se/u1", "https://www.vinnova.se/n"]
    assert cards[0].date == "2022"


def test_a_long_conversation_keeps_its_last_turns(stores, assistant: Assistant, store: FeedbackStore) -> None:
    earlier = [f"Fråga nummer {n} om Starta er AI-resa?" for n in range(30)]
    events = _ask(TestClient(build_app(assistant, stores)), "Och hur mycket kunde man få där?", earlier)
    answer_id = dict(events)["answer"]["id"]
    store.add_feedback(answer_id, "down")
    [item] = store.negative_items()
    assert item.answer.history == earlier[-20:]


def test_answers_past_their_retention_are_deleted_when_the_server_starts(stores, assistant: Assistant) -> None:
    answer_id = stores.feedback.record_answer(assistant.ask(QUESTION, []), [])
    with stores.feedback.engine.begin() as connection:
        connection.execute(
            text("UPDATE answers SET created = :old WHERE id = :id"),
            {"old": datetime.now(UTC) - timedelta(days=10), "id": answer_id},
        )
    with TestClient(build_app(assistant, stores, retention_days=7)) as client:
        deadline = time.monotonic() + 5
        while _stored_answers(stores) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/healthz").status_code == 200
    assert _stored_answers(stores) == 0


def test_the_chat_page_s_conversation_id_is_stored_with_its_answers(stores, assistant: Assistant) -> None:
    client = TestClient(build_app(assistant, stores))
    client.post("/api/ask", json={"question": QUESTION, "conversation": "3f2a"})
    with stores.feedback.engine.connect() as connection:
        assert connection.execute(text("SELECT conversation_id FROM answers")).scalars().all() == ["3f2a"]


def _stored_answers(stores) -> int:
    with stores.feedback.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM answers")).scalar_one()
