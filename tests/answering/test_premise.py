"""False premises: the names and numbers a question takes for granted that the documents never mention.

The corpus here is the answering index (`DOCS`): it names Vetlanda, Skövde and the AI council's
municipalities, states 600 000 kronor and the years 2022 to 2024, and never mentions Kiruna, Lund,
Malmö, 5 or 12 million kronor or 2019.
"""

from __future__ import annotations

import pytest

from kraftbot.answering.premise import PremiseCheck


@pytest.mark.parametrize(
    ("question", "unmentioned"),
    [
        ("Hur mycket fick Kiruna kommun i Starta er AI-resa?", ["Kiruna"]),
        ("hur mkt fick kiruna", ["Kiruna"]),  # lower case: a proper noun by the dictionary
        ("Hur gick det för Lund i AI-rådet?", ["Lund"]),
        ("Vem leder AI-rådet i Malmö?", ["Malmö"]),
        ("Varför höjdes taket till 5 miljoner kronor?", ["5 miljoner"]),
        ("Vad hände med AI-rådet 2019?", ["2019"]),
    ],
)
def test_a_wh_question_takes_its_unmentioned_names_and_numbers_for_granted(
    premises: PremiseCheck, question: str, unmentioned: list[str]
) -> None:
    assert premises.unmentioned(question) == unmentioned


@pytest.mark.parametrize(
    "question",
    [
        "Hur mycket fick Vetlanda kommun i Starta er AI-resa?",  # a mentioned name
        "När fick Skövde pengar?",
        "Varför är taket 600 000 kronor?",  # a stated amount
        "Vad hände med AI-rådet 2023?",
    ],
)
def test_mentioned_names_and_stated_numbers_are_no_premise(premises: PremiseCheck, question: str) -> None:
    assert premises.unmentioned(question) == []


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("Ingår Malmö i AI-rådet?", "a yes/no question tests its name"),
        ("Kan man få 5 miljoner?", "a yes/no question tests its amount"),
        ("vi är en förening i Norrland, hur mycket kan vi söka?", "a rule question: the name is context"),
        ("Vad gör Vinova?", "a misspelt known name"),
        ("What is AI-rådet?", "English function words are no names"),
        ("Who leads AI-rådet?", "English function words are no names"),
        ("Vad är den där AI-grej som Vinnova har?", "a compound of a known name and an ordinary word"),
    ],
)
def test_questions_that_assume_nothing_unmentioned_are_not_flagged(
    premises: PremiseCheck, question: str, why: str
) -> None:
    assert premises.unmentioned(question) == [], why


def test_the_same_question_is_flagged_as_a_wh_question_but_not_as_a_yes_no_question(premises: PremiseCheck) -> None:
    assert premises.unmentioned("Varför ingår Malmö i AI-rådet?") == ["Malmö"]
    assert premises.unmentioned("Ingår Malmö i AI-rådet?") == []


def test_a_name_counts_as_mentioned_in_its_genitive_and_in_a_close_spelling() -> None:
    check = PremiseCheck(["Vinnova finansierar projekt i Vetlanda."])
    assert check.mentioned("Vinnovas") and check.mentioned("Vinova") and check.mentioned("vetlanda")
    assert not check.mentioned("Kiruna") and not check.mentioned("Vinverket")


def test_each_unmentioned_term_is_named_once(premises: PremiseCheck) -> None:
    assert premises.unmentioned("Varför fick Kiruna mer än Kiruna kommun fick 2019, alltså 2019?") == ["Kiruna", "2019"]
