"""Questions the assistant will not send to a model, with the Swedish message the user sees."""

from __future__ import annotations

from kraftbot.errors import QuestionRejected


def validate_question(question: str | None, max_chars: int) -> str:
    """Return the trimmed question or raise QuestionRejected."""
    text = (question or "").strip()
    if not text:
        raise QuestionRejected("Skriv en fråga först – frågan är tom.")
    if len(text) > max_chars:
        raise QuestionRejected(f"Frågan är för lång ({len(text)} tecken). Korta ner den till högst {max_chars} tecken.")
    return text
