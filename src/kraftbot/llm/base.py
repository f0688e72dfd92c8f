"""The protocol every generation backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str
    content: str


class GenerationBackend(Protocol):
    """Chat-style generation; `generate_stream` yields text pieces as they are produced."""

    name: str
    model_id: str

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str: ...

    def generate_stream(self, messages: list[ChatMessage], max_new_tokens: int) -> Iterator[str]: ...


def generate_by_streaming(backend: GenerationBackend, messages: list[ChatMessage], max_new_tokens: int) -> str:
    """`generate` for backends whose natural interface is the stream."""
    return "".join(backend.generate_stream(messages, max_new_tokens))
