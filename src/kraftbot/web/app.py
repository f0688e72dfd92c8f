"""The web chat's server: the page, one streamed endpoint per question, and feedback.

`POST /api/ask` answers with server-sent events, in this order: `queue` (the place in line, while
waiting), `status` (a ⏳ line: the only text the page may later remove), `sources` (what retrieval
found, before the answer), `answer` (the whole answer, shown once and never changed), `error` (a
Swedish message instead), then `done`. Nothing is streamed that could be withdrawn.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from kraftbot.answering.pipeline import Assistant
from kraftbot.errors import BackendError, QuestionRejected
from kraftbot.storage.feedback import FeedbackStore, UnknownAnswer
from kraftbot.text.redact import redact
from kraftbot.values import AnswerResult, Passage
from kraftbot.web.queue import AnswerQueue

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
READING = "⏳ Läser källorna …"
CHOOSING = "⏳ Väljer ut svaret ur källorna …"
IN_LINE = "⏳ Många frågar just nu. Du är nummer {place} i kön."
BACKEND_FAILURE = "Tyvärr kunde KraftBot inte svara just nu. Försök igen om en stund."
UNEXPECTED_FAILURE = "Något gick fel när svaret skulle tas fram. Försök igen, eller kontakta den som driver tjänsten."
MAX_HISTORY_TURNS = 20


class AskRequest(BaseModel):
    """A question and the conversation's earlier questions, oldest first."""

    question: str = Field(max_length=20_000)
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class FeedbackRequest(BaseModel):
    """👍 or 👎 on an answer the page was given, with an optional comment."""

    answer_id: str = Field(min_length=1, max_length=36)
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=4000)


@dataclass(frozen=True)
class SourceCard:
    """A retrieved document as the page lists it before the answer."""

    title: str
    url: str
    doc_type: str
    date: str
    page: str


def source_cards(passages: list[Passage]) -> list[SourceCard]:
    """One card per document, in retrieval order."""
    cards: dict[str, SourceCard] = {}
    for passage in passages:
        key = passage.url or passage.doc_id
        cards.setdefault(
            key, SourceCard(passage.title or passage.doc_id, passage.url, passage.doc_type, passage.date, passage.page)
        )
    return list(cards.values())


def answer_event(result: AnswerResult, answer_id: str) -> dict[str, Any]:
    citations = [{"n": c.n, "title": c.title, "url": c.url, "page": c.page, "quote": c.quote} for c in result.citations]
    return {
        "id": answer_id,
        "text": result.answer,
        "refused": result.refused,
        "mode": str(result.mode),
        "citations": citations,
    }


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class ChatService:
    """What one question goes through on the server; the routes only translate HTTP."""

    def __init__(self, assistant: Assistant, store: FeedbackStore, workers: int) -> None:
        self.assistant = assistant
        self.store = store
        self.queue = AnswerQueue(workers)

    async def events(self, request: AskRequest) -> AsyncIterator[str]:
        ticket = self.queue.join()
        started = False
        try:
            async for place in self.queue.places(ticket):
                yield sse("queue", {"place": place, "text": IN_LINE.format(place=place)})
            started = True
            yield sse("status", {"text": READING})
            async for event in self._answer(request):
                yield event
        finally:
            self.queue.leave(ticket, started)
        yield sse("done", {})

    async def _answer(self, request: AskRequest) -> AsyncIterator[str]:
        history = [turn for turn in request.history if turn.strip()]
        try:
            prepared = await asyncio.to_thread(self.assistant.prepare, request.question, history)
            yield sse("sources", {"sources": [asdict(card) for card in source_cards(prepared.turn.passages)]})
            yield sse("status", {"text": CHOOSING})
            result = await asyncio.to_thread(self.assistant.answer, prepared)
            answer_id = await asyncio.to_thread(self.store.record_answer, result, history)
        except QuestionRejected as rejected:
            yield sse("error", {"text": str(rejected)})
            return
        except BackendError as failure:
            log.error("Backend failed: %s", redact(str(failure)))
            yield sse("error", {"text": BACKEND_FAILURE})
            return
        except Exception:
            log.exception("Unexpected failure while answering")
            yield sse("error", {"text": UNEXPECTED_FAILURE})
            return
        log.info("Answered in %.2f s (mode %s)", result.timings.total_s, result.mode)
        yield sse("answer", answer_event(result, answer_id))


def build_app(assistant: Assistant, store: FeedbackStore, workers: int = 1) -> FastAPI:
    """The chat as an ASGI app: `/` the page, `/api/ask`, `/api/feedback`, `/static`."""
    service = ChatService(assistant, store, workers)
    app = FastAPI(title="KraftBot", docs_url=None, redoc_url=None)
    app.state.service = service

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (STATIC / "index.html").read_text(encoding="utf-8")

    @app.post("/api/ask")
    async def ask(request: AskRequest) -> StreamingResponse:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(service.events(request), media_type="text/event-stream", headers=headers)

    @app.post("/api/feedback", status_code=204)
    async def feedback(request: FeedbackRequest) -> None:
        try:
            await asyncio.to_thread(store.add_feedback, request.answer_id, request.rating, request.comment)
        except UnknownAnswer as unknown:
            raise HTTPException(404, "Svaret finns inte.") from unknown

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
