"""Any OpenAI-compatible chat-completions server (vLLM, TGI, llama.cpp's server), streamed.

This is how a deployment grows past one machine: the model runs on a GPU server, KraftBot calls it.
Every failure (server down, too slow, an error status, a reply that is not the expected JSON)
becomes a BackendError with a Swedish message for the user; the details go to the log.

An answer's `OutputForm` goes in the request in the field the server reads (`llm.form_param`): each
server names it differently, and one that does not know a field ignores it silently, so the field is
chosen per server (by default from what `GET /models` says the server is) rather than sent in every
spelling. Token usage comes from the server's last event (`stream_options.include_usage`); servers that
send none get the content events counted (one token each, as vLLM and llama.cpp stream them).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage, generate_by_streaming
from kraftbot.settings import FormParam

log = logging.getLogger(__name__)

# what GET /models answers as `owned_by`: vLLM "vllm", llama.cpp's server "llamacpp", llama-cpp-python's "me"
LLAMACPP_OWNERS = frozenset({"llamacpp", "me"})
# vLLM dropped `guided_regex` in 0.12 (for `structured_outputs`, read since 0.11); older ones get the old field
STRUCTURED_OUTPUTS_SINCE = (0, 12)

DOWN = "Språkmodellens server svarar inte just nu. Försök igen om en stund."
SLOW = "Språkmodellens server svarade inte i tid. Försök igen om en stund."
REFUSED_STATUS = "Språkmodellens server svarade med ett fel (HTTP {status}). Försök igen om en stund."
GARBAGE = "Språkmodellens server gav ett svar som inte gick att tolka. Kontakta den som driver tjänsten."


def _event(line: str) -> tuple[str, dict[str, Any] | None] | None:
    """The text and the usage (when the event has one) of one server-sent event line; None for
    keep-alives and the end marker."""
    if not line.startswith("data:"):
        return None
    data = line[len("data:") :].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
        choices, usage = event["choices"], event.get("usage")
        text = ((choices[0].get("delta") or {}).get("content") or "") if choices else ""  # usage comes alone
        if usage is not None and not isinstance(usage, dict):
            raise TypeError(f"usage is {usage!r}")
        return text, usage
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        raise BackendError(GARBAGE) from error


def form_fields(param: FormParam, form: OutputForm) -> dict[str, Any]:
    """The request fields that hold a server to `form`, in the spelling `param` names."""
    if param == "vllm":
        return {"structured_outputs": {"regex": form.regex()}}
    if param == "vllm_guided":
        return {"guided_regex": form.regex()}
    if param == "llamacpp":
        return {"grammar": form.gbnf()}
    return {}


def _version(text: str) -> tuple[int, int]:
    """(0, 11) for "0.11.2rc1" or "v0.11.2+cu124"; a current version's when the text has none."""
    found = re.match(r"v?(\d+)\.(\d+)", text.strip())
    return (int(found[1]), int(found[2])) if found else STRUCTURED_OUTPUTS_SINCE


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
        form_param: FormParam = "auto",
    ) -> None:
        self.base = api_base.rstrip("/")
        self.url = self.base + "/chat/completions"
        self.form_param = form_param
        self._detecting = threading.Lock()
        # At most this many requests in flight: more would only queue inside the model server.
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self.model_id = model or "default"
        self.temperature = temperature
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s))

    def _body(
        self, messages: list[ChatMessage], max_new_tokens: int, form: OutputForm | None, usage: TokenUsage | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": list(messages),
            "max_tokens": max_new_tokens,
            "temperature": self.temperature,
            "stream": True,
        }
        if usage is not None:
            body["stream_options"] = {"include_usage": True}
        if form is not None:
            body |= form_fields(self.server_form_param(), form)
        return body

    def server_form_param(self) -> FormParam:
        """`form_param`, with "auto" asked once from the server: vLLM by `owned_by` "vllm" (and its
        `/version` for the field's spelling), llama.cpp's servers by "llamacpp" or "me". A server that
        cannot be asked now is asked again next time; meanwhile forms are not sent."""
        with self._detecting:
            if self.form_param != "auto":
                return self.form_param
            try:
                reply = self._client.get(f"{self.base}/models")
                reply.raise_for_status()
                owners = {model.get("owned_by") for model in reply.json()["data"]}
            except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as error:
                log.warning("Cannot tell what server %s is (forms are not sent for now): %s", self.base, error)
                return "none"
            if "vllm" in owners:
                self.form_param = "vllm" if self._vllm_version() >= STRUCTURED_OUTPUTS_SINCE else "vllm_guided"
            else:
                self.form_param = "llamacpp" if owners & LLAMACPP_OWNERS else "none"
            log.info("%s (owned_by %s): answer forms sent as %s", self.base, sorted(map(str, owners)), self.form_param)
            return self.form_param

    def _vllm_version(self) -> tuple[int, int]:
        """vLLM's version from `GET /version` (beside `/v1`); a newer one's when it does not say."""
        try:
            reply = self._client.get(f"{self.base.removesuffix('/v1')}/version")
            reply.raise_for_status()
            return _version(str(reply.json()["version"]))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            log.warning("vLLM at %s did not say its version (taking a current one): %s", self.base, error)
            return STRUCTURED_OUTPUTS_SINCE

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        events = 0
        tally = _Tally(usage) if usage is not None else None
        try:
            body = self._body(messages, max_new_tokens, form, usage)
            with self._in_flight, self._client.stream("POST", self.url, json=body) as response:
                if response.status_code >= 400:
                    log.error("%s answered HTTP %s: %s", self.url, response.status_code, response.read()[:500])
                    raise BackendError(REFUSED_STATUS.format(status=response.status_code))
                for line in response.iter_lines():
                    events += line.startswith("data:")
                    event = _event(line)
                    if event is None:
                        continue
                    piece, reported = event
                    if tally is not None:
                        tally.add(piece, reported)
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


@dataclass
class _Tally:
    """Token usage as a stream goes: the server's own numbers once it reports them (its last event),
    until then one completion token per content event."""

    usage: TokenUsage
    reported: bool = False

    def add(self, piece: str, reported: dict[str, Any] | None) -> None:
        if reported is not None:
            self.usage.prompt_tokens = int(reported.get("prompt_tokens") or 0)
            self.usage.completion_tokens = int(reported.get("completion_tokens") or 0)
            self.reported = True
        elif piece and not self.reported:
            self.usage.completion_tokens += 1
