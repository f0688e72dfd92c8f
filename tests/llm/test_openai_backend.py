"""The `openai` backend: a real OpenAI-compatible server on loopback, a faulty one, and one that
records what it is sent (which field carries the answer's form, per server) and reports token usage
or not.

The faulty server (plain http.server, `doubles.FaultyChatHandler`) injects the failures a deployment
meets: nothing listening, an error status, a reply that is not a server-sent event stream, invalid
JSON, and a stall.
Each must become a BackendError with a Swedish message, never a stack trace for the user.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kraftbot.errors import BackendError
from kraftbot.llm import openai_backend
from kraftbot.llm.base import OutputForm, TokenUsage
from kraftbot.llm.form_decoding import FormRules, FormState
from kraftbot.llm.llamacpp_server import llamacpp_server
from kraftbot.llm.openai_backend import OpenAIBackend

from ..doubles import faulty_chat_server

MESSAGES = [{"role": "system", "content": "Svara kort."}, {"role": "user", "content": "Säg hej."}]


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[str]:
    with faulty_chat_server() as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_streams_the_pieces_of_a_working_server(faulty_server: str) -> None:
    backend = OpenAIBackend(f"{faulty_server}/ok/v1", "m", api_key="secret", timeout_s=5)
    assert list(backend.generate_stream(MESSAGES, 16)) == ["Hej", " på", " dig"]
    assert backend.generate(MESSAGES, 16) == "Hej på dig"


def test_no_more_requests_in_flight_than_max_concurrency(faulty_server: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ..doubles import FaultyChatHandler

    FaultyChatHandler.busy_peak = 0
    backend = OpenAIBackend(f"{faulty_server}/busy/v1", "m", timeout_s=5, max_concurrency=2)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: backend.generate(MESSAGES, 4), range(6)))
    assert answers == ["Hej"] * 6
    assert FaultyChatHandler.busy_peak == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("error", openai_backend.REFUSED_STATUS.format(status=500)),
        ("html", openai_backend.GARBAGE),
        ("badjson", openai_backend.GARBAGE),
        ("slow", openai_backend.SLOW),
    ],
)
@pytest.mark.reliability
def test_faults_become_swedish_backend_errors(faulty_server: str, path: str, message: str) -> None:
    backend = OpenAIBackend(f"{faulty_server}/{path}/v1", "m", timeout_s=0.5)
    with pytest.raises(BackendError, match=f"^{re.escape(message)}$") as caught:
        backend.generate(MESSAGES, 16)
    assert "server" in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.reliability
def test_a_server_that_is_down_gives_a_swedish_message() -> None:
    backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "m", timeout_s=2)
    with pytest.raises(BackendError, match="svarar inte just nu"):
        backend.generate(MESSAGES, 16)


@pytest.fixture(scope="module")
def llama_server(packaged_model_path: Path) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server with the packaged GGUF, on loopback."""
    with llamacpp_server(packaged_model_path, threads=2, n_ctx=2048) as base:
        yield base


@pytest.mark.slow
def test_real_llama_cpp_server_streams_a_swedish_answer(llama_server: str) -> None:
    backend = OpenAIBackend(llama_server, "kraftbot", timeout_s=120, temperature=0.0)
    messages = [
        {"role": "system", "content": "Du svarar kort på svenska."},
        {"role": "user", "content": "Vilken färg har en banan när den är mogen? Svara med ett ord."},
    ]
    pieces = list(backend.generate_stream(messages, 12))
    assert len(pieces) >= 2  # streamed, not one block
    assert "gul" in "".join(pieces).lower()


FORM = OutputForm(sources=3, max_sentences=2)
FORM_FIELDS = {"structured_outputs", "guided_regex", "grammar"}


class ServerDouble(BaseHTTPRequestHandler):
    """A model server whose base path says what it is: `/<owned_by>/<version>/v1` (version "-" = no
    `/version`; owned_by "down" = `/models` fails). It records each request's body and path, streams
    "Det" " är" " så", and ends with a usage event when asked for one, unless it is llama-cpp-python
    ("me"), which sends none."""

    requests: ClassVar[list[tuple[str, dict[str, Any] | None]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        _, owner, version, *rest = self.path.split("/")
        self.requests.append((self.path, None))
        if rest == ["v1", "models"] and owner != "down":
            self._reply(200, json.dumps({"object": "list", "data": [{"id": "m", "owned_by": owner}]}).encode())
        elif rest == ["version"] and version != "-":
            self._reply(200, json.dumps({"version": version}).encode())
        else:
            self._reply(404, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        events: list[dict[str, Any]] = [{"choices": [{"delta": {"role": "assistant"}}]}]
        events += [{"choices": [{"delta": {"content": piece}}]} for piece in ("Det", " är", " så")]
        events.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        if body.get("stream_options", {}).get("include_usage") and "/me/" not in self.path:
            events.append({"choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25}})
        self._reply(
            200,
            ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode(),
            "text/event-stream",
        )


@contextmanager
def server_double() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ServerDouble)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def double() -> Iterator[str]:
    ServerDouble.requests = []
    with server_double() as url:
        yield url


def _sent(path_end: str = "/chat/completions") -> list[dict[str, Any]]:
    return [body for path, body in ServerDouble.requests if body is not None and path.endswith(path_end)]


def _asked(path_end: str) -> int:
    return sum(path.endswith(path_end) for path, _ in ServerDouble.requests)


@pytest.mark.parametrize(
    ("owner", "version", "fields"),
    [
        ("vllm", "0.13.1", {"structured_outputs": {"regex": FORM.regex()}}),
        ("vllm", "0.12.0", {"structured_outputs": {"regex": FORM.regex()}}),
        ("vllm", "0.11.2rc1", {"guided_regex": FORM.regex()}),
        ("vllm", "-", {"structured_outputs": {"regex": FORM.regex()}}),  # no /version: a current vLLM
        ("me", "-", {"grammar": FORM.gbnf()}),  # llama-cpp-python's server
        ("llamacpp", "-", {"grammar": FORM.gbnf()}),  # llama.cpp's own
        ("huggingface", "-", {}),  # TGI: not sent, the sentences are checked anyway
    ],
)
def test_the_form_goes_in_the_field_the_server_reads(double: str, owner: str, version: str, fields: dict) -> None:
    backend = OpenAIBackend(f"{double}/{owner}/{version}/v1", "m", timeout_s=5)
    for _ in range(2):
        assert "".join(backend.generate_stream(MESSAGES, 16, form=FORM)) == "Det är så"
    for body in _sent():
        assert {key: body[key] for key in FORM_FIELDS & body.keys()} == fields
    assert _asked("/v1/models") == 1, "the server is asked what it is once"


def test_a_configured_field_is_sent_without_asking_and_no_form_sends_none(double: str) -> None:
    backend = OpenAIBackend(f"{double}/vllm/0.13.0/v1", "m", timeout_s=5, form_param="llamacpp")
    list(backend.generate_stream(MESSAGES, 16, form=FORM))
    list(backend.generate_stream(MESSAGES, 16))
    with_form, without = _sent()
    assert with_form["grammar"] == FORM.gbnf() and not FORM_FIELDS & without.keys()
    assert _asked("/v1/models") == 0
    auto = OpenAIBackend(f"{double}/vllm/0.13.0/v1", "m", timeout_s=5)
    list(auto.generate_stream(MESSAGES, 16))
    assert _asked("/v1/models") == 0, "a request without a form does not need to know the server"


def test_a_server_that_cannot_say_what_it_is_gets_no_form_and_is_asked_again(double: str) -> None:
    backend = OpenAIBackend(f"{double}/down/-/v1", "m", timeout_s=5)
    for _ in range(2):
        assert "".join(backend.generate_stream(MESSAGES, 16, form=FORM)) == "Det är så"
    assert not any(FORM_FIELDS & body.keys() for body in _sent())
    assert _asked("/v1/models") == 2


@pytest.mark.parametrize(("owner", "expected"), [("vllm", TokenUsage(21, 4)), ("me", TokenUsage(0, 3))])
def test_usage_is_the_servers_own_count_or_the_content_events(double: str, owner: str, expected: TokenUsage) -> None:
    backend = OpenAIBackend(f"{double}/{owner}/-/v1", "m", timeout_s=5, form_param="none")
    usage = TokenUsage()
    assert "".join(backend.generate_stream(MESSAGES, 16, usage=usage)) == "Det är så"
    assert usage == expected
    assert _sent()[-1]["stream_options"] == {"include_usage": True}
    list(backend.generate_stream(MESSAGES, 16))
    assert "stream_options" not in _sent()[-1], "asked for only when counted"


EVIDENCE = (
    "Underlag:\n[1] Bidraget är högst 600 000 kronor per projekt.\n[2] Projektet får pågå i högst 12 månader.\n"
    "Fråga: Hur mycket pengar kan ett projekt få, och hur länge får det pågå?"
)


@pytest.mark.slow
def test_the_llama_cpp_server_writes_in_the_form_it_is_sent(llama_server: str) -> None:
    """The grammar reaches llama.cpp's server (found as such by `GET /models`): a reply asked to cite
    is in the form, and one asked for a Markdown list stays on the form's track (one line, no heading),
    where the same prompt without the grammar leaves it. A grammar cannot end a sentence in time, so
    the second reply is only checked as the start of an answer in the form."""
    backend = OpenAIBackend(llama_server, "kraftbot", timeout_s=300, temperature=0.0)
    form = OutputForm(sources=2, max_sentences=2)
    cite = "Svara med en eller två meningar på svenska. Avsluta varje mening med källans nummer, till exempel [1]."
    usage = TokenUsage()
    messages = [{"role": "system", "content": cite}, {"role": "user", "content": EVIDENCE}]
    text = "".join(backend.generate_stream(messages, 160, form=form, usage=usage))
    assert backend.form_param == "llamacpp"
    assert re.fullmatch(form.regex(), text), text
    assert usage.completion_tokens > 5 and usage.prompt_tokens == 0, "counted from the events: no usage from it"
    listing = [{"role": "system", "content": "Svara med en Markdown-lista under en rubrik."}, messages[1]]
    rules = FormRules(form)
    free, held = backend.generate(listing, 40), "".join(backend.generate_stream(listing, 40, form=form))
    assert not rules.alive(rules.feed(FormState(), free)), f"the prompt alone must leave the form: {free!r}"
    assert rules.alive(rules.feed(FormState(), held)), held
