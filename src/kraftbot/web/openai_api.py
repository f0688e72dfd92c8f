"""`/v1`: the OpenAI chat-completions API, so a municipality's other systems can ask KraftBot.

The conversation's user messages are the question (the last) and its history (the earlier ones).
The answer's text is the same checked text as the chat's. Streamed, each content chunk is one
sentence that has passed its check (never a draft that could be withdrawn), or the refusal whole;
the last chunk carries the extension object `kraftbot` (`mode`, `refused`, `citations` with `n`,
`title`, `url`, `quote`, `page`) and the token usage, as every plain response does. Errors are
OpenAI error objects with a 4xx.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from kraftbot.errors import QuestionRejected
from kraftbot.storage.keys import KeyStore
from kraftbot.values import AnswerResult, RefusalShown, SentenceShown
from kraftbot.web.streaming import Stored

log = logging.getLogger(__name__)

MODEL_ID = "kraftbot"


class ApiError(Exception):
    """An error answered as OpenAI's error object."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def error_response(error: ApiError) -> JSONResponse:
    body = {"error": {"message": error.message, "type": error.kind, "param": None, "code": error.code}}
    return JSONResponse(body, status_code=error.status)


class ChatMessageIn(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=200)
    stream: bool = False


def message_text(message: ChatMessageIn) -> str:
    if isinstance(message.content, list):
        return " ".join(str(part.get("text", "")) for part in message.content if part.get("type") == "text")
    return message.content or ""


def conversation(request: ChatRequest) -> tuple[str, list[str]]:
    """The last user message and the user messages before it."""
    asked = [message_text(m) for m in request.messages if m.role == "user" and message_text(m).strip()]
    if not asked:
        raise ApiError(400, "The conversation has no user message.", code="no_user_message")
    return asked[-1], asked[:-1]


def extension(result: AnswerResult) -> dict[str, Any]:
    return {"mode": str(result.mode), "refused": result.refused, "citations": [c.shown() for c in result.citations]}


def usage(result: AnswerResult) -> dict[str, int]:
    """The model's tokens for this answer: what it read and what it wrote (0 for quotes and refusals)."""
    total = result.tokens_in + result.tokens_out
    return {"prompt_tokens": result.tokens_in, "completion_tokens": result.tokens_out, "total_tokens": total}


def completion(result: AnswerResult, completion_id: str, created: int) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": result.answer}, "finish_reason": "stop"}],
        "usage": usage(result),
        "kraftbot": extension(result),
    }


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"


async def chunks(
    service: Any, question: str, history: list[str], completion_id: str, created: int
) -> AsyncIterator[str]:
    """The streamed form: the role, each checked sentence (or the refusal) as it comes, then the end
    with the extension and usage. A failure after the first chunk ends the stream with an error chunk."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID}
    yield _chunk(base, {"role": "assistant", "content": ""})
    separator = ""
    try:
        async for event in service.answer(question, history):
            if isinstance(event, SentenceShown | RefusalShown):
                yield _chunk(base, {"content": separator + event.text})
                separator = " "
            elif isinstance(event, Stored):
                result = event.result
                yield _chunk(base, {}, "stop", usage=usage(result), kraftbot=extension(result))
    except Exception:  # the status line has gone: the error travels in the stream
        log.exception("A streamed answer failed")
        error = {"message": "The answer could not be completed; try again shortly.", "type": "server_error"}
        yield f"data: {json.dumps({'error': error})}\n\n"
        return
    yield "data: [DONE]\n\n"


def api_router(service: Any, keys: KeyStore | None, public: bool) -> APIRouter:
    """The `/v1` routes over the chat's service (its queue, store and metrics)."""

    def authorised(authorization: str | None = Header(default=None)) -> None:
        if public:
            return
        scheme, _, key = (authorization or "").partition(" ")
        try:
            valid = scheme.lower() == "bearer" and bool(key) and keys is not None and keys.valid(key.strip())
        except SQLAlchemyError as failure:  # the key store is down: refuse, never guess
            raise ApiError(503, "API keys cannot be checked right now; try again shortly.", "server_error") from failure
        if not valid:
            raise ApiError(401, "A valid API key is needed (Authorization: Bearer KEY).", "authentication_error")

    router = APIRouter(prefix="/v1", dependencies=[Depends(authorised)])

    @router.get("/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "kraftbot"}]}

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(request: ChatRequest) -> JSONResponse | StreamingResponse:
        question, history = conversation(request)
        try:
            service.validate(question)
        except QuestionRejected as rejected:
            raise ApiError(400, str(rejected), code="invalid_question") from rejected
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if request.stream:
            streamed = chunks(service, question, history, completion_id, created)
            return StreamingResponse(streamed, media_type="text/event-stream")
        stored = await service.answered(question, history)
        return JSONResponse(completion(stored.result, completion_id, created))

    return router
