"""Answer or refuse, and with which claims, on hand-made models (the decision's inputs) whose
probabilities are known: the real embedder and search terms compute the features."""

from __future__ import annotations

import math

import pytest

from kraftbot.answering.decision import NO_ABSENCE_MARGIN, Decider, Decision
from kraftbot.answering.evidence import Candidate, Evidence
from kraftbot.answering.linear import LinearModel
from kraftbot.answering.ranking import FEATURES, SentenceRanker
from kraftbot.answering.similarity import Similarity
from kraftbot.answering.weights import ANSWERABILITY_FEATURES, AnswerWeights
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import AnswerSettings

from ..doubles import candidate, passage

AMOUNT = "Högst 600 000 kronor per projekt."
DEADLINE_ABSENT = "Sista ansökningsdag finns inte i underlaget."
LEADS = "AI-rådet leds av AI Sweden och SKR."
MEMBERS = "AI-rådet har tolv kommuner som medlemmar."


def model(names: tuple[str, ...], bias: float, **weights: float) -> LinearModel:
    return LinearModel(names, tuple(weights.get(name, 0.0) for name in names), bias)


# P(answers) = sigmoid(2 x prank - 1): 0.731 for the best passage's claims, 0.5 for the second's.
BY_PASSAGE_RANK = model(FEATURES, -1.0, prank=2.0)
# P(answers) = sigmoid(10 x share of the question's terms - 5).
BY_TERMS = model(FEATURES, -5.0, lex=10.0)
ALWAYS = model(ANSWERABILITY_FEATURES, 8.0)
NEVER = model(ANSWERABILITY_FEATURES, -8.0)
EVEN = model(ANSWERABILITY_FEATURES, 0.0)  # P(answerable) = 0.5 whatever the evidence


def sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


@pytest.fixture
def make_decider(similarity: Similarity, retriever: Retriever):
    def factory(
        ranking: LinearModel, answerability: LinearModel, threshold: float = 0.5, **settings: object
    ) -> Decider:
        """`threshold` is the weights' own; `settings` are `AnswerSettings` (`min_answerable` overrides it)."""
        ranker = SentenceRanker(ranking, similarity, retriever.analyzer.terms)
        weights = AnswerWeights(ranking, answerability, threshold)
        return Decider(ranker, weights, AnswerSettings(**settings))  # type: ignore[arg-type]

    return factory


def evidence(*candidates: Candidate) -> Evidence:
    return Evidence([c.passage for c in candidates], list(candidates))


def two_claims() -> tuple[Candidate, Candidate]:
    first = candidate(AMOUNT, passage(AMOUNT, node_id="p0"), rank=0)
    second = candidate(MEMBERS, passage(MEMBERS, node_id="p1"), rank=1)
    return first, second


def decide(decider: Decider, question: str, *candidates: Candidate, parts: list[str] | None = None) -> Decision:
    return decider.decide(question, parts or [question], evidence(*candidates))


@pytest.mark.parametrize(("ratio", "chosen"), [(0.68, 2), (0.69, 1), (1.0, 1), (0.0, 2)])
def test_the_runner_up_is_quoted_only_when_close_enough_to_the_best(make_decider, ratio: float, chosen: int) -> None:
    """sigmoid(0) / sigmoid(1) = 0.684: the runner-up is quoted at a ratio of 0.68, not at 0.69."""
    assert sigmoid(0) / sigmoid(1) == pytest.approx(0.684, abs=1e-3)
    first, second = two_claims()
    decision = decide(make_decider(BY_PASSAGE_RANK, ALWAYS, second_claim_ratio=ratio), "Vad gäller?", first, second)
    assert decision.refusal is None and decision.chosen == [first, second][:chosen]


def test_a_question_below_the_threshold_is_refused_and_above_it_answered(make_decider) -> None:
    first, second = two_claims()
    refused = decide(make_decider(BY_PASSAGE_RANK, EVEN, threshold=0.51), "Vad gäller?", first, second)
    assert refused.chosen == [] and refused.refusal == "unsupported" and refused.scores.answerable == 0.5
    answered = decide(make_decider(BY_PASSAGE_RANK, EVEN, threshold=0.5), "Vad gäller?", first, second)
    assert answered.refusal is None and answered.chosen[0] is first


@pytest.mark.parametrize(("weights_threshold", "setting", "refused"), [(0.6, 0.4, False), (0.4, 0.6, True)])
def test_the_min_answerable_setting_overrides_the_weights_threshold(
    make_decider, weights_threshold: float, setting: float, refused: bool
) -> None:
    decider = make_decider(BY_PASSAGE_RANK, EVEN, threshold=weights_threshold)
    assert decider.min_answerable == weights_threshold
    overridden = make_decider(BY_PASSAGE_RANK, EVEN, threshold=weights_threshold, min_answerable=setting)
    assert overridden.min_answerable == setting
    assert (decide(overridden, "Vad gäller?", *two_claims()).refusal is not None) is refused


def test_a_refusal_is_absent_when_a_statement_of_absence_is_closer_than_any_claim(make_decider) -> None:
    claim = candidate(AMOUNT, passage(AMOUNT, node_id="p0"))
    absence = candidate(DEADLINE_ABSENT, passage(DEADLINE_ABSENT, node_id="p1"), rank=1, absent=True)
    decider = make_decider(BY_PASSAGE_RANK, NEVER)
    deadline = decide(decider, "När är sista ansökningsdag?", claim, absence)
    assert (deadline.refusal, deadline.absence) == ("absent", absence)
    assert deadline.scores.absence_margin > 0
    amount = decide(decider, "Hur mycket pengar kan ett projekt få?", claim, absence)
    assert amount.refusal == "unsupported" and amount.scores.absence_margin < 0
    assert amount.absence == absence, "the best statement of absence is reported either way"


def test_without_statements_of_absence_a_refusal_is_unsupported(make_decider) -> None:
    decision = decide(make_decider(BY_PASSAGE_RANK, NEVER), "När är sista ansökningsdag?", *two_claims())
    assert (decision.refusal, decision.absence) == ("unsupported", None)
    assert decision.scores.absence_margin == NO_ABSENCE_MARGIN


def test_statements_of_absence_alone_are_never_quoted_as_an_answer(make_decider) -> None:
    absence = candidate(DEADLINE_ABSENT, absent=True)
    decision = decide(make_decider(BY_PASSAGE_RANK, ALWAYS), "När är sista ansökningsdag?", absence)
    assert decision.chosen == [] and decision.refusal == "absent" and decision.scores.best_claim == 0.0


def test_each_part_of_a_message_gets_its_own_best_claim(make_decider) -> None:
    leads = candidate(LEADS, passage(LEADS, node_id="p0"))
    members = candidate(MEMBERS, passage(MEMBERS, node_id="p1"))
    absence = candidate(DEADLINE_ABSENT, passage(DEADLINE_ABSENT, node_id="p2"), absent=True)
    message = "Vem leder AI-rådet, och hur många kommuner är med i AI-rådet?"
    parts = ["Vem leder AI-rådet", "hur många kommuner är med i AI-rådet"]
    decider = make_decider(BY_TERMS, ALWAYS, second_claim_ratio=1.0)
    assert decide(decider, message, members, leads, absence, parts=parts).chosen == [leads, members]
    # "members" holds 4 of the second part's 5 terms: sigmoid(3) = 0.953.
    strict = make_decider(BY_TERMS, ALWAYS, second_claim_ratio=1.0, min_part_probability=0.96)
    assert decide(strict, message, members, leads, absence, parts=parts).chosen == [leads]


def test_when_no_part_has_a_probable_claim_the_message_gets_its_best_claim(make_decider) -> None:
    first, second = two_claims()
    decider = make_decider(BY_PASSAGE_RANK, ALWAYS, second_claim_ratio=1.0, min_part_probability=0.8)
    parts = ["Vem leder AI-rådet", "hur många kommuner är med"]
    assert decide(decider, "Vem leder AI-rådet och hur många är med?", second, first, parts=parts).chosen == [first]


def test_a_second_claim_ratio_of_one_quotes_only_the_best_claim_even_on_a_tie(make_decider) -> None:
    undecided = make_decider(model(FEATURES, 0.0), ALWAYS, second_claim_ratio=1.0)
    assert len(decide(undecided, "Vad gäller?", *two_claims()).chosen) == 1
