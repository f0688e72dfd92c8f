"""Fusion of several methods' results for the same question into one ranking.

Dense and BM25 scores live on unrelated scales. Two remedies: reciprocal rank fusion uses only
ranks (a passage at rank r, from 1, of a ranking with weight w earns w / (k + r)); z-score fusion
standardises each method's scores over the candidates and adds them with weights, keeping how
clearly a passage wins. On SweFAQ dev the z-score fusion ranked better (eval/reports).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)


def weighted_rrf(rankings: Sequence[tuple[Sequence[Key], float]], k: int) -> list[tuple[Key, float]]:
    """Fuse `(ranking, weight)` pairs; best first, ties kept in first-seen order.

    Scores are divided by the best possible score (first in every ranking), so a fused score of 1.0
    means "ranked first by every method" and the scale does not depend on k or the weights.
    """
    best = sum(weight for _, weight in rankings) / (k + 1)
    fused: dict[Key, float] = {}
    for ranking, weight in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    ordered = sorted(fused.items(), key=lambda item: -item[1])
    return [(key, score / best if best > 0 else 0.0) for key, score in ordered]


def weighted_zscore(scores: Sequence[tuple[Mapping[Key, float], float]]) -> list[tuple[Key, float]]:
    """Fuse `(scores, weight)` pairs by the weighted sum of each method's z-scores; best first.

    Every mapping scores the same candidates (the union of all methods' candidates). A z-score says
    how far a candidate stands out among this question's candidates for that method, which puts a
    cosine similarity and an unbounded BM25 score on one scale without the ranks' loss of margins.
    The fused score is relative to one question's candidates; it is not comparable across questions.
    """
    keys = list(scores[0][0]) if scores else []
    fused = np.zeros(len(keys))
    for mapping, weight in scores:
        values = np.array([mapping[key] for key in keys], dtype=float)
        spread = values.std()
        if spread > 0:
            fused += weight * (values - values.mean()) / spread
    order = np.argsort(-fused, kind="stable")
    return [(keys[i], float(fused[i])) for i in order]
