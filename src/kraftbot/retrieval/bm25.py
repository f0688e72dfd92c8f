"""Okapi BM25 over analysed passages, built in memory when an index is loaded.

Building takes well under a second for thousands of chunks, so nothing is persisted: the keyword
index can never disagree with the vector index it was built beside. Each posting stores its
finished BM25 weight, so scoring a question is one vector addition per query term.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np


class BM25Index:
    """Keyword scores of every document for a list of query terms."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.array([len(terms) for terms in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        norms = k1 * (1.0 - b + b * lengths / average)
        docs_of: dict[str, list[int]] = defaultdict(list)
        freqs_of: dict[str, list[int]] = defaultdict(list)
        for position, terms in enumerate(documents):
            for term, freq in Counter(terms).items():
                docs_of[term].append(position)
                freqs_of[term].append(freq)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, positions in docs_of.items():
            idx = np.array(positions, dtype=np.int64)
            tf = np.array(freqs_of[term], dtype=np.float32)
            weight = self.idf(len(positions)) * tf * (k1 + 1.0) / (tf + norms[idx])
            self._postings[term] = (idx, weight.astype(np.float32))

    def idf(self, document_frequency: int) -> float:
        """Lucene's non-negative BM25 idf."""
        return math.log(1.0 + (self.size - document_frequency + 0.5) / (document_frequency + 0.5))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (0 where no query term occurs)."""
        total = np.zeros(self.size, dtype=np.float32)
        for term in query_terms:
            posting = self._postings.get(term)
            if posting is not None:
                total[posting[0]] += posting[1]
        return total

    @staticmethod
    def top(scores: np.ndarray, n: int) -> list[int]:
        """Positions of the `n` best positive scores, best first."""
        n = min(n, int(np.count_nonzero(scores > 0)))
        if n == 0:
            return []
        best = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in best[np.argsort(-scores[best], kind="stable")]]
