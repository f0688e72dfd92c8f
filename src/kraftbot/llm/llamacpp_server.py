"""llama.cpp's own OpenAI-compatible server as a child process, for the `openai` backend on one machine.

KraftBot's `openai` backend is how a deployment calls a model server elsewhere. To test and measure
that path without a GPU server, `llamacpp_server` starts llama-cpp-python's server (its extra
`llama_cpp.server`) on a free loopback port with a local GGUF file, waits until it answers, and
stops it again. The server serves one request at a time (one model behind a lock); requests that
arrive meanwhile wait their turn.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from kraftbot.errors import BackendError

STARTUP_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 2000
MODEL_ALIAS = "kraftbot-local"


class LlamaCppServerError(BackendError):
    """llama.cpp's server did not start (or exited); the message ends with its own output."""


def _free_port() -> int:
    """A loopback port nobody listens on now (the server binds it a moment later, as uvicorn does)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_command(model_path: Path, port: int, threads: int, n_ctx: int) -> list[str]:
    """The command line: CPU only, quiet model loading, and no interrupted streams.

    `--interrupt_requests False` matters: by default the server ends a streamed answer early as
    soon as another request waits for the model, and KraftBot's backend always streams, so under
    concurrent load follow-up rewrites would come back cut off after their first token.
    """
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--n_gpu_layers",
        "0",
        "--interrupt_requests",
        "False",
        "--verbose",
        "False",
    ]


def _tail(log_path: Path) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return text[-LOG_TAIL_CHARS:].strip() or "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop (SIGTERM lets uvicorn close cleanly), and kill it if it does not."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT_S)


def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout_s: float, model_path: Path
) -> None:
    """Poll `GET /v1/models` (the server only listens once the model is loaded)."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise LlamaCppServerError(
                    f"llama.cpp's server exited with code {process.returncode} while loading {model_path}. "
                    f"Its output ends with:\n{_tail(log_path)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{base_url}/models").status_code == 200:
                    return
            if time.monotonic() >= deadline:
                raise LlamaCppServerError(
                    f"llama.cpp's server did not answer GET {base_url}/models within {timeout_s:.0f} s "
                    f"(model {model_path}). Its output ends with:\n{_tail(log_path)}"
                )
            time.sleep(0.2)


@contextlib.contextmanager
def llamacpp_server(
    model_path: Path,
    threads: int,
    n_ctx: int = 2048,
    log_path: Path | None = None,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
    port: int | None = None,
) -> Iterator[str]:
    """Run llama.cpp's OpenAI-compatible server on loopback; yield its base URL, ending in `/v1`.

    Use the URL as `llm.api_base` with `llm.backend = "openai"`. The server's output (its access
    log among it) goes to `log_path` when given, so a caller can count the requests that reached
    it; otherwise to a temporary file removed afterwards. A server that exits or does not answer
    within `startup_timeout_s` raises LlamaCppServerError with the end of that output. The server
    is stopped on leaving the block, also after an error. `port` (default: a free one) lets a
    server come back where its clients expect it, as after a restart.
    """
    if not model_path.is_file():
        raise LlamaCppServerError(f"No model file at {model_path}")
    with contextlib.ExitStack() as stack:
        if log_path is None:
            log_path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="llamacpp-"))) / "server.log"
        port = port or _free_port()
        base_url = f"http://127.0.0.1:{port}/v1"
        environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                server_command(model_path, port, threads, n_ctx),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environ,
            )
        stack.callback(_stop, process)
        _wait_until_ready(process, base_url, log_path, startup_timeout_s, model_path)
        yield base_url
