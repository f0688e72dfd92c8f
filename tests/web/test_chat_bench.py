"""`kraftbot bench chat`'s measurement over real HTTP: sources before the answer, and the queue's
places when several ask at once."""

from __future__ import annotations

import asyncio

from kraftbot.bench.chat_latency import render_chat_report, run_users
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION


def test_several_users_at_once_are_timed_and_told_their_place(stores, assistant) -> None:
    server = BackgroundServer(build_app(assistant, stores))
    try:
        alone = asyncio.run(run_users(server.url, [QUESTION] * 2, users=1))
        crowd = asyncio.run(run_users(server.url, [QUESTION] * 4, users=4))
    finally:
        server.stop()
    assert all(0 < t.sources_s <= t.first_s <= t.answer_s for t in alone + crowd)
    assert max(t.place for t in alone) == 0 and max(t.place for t in crowd) >= 2
    report = render_chat_report({1: alone, 4: crowd}, "kraftbot bench chat")
    assert "| 4 | 4 |" in report and "place 0" in report


def test_the_load_run_counts_chat_and_api_answers_and_errors(stores, assistant) -> None:
    from kraftbot.bench.load import render_load_report, run_load
    from kraftbot.settings import ServerSettings

    server = BackgroundServer(build_app(assistant, stores, ServerSettings(public_api=True, rate_limit_per_minute=0)))
    try:
        run = asyncio.run(run_load(server.url, [QUESTION, "Vad kostar en pizza?"], users=2, seconds=2.0))
    finally:
        server.stop()
    kinds = {request.kind for request in run.requests}
    assert kinds == {"chat", "api"} and all(request.ok for request in run.requests)
    report = render_load_report(run, "kraftbot bench load", 1)
    assert "| chat |" in report and "| api |" in report and "answers/s" in report and "1 answered at once" in report
    assert "growth once warm" in report and run.rss_samples, "memory is sampled during the run"
