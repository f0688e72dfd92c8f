"""The answer an applicant reads: the chosen source claims, quoted, each with its source number.

The claims are the sources' own sentences, so the answer cannot state anything they do not; the
corpus states each fact in one self-contained sentence, so the quote is itself a direct answer.
Sources are numbered in the order the answer cites them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kraftbot.answering.evidence import Candidate
from kraftbot.values import Citation

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_END = re.compile(r"^(.*?)([.!?:;…]*)$", re.DOTALL)


def shown(candidate: Candidate) -> str:
    """The claim as quoted: a list item with its lead sentence or heading, without the bullet."""
    unit = candidate.unit
    text = unit.text
    if unit.kind == "item" and unit.context:
        text = f"{unit.context} {_BULLET.sub('', text)}"
    return " ".join(text.split())


def cite(text: str, number: int) -> str:
    """The text with `[number]` before its closing punctuation ("… kronor [1].")."""
    body, end = _END.match(text.strip()).groups()  # type: ignore[union-attr]
    return f"{body.rstrip()} [{number}]{end or '.'}"


def quote(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compose(chosen: Sequence[Candidate], quote_chars: int) -> tuple[str, list[Citation]]:
    """The lead (the claims in order, each cited) and one citation per cited passage."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    sentences = []
    for candidate in chosen:
        passage = candidate.passage
        if passage.node_id not in numbers:
            numbers[passage.node_id] = len(numbers) + 1
            citations.append(Citation.of(numbers[passage.node_id], passage, quote(shown(candidate), quote_chars)))
        sentences.append(cite(shown(candidate), numbers[passage.node_id]))
    return " ".join(sentences), citations
