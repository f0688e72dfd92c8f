"""Split text into sentences, and a passage into its claims (sentences, list items, lists).

The split is deliberately simple (after `.`, `!` or `?` and white space): the corpus is edited
Swedish prose, and the same split serves the check, the gate and the evaluation, so they agree.
"""

from __future__ import annotations

import re

from kraftbot.values import Unit

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_HEADING = re.compile(r"\s*#{1,6}\s")
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, empty ones left out."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def text_units(text: str, section: str = "") -> list[Unit]:
    """The claims of a passage: its sentences, its list items and each list as a whole.

    `section` is the heading the passage stands under; a heading inside the text takes over from it
    for the claims below it.
    """
    units: list[Unit] = []
    heading = section
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
            units.append(Unit(text[start:end], "list", context, heading, first=not units))
            units.extend(Unit(line.strip(), "item", context, heading) for line in kept)
            continue
        body = text[text.index(kept[0], block.start()) : block.end()]
        opens = not units
        units.extend(
            Unit(sentence, "sentence", section=heading, first=opens and number == 0)
            for number, sentence in enumerate(sentences(body))
        )
    return units
