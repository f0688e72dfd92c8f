"""Bootstrap intervals: reproducible, honest about sample size."""

from __future__ import annotations

from kraftbot.evaluation.bootstrap import bootstrap_mean


def test_interval_brackets_the_mean_and_is_reproducible() -> None:
    values = [1.0] * 30 + [0.0] * 20
    first = bootstrap_mean(values, seed=3)
    assert first is not None
    assert first.value == 0.6 and first.n == 50
    assert first.low < first.value < first.high
    assert bootstrap_mean(values, seed=3) == first


def test_interval_width_matches_the_binomial_standard_error() -> None:
    estimate = bootstrap_mean([1.0, 0.0] * 50)
    assert estimate is not None
    # 95% normal interval for p = 0.5, n = 100: +-1.96 * 0.05 = +-0.098
    assert 0.16 < estimate.high - estimate.low < 0.24


def test_fewer_questions_give_a_wider_interval() -> None:
    small, large = bootstrap_mean([1.0, 0.0] * 5), bootstrap_mean([1.0, 0.0] * 100)
    assert small is not None and large is not None
    assert small.high - small.low > 2 * (large.high - large.low)


def test_constant_values_and_empty_input() -> None:
    constant = bootstrap_mean([1.0] * 8)
    assert constant is not None and constant.low == constant.high == 1.0
    assert bootstrap_mean([]) is None
