"""The one metrics module: percentiles, bootstrap intervals and ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kraftbot.evaluation.metrics import (
    bootstrap_mean,
    evaluate,
    hit_at,
    ndcg_at,
    percentile,
    percentile_summary,
    percentiles_ms,
    rank_of,
    reciprocal_rank,
)
from kraftbot.evaluation.summary import summarise
from kraftbot.settings import EvaluationSettings

# 0: not retrieved; None: not retrieved (the evaluation's scoring); 11: beyond the @10 cutoff.
RANKS = [1, 3, 0, None, 11, 5]


def test_p95_interpolates_linearly_between_closest_ranks() -> None:
    # Type 7: h = (5 - 1) * 0.95 = 3.8 (0-based), so 4 + 0.8 * (5 - 4); nearest rank would say 5.
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([5, 1, 4, 2, 3], [50, 95, 100]) == pytest.approx([3.0, 4.8, 5.0])
    assert percentile([10.0, 20.0], 25) == pytest.approx(12.5)


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([7.25], [0, 50, 95, 100]) == [7.25, 7.25, 7.25, 7.25]
    assert percentile_summary([7.25]) == {"p50": 7.25, "p95": 7.25, "max": 7.25, "n": 1}


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="percentile of no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="percentile of no values"):
        percentiles_ms([])
    assert percentile_summary([]) is None


def test_latency_percentiles_in_milliseconds() -> None:
    # 20 timings of 1..20 s, shuffled: the median lies between 10 and 11; p95 at 0-based 18.05.
    seconds = [float(n) for n in (7, 20, 1, 14, 3, 18, 9, 12, 5, 16, 2, 19, 11, 6, 15, 4, 13, 8, 17, 10)]
    p50, p95 = percentiles_ms(seconds)
    assert p50 == pytest.approx(10_500.0)
    assert p95 == pytest.approx(19_050.0)


def test_evaluation_summary_uses_the_same_percentiles() -> None:
    results = [{"id": f"q{i}", "answerable": True, "scores": {}, "timings": {"total_s": float(i)}} for i in range(1, 6)]
    latency = summarise(results, EvaluationSettings(bootstrap_samples=100), {"problems": []})["latency"]
    assert latency["total_s"] == {"p50": 3.0, "p95": pytest.approx(4.8), "max": 5.0, "n": 5}
    assert latency["ttft_s"] is None


def test_hit_at_k_counts_ranks_up_to_k() -> None:
    assert hit_at(RANKS, 1).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert hit_at(RANKS, 5).tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert hit_at([10, 11], 10).tolist() == [1.0, 0.0]  # the cutoff is inclusive


def test_reciprocal_rank_is_zero_for_a_miss_or_beyond_k() -> None:
    assert reciprocal_rank(RANKS).tolist() == pytest.approx([1.0, 1 / 3, 0.0, 0.0, 0.0, 1 / 5])
    assert reciprocal_rank([4], k=3).tolist() == [0.0]
    assert reciprocal_rank(RANKS).mean() == pytest.approx((1 + 1 / 3 + 1 / 5) / 6)  # MRR@10


def test_ndcg_with_one_relevant_document() -> None:
    # Ideal DCG is 1 (relevant document first), so nDCG = 1 / log2(rank + 1): rank 3 gives exactly 0.5.
    expected = [1.0, 0.5, 0.0, 0.0, 0.0, 1 / math.log2(6)]
    assert ndcg_at(RANKS).tolist() == pytest.approx(expected)
    assert ndcg_at([3], k=2).tolist() == [0.0]
    assert ndcg_at([2]).tolist() == pytest.approx([1 / math.log2(3)])


def test_rank_of_counts_distinct_documents() -> None:
    # Two chunks of doc a come first: b is the second distinct document, not the third passage.
    assert rank_of("b", ["a", "a", "b", "c"]) == 2
    assert rank_of("a", ["a"]) == 1
    assert rank_of("z", ["a", "b"]) == 0
    ranks = [rank_of("b", ["a", "a", "b"]), rank_of("z", ["a"])]
    assert reciprocal_rank(ranks).tolist() == [0.5, 0.0]


def test_evaluate_a_hand_made_ranking() -> None:
    ranks = [1, 3, 0, 11, 5]
    result = evaluate(ranks)
    assert {name: e.value for name, e in result.items()} == pytest.approx(
        {
            "hit@1": 1 / 5,
            "hit@5": 3 / 5,
            "mrr@10": (1 + 1 / 3 + 1 / 5) / 5,
            "ndcg@10": (1 + 1 / math.log2(4) + 1 / math.log2(6)) / 5,
        }
    )
    assert all(e.n == 5 and e.low <= e.value <= e.high for e in result.values())
    with pytest.raises(ValueError, match="no ranks to evaluate"):
        evaluate([])


def test_evaluate_perfect_ranking_gives_degenerate_intervals() -> None:
    for estimate in evaluate([1] * 12).values():
        assert estimate.value == estimate.low == estimate.high == 1.0


def test_interval_brackets_the_mean_and_is_reproducible() -> None:
    values = [1.0] * 30 + [0.0] * 20
    first = bootstrap_mean(values, seed=3)
    assert first is not None
    assert first.value == 0.6 and first.n == 50
    assert first.low < first.value < first.high
    assert bootstrap_mean(values, seed=3) == first
    assert bootstrap_mean(np.asarray(values), seed=3) == first
    spread = [i / 49 for i in range(50)]  # continuous values: another seed moves the interval
    assert bootstrap_mean(spread, seed=3) == bootstrap_mean(spread, seed=3) != bootstrap_mean(spread, seed=4)


def test_interval_width_matches_the_binomial_standard_error() -> None:
    estimate = bootstrap_mean([1.0, 0.0] * 50)
    assert estimate is not None
    # 95% normal interval for p = 0.5, n = 100: +-1.96 * 0.05 = +-0.098
    assert 0.16 < estimate.high - estimate.low < 0.24


def test_fewer_questions_or_more_confidence_give_a_wider_interval() -> None:
    small, large = bootstrap_mean([1.0, 0.0] * 5), bootstrap_mean([1.0, 0.0] * 100)
    assert small is not None and large is not None
    assert small.high - small.low > 2 * (large.high - large.low)
    narrow, wide = bootstrap_mean([1.0, 0.0] * 20, confidence=0.5), bootstrap_mean([1.0, 0.0] * 20, confidence=0.99)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low < narrow.high < wide.high


def test_constant_values_and_empty_input() -> None:
    constant = bootstrap_mean([1.0] * 8)
    assert constant is not None and constant.low == constant.high == constant.value == 1.0
    assert bootstrap_mean([]) is None
