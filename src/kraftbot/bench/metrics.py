"""Ranking metrics for one relevant passage per question, with bootstrap confidence intervals.

A question's result is the 1-based rank of its relevant passage, or 0 when it was not retrieved.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

CUTOFF = 10


def hit_at(ranks: np.ndarray, k: int) -> np.ndarray:
    return ((ranks >= 1) & (ranks <= k)).astype(float)


def reciprocal_rank(ranks: np.ndarray, k: int = CUTOFF) -> np.ndarray:
    return np.where((ranks >= 1) & (ranks <= k), 1.0 / np.maximum(ranks, 1), 0.0)


def ndcg(ranks: np.ndarray, k: int = CUTOFF) -> np.ndarray:
    """With one relevant passage the ideal DCG is 1, so nDCG is 1 / log2(rank + 1)."""
    return np.where((ranks >= 1) & (ranks <= k), 1.0 / np.log2(np.maximum(ranks, 1) + 1.0), 0.0)


METRICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "hit@1": lambda r: hit_at(r, 1),
    "hit@5": lambda r: hit_at(r, 5),
    "mrr@10": reciprocal_rank,
    "ndcg@10": ndcg,
}


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float


def bootstrap(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> Estimate:
    """Mean and 95% percentile interval over questions resampled with replacement."""
    if len(values) == 0:
        return Estimate(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(values.mean()), float(low), float(high))


def evaluate(ranks: Sequence[int], seed: int = 0) -> dict[str, Estimate]:
    """Every metric of METRICS for a list of ranks."""
    array = np.asarray(ranks, dtype=float)
    return {name: bootstrap(metric(array), seed=seed) for name, metric in METRICS.items()}


def rank_of(relevant: str, ranking: Sequence[str]) -> int:
    """1-based position of `relevant` among the distinct ids of `ranking`, 0 when absent."""
    distinct = list(dict.fromkeys(ranking))
    return distinct.index(relevant) + 1 if relevant in distinct else 0


def percentiles_ms(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 of timings in seconds, in milliseconds."""
    if not seconds:
        return 0.0, 0.0
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000
