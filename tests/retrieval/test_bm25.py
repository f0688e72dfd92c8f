"""BM25 arithmetic, checked against the formula by hand."""

from __future__ import annotations

import math

import pytest

from kraftbot.retrieval.bm25 import BM25Index


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
