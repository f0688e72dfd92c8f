"""`kraftbot bench load`: many clients of the chat and the API at once, for minutes, on loopback.

Each simulated user asks the dev questions in turn, every other one through the chat's `/api/ask`
(read to its last event) and through `/v1/chat/completions`, until time is up. Reported per kind:
answers, errors (a non-200 or an `error` event), p50/p95; the throughput; the process's resident
memory at start and end (the server runs in this process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle

import httpx
import psutil

from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentile


@dataclass(frozen=True)
class Request:
    """One question asked during the load run."""

    kind: str  # "chat" or "api"
    seconds: float
    ok: bool


@dataclass(frozen=True)
class LoadRun:
    requests: list[Request]
    users: int
    seconds: float
    rss_start_mb: float
    rss_end_mb: float


async def _chat(client: httpx.AsyncClient, url: str, question: str) -> bool:
    async with client.stream("POST", f"{url}api/ask", json={"question": question, "history": []}) as response:
        body = (await response.aread()).decode("utf-8")
    return response.status_code == 200 and "event: answer" in body


async def _api(client: httpx.AsyncClient, url: str, question: str) -> bool:
    body = {"model": "kraftbot", "messages": [{"role": "user", "content": question}]}
    response = await client.post(f"{url}v1/chat/completions", json=body)
    return response.status_code == 200 and bool(response.json()["choices"][0]["message"]["content"])


async def _user(
    client: httpx.AsyncClient, url: str, questions: Sequence[str], first: int, deadline: float
) -> list[Request]:
    done: list[Request] = []
    kinds = [("chat", _chat), ("api", _api)]
    asks = cycle(kinds[first % 2 :] + kinds[: first % 2])  # half the users start with the API
    for question in cycle(questions[first:] + questions[:first]):
        if time.perf_counter() >= deadline:
            break
        kind, ask = next(asks)
        started = time.perf_counter()
        try:
            ok = await ask(client, url, question)
        except httpx.HTTPError:
            ok = False
        done.append(Request(kind, time.perf_counter() - started, ok))
    return done


async def run_load(url: str, questions: Sequence[str], users: int, seconds: float) -> LoadRun:
    process = psutil.Process()
    rss_start = process.memory_info().rss / 2**20
    started = time.perf_counter()
    deadline = started + seconds
    async with httpx.AsyncClient(timeout=300) as client:
        shares = await asyncio.gather(*(_user(client, url, questions, i, deadline) for i in range(users)))
    elapsed = time.perf_counter() - started
    requests = [r for share in shares for r in share]
    return LoadRun(requests, users, elapsed, rss_start, process.memory_info().rss / 2**20)


def render_load_report(run: LoadRun, command: str) -> str:
    lines = [
        "# Load: the chat and the API at once",
        "",
        f"Command: `{command}`. Machine: {machine_note()}. {run.users} users for {run.seconds:.0f} s on loopback,"
        " one answer at a time (`server.answer_workers` = 1), no rate limit, in-process server.",
        "",
        "| kind | answers | errors | p50 s | p95 s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in ("chat", "api"):
        times = [r.seconds for r in run.requests if r.kind == kind]
        errors = sum(not r.ok for r in run.requests if r.kind == kind)
        if times:
            p50, p95 = percentile(times, [50, 95])
            lines.append(f"| {kind} | {len(times)} | {errors} | {p50:.3f} | {p95:.3f} |")
    answered = sum(r.ok for r in run.requests)
    lines += [
        "",
        f"Throughput: {answered / run.seconds:.2f} answers/s. Resident memory: {run.rss_start_mb:.0f} MB at start,"
        f" {run.rss_end_mb:.0f} MB at the end ({(run.rss_end_mb / run.rss_start_mb - 1) * 100:+.1f}%).",
    ]
    return "\n".join(lines) + "\n"
