"""The learned ranking of claims: what kind of fact a question asks for, whether a claim holds one,
the features the model weighs, and the packaged model's choice on the test index."""

from __future__ import annotations

import numpy as np
import pytest

from kraftbot.answering.evidence import Evidence, claims
from kraftbot.answering.linear import LinearModel
from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.ranking import FEATURES, SentenceRanker, asked_types, holds
from kraftbot.answering.similarity import Similarity
from kraftbot.retrieval.retriever import Retriever

from ..doubles import candidate
from .conftest import AMOUNT_QUESTION


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("När startade AI-rådet?", {"date"}),
        ("Jag undrar en sak, när öppnade utlysningen?", {"date"}),
        ("Vem leder rådet och när bildades det?", {"name", "date"}),
        ("Vilket år bildades AI-rådet?", {"date"}),
        ("Vad händer när man har fått pengar?", set()),  # "när" as a conjunction
        ("Hur stor andel av kostnaderna täcker bidraget?", {"share", "amount"}),
        ("Hur mycket pengar kan man få?", {"amount"}),
        ("How much can a project get?", {"amount"}),
        ("Hur många kommuner är med?", {"count"}),
        ("Vem leder AI-rådet?", {"name"}),
        ("Vilken kommun utvecklade en AI-tjänst?", {"name"}),
        ("Vad finansierar utlysningen?", set()),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kinds: set[str]) -> None:
    assert asked_types(question) == kinds


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("date", "Projektet pågick från november 2022 till januari 2024.", True),
        ("date", "AI-rådet bildades våren 2023.", True),
        ("date", "AI-rådet presenterades den 24 augusti 2023.", True),
        ("date", "Utlysningen öppnar i november.", False),  # a month without its year is no point in time
        ("share", "Bidraget täcker högst 80 procent av kostnaderna.", True),
        ("share", "Högst 600 000 kronor per projekt.", False),
        ("amount", "Högst 600 000 kronor per projekt.", True),
        ("amount", "AI-rådet har tolv kommuner som medlemmar.", False),
        ("count", "AI-rådet har tolv kommuner som medlemmar.", True),
        ("count", "33 projekt beviljades.", True),
        ("count", "Högst 600 000 kronor per projekt.", False),  # an amount is no count
        ("count", "AI-rådet bildades 2023.", False),  # nor is a year
    ],
)
def test_whether_a_claim_states_a_fact_of_the_kind(kind: str, text: str, expected: bool) -> None:
    assert holds(kind, text, "Fråga?") is expected


def test_a_name_answers_only_when_the_question_does_not_already_give_it() -> None:
    question = "Vem leder AI-rådet tillsammans med AI Sweden?"
    assert holds("name", "AI-rådet leds av AI Sweden och SKR.", question)
    assert not holds("name", "AI-rådet leds av AI Sweden.", question)


def test_who_is_answered_by_a_capitalised_word_the_question_does_not_give() -> None:
    asked = "Vem får söka pengar i Starta er AI-resa?"
    assert holds("name", "Kommuner och civilsamhällesorganisationer får söka pengar.", asked)
    assert not holds("name", "De får söka pengar i Starta er AI-resa.", asked)


def test_a_ranking_model_with_other_features_is_refused(similarity: Similarity, retriever: Retriever) -> None:
    model = LinearModel(("cos_headed", "lex"), (1.0, 1.0), 0.0)
    with pytest.raises(ValueError, match="cos_headed"):
        SentenceRanker(model, similarity, retriever.analyzer.terms)


def _ranker(similarity: Similarity, retriever: Retriever) -> SentenceRanker:
    return SentenceRanker(LinearModel(FEATURES, (0.0,) * len(FEATURES), 0.0), similarity, retriever.analyzer.terms)


def test_each_candidate_gets_one_row_of_the_named_features(similarity: Similarity, retriever: Retriever) -> None:
    heading = "Hur mycket kan ett projekt få?"
    amount = candidate("Högst 600 000 kronor per projekt.", section=heading, rank=0, first=True)
    other = candidate("Koordinatorn ska vara en kommun.", section="Vem är koordinator?", rank=2, first=False)
    rows = _ranker(similarity, retriever).features(AMOUNT_QUESTION, [amount, other])
    column = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    assert rows.shape == (2, len(FEATURES))
    headed = similarity.to_question(AMOUNT_QUESTION, [amount.unit.headed, other.unit.headed])
    plain = similarity.to_question(AMOUNT_QUESTION, [amount.unit.full, other.unit.full])
    np.testing.assert_allclose(column["cos_headed"], headed, rtol=1e-6)
    np.testing.assert_allclose(column["cos_text"], plain, rtol=1e-6)
    assert column["typ"].tolist() == [1.0, 0.0], "an amount is asked for; only the first claim states one"
    assert column["first"].tolist() == [1.0, 0.0]
    np.testing.assert_allclose(column["prank"], [1.0, 1 / 3])
    assert 1.0 >= column["lex"][0] > column["lex"][1] >= 0.0, "the heading shares the question's terms"


def test_a_question_asking_for_no_kind_of_fact_gives_every_claim_half_a_type_match(
    similarity: Similarity, retriever: Retriever
) -> None:
    rows = _ranker(similarity, retriever).features("Vad finansierar utlysningen?", [candidate("Högst 600 000 kronor.")])
    assert rows[0, FEATURES.index("typ")] == 0.5
    assert _ranker(similarity, retriever).features("Vad finansierar utlysningen?", []).shape == (0, len(FEATURES))


def test_the_packaged_ranking_puts_the_amount_first_for_the_amount_question(
    assistant: Assistant, retriever: Retriever
) -> None:
    passages = retriever.retrieve(AMOUNT_QUESTION)
    ranked = assistant.decider.ranker.rank(AMOUNT_QUESTION, Evidence(passages, claims(passages)))
    assert "600 000 kronor" in ranked[0].candidate.unit.text
    probabilities = [s.probability for s in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and all(0 < p < 1 for p in probabilities)
    assert ranked[0].probability > 0.5 > ranked[-1].probability
