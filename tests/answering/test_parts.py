"""The questions in one message: each part is answered by its own claim; context is no part."""

from __future__ import annotations

import pytest

from kraftbot.answering.parts import question_parts


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        ("Vem får söka, och hur mycket kan man få?", ["Vem får söka", "hur mycket kan man få"]),
        ("Vem leder AI-rådet o hur många kommuner är med?", ["Vem leder AI-rådet", "hur många kommuner är med"]),
        ("Vem får söka? Hur mycket kan man få?", ["Vem får söka", "Hur mycket kan man få"]),
        ("Vem får söka samt när öppnar utlysningen?", ["Vem får söka", "när öppnar utlysningen"]),
        ("Who can apply and how much can we get?", ["Who can apply", "how much can we get"]),
        (
            "Vem får söka, och hur mycket kan man få, och när öppnar den?",
            ["Vem får söka", "hur mycket kan man få", "när öppnar den"],
        ),
    ],
)
def test_a_message_asking_several_things_is_split_into_its_questions(message: str, parts: list[str]) -> None:
    assert question_parts(message) == parts


@pytest.mark.parametrize(
    "message",
    [
        "Hur mycket kan man få i Starta er AI-resa?",
        "Hur mycket kan man få? Ska skriva om det i en rapport.",  # the rest is context
        "Jag har sett olika uppgifter. Hur mycket kan man få?",
        "Vad får kommuner och föreningar söka?",  # "och" without a question word after it
        "Vem?  Vad?",  # single words are no questions of their own
    ],
)
def test_a_message_with_one_question_is_returned_whole(message: str) -> None:
    assert question_parts(f"  {message} ") == [message]
