"""Prometheus text for operations staff: requests, answer latency, answers by mode, refusals, queue.

Written by hand (the exposition format is a few lines of text) rather than adding a client library.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Answer latency histogram bounds in seconds: answers take a fraction of a second on the CPU; a
# model-backed follow-up rewrite or a queue can take several.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class Metrics:
    """Counters since the process started."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    latency_sum: float = 0.0
    latency_count: int = 0

    def request(self, route: str, status: int) -> None:
        self.requests[(route, status)] += 1

    def answer(self, mode: str, refusal_reason: str | None, seconds: float) -> None:
        self.answers[mode] += 1
        if refusal_reason:
            self.refusals[refusal_reason] += 1
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_buckets[i] += 1
        self.latency_sum += seconds
        self.latency_count += 1

    def render(self, queue_waiting: int, queue_running: int) -> str:
        lines = [
            "# HELP kraftbot_requests_total HTTP requests by route and status.",
            "# TYPE kraftbot_requests_total counter",
        ]
        lines += [
            f'kraftbot_requests_total{{route="{r}",status="{s}"}} {n}' for (r, s), n in sorted(self.requests.items())
        ]
        lines += ["# HELP kraftbot_answers_total Answers by mode.", "# TYPE kraftbot_answers_total counter"]
        lines += [f'kraftbot_answers_total{{mode="{m}"}} {n}' for m, n in sorted(self.answers.items())]
        lines += ["# HELP kraftbot_refusals_total Refusals by reason.", "# TYPE kraftbot_refusals_total counter"]
        lines += [f'kraftbot_refusals_total{{reason="{r}"}} {n}' for r, n in sorted(self.refusals.items())]
        lines += [
            "# HELP kraftbot_answer_seconds Time to answer a question.",
            "# TYPE kraftbot_answer_seconds histogram",
        ]
        lines += [
            f'kraftbot_answer_seconds_bucket{{le="{b}"}} {n}'
            for b, n in zip(LATENCY_BUCKETS, self.latency_buckets, strict=True)
        ]
        lines += [
            f'kraftbot_answer_seconds_bucket{{le="+Inf"}} {self.latency_count}',
            f"kraftbot_answer_seconds_sum {self.latency_sum:.6f}",
            f"kraftbot_answer_seconds_count {self.latency_count}",
            "# HELP kraftbot_queue_waiting Questions waiting for their turn.",
            "# TYPE kraftbot_queue_waiting gauge",
            f"kraftbot_queue_waiting {queue_waiting}",
            "# HELP kraftbot_queue_running Questions being answered.",
            "# TYPE kraftbot_queue_running gauge",
            f"kraftbot_queue_running {queue_running}",
        ]
        return "\n".join(lines) + "\n"
