"""Fusion arithmetic (weighted reciprocal rank, weighted z-scores), checked against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from kraftbot.retrieval.fusion import weighted_rrf, weighted_zscore


def test_weighted_rrf_matches_hand_computation() -> None:
    fused = dict(weighted_rrf([(["a", "b", "c"], 1.0), (["c", "a"], 0.5)], k=10))
    best = 1.5 / 11
    assert fused["a"] == pytest.approx((1 / 11 + 0.5 / 12) / best)
    assert fused["b"] == pytest.approx((1 / 12) / best)
    assert fused["c"] == pytest.approx((1 / 13 + 0.5 / 11) / best)
    assert [key for key, _ in weighted_rrf([(["a", "b"], 1.0), (["a", "b"], 1.0)], k=60)] == ["a", "b"]
    assert weighted_rrf([(["a"], 1.0), (["a"], 2.0)], k=5)[0][1] == pytest.approx(1.0)


def test_weight_decides_between_two_rankings() -> None:
    dense, keyword = ["x", "y"], ["y", "x"]
    assert weighted_rrf([(dense, 1.0), (keyword, 0.5)], k=1)[0][0] == "x"
    assert weighted_rrf([(dense, 0.5), (keyword, 1.0)], k=1)[0][0] == "y"


def test_weighted_zscore_matches_hand_computation() -> None:
    dense = {"a": 0.9, "b": 0.8, "c": 0.7}
    keyword = {"a": 0.0, "b": 0.0, "c": 9.0}
    fused = dict(weighted_zscore([(dense, 1.0), (keyword, 0.5)]))
    z_dense = (np.array([0.9, 0.8, 0.7]) - 0.8) / np.std([0.9, 0.8, 0.7])
    z_keyword = (np.array([0.0, 0.0, 9.0]) - 3.0) / np.std([0.0, 0.0, 9.0])
    for key, expected in zip("abc", z_dense + 0.5 * z_keyword, strict=True):
        assert fused[key] == pytest.approx(expected)
    # A keyword outlier overtakes the dense winner only when its weight is large enough.
    assert weighted_zscore([(dense, 1.0), (keyword, 0.5)])[0][0] == "a"
    assert weighted_zscore([(dense, 1.0), (keyword, 2.0)])[0][0] == "c"


def test_weighted_zscore_ignores_a_method_without_spread() -> None:
    fused = weighted_zscore([({"a": 0.2, "b": 0.1}, 1.0), ({"a": 0.0, "b": 0.0}, 5.0)])
    assert [key for key, _ in fused] == ["a", "b"]
    assert fused[0][1] == pytest.approx(1.0)
