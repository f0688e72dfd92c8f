"""Map the `[n]` markers in an answer to the sources they name, with a quote from each."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from kraftbot.retrieval import Passage, page_label

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
    # The cited chunk in the index, so that the evaluation judges the answer against the very text
    # it was given (a quote can recur in two overlapping chunks).
    node_id: str = ""
    # The page as a PDF prints it, so a reader can find the quote in a long report; "" without pages.
    page: str = ""

    @classmethod
    def of(cls, number: int, passage: Passage, quote: str) -> Citation:
        """Source `number` of an answer: the passage's document, its chunk and page, and the quote."""
        return cls(number, passage.doc_id, passage.title, passage.url, quote, passage.node_id, passage.page)

    @property
    def label(self) -> str:
        """The title as shown to a reader, with the page where there is one."""
        return page_label(self.title, self.page)

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


def strip_markers(text: str) -> str:
    """The text without its `[n]` markers."""
    return re.sub(r"[ \t]+", " ", _MARKER.sub("", text)).replace(" .", ".").strip()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@dataclass(frozen=True)
class Unit:
    """One claim of a passage: a sentence, a list item, or a whole list.

    `text` is a verbatim slice of the passage, so it can serve as a citation's quote. `context` is
    the lead sentence or heading a list belongs to ("Följande uppgifter saknas:"): list items mean
    little without it.
    """

    text: str
    kind: str  # "sentence", "item" or "list"
    context: str = ""

    @property
    def full(self) -> str:
        """The unit with its context, for embedding and for quoting a list item."""
        return f"{self.context} {self.text}" if self.context and self.kind == "item" else self.text


def text_units(text: str) -> list[Unit]:
    """The claims of a passage: its sentences, its list items and each list as a whole."""
    units: list[Unit] = []
    heading = ""
    for block in _BLOCK.finditer(text):
        lines = block.group().splitlines()
        kept = []
        for line in lines:
            if _HEADING.match(line):
                heading = _HEADING.sub("", line).strip()
            elif line.strip():
                kept.append(line)
        if not kept:
            continue
        if all(_LIST_ITEM.match(line) for line in kept):
            lead_unit = units[-1] if units and units[-1].kind == "sentence" and units[-1].text.endswith(":") else None
            context = lead_unit.text if lead_unit else heading
            start = text.rindex(lead_unit.text, 0, block.start()) if lead_unit else text.index(kept[0], block.start())
            end = text.index(kept[-1], block.start()) + len(kept[-1])
            if lead_unit:
                units.pop()
            units.append(Unit(text[start:end], "list", context))
            units.extend(Unit(line.strip(), "item", context) for line in kept)
            continue
        body = text[text.index(kept[0], block.start()) : block.end()]
        units.extend(Unit(sentence, "sentence") for sentence in sentences(body))
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
        citations.append(Citation.of(number, passage, best_quote(passage.text, answer, quote_chars)))
    return citations, invalid
