"""Fusion and BM25 arithmetic, checked against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kraftbot.bm25 import BM25Index
from kraftbot.fusion import weighted_rrf, weighted_zscore


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


def test_bm25_scores_match_the_formula() -> None:
    docs = [["ai", "kommun", "ai"], ["kommun"], ["skola", "barn", "lärare", "kommun"]]
    k1, b = 1.2, 0.75
    index = BM25Index(docs, k1=k1, b=b)
    average = (3 + 1 + 4) / 3
    idf_ai = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    expected = idf_ai * 2 * (k1 + 1) / (2 + k1 * (1 - b + b * 3 / average))
    scores = index.scores(["ai"])
    assert scores[0] == pytest.approx(expected, rel=1e-6)
    assert scores[1] == scores[2] == 0.0
    # A term in every document still counts a little; an unknown term counts nothing.
    assert (index.scores(["kommun"]) > 0).all()
    assert not index.scores(["okänd"]).any()


def test_bm25_top_orders_and_skips_zero_scores() -> None:
    index = BM25Index([["a"], ["b", "b"], ["b"], ["c"]])
    scores = index.scores(["b"])
    assert BM25Index.top(scores, 10) == [1, 2]
    assert BM25Index.top(scores, 1) == [1]
    assert BM25Index.top(index.scores(["zzz"]), 5) == []
