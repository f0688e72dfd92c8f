"""The protocol every generation backend implements."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str
    content: str


class GenerationBackend(Protocol):
    """Chat-style generation; `generate_stream` yields text pieces as they are produced.

    `option_probabilities` is the reading KraftBot relies on: how likely each of a few one-token
    replies ("Ja", "Nej") is as the model's first token, normalised over those options. A small
    model judges one sentence against a question far more reliably than it writes an answer.
    """

    name: str
    model_id: str

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str: ...

    def generate_stream(self, messages: list[ChatMessage], max_new_tokens: int) -> Iterator[str]: ...

    def option_probabilities(self, messages: list[ChatMessage], options: Sequence[str]) -> list[float] | None:
        """P(first reply token = option) for each option, summing to 1; None when the backend cannot tell."""
        ...


def normalised(logits: Sequence[float]) -> list[float]:
    """Softmax over a few options' logits (or log-probabilities): their probabilities, summing to 1."""
    top = max(logits)
    weights = [math.exp(value - top) for value in logits]
    total = sum(weights)
    return [weight / total for weight in weights]


def generate_by_streaming(backend: GenerationBackend, messages: list[ChatMessage], max_new_tokens: int) -> str:
    """`generate` for backends whose natural interface is the stream."""
    return "".join(backend.generate_stream(messages, max_new_tokens))
