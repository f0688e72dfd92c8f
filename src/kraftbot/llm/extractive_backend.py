"""The `extractive` backend: no model at all.

It generates no text, so every answer takes the checked path's fallback: the best-matching source
sentences quoted with their citations, or a refusal. Useful where no model can run, and as the
floor that the generated answers must beat.
"""

from __future__ import annotations

from collections.abc import Iterator

from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage


class ExtractiveBackend:
    name = "extractive"
    model_id = "none"

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        return iter(())

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return ""
