"""Map the `[n]` markers in an answer to the sources they name, with a quote from each."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from kraftbot.retrieval import Passage

_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_HEADING = re.compile(r"\s*#{1,6}\s")
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    url: str
    quote: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def cited_numbers(answer: str) -> list[int]:
    """Source numbers in order of first mention: `[1]`, `[1, 3]` and `[2][3]` all count."""
    numbers: list[int] = []
    for group in _MARKER.findall(answer):
        for part in re.split(r"[,;]", group):
            value = int(part)
            if value not in numbers:
                numbers.append(value)
    return numbers


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _is_list_line(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def text_units(text: str) -> list[str]:
    """The claims of a passage, each a verbatim slice of it: sentences, and list blocks.

    Headings are dropped (they state no fact). A list stays one unit together with a lead
    sentence ending in ':' ("Följande uppgifter saknas:"), since the items mean nothing without it.
    Slices are verbatim so that a unit can serve as a citation's quote.
    """
    units: list[str] = []
    spans: list[tuple[int, int]] = []
    for block in _BLOCK.finditer(text):
        lines = [line for line in block.group().splitlines() if line.strip() and not _HEADING.match(line)]
        if not lines:
            continue
        if all(_is_list_line(line) for line in lines):
            start = text.index(lines[0], block.start())
            end = text.index(lines[-1], block.start()) + len(lines[-1])
            if units and units[-1].endswith(":"):
                start = spans.pop()[0]
                units.pop()
            units.append(text[start:end])
            spans.append((start, end))
            continue
        body_start = text.index(lines[0], block.start())
        for sentence in sentences(text[body_start : block.end()]):
            start = text.index(sentence, body_start)
            units.append(sentence)
            spans.append((start, start + len(sentence)))
    return units


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
        citations.append(
            Citation(number, passage.doc_id, passage.title, passage.url, best_quote(passage.text, answer, quote_chars))
        )
    return citations, invalid
