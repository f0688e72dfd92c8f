"""Options' logits made probabilities: what `option_probabilities` of every backend returns."""

from __future__ import annotations

import math

import pytest

from kraftbot.llm.base import normalised


def test_the_options_probabilities_sum_to_one_in_the_options_order() -> None:
    probabilities = normalised([2.0, 0.0, -1.0])
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities[0] > probabilities[1] > probabilities[2]
    assert probabilities[0] / probabilities[1] == pytest.approx(math.e**2)


def test_log_probabilities_come_back_as_the_probabilities_they_are_renormalised() -> None:
    assert normalised([math.log(0.2), math.log(0.6)]) == pytest.approx([0.25, 0.75])


def test_only_the_differences_between_logits_count_and_large_ones_do_not_overflow() -> None:
    assert normalised([1001.0, 1000.0]) == pytest.approx(normalised([1.0, 0.0]))
    assert normalised([5000.0, -5000.0]) == pytest.approx([1.0, 0.0])
    assert normalised([3.0, 3.0]) == [0.5, 0.5]
