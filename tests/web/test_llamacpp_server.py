"""`/v1` under concurrent load with follow-ups rewritten by a separate model server: llama.cpp's own
OpenAI-compatible server (the packaged GGUF, started by `llamacpp_server`) behind `llm.backend =
"openai"`, as a deployment with a GPU model server would run, but on loopback."""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.llm.factory import build_backend
from kraftbot.llm.llamacpp_server import llamacpp_server
from kraftbot.settings import ServerSettings
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer

from .conftest import QUESTION

pytestmark = pytest.mark.slow

# (earlier question, follow-up) pairs over the two calls' documents of the `assistant` fixture.
CONVERSATIONS = [
    ("Vad finansierar Starta er AI-resa?", "Och hur mycket kunde man få där?"),
    ("Vem kan söka Starta er AI-resa?", "Hur stor andel av kostnaderna täcks där?"),
    ("Vad handlar utlysningen Gemensamma AI-förmågor om?", "Hur mycket pengar kan man söka där?"),
    ("Vilka kan vara koordinator i Gemensamma AI-förmågor?", "Och vem får vara med i den?"),
]
PLAIN = [
    QUESTION,
    "Vad finansierar Starta er AI-resa?",
    "Vad handlar Gemensamma AI-förmågor om?",
    "Vad kostar en pizza?",
]
REACHED_LLAMA = '"POST /v1/chat/completions HTTP/1.1" 200'
REWRITE_FAILED = "Model rewrite of a follow-up failed"


def _conversations() -> list[list[dict[str, str]]]:
    """16 conversations: each pair twice as a follow-up (earlier question, stand-in answer, follow-up),
    and 8 single questions."""
    followups = [
        [{"role": "user", "content": earlier}, {"role": "assistant", "content": "…"}, {"role": "user", "content": q}]
        for earlier, q in CONVERSATIONS * 2
    ]
    plain = [[{"role": "user", "content": q}] for q in PLAIN * 2]
    return [message for pair in zip(followups, plain, strict=True) for message in pair]


def _ask(client: openai.OpenAI, messages: list[dict[str, str]]) -> tuple[str, dict]:
    reply = client.chat.completions.create(model="kraftbot", messages=messages)  # type: ignore[arg-type]
    return reply.choices[0].message.content or "", reply.model_extra["kraftbot"]


@pytest.mark.reliability
def test_concurrent_followups_are_rewritten_by_the_llamacpp_server_and_answered_once_it_is_down(
    assistant, stores, packaged_model_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kraftbot.answering.followup")
    llama_log = tmp_path / "llama-server.log"
    conversations = _conversations()
    with contextlib.ExitStack() as stack:
        with llamacpp_server(packaged_model_path, threads=2, n_ctx=2048, log_path=llama_log) as api_base:
            settings = assistant.settings.model_copy(deep=True)
            settings.llm.backend, settings.llm.api_base, settings.llm.timeout_s = "openai", api_base, 120.0
            settings.followup.model_rewrite = True
            # This test is about the rewrites under load: the answers are quoted, so that every request
            # the model server sees is a rewrite (written answers over the server: tests/llm/test_openai_backend.py).
            settings.writer.enabled = False
            rewriting = Assistant(settings, assistant.retriever, build_backend(settings))
            server_settings = ServerSettings(public_api=True, rate_limit_per_minute=0, answer_workers=4)
            server = BackgroundServer(build_app(rewriting, stores, server_settings))
            stack.callback(server.stop)
            client = openai.OpenAI(base_url=f"{server.url}v1", api_key="none", max_retries=0, timeout=300)
            with ThreadPoolExecutor(len(conversations)) as pool:
                answers = list(pool.map(lambda messages: _ask(client, messages), conversations))
            under_load = list(caplog.records)
        # The model server is stopped now; KraftBot still runs with the same backend.
        caplog.clear()
        down_text, down_extension = _ask(client, conversations[0])
        down_records = list(caplog.records)
        reached = llama_log.read_text(encoding="utf-8").count(REACHED_LLAMA)
        # ... and once it is back where it was, the next follow-up is rewritten by it again.
        port = int(api_base.rsplit(":", 1)[1].split("/")[0])
        back_log = tmp_path / "llama-server-back.log"
        with llamacpp_server(packaged_model_path, threads=2, n_ctx=2048, log_path=back_log, port=port):
            back_text, _ = _ask(client, conversations[0])
            reached_when_back = back_log.read_text(encoding="utf-8").count(REACHED_LLAMA)
    followups = sum(len(messages) > 1 for messages in conversations)

    assert len(answers) == 16 and followups >= 8
    assert all(text.strip() and "mode" in extension and "citations" in extension for text, extension in answers)
    # Every follow-up, and nothing else, asked the model server, and each got its reply.
    assert reached == followups
    assert not [r for r in under_load if r.getMessage().startswith(REWRITE_FAILED)]
    # ... and a usable rewrite (a streamed reply cut off by a concurrent request would come back empty).
    assert len([r for r in under_load if r.getMessage().startswith("Follow-up rewrites: model")]) == followups
    # With the model server gone the rule-based rewrite takes over: the same answer as without a model.
    assert [r for r in down_records if r.getMessage().startswith(REWRITE_FAILED)]
    assert reached_when_back == 1 and "600 000 kronor" in back_text
    assert "600 000 kronor" in down_text and not down_extension["refused"]


def test_bench_load_runs_against_the_llamacpp_server(assistant, tmp_path: Path) -> None:
    from kraftbot.frontends.cli import main

    index_dir = assistant.settings.paths.index_dir
    config = tmp_path / "kraftbot.toml"
    paths = f'[paths]\nindex_dir = "{index_dir}"\ncorpus_dir = "{index_dir.parent / "corpus"}"\n'
    config.write_text(paths + "[writer]\nenabled = false\n")  # the rewrites only: 12 s of load on 2 cores
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "".join(
            f'{{"id": "q{i}", "question": "{q}", "answerable": false, "category": "near_miss"}}\n'
            for i, q in enumerate([QUESTION, *PLAIN[1:3]])
        ),
        encoding="utf-8",
    )
    report = tmp_path / "load.md"
    arguments = ["bench", "load", "--llama-server", "--users", "2", "--minutes", "0.2"]
    assert main(["--config", str(config), *arguments, "--questions", str(questions), "--report", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert "llama.cpp's own server" in text and "8 answered at once" in text
    follow_up_line = next(line for line in text.splitlines() if line.startswith("Follow-ups:"))
    assert not follow_up_line.startswith("Follow-ups: 0 ") and "(0 errors)" in follow_up_line
