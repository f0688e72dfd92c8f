"""`/v1` with the official `openai` client, unmodified, over real HTTP on loopback: plain, streamed,
with history; keys; OpenAI-style 4xx errors; `/healthz` and `/metrics`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from kraftbot.settings import ServerSettings
from kraftbot.storage.keys import KeyStore
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION


@pytest.fixture
def keys(stores) -> KeyStore:
    return stores.keys


@pytest.fixture
def server(stores, assistant, keys) -> Iterator[BackgroundServer]:
    running = BackgroundServer(build_app(assistant, stores, ServerSettings(max_body_bytes=20_000)))
    yield running
    running.stop()


def _client(server: BackgroundServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}v1", api_key=key, max_retries=0)


def test_a_question_plain_and_streamed_gets_the_same_checked_answer(server, keys) -> None:
    client = _client(server, keys.create("intranät"))
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="kraftbot", messages=messages)
    text = plain.choices[0].message.content
    assert "600 000 kronor" in text and plain.choices[0].finish_reason == "stop"
    extension = plain.model_extra["kraftbot"]
    assert extension["mode"] == "extractive" and not extension["refused"]
    assert extension["citations"][0]["url"].endswith("2022-00880/") and extension["citations"][0]["quote"]
    chunks = list(client.chat.completions.create(model="kraftbot", messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].model_extra["kraftbot"] == extension
    assert [m.id for m in client.models.list()] == ["kraftbot"]


def test_the_earlier_user_messages_are_the_conversation(server, keys) -> None:
    client = _client(server, keys.create("e-tjänst"))
    messages = [
        {"role": "system", "content": "Du är en hjälpsam assistent."},
        {"role": "user", "content": "Vad finansierar Starta er AI-resa?"},
        {"role": "assistant", "content": "Projekt om organisatoriskt lärande."},
        {"role": "user", "content": "Och hur mycket kunde man få där?"},
    ]
    answer = client.chat.completions.create(model="kraftbot", messages=messages).choices[0].message.content
    assert "600 000 kronor" in answer


@pytest.mark.reliability
def test_no_key_a_wrong_key_or_a_revoked_key_is_refused(server, keys) -> None:
    key = keys.create("gammal")
    messages = [{"role": "user", "content": QUESTION}]
    for wrong in ("", "kb-fel", key):
        if wrong == key:
            assert keys.revoke("gammal")
        with pytest.raises(openai.AuthenticationError) as refused:
            _client(server, wrong or "x").chat.completions.create(model="kraftbot", messages=messages)
        assert refused.value.status_code == 401
    assert httpx.get(f"{server.url}v1/models").status_code == 401


def test_a_public_api_needs_no_key(stores, assistant, keys) -> None:
    server = BackgroundServer(build_app(assistant, stores, ServerSettings(public_api=True)))
    try:
        assert httpx.get(f"{server.url}v1/models").json()["data"][0]["id"] == "kraftbot"
    finally:
        server.stop()


@pytest.mark.reliability
def test_bad_requests_get_openai_errors_and_never_a_5xx(server, keys) -> None:
    key = keys.create("test")
    client = _client(server, key)
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": "x" * 5000}])
    assert too_long.value.status_code == 400 and "fråga" in too_long.value.body["message"].lower()
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="kraftbot", messages=[{"role": "system", "content": "Hej"}])
    headers = {"Authorization": f"Bearer {key}"}
    big = httpx.post(f"{server.url}v1/chat/completions", headers=headers, content="x" * 30_000)
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    broken = httpx.post(f"{server.url}v1/chat/completions", headers=headers, json={"messages": "hej"})
    assert broken.status_code == 400 and "messages" in broken.json()["error"]["message"]


def test_health_and_metrics_for_operations(server, keys) -> None:
    health = httpx.get(f"{server.url}healthz")
    assert health.status_code == 200 and health.json()["documents"] == 2
    client = _client(server, keys.create("drift"))
    client.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": QUESTION}])
    client.chat.completions.create(model="kraftbot", messages=[{"role": "user", "content": "Vad kostar en pizza?"}])
    metrics = httpx.get(f"{server.url}metrics").text
    assert 'kraftbot_answers_total{mode="extractive"} 1' in metrics
    assert 'kraftbot_answers_total{mode="refused"} 1' in metrics and "kraftbot_refusals_total{reason=" in metrics
    assert 'kraftbot_requests_total{route="/v1/chat/completions",status="200"} 2' in metrics
    assert "kraftbot_answer_seconds_count 2" in metrics and "kraftbot_queue_waiting 0" in metrics


@pytest.fixture
def writing_server(stores, assistant, packaged_backend) -> Iterator[BackgroundServer]:
    """The same documents with the packaged model writing the answers (the default configuration)."""
    from kraftbot.answering.pipeline import Assistant

    writing = Assistant(assistant.settings, assistant.retriever, packaged_backend)
    running = BackgroundServer(build_app(writing, stores, ServerSettings(public_api=True)))
    yield running
    running.stop()


@pytest.mark.slow
def test_a_written_answer_streams_sentence_by_sentence_and_equals_the_plain_one(writing_server) -> None:
    """The packaged model writes; each streamed content chunk is a whole checked sentence, and the
    sentences together are the plain response's text, with usage and the extension in the last chunk."""
    client = _client(writing_server, "unused")
    messages = [{"role": "user", "content": QUESTION}]
    plain = client.chat.completions.create(model="kraftbot", messages=messages)
    extension = plain.model_extra["kraftbot"]
    assert "600 000" in plain.choices[0].message.content and extension["mode"] in ("written", "extractive")
    assert plain.usage.completion_tokens > 0 and plain.usage.prompt_tokens > 0, "the model wrote, and it is counted"
    chunks = list(client.chat.completions.create(model="kraftbot", messages=messages, stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert pieces and all(piece.rstrip().endswith(("].", "]!", "]?")) for piece in pieces), pieces
    assert "".join(pieces) == plain.choices[0].message.content, "greedy decoding: the same answer both ways"
    assert chunks[-1].model_extra["kraftbot"] == extension and chunks[-1].usage.completion_tokens > 0
