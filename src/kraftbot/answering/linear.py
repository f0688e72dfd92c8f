"""A logistic model over named features: fitted on the dev set by `kraftbot tune`, read at answer time.

KraftBot's decisions (which sentence answers, whether to answer at all) combine a handful of
signals whose scales differ (cosines near 0.9, term shares, the model's yes-probability). Hand
thresholds on each signal were tuned on the questions they were looked at with, and did not carry
over to new ones; one logistic model per decision, fitted with cross-validation, weighs them
together and says how sure it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def _sigmoid(values: Matrix) -> Matrix:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))


@dataclass(frozen=True)
class LinearModel:
    """P(label) = sigmoid(bias + sum of weight x feature), features in `names` order."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, features: Mapping[str, float]) -> float:
        return float(self.probabilities(np.asarray([[features[name] for name in self.names]]))[0])

    def probabilities(self, matrix: Matrix) -> Matrix:
        """One probability per row of a matrix whose columns are the features in `names` order."""
        return _sigmoid(matrix @ np.asarray(self.weights) + self.bias)

    @classmethod
    def fit(
        cls, names: Sequence[str], matrix: Matrix, labels: Sequence[bool], l2: float = 1.0, balanced: bool = False
    ) -> LinearModel:
        """Maximum likelihood with an L2 penalty on standardised features (Newton's method).

        Features are standardised for the fit, so that the penalty treats a cosine and a share
        alike, and the weights are mapped back to the raw features. `balanced` weighs each class
        by the inverse of its size, so that the rarer one (unanswerable questions) counts as much.
        """
        x = np.asarray(matrix, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        positives = max(float(y.sum()), 1.0)
        negatives = max(float(len(y) - y.sum()), 1.0)
        sample = np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * negatives)) if balanced else np.ones(len(y))
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
        beta = np.zeros(z.shape[1])
        penalty = np.diag([0.0] + [l2] * (z.shape[1] - 1))
        for _ in range(100):
            p = _sigmoid(z @ beta)
            gradient = z.T @ (sample * (p - y)) + penalty @ beta
            hessian = z.T @ (z * (sample * p * (1 - p))[:, None]) + penalty
            step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
            beta -= step
            if np.max(np.abs(step)) < 1e-8:
                break
        weights = beta[1:] / scale
        bias = beta[0] - float(np.sum(beta[1:] * mean / scale))
        return cls(tuple(names), tuple(float(w) for w in weights), float(bias))

    def to_dict(self) -> dict[str, Any]:
        return {"bias": self.bias, "weights": dict(zip(self.names, self.weights, strict=True))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearModel:
        weights: Mapping[str, float] = data["weights"]
        return cls(tuple(weights), tuple(float(w) for w in weights.values()), float(data["bias"]))
