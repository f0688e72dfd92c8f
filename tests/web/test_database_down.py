"""Faults of the database while people ask: down (an engine that cannot connect), locked by another
process, or out of space. The answer is still shown, and feedback says in Swedish that it could not
be saved. What needs the database to decide who may ask (API keys, a sign-in) refuses with 503 and
says so, never guesses and never gives a 500."""

from __future__ import annotations

import sqlite3

import openai
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event
from sqlalchemy.exc import OperationalError

from kraftbot.settings import ServerSettings
from kraftbot.storage.migrate import open_url
from kraftbot.storage.stores import open_stores
from kraftbot.web.app import FEEDBACK_NOT_SAVED, build_app
from kraftbot.web.auth import COOKIE, SIGN_IN_DOWN
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION, parse_events

pytestmark = pytest.mark.reliability


DOWN = "postgresql+psycopg://kraftbot@127.0.0.1:1/kraftbot"  # nobody listens on port 1


@pytest.fixture
def database_down(stores):
    """Every store now goes to a database nobody answers for."""
    parts = (stores.feedback, stores.keys, stores.users, stores.sessions, stores.audit)
    working = [part.engine for part in parts]
    for part in parts:
        part.engine = create_engine(DOWN)
    yield stores
    for part, engine in zip(parts, working, strict=True):
        part.engine = engine


def test_the_answer_is_shown_without_feedback_when_it_cannot_be_stored(assistant, database_down) -> None:
    client = TestClient(build_app(assistant, database_down))
    events = dict(parse_events(client.post("/api/ask", json={"question": QUESTION}).text))
    assert "600 000" in events["answer"]["text"] and events["answer"]["id"] is None
    assert "error" not in events


def test_feedback_that_cannot_be_saved_is_a_swedish_message(assistant, stores) -> None:
    client = TestClient(build_app(assistant, stores))
    answer_id = dict(parse_events(client.post("/api/ask", json={"question": QUESTION}).text))["answer"]["id"]
    stores.feedback.engine = create_engine(DOWN)
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


def test_api_keys_that_cannot_be_checked_are_a_503_not_a_guess(assistant, stores) -> None:
    key = stores.keys.create("intranät")
    client = TestClient(build_app(assistant, stores))
    stores.keys.engine = create_engine(DOWN)
    body = {"model": "kraftbot", "messages": [{"role": "user", "content": QUESTION}]}
    refused = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 503 and refused.json()["error"]["type"] == "server_error"


def test_a_sign_in_that_cannot_be_checked_is_a_swedish_503(assistant, database_down) -> None:
    client = TestClient(build_app(assistant, database_down, ServerSettings(chat_sign_in=True)))
    client.cookies.set(COOKIE, "en-giltig-kaka-kanske")
    for response in (client.get("/"), client.post("/api/ask", json={"question": QUESTION})):
        assert response.status_code == 503 and SIGN_IN_DOWN in response.text
    signing_in = client.post("/signin", data={"name": "anna", "password": "ett-långt-lösenord"})
    assert signing_in.status_code == 503 and SIGN_IN_DOWN in signing_in.text
    signed_out = client.post("/signout")
    assert signed_out.status_code == 200 and "Du är utloggad" in signed_out.text
    assert 'kraftbot_session=""' in signed_out.headers["set-cookie"], "the cookie is cleared all the same"


def test_a_locked_database_still_gives_the_answer(assistant, tmp_path) -> None:
    database = tmp_path / "låst.db"
    stores = open_stores(open_url(f"sqlite:///{database}?timeout=0.2"), "default")
    holder = sqlite3.connect(database)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file: every write waits, then fails
    try:
        events = dict(
            parse_events(TestClient(build_app(assistant, stores)).post("/api/ask", json={"question": QUESTION}).text)
        )
    finally:
        holder.rollback()
        holder.close()
    assert "600 000" in events["answer"]["text"] and events["answer"]["id"] is None


def test_a_database_out_of_space_still_gives_the_answer(assistant, tmp_path) -> None:
    engine = open_url(f"sqlite:///{tmp_path / 'full.db'}")

    @event.listens_for(engine, "before_cursor_execute")
    def disk_full(connection, cursor, statement: str, *_) -> None:
        if statement.lstrip().upper().startswith("INSERT"):  # what SQLite says when the disk is full
            raise OperationalError(statement, {}, sqlite3.OperationalError("database or disk is full"))

    stores = open_stores(engine, "default")
    client = TestClient(build_app(assistant, stores))
    answer = dict(parse_events(client.post("/api/ask", json={"question": QUESTION}).text))["answer"]
    assert "600 000" in answer["text"] and answer["id"] is None
