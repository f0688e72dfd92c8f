"""The extractive answer: the passage sentences that best match the question, quoted with `[n]`.

Shown when a generated answer fails its check (or when there is no model): it cannot state
anything the sources do not, because it is the sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kraftbot.citations import Citation
from kraftbot.evidence import Evidence, ScoredUnit
from kraftbot.settings import GroundingSettings

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class ExtractiveAnswer:
    text: str
    citations: list[Citation]


def _shown(unit: ScoredUnit) -> str:
    """The unit as quoted: a list item with its lead, without the bullet."""
    text = unit.unit.text
    if unit.unit.kind == "item" and unit.unit.context:
        text = f"{unit.unit.context} {_BULLET.sub('', text)}"
    return text.strip()


def _overlaps(unit: ScoredUnit, chosen: list[ScoredUnit]) -> bool:
    """The same words as a quote already chosen (an item of a chosen list, a chunk overlap)."""
    text = unit.unit.text
    return any(text in other.unit.text or other.unit.text in text for other in chosen)


def select_units(evidence: Evidence, config: GroundingSettings) -> list[ScoredUnit]:
    """Up to `extractive_sentences` units within `extractive_margin` of the best; none if it is weak."""
    # A lead sentence whose list is cut off by the chunk boundary promises what it does not hold.
    candidates = [u for u in evidence.units if not u.absent and not u.unit.text.endswith(":")]
    if not candidates or candidates[0].cosine < config.extractive_min_similarity:
        return []
    best = candidates[0].score
    chosen: list[ScoredUnit] = []
    for unit in candidates:
        if len(chosen) == config.extractive_sentences or unit.score < best - config.extractive_margin:
            break
        if not _overlaps(unit, chosen):
            chosen.append(unit)
    return chosen


def extractive_answer(evidence: Evidence, config: GroundingSettings, quote_chars: int) -> ExtractiveAnswer | None:
    """Quoted sentences with their source numbers (the passages' order), or None when too weak."""
    chosen = select_units(evidence, config)
    if not chosen:
        return None
    parts: list[str] = []
    citations: dict[int, Citation] = {}
    for unit in chosen:
        number = unit.passage + 1
        parts.append(f"{_shown(unit).rstrip('.!?:;, ')} [{number}].")
        if number not in citations:
            passage = evidence.passages[unit.passage]
            quote = unit.unit.text
            quote = quote if len(quote) <= quote_chars else quote[: quote_chars - 1].rstrip() + "…"
            citations[number] = Citation(number, passage.doc_id, passage.title, passage.url, quote)
    return ExtractiveAnswer("\n\n".join(parts), sorted(citations.values(), key=lambda c: c.n))
