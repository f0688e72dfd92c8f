"""Any OpenAI-compatible chat-completions server (vLLM, TGI, llama.cpp's server), streamed.

This is how a deployment grows past one machine: the model runs on a GPU server, KraftBot calls it.
Every failure (server down, too slow, an error status, a reply that is not the expected JSON)
becomes a BackendError with a Swedish message for the user; the details go to the log.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage, generate_by_streaming

log = logging.getLogger(__name__)

DOWN = "Språkmodellens server svarar inte just nu. Försök igen om en stund."
SLOW = "Språkmodellens server svarade inte i tid. Försök igen om en stund."
REFUSED_STATUS = "Språkmodellens server svarade med ett fel (HTTP {status}). Försök igen om en stund."
GARBAGE = "Språkmodellens server gav ett svar som inte gick att tolka. Kontakta den som driver tjänsten."


def _piece(line: str) -> str | None:
    """The text of one server-sent event line; None for keep-alives and the end marker."""
    if not line.startswith("data:"):
        return None
    data = line[len("data:") :].strip()
    if data == "[DONE]":
        return None
    try:
        choice = json.loads(data)["choices"][0]
        return (choice.get("delta") or {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise BackendError(GARBAGE) from error


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        api_base: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 60.0,
        temperature: float = 0.1,
        max_concurrency: int = 8,
    ) -> None:
        self.url = api_base.rstrip("/") + "/chat/completions"
        # At most this many requests in flight: more would only queue inside the model server.
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self.model_id = model or "default"
        self.temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s))

    def _body(self, messages: list[ChatMessage], max_new_tokens: int) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "messages": list(messages),
            "max_tokens": max_new_tokens,
            "temperature": self.temperature,
            "stream": True,
        }

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        events = 0
        try:
            with (
                self._in_flight,
                self._client.stream("POST", self.url, json=self._body(messages, max_new_tokens)) as response,
            ):
                if response.status_code >= 400:
                    log.error("%s answered HTTP %s: %s", self.url, response.status_code, response.read()[:500])
                    raise BackendError(REFUSED_STATUS.format(status=response.status_code))
                for line in response.iter_lines():
                    events += line.startswith("data:")
                    piece = _piece(line)
                    if piece:
                        yield piece
        except httpx.TimeoutException as error:
            log.error("Timeout from %s: %s", self.url, error)
            raise BackendError(SLOW) from error
        except httpx.HTTPError as error:
            log.error("Cannot reach %s: %s", self.url, error)
            raise BackendError(DOWN) from error
        if events == 0:
            log.error("%s sent no server-sent events", self.url)
            raise BackendError(GARBAGE)

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return generate_by_streaming(self, messages, max_new_tokens)
