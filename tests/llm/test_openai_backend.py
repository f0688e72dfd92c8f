"""The `openai` backend: a real OpenAI-compatible server on loopback, and a faulty one.

The faulty server (plain http.server, `doubles.FaultyChatHandler`) injects the failures a deployment
meets: nothing listening, an error status, a reply that is not a server-sent event stream, invalid
JSON, and a stall.
Each must become a BackendError with a Swedish message, never a stack trace for the user.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kraftbot.errors import BackendError
from kraftbot.llm import openai_backend
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
