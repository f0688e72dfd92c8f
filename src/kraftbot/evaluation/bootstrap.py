"""Percentile bootstrap intervals: with 8 to 100 questions, a point estimate alone misleads.

A difference between two runs means little when their intervals overlap widely (DESIGN.md: about
+-6.5 points on hit@1 with 219 questions, so more with fewer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A mean with its bootstrap interval over `n` values."""

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bootstrap_mean(
    values: Sequence[float], samples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> Estimate | None:
    """Mean of the values with a percentile interval from `samples` resamples; None when empty.

    The seed is fixed so that rerunning the summary of the same results gives the same interval.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return Estimate(float(data.mean()), float(low), float(high), int(data.size))
