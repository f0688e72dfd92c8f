"""Which language a text is in (py3langid), judged leniently: a short answer cannot be identified."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from kraftbot.text.markers import strip_markers


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str, float]:
    """py3langid's ISO 639-1 code for the text without citation markers, and its probability."""
    plain = strip_markers(text)
    if not plain:
        return "", 0.0
    code, probability = _identifier().classify(plain)
    return str(code), float(probability)


def judge_language(text: str, language: str, min_confidence: float) -> tuple[str, bool]:
    """The identified code, and False only when the text is identified, with at least
    `min_confidence`, as another language.

    Short answers ("600 000 kronor per projekt.", "Högskolan i Halmstad.") are mostly numbers and
    names; the identifier guesses wildly on them, so only a confident other language counts.
    """
    code, probability = identify_language(text)
    return code, code == language or probability < min_confidence
