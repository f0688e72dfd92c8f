"""The extractive answer: quoted source sentences with citations, guided by a failed draft."""

from __future__ import annotations

from kraftbot.llm.extractive_backend import ExtractiveBackend
from kraftbot.values import Mode

from ..conftest import SHIPPED_CORPUS
from ..doubles import ScriptedBackend


def test_extractive_backend_quotes_sources_with_citations(make_assistant) -> None:
    result = make_assistant(ExtractiveBackend()).ask("Hur många kommuner är med i AI-rådet?")
    assert result.mode == Mode.EXTRACTIVE and not result.refused
    assert "tolv" in result.answer and "[1]" in result.answer
    assert result.citations[0].doc_id == "ai-radet"
    assert result.citations[0].quote in (SHIPPED_CORPUS / "ai-radet.md").read_text(encoding="utf-8")
    assert result.tokens_out == 0 and result.check is not None and "empty answer" in result.check.problems


def test_a_failed_draft_guides_which_sentences_are_quoted(knowledge, make_assistant) -> None:
    question = "Vilka samarbetade Vetlanda kommun med i projektet?"
    draft = "De samarbetade med kommunens MAS, AI Swedens nätverk och Högskolan i Halmstad."  # no [n]: fails
    settings, _ = knowledge
    unguided = settings.model_copy(deep=True)
    unguided.extractive.draft_weight = 0.0
    answers = [make_assistant(ScriptedBackend(draft), config).ask(question) for config in (settings, unguided)]
    assert [a.mode for a in answers] == [Mode.EXTRACTIVE, Mode.EXTRACTIVE]
    assert "no valid citation" in answers[0].check.problems
    guided, plain = (a.answer for a in answers)
    assert guided.startswith("I arbetet medverkade:") and "Högskolan i Halmstad [" in guided
    assert "Halmstad" not in plain


def test_too_weak_evidence_is_refused_rather_than_quoted(knowledge, make_assistant) -> None:
    strict = knowledge[0].model_copy(deep=True)
    strict.extractive.min_similarity = 1.0  # no sentence is that close to a question
    result = make_assistant(ExtractiveBackend(), strict).ask("Hur många kommuner är med i AI-rådet?")
    assert result.refused and result.refusal_reason == "unsupported" and result.citations == []
