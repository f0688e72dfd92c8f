"""The per-client limit: a sliding minute, per key or address, a Swedish 429 in the chat and the API."""

from __future__ import annotations

import openai
import pytest
from fastapi.testclient import TestClient

from kraftbot.settings import ServerSettings
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer
from kraftbot.web.ratelimit import RATE_LIMITED, RateLimiter

from .conftest import QUESTION

pytestmark = pytest.mark.reliability


def test_a_client_over_the_limit_waits_until_its_oldest_question_is_a_minute_old() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.allow("a")
    now[0] = 30.0
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b"), "each client has its own count"
    now[0] = 59.9
    assert not limiter.allow("a")
    now[0] = 60.0
    assert limiter.allow("a") and not limiter.allow("a")
    assert all(RateLimiter(0).allow("a") for _ in range(100)), "0 = no limit"


def test_the_chat_and_the_api_say_so_in_swedish(stores, assistant) -> None:
    app = build_app(assistant, stores, ServerSettings(rate_limit_per_minute=1, public_api=True))
    client = TestClient(app)
    body = {"question": QUESTION, "history": []}
    assert client.post("/api/ask", json=body).status_code == 200
    refused = client.post("/api/ask", json=body)
    assert refused.status_code == 429 and refused.json()["error"]["message"] == RATE_LIMITED
    assert client.get("/metrics").status_code == 200, "only questions count"

    server = BackgroundServer(app)
    try:
        api = openai.OpenAI(base_url=f"{server.url}v1", api_key="kb-egen", max_retries=0)
        api.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": QUESTION}])
        try:
            api.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": QUESTION}])
        except openai.RateLimitError as limited:
            assert limited.status_code == 429 and limited.body["message"] == RATE_LIMITED
        else:
            raise AssertionError("the second question within a minute must be refused")
    finally:
        server.stop()
