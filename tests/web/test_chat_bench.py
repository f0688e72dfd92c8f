"""`kraftbot bench chat`'s measurement over real HTTP: sources before the answer, and the queue's
places when several ask at once."""

from __future__ import annotations

import asyncio

from kraftbot.bench.chat_latency import render_chat_report, run_users
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION


def test_several_users_at_once_are_timed_and_told_their_place(assistant, store) -> None:
    server = BackgroundServer(build_app(assistant, store))
    try:
        alone = asyncio.run(run_users(server.url, [QUESTION] * 2, users=1))
        crowd = asyncio.run(run_users(server.url, [QUESTION] * 4, users=4))
    finally:
        server.stop()
    assert all(0 < t.sources_s <= t.answer_s for t in alone + crowd)
    assert max(t.place for t in alone) == 0 and max(t.place for t in crowd) >= 2
    report = render_chat_report({1: alone, 4: crowd}, "kraftbot bench chat")
    assert "| 4 | 4 |" in report and "place 0" in report
