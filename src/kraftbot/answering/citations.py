"""Map the `[n]` markers in an answer to the sources they name, with a quote from each."""

from __future__ import annotations

import re

from kraftbot.text.markers import cited_numbers
from kraftbot.text.sentences import sentences
from kraftbot.values import Citation, Passage

_WORD = re.compile(r"\w+")


def best_quote(passage_text: str, answer: str, limit: int) -> str:
    """The passage sentence sharing most words with the answer, cut to `limit` characters."""
    answer_words = {w.lower() for w in _WORD.findall(answer)}
    candidates = sentences(passage_text) or [passage_text]
    best = max(candidates, key=lambda s: len(answer_words & {w.lower() for w in _WORD.findall(s)}))
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


def map_citations(answer: str, passages: list[Passage], quote_chars: int) -> tuple[list[Citation], list[int]]:
    """Citations for the valid markers, and the numbers that point at no given source."""
    citations: list[Citation] = []
    invalid: list[int] = []
    for number in cited_numbers(answer):
        if not 1 <= number <= len(passages):
            invalid.append(number)
            continue
        passage = passages[number - 1]
        citations.append(Citation.of(number, passage, best_quote(passage.text, answer, quote_chars)))
    return citations, invalid
