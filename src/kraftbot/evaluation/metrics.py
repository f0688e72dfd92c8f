"""The project's one metrics module: bootstrap intervals, percentiles and ranking metrics.

The evaluation harness (`kraftbot eval`) and every benchmark (`kraftbot bench ...`,
`scripts/model_size_cost.py`) compute their numbers here, so one name means one definition
everywhere in the reports.

- Intervals: percentile bootstrap of the mean. With 8 to 100 questions a point estimate alone
  misleads: a difference between two runs means little when their intervals overlap widely
  (DESIGN.md: about +-6.5 points on hit@1 with 219 questions, so more with fewer).
- Percentiles: linear interpolation between the closest ranks (Hyndman & Fan type 7, numpy's
  and R's default). p95 of 1, 2, 3, 4, 5 is 4.8, not the nearest-rank 5.
- Ranking: hit@k, MRR@k and nDCG@k of the 1-based rank of the relevant document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

CUTOFF = 10
"""Retrieval depth of the @10 metrics: a relevant document ranked below it counts as missed."""

PERCENTILE_DEFINITION = "linear interpolation between the closest ranks (Hyndman & Fan type 7, numpy's default)"
"""How every percentile of the project is computed, in words for reports."""


@dataclass(frozen=True)
class Estimate:
    """A mean with its bootstrap interval over `n` values."""

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentile(values: Sequence[float] | np.ndarray, q: float | Sequence[float]) -> float | list[float]:
    """The q-th percentile (0-100) of `values`; a list of them when `q` is a sequence.

    Definition (Hyndman & Fan type 7, numpy's default `method="linear"`): with the n values
    sorted as x_1 <= ... <= x_n, h = (n - 1) * q / 100 + 1 and the percentile is
    x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h)), the linear interpolation between
    the two closest ranks. p95 of 1..5 is 4.8; one value is every percentile of itself.
    Raises ValueError when `values` is empty.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("percentile of no values")
    result = np.percentile(data, q, method="linear")
    return [float(v) for v in result] if np.ndim(result) else float(result)


def percentile_summary(values: Sequence[float]) -> dict[str, float | int] | None:
    """p50, p95 (see `percentile`), max and count of the values, in their own unit; None when empty."""
    if len(values) == 0:
        return None
    p50, p95 = percentile(values, [50, 95])
    return {"p50": p50, "p95": p95, "max": float(max(values)), "n": len(values)}


def percentiles_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 (see `percentile`) of timings in seconds, in milliseconds.

    Raises ValueError when there are no timings: a latency of nothing is not 0 ms.
    """
    p50, p95 = percentile(seconds, [50, 95])
    return p50 * 1000, p95 * 1000


def bootstrap_mean(
    values: Sequence[float] | np.ndarray, samples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Estimate | None:
    """Mean of the values with a percentile interval from `samples` resamples; None when empty.

    Each resample draws len(values) values with replacement (numpy's `default_rng(seed)`); the
    interval runs between the (1 - confidence) / 2 and (1 + confidence) / 2 percentiles (see
    `percentile`) of the resampled means. The seed is fixed so that rerunning the summary of the
    same results gives the same interval. Constant values give the degenerate interval [c, c].
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = percentile(means, [tail, 100.0 - tail])
    return Estimate(float(data.mean()), low, high, int(data.size))


def _ranks(ranks: Sequence[int | None] | np.ndarray) -> np.ndarray:
    """Ranks as floats; a miss (0 or None) becomes NaN, which no cutoff admits and numpy divides quietly."""
    data = np.asarray(ranks, dtype=float)
    return np.where(data >= 1, data, np.nan)


def _found(ranks: np.ndarray, k: int) -> np.ndarray:
    return (ranks >= 1) & (ranks <= k)  # NaN compares False: a miss is never found


def hit_at(ranks: Sequence[int | None] | np.ndarray, k: int) -> np.ndarray:
    """Per question: 1.0 when the relevant document's 1-based rank is at most k, else 0.0.

    A rank of 0 or None means not retrieved. hit@k of a run is the mean of these.
    """
    return _found(_ranks(ranks), k).astype(float)


def reciprocal_rank(ranks: Sequence[int | None] | np.ndarray, k: int = CUTOFF) -> np.ndarray:
    """Per question: 1 / rank when the relevant document's rank is at most k, else 0.0.

    MRR@k (mean reciprocal rank) of a run is the mean of these; rank 0 or None is a miss.
    """
    data = _ranks(ranks)
    return np.where(_found(data, k), 1.0 / data, 0.0)


def ndcg_at(ranks: Sequence[int | None] | np.ndarray, k: int = CUTOFF) -> np.ndarray:
    """Per question: nDCG@k with binary relevance and one relevant document.

    DCG@k = sum over positions i <= k of rel_i / log2(i + 1), rel_i 1 for the relevant document
    and 0 otherwise, so DCG@k = 1 / log2(rank + 1) when rank <= k, else 0. The ideal ranking puts
    it first, so the ideal DCG is 1 and nDCG@k equals DCG@k: 1.0 at rank 1, 0.5 at rank 3, 0.0 for
    a miss (rank 0 or None, or beyond k). nDCG@k of a run is the mean of these.
    """
    data = _ranks(ranks)
    return np.where(_found(data, k), 1.0 / np.log2(data + 1.0), 0.0)


METRICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "hit@1": lambda r: hit_at(r, 1),
    "hit@5": lambda r: hit_at(r, 5),
    "mrr@10": lambda r: reciprocal_rank(r, CUTOFF),
    "ndcg@10": lambda r: ndcg_at(r, CUTOFF),
}
"""The retrieval benchmark's metrics, by report name, as per-question values of a list of ranks."""


def rank_of(relevant: str, ranking: Sequence[str]) -> int:
    """1-based position of `relevant` among the distinct ids of `ranking`, 0 when absent.

    Repeated ids (several chunks of one document) count once, at their first position.
    """
    distinct = list(dict.fromkeys(ranking))
    return distinct.index(relevant) + 1 if relevant in distinct else 0


def evaluate(ranks: Sequence[int], samples: int = 2000, confidence: float = 0.95, seed: int = 0) -> dict[str, Estimate]:
    """Every metric of METRICS for a list of ranks, each with its bootstrap interval.

    All metrics use the same seed, so they are resampled over the same questions. Raises
    ValueError on an empty list: there is nothing to estimate.
    """
    if len(ranks) == 0:
        raise ValueError("no ranks to evaluate")
    array = np.asarray(ranks, dtype=float)
    estimates = {name: bootstrap_mean(metric(array), samples, confidence, seed) for name, metric in METRICS.items()}
    return {name: estimate for name, estimate in estimates.items() if estimate is not None}
