"""`/v1`: the OpenAI chat-completions API, so a municipality's other systems can ask KraftBot.

The conversation's user messages are the question (the last) and its history (the earlier ones).
The answer's text is the same checked text as the chat's, also when streamed (one content chunk,
never a draft), and every response carries the extension object `kraftbot`: `mode`, `refused`
and `citations` (`n`, `title`, `url`, `quote`, `page`). Errors are OpenAI error objects with a 4xx.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from kraftbot.errors import QuestionRejected
from kraftbot.storage.keys import KeyStore
from kraftbot.values import AnswerResult

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


def completion(result: AnswerResult, completion_id: str, created: int) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": result.answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "kraftbot": extension(result),
    }


def chunks(result: AnswerResult, completion_id: str, created: int) -> Iterator[str]:
    """The streamed form: the role, the whole checked answer, then the end with the extension."""
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID}
    deltas: list[tuple[dict[str, Any], str | None, dict[str, Any]]] = [
        ({"role": "assistant", "content": ""}, None, {}),
        ({"content": result.answer}, None, {}),
        ({}, "stop", {"kraftbot": extension(result)}),
    ]
    for delta, finish, extra in deltas:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
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
            result, _ = await service.answered(question, history)
        except QuestionRejected as rejected:
            raise ApiError(400, str(rejected), code="invalid_question") from rejected
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if request.stream:
            return StreamingResponse(chunks(result, completion_id, created), media_type="text/event-stream")
        return JSONResponse(completion(result, completion_id, created))

    return router
