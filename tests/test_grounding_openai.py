"""The `openai` backend: a real OpenAI-compatible server on loopback, and a faulty one.

The faulty server (plain http.server) injects the failures a deployment meets: nothing listening,
an error status, a reply that is not a server-sent event stream, invalid JSON, and a stall.
Each must become a BackendError with a Swedish message, never a stack trace for the user.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kraftbot.llm import openai_backend
from kraftbot.llm.base import BackendError
from kraftbot.llm.factory import build_backend
from kraftbot.llm.openai_backend import OpenAIBackend
from kraftbot.settings import load_settings

MESSAGES = [{"role": "system", "content": "Svara kort."}, {"role": "user", "content": "Säg hej."}]


class FaultyHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, kind: str = "text/event-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode = self.path.split("/")[1]
        if mode == "ok":
            assert request["stream"] is True and request["messages"][0]["role"] == "system"
            events = [{"choices": [{"delta": {"content": piece}}]} for piece in ("Hej", " på", " dig")]
            body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            self._send(200, body.encode())
        elif mode == "error":
            self._send(500, b'{"error": "model crashed"}', "application/json")
        elif mode == "html":
            self._send(200, b"<html><body>Bad gateway</body></html>", "text/html")
        elif mode == "badjson":
            self._send(200, b"data: {not json\n\n")
        elif mode == "slow":
            time.sleep(2)
            self._send(200, b"data: [DONE]\n\n")


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_streams_the_pieces_of_a_working_server(faulty_server: str) -> None:
    backend = OpenAIBackend(f"{faulty_server}/ok/v1", "m", api_key="secret", timeout_s=5)
    assert list(backend.generate_stream(MESSAGES, 16)) == ["Hej", " på", " dig"]
    assert backend.generate(MESSAGES, 16) == "Hej på dig"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("error", openai_backend.REFUSED_STATUS.format(status=500)),
        ("html", openai_backend.GARBAGE),
        ("badjson", openai_backend.GARBAGE),
        ("slow", openai_backend.SLOW),
    ],
)
def test_faults_become_swedish_backend_errors(faulty_server: str, path: str, message: str) -> None:
    backend = OpenAIBackend(f"{faulty_server}/{path}/v1", "m", timeout_s=0.5)
    with pytest.raises(BackendError) as caught:
        backend.generate(MESSAGES, 16)
    assert str(caught.value) == message
    assert "server" in str(caught.value) and "Traceback" not in str(caught.value)


def test_a_server_that_is_down_gives_a_swedish_message() -> None:
    backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", "m", timeout_s=2)
    with pytest.raises(BackendError, match="svarar inte just nu"):
        backend.generate(MESSAGES, 16)


def test_the_factory_builds_it_from_settings() -> None:
    settings = load_settings(
        config_file=Path("/nonexistent"),
        environ={
            "KRAFTBOT_LLM_BACKEND": "openai",
            "KRAFTBOT_LLM_API_BASE": "http://127.0.0.1:9/v1",
            "KRAFTBOT_LLM_MODEL": "qwen",
            "KRAFTBOT_LLM_TIMEOUT_S": "3",
        },
    )
    backend = build_backend(settings)
    assert isinstance(backend, OpenAIBackend)
    assert backend.url == "http://127.0.0.1:9/v1/chat/completions" and backend.model_id == "qwen"


@pytest.fixture(scope="module")
def llama_server(packaged_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server with the packaged GGUF, on loopback."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_model_path)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"]
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    log = log_path.open("wb")  # a file, not a pipe: llama.cpp's loading log would fill a pipe and block
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 180 s")
            time.sleep(1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


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
