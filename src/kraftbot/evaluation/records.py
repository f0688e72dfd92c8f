"""One line of an evaluation's `results.jsonl`: the answer result, the question's facts, the scores.

Both are pydantic models with unknown fields forbidden, so `ResultStore` rejects a line that a
renamed or missing field would otherwise let the summary score as "not applicable".
"""

from __future__ import annotations

from typing import Any

from kraftbot.values import AnswerResult, Record


class Scores(Record):
    """Per-question measures; None where a measure does not apply to the question."""

    refused: bool
    language: str | None
    in_language: bool | None
    rank: int | None
    hit_at_1: float | None
    hit_at_3: float | None
    mrr_at_10: float | None
    facts_ok: bool | None  # every fact in the lead
    facts_anywhere: bool | None  # every fact somewhere in the answer
    citation_ok: bool | None
    missing_facts: list[str]  # from the lead
    answer_correct: bool | None  # facts in the lead, a right source cited, not refused
    answer_correct_anywhere: bool | None
    ok: bool
    wrong_claims: list[str]  # `wrong` entries stated in the lead
    wrong_claim: bool | None  # None when the question lists no wrong alternatives
    answer_chars: int
    lead_chars: int
    supported_share: float | None
    ungrounded: list[str]
    ungrounded_count: int | None


class EvaluatedResult(AnswerResult):
    """An answer result with what the question file says of it and what the harness measured."""

    answerable: bool
    category: str = ""
    tags: list[str]
    history: list[str]
    rss_mb: float
    peak_rss_mb: float
    scores: Scores

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; the scores keep their None values (a measure that does not apply)."""
        return super().to_dict() | {"scores": self.scores.model_dump(mode="json")}
