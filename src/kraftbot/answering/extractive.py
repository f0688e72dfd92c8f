"""The extractive answer: the passage sentences that best match the question, quoted with `[n]`.

Shown when a generated answer fails its check (or when there is no model): it cannot state
anything the sources do not, because it is the sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kraftbot.answering.evidence import Evidence, ScoredUnit
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import ExtractiveSettings
from kraftbot.text.facts import AMOUNT, DATE, names_in, number_values
from kraftbot.text.lexicon import ASKS
from kraftbot.text.markers import strip_markers
from kraftbot.text.sentences import sentences
from kraftbot.values import Citation

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


def asked_types(question: str) -> set[str]:
    """What kind of fact the question asks for: a date, an amount, a count or a name."""
    return {kind for kind, pattern in ASKS.items() if pattern.search(question)}


def holds(kind: str, text: str, question: str) -> bool:
    """Does the text state a fact of that kind (a name: one the question does not already give)?"""
    if kind == "date":
        return bool(DATE.search(text))
    if kind == "amount":
        return bool(AMOUNT.search(text))
    if kind == "count":
        return bool(number_values(text))
    asked = {name.lower() for name in names_in(question)}
    return any(name.lower() not in asked for name in names_in(text))


def draft_guide(draft: str, evidence: Evidence, similarity: Similarity) -> dict[str, float]:
    """Each unit's cosine with the closest sentence of a model draft that failed its check.

    The draft was not shown, but the model read the sources: the sentences it drew on ("De deltog
    med MAS ... och Högskolan i Halmstad") are often the ones that answer, where the question's
    embedding only finds the topic.
    """
    lines = [plain for plain in (strip_markers(s) for s in sentences(draft)) if plain]
    texts = [unit.unit.full for unit in evidence.units]
    if not lines or not texts:
        return {}
    cosines = similarity.text_vectors(texts) @ similarity.text_vectors(lines).T
    return dict(zip(texts, (float(c) for c in cosines.max(axis=1)), strict=True))


def select_units(
    evidence: Evidence, config: ExtractiveSettings, question: str = "", guide: Mapping[str, float] | None = None
) -> list[ScoredUnit]:
    """Up to `extractive_sentences` units within `extractive_margin` of the best; none if it is weak.

    A unit that holds the kind of fact the question asks for (a date for "när") gains
    `extractive_type_bonus`: the embedder ranks topic, not whether the sentence answers. With a
    `draft_guide`, a unit also gains `extractive_draft_weight` times its cosine with the draft.
    """
    kinds = asked_types(question)
    guide = guide or {}

    def rank(unit: ScoredUnit) -> float:
        bonus = any(holds(kind, unit.unit.full, question) for kind in kinds)
        drawn_on = guide.get(unit.unit.full, 0.0)
        return unit.score + config.type_bonus * bonus + config.draft_weight * drawn_on

    # A lead sentence whose list is cut off by the chunk boundary promises what it does not hold.
    candidates = [u for u in evidence.units if not u.absent and not u.unit.text.endswith(":")]
    if not candidates or max(u.cosine for u in candidates) < config.min_similarity:
        return []
    candidates.sort(key=rank, reverse=True)
    best = rank(candidates[0])
    chosen: list[ScoredUnit] = []
    for unit in candidates:
        if len(chosen) == config.sentences or rank(unit) < best - config.margin:
            break
        if not _overlaps(unit, chosen):
            chosen.append(unit)
    return _merge_items(chosen, evidence)


def _merge_items(chosen: list[ScoredUnit], evidence: Evidence) -> list[ScoredUnit]:
    """Two items of one list are quoted as that list, so its lead is not repeated."""
    merged: list[ScoredUnit] = []
    for unit in chosen:
        whole = next(
            (
                u
                for u in evidence.units
                if u.unit.kind == "list" and u.passage == unit.passage and unit.unit.text in u.unit.text
            ),
            None,
        )
        siblings = [
            other
            for other in chosen
            if other is not unit and other.unit.kind == "item" and whole and other.unit.text in whole.unit.text
        ]
        unit = whole if unit.unit.kind == "item" and whole and siblings else unit
        if not _overlaps(unit, merged):
            merged.append(unit)
    return merged


def _said_in(unit: ScoredUnit, text: str) -> bool:
    """The unit's words already stand in the text (the model quoted it)."""
    words = " ".join(_shown(unit).rstrip(".!?:;, ").split())
    return words in " ".join(strip_markers(text).split())


def extractive_answer(
    evidence: Evidence,
    config: ExtractiveSettings,
    quote_chars: int,
    question: str = "",
    already_said: str = "",
    guide: Mapping[str, float] | None = None,
) -> ExtractiveAnswer | None:
    """Quoted sentences with their source numbers (the passages' order), or None when too weak.

    Sentences that `already_said` (a generated answer they are shown under) contains word for word
    are left out; `guide` is a `draft_guide`.
    """
    chosen = [unit for unit in select_units(evidence, config, question, guide) if not _said_in(unit, already_said)]
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
            citations[number] = Citation.of(number, passage, quote)
    return ExtractiveAnswer("\n\n".join(parts), sorted(citations.values(), key=lambda c: c.n))
