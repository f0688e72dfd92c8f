"""Faults of the database while people ask: the answer is still shown, and feedback says in Swedish
that it could not be saved (an engine that cannot connect stands in for a database that is down)."""

from __future__ import annotations

import openai
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from kraftbot.settings import ServerSettings
from kraftbot.web.app import FEEDBACK_NOT_SAVED, build_app
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION, parse_events

pytestmark = pytest.mark.reliability


@pytest.fixture
def database_down(stores):
    """The stores' answers and feedback now go to a database nobody answers for."""
    working = stores.feedback.engine
    stores.feedback.engine = create_engine("postgresql+psycopg://kraftbot@127.0.0.1:1/kraftbot")
    yield stores
    stores.feedback.engine = working


def test_the_answer_is_shown_without_feedback_when_it_cannot_be_stored(assistant, database_down) -> None:
    client = TestClient(build_app(assistant, database_down))
    events = dict(parse_events(client.post("/api/ask", json={"question": QUESTION}).text))
    assert "600 000" in events["answer"]["text"] and events["answer"]["id"] is None
    assert "error" not in events


def test_feedback_that_cannot_be_saved_is_a_swedish_message(assistant, stores) -> None:
    client = TestClient(build_app(assistant, stores))
    answer_id = dict(parse_events(client.post("/api/ask", json={"question": QUESTION}).text))["answer"]["id"]
    stores.feedback.engine = create_engine("postgresql+psycopg://kraftbot@127.0.0.1:1/kraftbot")
    refused = client.post("/api/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "fel"})
    assert refused.status_code == 503 and refused.json()["error"]["message"] == FEEDBACK_NOT_SAVED


def test_the_api_answers_when_the_database_is_down(assistant, database_down) -> None:
    server = BackgroundServer(build_app(assistant, database_down, ServerSettings(public_api=True)))
    try:
        client = openai.OpenAI(base_url=f"{server.url}v1", api_key="x", max_retries=0)
        reply = client.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": QUESTION}])
        assert "600 000" in reply.choices[0].message.content
    finally:
        server.stop()
