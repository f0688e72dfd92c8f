"""Weighted reciprocal rank fusion of several rankings of the same passages.

Dense and BM25 scores live on unrelated scales; ranks do not. A passage at rank r (from 1) of a
ranking with weight w earns w / (k + r); a larger k flattens the difference between top ranks.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

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
