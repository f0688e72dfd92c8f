"""KraftBot's server: the chat page, one streamed endpoint per question, feedback, the OpenAI-style
`/v1` API (`web.openai_api`), `/healthz` and `/metrics`.

`POST /api/ask` answers with server-sent events, in this order: `queue` (the place in line, while
waiting), `status` (a ⏳ line: the only text the page may later remove), `sources` (what retrieval
found, before the answer), `sentence` (each sentence of the lead as it passes its check, final once
sent), `answer` (the whole answer: the same lead, its citations with their quotes, its id for
feedback), `error` (a Swedish message instead), then `done`. Nothing is streamed that could be withdrawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from kraftbot.admin.workspace import Workspace
from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.validation import validate_question
from kraftbot.errors import BackendError, QuestionRejected
from kraftbot.settings import ServerSettings
from kraftbot.storage.feedback import FeedbackStore, UnknownAnswer
from kraftbot.storage.stores import Stores
from kraftbot.text.redact import redact
from kraftbot.values import AnswerResult, Finished, Passage, SentenceShown, SourcesFound
from kraftbot.web.admin import Refused, admin_router, refused_response
from kraftbot.web.auth import SIGN_IN_DOWN, Auth, SignInUnavailable
from kraftbot.web.bodylimit import BodyLimit, BodyTooLarge
from kraftbot.web.housekeeping import keep_house
from kraftbot.web.metrics import Metrics
from kraftbot.web.openai_api import ApiError, api_router, error_response
from kraftbot.web.queue import AnswerQueue
from kraftbot.web.ratelimit import RATE_LIMITED, RateLimiter
from kraftbot.web.streaming import InLine, ServiceEvent, Stored, in_worker

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
READING = "⏳ Läser källorna …"
WRITING = "⏳ Skriver svaret utifrån källorna …"
IN_LINE = "⏳ Många frågar just nu. Du är nummer {place} i kön."
BACKEND_FAILURE = "Tyvärr kunde KraftBot inte svara just nu. Försök igen om en stund."
UNEXPECTED_FAILURE = "Något gick fel när svaret skulle tas fram. Försök igen, eller kontakta den som driver tjänsten."
# Earlier questions kept with a new one: a follow-up is resolved from the last turns, and a long
# conversation must not grow what is stored with every answer (the body limit bounds the request).
MAX_HISTORY_TURNS = 20
# Where a question is asked: the routes the rate limit counts.
QUESTION_PATHS = ("/api/ask", "/v1/chat/completions")
SIGN_IN_NEEDED = "Logga in för att använda KraftBot."
FEEDBACK_NOT_SAVED = "Återkopplingen kunde inte sparas just nu. Försök igen om en stund."
SIGN_OUT_FORM = (
    '<form class="signout" method="post" action="/signout"><span>Inloggad som {name}</span>'
    '<button type="submit">Logga ut</button></form>'
)
# Threads beyond the answer workers', for sign-in checks, stored answers and feedback.
SPARE_THREADS = 8
UPLOAD_PATHS = ("/admin/dokument/ladda-upp", "/admin/utvardering/ladda-upp")


class AskRequest(BaseModel):
    """A question and the conversation's earlier questions, oldest first."""

    question: str = Field(max_length=20_000)
    history: list[str] = Field(default_factory=list)
    conversation: str | None = Field(None, max_length=36, description="The page's id for this conversation.")


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


def answer_event(result: AnswerResult, answer_id: str | None) -> dict[str, Any]:
    citations = [c.shown() for c in result.citations]
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
    """What one question goes through on the server; the routes only translate HTTP. A re-index in the
    staff workspace replaces `assistant`; each question keeps the one it started with."""

    def __init__(self, assistant: Assistant, store: FeedbackStore, workers: int) -> None:
        self.assistant = assistant
        self.store = store
        self.queue = AnswerQueue(workers)
        self.metrics = Metrics()

    def validate(self, question: str) -> None:
        """Raise QuestionRejected (a Swedish message) before anything is queued or streamed."""
        validate_question(question, self.assistant.settings.answer.max_question_chars)

    async def answer(
        self, question: str, history: list[str], conversation: str | None = None
    ) -> AsyncIterator[ServiceEvent]:
        """The question's place in line while it waits, then the assistant's events as they come, the
        last of them (`Finished`) replaced by `Stored`. Leaving early frees the slot and stops the model."""
        history = [turn for turn in history if turn.strip()][-MAX_HISTORY_TURNS:]
        ticket = self.queue.join()
        started = False
        try:
            async for place in self.queue.places(ticket):
                yield InLine(place)
            started = True
            yield InLine(0)
            assistant = self.assistant  # a re-index swaps in a new one; this question finishes on this one
            prepared = await asyncio.to_thread(assistant.prepare, question, history)
            async for event in in_worker(assistant.answer_stream(prepared), prepared.cancel):
                if isinstance(event, Finished):
                    log.info("Answered in %.2f s (mode %s)", event.result.timings.total_s, event.result.mode)
                    yield Stored(event.result, await self._record(event.result, history, conversation))
                else:
                    yield event
        finally:
            self.queue.leave(ticket, started)

    async def answered(self, question: str, history: list[str]) -> Stored:
        """The answer whole, stored; for callers that want it at once (`/v1` without streaming)."""
        async for event in self.answer(question, history):
            if isinstance(event, Stored):
                return event
        raise RuntimeError("the answer stream ended without a result")

    async def _record(self, result: AnswerResult, history: list[str], conversation: str | None) -> str | None:
        """Store the answer; its id, or None when the database fails (the answer is shown anyway,
        and the page says that feedback on it cannot be given)."""
        self.metrics.answer(str(result.mode), result.refusal_reason, result.timings.total_s)
        try:
            return await asyncio.to_thread(self.store.record_answer, result, history, conversation)
        except (SQLAlchemyError, OSError) as failure:
            log.error("Could not store an answer (%s); shown without feedback", type(failure).__name__)
            return None

    async def events(self, request: AskRequest) -> AsyncIterator[str]:
        """`/api/ask` as server-sent events (see the module docstring)."""
        try:
            async for event in self.answer(request.question, request.history, request.conversation):
                if isinstance(event, InLine):
                    yield _in_line(event.place)
                elif isinstance(event, SourcesFound):
                    yield sse("sources", {"sources": [asdict(card) for card in source_cards(event.passages)]})
                    yield sse("status", {"text": WRITING})
                elif isinstance(event, SentenceShown):
                    yield sse("sentence", {"text": event.text, "origin": event.origin})
                elif isinstance(event, Stored):
                    yield sse("answer", answer_event(event.result, event.answer_id))
        except QuestionRejected as rejected:
            yield sse("error", {"text": str(rejected)})
        except BackendError as failure:
            log.error("Backend failed: %s", redact(str(failure)))
            yield sse("error", {"text": BACKEND_FAILURE})
        except Exception:
            log.exception("Unexpected failure while answering")
            yield sse("error", {"text": UNEXPECTED_FAILURE})
        yield sse("done", {})


def _in_line(place: int) -> str:
    if place == 0:
        return sse("status", {"text": READING})
    return sse("queue", {"place": place, "text": IN_LINE.format(place=place)})


def build_app(
    assistant: Assistant,
    stores: Stores,
    server: ServerSettings | None = None,
    retention_days: int = 0,
    workspace: Workspace | None = None,
) -> FastAPI:
    """The server as an ASGI app: `/` the page, `/api/ask`, `/api/feedback`, `/signin`, `/signout`,
    `/v1`, `/healthz`, `/metrics`, `/static`, and with a workspace the staff pages under `/admin`."""
    config = server or ServerSettings()
    store = stores.feedback
    service = ChatService(assistant, store, max(1, config.answer_workers))
    auth = Auth(stores, config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Every answer worker may hold a thread for its whole question: room for them all, and for
        # the sign-in checks and database writes that must not wait behind them.
        threads = ThreadPoolExecutor(service.queue.workers + SPARE_THREADS, thread_name_prefix="kraftbot")
        asyncio.get_running_loop().set_default_executor(threads)
        housekeeping = asyncio.create_task(keep_house(stores, retention_days))
        try:
            yield
        finally:
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping

    app = FastAPI(title="KraftBot", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.service = service
    app.state.workspace = workspace

    async def chat_user_missing(request: Request) -> bool:
        """Whether the chat is closed to this request (the session lookup runs off the event loop)."""
        return config.chat_sign_in and await asyncio.to_thread(auth.user, request) is None

    limiter = RateLimiter(config.rate_limit_per_minute)

    # Staff uploads may be as large as a document may be (`ingest.max_file_mb`), plus the form around it.
    upload_limit = int(workspace.settings.ingest.max_file_mb * 2**20) + 64 * 1024 if workspace else 0

    def body_limit(path: str) -> int:
        return upload_limit if path in UPLOAD_PATHS else config.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=body_limit)

    @app.middleware("http")
    async def limit_and_count(request: Request, call_next: Any) -> Response:
        client = request.headers.get("authorization") or (request.client.host if request.client else "")
        if int(request.headers.get("content-length") or 0) > body_limit(request.url.path):
            response: Response = error_response(ApiError(413, "The request body is too large.", code="too_large"))
        elif request.url.path in QUESTION_PATHS and not limiter.allow(client):
            response = error_response(ApiError(429, RATE_LIMITED, "rate_limit_error", "rate_limited"))
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        service.metrics.request(getattr(route, "path", "other"), response.status_code)
        return response

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> JSONResponse:
        return error_response(ApiError(413, "The request body is too large.", code="too_large"))

    @app.exception_handler(SignInUnavailable)
    async def sign_in_unavailable(request: Request, error: SignInUnavailable) -> Response:
        if request.url.path.startswith(("/api/", "/v1/")):
            return error_response(ApiError(503, SIGN_IN_DOWN, "server_error", "database_unavailable"))
        return HTMLResponse(f'<p lang="sv">{SIGN_IN_DOWN}</p>', status_code=503)

    @app.exception_handler(Refused)
    async def refused(request: Request, refusal: Refused) -> Response:
        return refused_response(request, refusal)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"Invalid request: {where}: {first.get('msg', 'invalid')}"
        status = 400 if request.url.path.startswith("/v1") else 422
        return error_response(ApiError(status, message, code="invalid_request"))

    @app.get("/", response_class=HTMLResponse, response_model=None)
    def page(request: Request) -> str | Response:
        user = auth.user(request) if config.chat_sign_in else None
        if config.chat_sign_in and user is None:
            return RedirectResponse("/signin?next=/", status_code=303)
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        signed_in = SIGN_OUT_FORM.format(name=html.escape(user.name)) if user else ""
        return page.replace("<!--signed-in-->", signed_in)

    @app.post("/api/ask")
    async def ask(request: AskRequest, http: Request) -> StreamingResponse:
        if await chat_user_missing(http):
            raise ApiError(401, SIGN_IN_NEEDED, "authentication_error")
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(service.events(request), media_type="text/event-stream", headers=headers)

    @app.post("/api/feedback", status_code=204)
    async def feedback(request: FeedbackRequest, http: Request) -> None:
        if await chat_user_missing(http):
            raise ApiError(401, SIGN_IN_NEEDED, "authentication_error")
        try:
            await asyncio.to_thread(store.add_feedback, request.answer_id, request.rating, request.comment)
        except (SQLAlchemyError, OSError) as failure:
            log.error("Could not store feedback (%s)", type(failure).__name__)
            raise ApiError(503, FEEDBACK_NOT_SAVED, "server_error", "database_unavailable") from failure
        except UnknownAnswer as unknown:
            raise HTTPException(404, "Svaret finns inte.") from unknown

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        current = service.assistant
        documents = len({p.doc_id for p in current.retriever.knowledge.passages()})
        healthy = documents > 0
        body = {"status": "ok" if healthy else "unavailable", "documents": documents, "backend": current.backend_name}
        if not healthy:
            body["reason"] = "the index holds no documents"
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> str:
        return service.metrics.render(len(service.queue.waiting), service.queue.running)

    app.include_router(auth.router())
    if workspace is not None:
        workspace.serving, workspace.audit = service, stores.audit.record
        app.include_router(admin_router(workspace, auth, stores))
    app.include_router(api_router(service, stores.keys, config.public_api))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
