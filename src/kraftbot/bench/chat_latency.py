"""`kraftbot bench chat`: what an applicant waits for in the web chat, over real HTTP on loopback.

Per question: the time until the sources are on the page, until the first checked sentence (or the
refusal) is, until the whole answer is, and the highest place in line it was told. Run with 1 user,
then with several asking at once (each user asks their share of the questions one after the other),
so the queue's cost shows against the same server alone in the same run. The model's own time to
first token and decoding speed against plain llama.cpp are `kraftbot bench answer`'s.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentile


@dataclass(frozen=True)
class ChatTiming:
    """One question's waits, in seconds from sending it; `place` 0 = never waited in line."""

    sources_s: float
    first_s: float
    answer_s: float
    place: int


async def ask_once(client: httpx.AsyncClient, url: str, question: str) -> ChatTiming:
    started = time.perf_counter()
    sources_s = first_s = answer_s = float("nan")
    place = 0
    async with client.stream("POST", f"{url}api/ask", json={"question": question, "history": []}) as response:
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                elapsed = time.perf_counter() - started
                if event == "queue":
                    place = max(place, int(json.loads(line.removeprefix("data: "))["place"]))
                elif event == "sources":
                    sources_s = elapsed
                elif event == "sentence" and first_s != first_s:  # the first (NaN until then)
                    first_s = elapsed
                elif event in ("answer", "error"):
                    answer_s = elapsed
                    first_s = elapsed if first_s != first_s else first_s  # a refusal comes whole
    return ChatTiming(sources_s, first_s, answer_s, place)


async def _user(client: httpx.AsyncClient, url: str, questions: Sequence[str]) -> list[ChatTiming]:
    return [await ask_once(client, url, question) for question in questions]


async def run_users(url: str, questions: Sequence[str], users: int) -> list[ChatTiming]:
    """`users` clients at once, each asking every `users`-th question in turn."""
    async with httpx.AsyncClient(timeout=300) as client:
        shares = await asyncio.gather(*(_user(client, url, questions[i::users]) for i in range(users)))
    return [timing for share in shares for timing in share]


def render_chat_report(results: dict[int, list[ChatTiming]], command: str) -> str:
    lines = [
        "# Web chat: what an applicant waits for",
        "",
        f"Command: `{command}`. Machine: {machine_note()}. HTTP on loopback against `kraftbot serve`'s app"
        " (one answer at a time with the in-process model, `server.answer_workers` = 0), SQLite feedback database.",
        "",
        "| users at once | questions | sources p50 / p95 s | first sentence p50 / p95 s | whole answer p50 / p95 s "
        "| most waited in line |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for users, timings in results.items():
        waits = ("sources_s", "first_s", "answer_s")
        cells = [percentile([getattr(t, name) for t in timings], [50, 95]) for name in waits]
        shown = " | ".join(f"{p50:.3f} / {p95:.3f}" for p50, p95 in cells)
        lines.append(f"| {users} | {len(timings)} | {shown} | place {max(t.place for t in timings)} |")
    lines += ["", "The model's time to first token and decoding rate against plain llama.cpp: `kraftbot bench answer`."]
    return "\n".join(lines) + "\n"
