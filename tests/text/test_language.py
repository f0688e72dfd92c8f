"""Language identification of answers: only a confident other language fails."""

from __future__ import annotations

from kraftbot.text.language import identify_language, judge_language


def test_language_is_identified_and_only_a_confident_other_language_fails() -> None:
    assert identify_language("Man kan få högst 600 000 kronor per projekt i utlysningen [1].")[0] == "sv"
    english = "You can get at most 600,000 kronor per project in this call [1]."
    assert identify_language(english)[0] == "en" and not judge_language(english, "sv", 0.5)[1]
    assert not judge_language("Beslutningen sendes på e-mail til ansøgeren.", "sv", 0.5)[1]  # Danish
    # Too short to identify: a number and a name are not held to be another language.
    assert identify_language("600 000 kronor per projekt.")[0] != "sv"
    assert judge_language("600 000 kronor per projekt.", "sv", 0.5)[1]
