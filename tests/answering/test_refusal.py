"""Refusals an applicant reads: why, and the closest documents as links."""

from __future__ import annotations

from kraftbot.answering.evidence import Evidence
from kraftbot.answering.refusal import INJECTION, NOT_IN_MATERIAL, OFF_TOPIC, refusal_message
from kraftbot.llm.extractive_backend import ExtractiveBackend

from ..doubles import passage


def test_refusal_for_missing_facts_links_the_closest_documents(make_assistant) -> None:
    result = make_assistant(ExtractiveBackend()).ask("Vad har handläggarna på Vinnova för telefonnummer?")
    assert result.refusal_reason == "absent"
    assert result.answer.startswith(NOT_IN_MATERIAL) and "Underlaget säger:" in result.answer
    assert "](https://" in result.answer and "vinnova.se" in result.answer


def test_hostile_and_off_topic_questions_get_no_links() -> None:
    evidence = Evidence([passage("Högst 600 000 kronor.")], [])
    assert refusal_message("injection", evidence) == INJECTION
    assert refusal_message("off_topic", evidence) == OFF_TOPIC


def test_an_unsupported_answer_links_at_most_the_asked_number_of_documents() -> None:
    passages = [passage(f"Text {n}.", f"doc-{n}", title=f"Dokument {n}") for n in range(5)]
    passages.append(passage("Utan adress.", "ingen", url=""))
    message = refusal_message("unsupported", Evidence(passages, []), documents=2)
    assert "[Dokument 0](https://www.vinnova.se/doc-0), [Dokument 1](https://www.vinnova.se/doc-1)." in message
    assert "Dokument 2" not in message and "Vinnovas webbplats (vinnova.se)" in message
