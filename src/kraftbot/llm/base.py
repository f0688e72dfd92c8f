"""The protocol every generation backend implements, and the output form a backend may be held to."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str
    content: str


# What a writer that finds no answer in its evidence writes instead of sentences.
NO_ANSWER = "INGET_SVAR"


@dataclass(frozen=True)
class OutputForm:
    """The form an answer must take: 1 to `max_sentences` sentences, each ending in ` [n].` with n one of
    the `sources` evidence numbers, or `NO_ANSWER` alone. Backends that can constrain decoding use
    `gbnf` (llama.cpp) or `regex` (vLLM, transformers); the prose inside a sentence is left free."""

    sources: int
    max_sentences: int
    # True: the whole output is held to the form (a grammar or regex, which llama.cpp applies to the
    # whole vocabulary at every token); False: only the citation numbers are (a cheap mask).
    whole: bool = False

    def _numbers(self) -> list[str]:
        return [str(n) for n in range(1, self.sources + 1)]

    def gbnf(self) -> str:
        numbers = " | ".join(f'"{n}"' for n in self._numbers())
        more = " ".join(["(\" \" sentence)?"] * (self.max_sentences - 1))
        return "\n".join(
            [
                f'root ::= "{NO_ANSWER}" | sentence {more}'.rstrip(),
                'sentence ::= [A-ZÅÄÖÉa-zåäöé0-9"”(] text " [" number "]."',
                "text ::= [^\\[\\]\\n]+",
                f"number ::= {numbers}",
            ]
        )

    def regex(self) -> str:
        numbers = "|".join(self._numbers())
        sentence = rf"[A-ZÅÄÖÉa-zåäöé0-9\"”(][^\[\]\n]{{1,400}} \[(?:{numbers})\]\."
        return rf"{NO_ANSWER}|{sentence}(?: {sentence}){{0,{self.max_sentences - 1}}}"


@dataclass
class TokenUsage:
    """Tokens one generation read and wrote; the backend fills it in as it goes."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class GenerationBackend(Protocol):
    """Chat-style generation; `generate_stream` yields text pieces as they are produced, held to `form`
    where the backend can constrain decoding (else free: the caller checks the text anyway), counting
    into `usage` when given. A caller that stops iterating stops the generation.

    `option_probabilities` is the reading KraftBot relies on: how likely each of a few one-token
    replies ("Ja", "Nej") is as the model's first token, normalised over those options. A small
    model judges one sentence against a question far more reliably than it writes an answer.
    """

    name: str
    model_id: str

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str: ...

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]: ...

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
