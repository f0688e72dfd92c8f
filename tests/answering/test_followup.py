"""Follow-up questions made standalone: the rewrite that retrieves better wins, the rule is the fallback."""

from __future__ import annotations

import pytest

from kraftbot.answering.followup import model_rewrite, rule_rewrite, standalone

from ..doubles import FailingBackend, ScriptedBackend

FOLLOW_UP = "Och hur mycket pengar kunde man få där?"
HISTORY = ["Vad handlade utlysningen Starta er AI-resa om?"]


def test_rule_rewrite_carries_the_earlier_turns() -> None:
    rewritten = rule_rewrite(FOLLOW_UP, ["Vad är AI-rådet?", *HISTORY])
    assert rewritten.endswith(FOLLOW_UP) and "Starta er AI-resa" in rewritten and "AI-rådet" in rewritten
    assert "Första" not in rule_rewrite(FOLLOW_UP, ["Första frågan?", "Andra?", "Tredje?"])


def test_without_history_the_question_is_retrieved_as_asked(retriever) -> None:
    backend = ScriptedBackend("Något helt annat?")
    chosen = standalone(FOLLOW_UP, [], retriever.retrieve, backend)
    assert (chosen.question, chosen.method, backend.prompts) == (FOLLOW_UP, "none", [])


def test_the_rewrite_that_retrieves_better_wins(retriever) -> None:
    model_text = "Hur mycket pengar kunde man få per projekt i Starta er AI-resa?"
    chosen = standalone(FOLLOW_UP, HISTORY, retriever.retrieve, ScriptedBackend(model_text))
    strength = {
        text: max(p.dense_score for p in retriever.retrieve(text))
        for text in (model_text, rule_rewrite(FOLLOW_UP, HISTORY))
    }
    assert chosen.question == max(strength, key=strength.get)
    assert chosen.method == ("model" if chosen.question == model_text else "rule")


@pytest.mark.parametrize("backend", [ScriptedBackend(""), FailingBackend(), None], ids=["empty", "failing", "none"])
def test_without_a_usable_model_rewrite_the_rule_is_used(retriever, backend) -> None:
    chosen = standalone(FOLLOW_UP, HISTORY, retriever.retrieve, backend)
    assert chosen.method == "rule" and chosen.question == rule_rewrite(FOLLOW_UP, HISTORY)


def test_model_rewrite_takes_the_first_line_without_quotes_and_refuses_overlong_ones() -> None:
    backend = ScriptedBackend().enqueue('"Hur mycket kunde man få i Starta er AI-resa?"\nFörklaring: ...', "x" * 400)
    assert model_rewrite(FOLLOW_UP, HISTORY, backend) == "Hur mycket kunde man få i Starta er AI-resa?"
    assert model_rewrite(FOLLOW_UP, HISTORY, backend) is None
    assert HISTORY[0] in backend.prompts[0][-1]["content"]


def test_the_rewrites_are_logged_without_personal_data(retriever, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="kraftbot.answering.followup")
    history = ["Jag heter Anna, anna@kommun.se, 070-123 45 67. Vad är Starta er AI-resa?"]
    model_text = "Anna på anna@kommun.se undrar: hur mycket kan man få i Starta er AI-resa?"
    standalone(FOLLOW_UP, history, retriever.retrieve, ScriptedBackend(model_text))
    logged = caplog.text
    assert "Follow-up rewrites" in logged
    assert "anna@kommun.se" not in logged and "070-123" not in logged
