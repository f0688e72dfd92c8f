"""Cosine similarity of questions and answer sentences to passage sentences, with an embedding cache.

The gate, the answer check and the extractive answer all compare short texts with the sentences of
the retrieved passages. Those sentences recur from question to question, so their vectors are
cached; a question costs one query embedding plus the sentences not seen before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """What the answer stages need of an embedder (llama-index's `BaseEmbedding` has both)."""

    def get_query_embedding(self, query: str) -> list[float]: ...

    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False) -> list[list[float]]: ...


class Similarity:
    """Query-to-text and text-to-text cosines from one embedder (e5: query/passage prefixes differ)."""

    def __init__(self, embedder: Embedder, cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()

    def _unit(self, vector: Sequence[float]) -> np.ndarray:
        array = np.asarray(vector, dtype=np.float32)
        return array / (float(np.linalg.norm(array)) or 1.0)

    def text_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts (as passages), from the cache where seen before.

        The least recently used entries are evicted only after the answer is assembled, so a call
        with more texts than the cache holds still gets every vector.
        """
        new = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if new:
            for text, vector in zip(new, self.embedder.get_text_embedding_batch(new), strict=True):
                self._texts[text] = self._unit(vector)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectors = np.stack([self._texts[t] for t in texts])
        for text in dict.fromkeys(texts):
            self._texts.move_to_end(text)
        while len(self._texts) > self.cache_size:
            self._texts.popitem(last=False)
        return vectors

    def query_vector(self, question: str) -> np.ndarray:
        return self._unit(self.embedder.get_query_embedding(question))

    def to_question(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """Cosine of each text (as a passage) with the question (as a query)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return self.text_vectors(texts) @ self.query_vector(question)

    def between(self, text: str, texts: Sequence[str]) -> np.ndarray:
        """Cosine of each text with one text, both embedded as passages."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        vectors = self.text_vectors([text, *texts])
        return vectors[1:] @ vectors[0]
