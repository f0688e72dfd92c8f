"""`kraftbot bench load`: many clients of the chat and the API at once, for minutes, on loopback.

Each simulated user asks the dev questions in turn, every other one through the chat's `/api/ask`
(read to its last event) and through `/v1/chat/completions`, until time is up. Every third question
is a follow-up, sent with the user's previous question as history, so that with
`followup.model_rewrite` on the model (in process, or a model server behind `llm.backend = "openai"`)
is called under load too. Reported per kind: answers, errors (a non-200 or an `error` event),
p50/p95; the number of follow-ups; the throughput; the process's resident memory at start and end
(the server runs in this process).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import cycle

import httpx
import psutil

from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentile

FOLLOWUP_EVERY = 3  # every third question of a user is a follow-up of the one before
ASSISTANT_TURN = {"role": "assistant", "content": "…"}
RSS_EVERY_S = 5.0


@dataclass(frozen=True)
class Request:
    """One question asked during the load run."""

    kind: str  # "chat" or "api"
    seconds: float
    ok: bool
    followup: bool = False  # asked with the previous question as history
    finished_s: float = 0.0  # when it ended, seconds after the run began


@dataclass(frozen=True)
class LoadRun:
    requests: list[Request]
    users: int
    seconds: float
    rss_start_mb: float
    rss_end_mb: float
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the run, MB)

    def warm_rss_mb(self) -> float:
        """Resident memory once the first fifth of the run is over (first-use caches filled): the
        baseline a soak's growth is measured from."""
        warm = [mb for at, mb in self.rss_samples if at >= self.seconds / 5]
        return warm[0] if warm else self.rss_start_mb

    def p50_of_fifth(self, fifth: int) -> float | None:
        """Median answer time of the requests that ended in the given fifth (0–4) of the run."""
        low, high = self.seconds * fifth / 5, self.seconds * (fifth + 1) / 5
        times = [r.seconds for r in self.requests if low <= r.finished_s < high]
        return percentile(times, [50])[0] if times else None


async def _chat(client: httpx.AsyncClient, url: str, question: str, history: list[str]) -> bool:
    async with client.stream("POST", f"{url}api/ask", json={"question": question, "history": history}) as response:
        body = (await response.aread()).decode("utf-8")
    return response.status_code == 200 and "event: answer" in body


def api_messages(question: str, history: list[str]) -> list[dict[str, str]]:
    """The conversation as an API client sends it: each earlier question with a stand-in answer (only
    the user messages count as history), then the question."""
    earlier = [message for turn in history for message in ({"role": "user", "content": turn}, ASSISTANT_TURN)]
    return [*earlier, {"role": "user", "content": question}]


async def _api(client: httpx.AsyncClient, url: str, question: str, history: list[str]) -> bool:
    body = {"model": "kraftbot", "messages": api_messages(question, history)}
    response = await client.post(f"{url}v1/chat/completions", json=body)
    return response.status_code == 200 and bool(response.json()["choices"][0]["message"]["content"])


async def _user(
    client: httpx.AsyncClient,
    url: str,
    questions: Sequence[str],
    first: int,
    deadline: float,
    seconds: float,
    followup_every: int,
) -> list[Request]:
    done: list[Request] = []
    kinds = [("chat", _chat), ("api", _api)]
    asks = cycle(kinds[first % 2 :] + kinds[: first % 2])  # half the users start with the API
    previous: str | None = None
    for number, question in enumerate(cycle(questions[first:] + questions[:first]), start=1):
        if time.perf_counter() >= deadline:
            break
        kind, ask = next(asks)
        followup = previous is not None and followup_every > 0 and number % followup_every == 0
        history = [previous] if followup and previous is not None else []
        started = time.perf_counter()
        try:
            ok = await ask(client, url, question, history)
        except httpx.HTTPError:
            ok = False
        now = time.perf_counter()
        done.append(Request(kind, now - started, ok, followup, now - (deadline - seconds)))
        previous = question
    return done


async def run_load(
    url: str, questions: Sequence[str], users: int, seconds: float, *, followup_every: int = FOLLOWUP_EVERY
) -> LoadRun:
    """Ask for `seconds` with `users` clients at once; every `followup_every`-th question of a user
    carries the previous one as history (0: none do)."""
    process = psutil.Process()
    rss_start = process.memory_info().rss / 2**20
    started = time.perf_counter()
    deadline = started + seconds
    samples: list[tuple[float, float]] = []

    async def sample_memory() -> None:
        while True:
            samples.append((time.perf_counter() - started, process.memory_info().rss / 2**20))
            await asyncio.sleep(RSS_EVERY_S)

    sampler = asyncio.create_task(sample_memory())
    try:
        async with httpx.AsyncClient(timeout=300) as client:
            shares = await asyncio.gather(
                *(_user(client, url, questions, i, deadline, seconds, followup_every) for i in range(users))
            )
    finally:
        sampler.cancel()
    elapsed = time.perf_counter() - started
    requests = [r for share in shares for r in share]
    return LoadRun(requests, users, elapsed, rss_start, process.memory_info().rss / 2**20, samples)


def render_load_report(run: LoadRun, command: str, workers: int, *, backend_note: str = "") -> str:
    """The report; `workers` is how many questions the server answered at once, `backend_note` (e.g.
    which model server rewrote the follow-ups) is printed as is."""
    lines = [
        "# Load: the chat and the API at once",
        "",
        f"Command: `{command}`. Machine: {machine_note()}. {run.users} users for {run.seconds:.0f} s on loopback,"
        f" {workers} answered at once (`server.answer_workers`), no rate limit, in-process server.",
        "",
        *([backend_note, ""] if backend_note else []),
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
    followups = [r for r in run.requests if r.followup]
    lines += [
        "",
        f"Follow-ups: {len(followups)} of {len(run.requests)} questions were asked with the previous question as"
        f" history ({sum(not r.ok for r in followups)} errors).",
        f"Throughput: {answered / run.seconds:.2f} answers/s. Resident memory: {run.rss_start_mb:.0f} MB at start,"
        f" {run.rss_end_mb:.0f} MB at the end ({(run.rss_end_mb / run.rss_start_mb - 1) * 100:+.1f}%);"
        f" {run.warm_rss_mb():.0f} MB after the first fifth, so"
        f" {(run.rss_end_mb / run.warm_rss_mb() - 1) * 100:+.1f}% growth once warm.",
    ]
    first, last = run.p50_of_fifth(0), run.p50_of_fifth(4)
    if first and last:
        lines.append(
            f"Latency over time: p50 {first:.3f} s in the first fifth of the run, {last:.3f} s in the last"
            f" ({last / first:.2f}×)."
        )
    return "\n".join(lines) + "\n"
