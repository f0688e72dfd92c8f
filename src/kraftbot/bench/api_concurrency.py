"""Many `/v1` clients at once, each asking a follow-up (so the backend rewrites it), streamed.

For `scripts/gpu_check.py --server`: with a model behind the API, how the time per answer and the
model's throughput change from one request alone to 8 or 32 at once. The follow-ups are the dev
set's `follow_up` questions with their history; every rewrite generates exactly
`followup.REWRITE_TOKENS` tokens when the model's `min_new_tokens` is set to it, so the tokens a
run generated are its requests times that number.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path

from kraftbot.evaluation.questions import load_questions


@dataclass(frozen=True)
class Conversation:
    history: list[str]
    question: str


@dataclass(frozen=True)
class StreamTiming:
    """One streamed request: when its first chunk came, when it ended, whether it was an answer."""

    first_chunk_s: float
    total_s: float
    ok: bool


@dataclass(frozen=True)
class ConcurrencyRun:
    clients: int
    timings: list[StreamTiming]
    wall_s: float


def follow_ups(questions_file: Path) -> list[Conversation]:
    """The question file's follow-ups (questions with history), in file order."""
    questions = load_questions(questions_file).questions
    return [Conversation(list(q.history), q.question) for q in questions if q.history]


async def _timed(client, conversation: Conversation) -> StreamTiming:
    messages = [{"role": "user", "content": turn} for turn in conversation.history]
    messages.append({"role": "user", "content": conversation.question})
    started = time.perf_counter()
    first = None
    text = ""
    stream = await client.chat.completions.create(model="kraftbot", messages=messages, stream=True)
    async for chunk in stream:
        first = first if first is not None else time.perf_counter() - started
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
    return StreamTiming(first or 0.0, time.perf_counter() - started, bool(text))


async def run_clients(url: str, conversations: list[Conversation], clients: int) -> ConcurrencyRun:
    """`clients` streamed follow-ups at once against `url` (ending in /v1)."""
    import openai

    async with openai.AsyncOpenAI(base_url=url, api_key="benchmark", max_retries=0, timeout=600) as client:
        started = time.perf_counter()
        timings = await asyncio.gather(*(_timed(client, c) for c in islice(cycle(conversations), clients)))
    return ConcurrencyRun(clients, list(timings), time.perf_counter() - started)


def describe(run: ConcurrencyRun, tokens_each: int, alone: ConcurrencyRun | None) -> str:
    """One line: answers, first chunk and whole answer (median), and the rewrite tokens per second of a
    whole answer (retrieval and choosing included, so a floor on the model's own speed) per stream and
    together."""
    first = statistics.median(t.first_chunk_s for t in run.timings)
    total = statistics.median(t.total_s for t in run.timings)
    answered = sum(t.ok for t in run.timings)
    line = (
        f"{run.clients:>3} at once: {answered}/{run.clients} answered; first chunk p50 {first:.3f} s, "
        f"whole answer p50 {total:.3f} s; {tokens_each / total:.1f} rewrite tokens/s per stream, "
        f"{run.clients * tokens_each / run.wall_s:.1f} tokens/s together, {run.clients / run.wall_s:.2f} answers/s"
    )
    if alone is not None:
        alone_total = statistics.median(t.total_s for t in alone.timings)
        line += f"; whole answer {total / alone_total:.2f}× the time alone"
    return line
