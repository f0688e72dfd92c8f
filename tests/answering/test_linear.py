"""The logistic model behind the ranking and the decision: fitting recovers known weights, balancing
favours the rarer class, and the JSON form reads back as the same model."""

from __future__ import annotations

import numpy as np
import pytest

from kraftbot.answering.linear import LinearModel, Matrix

NAMES = ("signal", "against", "noise")
TRUE_WEIGHTS = np.array([2.0, -3.0, 0.0])


def synthetic(count: int, bias: float, seed: int = 0) -> tuple[Matrix, list[bool]]:
    """Features on different scales, labels drawn from a logistic model with `TRUE_WEIGHTS`."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(count, 3)) * np.array([1.0, 0.5, 3.0]) + np.array([0.0, 1.0, 5.0])
    logits = features @ TRUE_WEIGHTS + bias - TRUE_WEIGHTS @ np.array([0.0, 1.0, 5.0])
    return features, list(rng.random(count) < 1 / (1 + np.exp(-logits)))


def test_fitting_recovers_the_signs_and_order_of_known_weights() -> None:
    features, labels = synthetic(4000, bias=0.0)
    fitted = LinearModel.fit(NAMES, features, labels, l2=1.0)
    signal, against, noise = fitted.weights
    assert signal > 0 > against and abs(noise) < 0.1
    assert signal == pytest.approx(2.0, rel=0.2) and against == pytest.approx(-3.0, rel=0.2)
    assert fitted.names == NAMES


def test_a_strong_penalty_shrinks_the_weights() -> None:
    features, labels = synthetic(500, bias=0.0)
    loose = LinearModel.fit(NAMES, features, labels, l2=0.01)
    tight = LinearModel.fit(NAMES, features, labels, l2=1000.0)
    assert abs(tight.weights[0]) < abs(loose.weights[0]) and abs(tight.weights[1]) < abs(loose.weights[1])


def test_balanced_classes_move_the_decision_towards_the_rarer_class() -> None:
    features, labels = synthetic(3000, bias=-3.0)
    share = np.mean(labels)
    assert share < 0.2, "positives are the rare class"
    plain = LinearModel.fit(NAMES, features, labels)
    balanced = LinearModel.fit(NAMES, features, labels, balanced=True)
    assert np.mean(balanced.probabilities(features) > 0.5) > np.mean(plain.probabilities(features) > 0.5)
    assert balanced.bias > plain.bias
    assert np.sign(balanced.weights[0]) == np.sign(plain.weights[0]), "balancing moves the cut, not the direction"


def test_a_constant_feature_gets_no_weight() -> None:
    features, labels = synthetic(300, bias=0.0)
    features[:, 2] = 1.0
    fitted = LinearModel.fit(NAMES, features, labels)
    assert fitted.weights[2] == 0.0 and np.all(np.isfinite(fitted.weights))


def test_named_features_and_matrix_columns_give_the_same_probability() -> None:
    model = LinearModel(NAMES, (2.0, -3.0, 0.5), 0.25)
    row = {"noise": 1.0, "signal": 0.5, "against": 0.2}
    expected = 1 / (1 + np.exp(-(2.0 * 0.5 - 3.0 * 0.2 + 0.5 * 1.0 + 0.25)))
    assert model.probability(row) == pytest.approx(expected)
    assert model.probabilities(np.array([[0.5, 0.2, 1.0]]))[0] == pytest.approx(expected)
    assert model.probabilities(np.array([[1e6, 0.0, 0.0]]))[0] == pytest.approx(1.0), "no overflow"


def test_the_json_form_reads_back_as_the_same_model() -> None:
    model = LinearModel(NAMES, (2.0, -3.0, 0.5), 0.25)
    data = model.to_dict()
    assert data == {"bias": 0.25, "weights": {"signal": 2.0, "against": -3.0, "noise": 0.5}}
    assert LinearModel.from_dict(data) == model
