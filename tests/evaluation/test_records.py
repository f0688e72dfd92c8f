"""`results.jsonl` lines: an evaluated result survives its JSON form, and a renamed field does not pass."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from kraftbot.evaluation.records import EvaluatedResult, Scores

from ..doubles import answer_result

SCORES = Scores(
    refused=False, language="sv", in_language=True, rank=1, hit_at_1=1.0, hit_at_3=1.0, mrr_at_10=1.0,
    facts_ok=True, facts_anywhere=True, citation_ok=True, missing_facts=[], answer_correct=True,
    answer_correct_anywhere=True, ok=True, wrong_claims=[], wrong_claim=None, answer_chars=25, lead_chars=25,
    supported_share=None, ungrounded=[], ungrounded_count=None,
)  # fmt: skip


def evaluated(**fields: object) -> EvaluatedResult:
    result = answer_result("Högst 600 000 kronor [1].", cited=["faq"], retrieved=["faq"], id="amount")
    extra = {"answerable": True, "tags": ["belopp"], "history": [], "rss_mb": 900.5, "peak_rss_mb": 1200.0}
    return EvaluatedResult(**dict(result) | extra | {"scores": SCORES} | fields)


def test_an_evaluated_result_round_trips_through_its_json_line() -> None:
    original = evaluated()
    line = json.dumps(original.to_dict(), ensure_ascii=False)
    assert EvaluatedResult.model_validate_json(line) == original
    assert EvaluatedResult.model_validate(original.to_dict()) == original


def test_scores_keep_the_measures_that_do_not_apply() -> None:
    data = evaluated().to_dict()
    assert data["scores"]["supported_share"] is None and "ungrounded_count" in data["scores"]
    assert "refusal_reason" not in data  # the trace, unlike the scores, leaves out what did not run
    assert list(data)[:3] == ["question", "answer", "refused"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(answer_text=d.pop("answer")), "answer"),
        (lambda d: d["scores"].update(hit_at_five=d["scores"].pop("hit_at_3")), "hit_at_3"),
        (lambda d: d.pop("answerable"), "answerable"),
        (lambda d: d.update(mode="guessed"), "mode"),
    ],
    ids=["renamed", "renamed-score", "missing", "unknown-mode"],
)
def test_a_line_of_another_shape_is_rejected(change, field: str) -> None:
    data = evaluated().to_dict()
    change(data)
    with pytest.raises(ValidationError, match=field):
        EvaluatedResult.model_validate(data)
