"""The answer object: what `kraftbot ask --json` prints and the evaluation stores (DESIGN.md contract)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kraftbot.citations import Citation


@dataclass
class Timings:
    retrieval_s: float = 0.0
    ttft_s: float | None = None
    total_s: float = 0.0


@dataclass
class AnswerResult:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[dict[str, Any]]
    timings: Timings
    tokens_out: int
    backend: str
    model: str
    mode: str = "generated"
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data
