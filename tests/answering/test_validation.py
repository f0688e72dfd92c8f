"""Questions refused before any retrieval, with the Swedish message the applicant reads."""

from __future__ import annotations

import pytest

from kraftbot.answering.validation import validate_question
from kraftbot.errors import QuestionRejected


def test_a_question_is_trimmed_and_kept_up_to_the_limit() -> None:
    assert validate_question("  Vem får söka?\n", 20) == "Vem får söka?"
    assert validate_question("x" * 20, 20) == "x" * 20


@pytest.mark.parametrize(
    ("question", "message"),
    [(None, "frågan är tom"), (" \n\t", "frågan är tom"), ("x" * 21, r"för lång \(21 tecken\).*högst 20")],
)
def test_an_empty_or_overlong_question_is_rejected_in_swedish(question: str | None, message: str) -> None:
    with pytest.raises(QuestionRejected, match=message):
        validate_question(question, 20)
