"""Per-question measures of the evaluation harness: facts, sources, ranks, refusals, language."""

from __future__ import annotations

import pytest

from kraftbot.evaluation.questions import Question
from kraftbot.evaluation.scoring import (
    first_relevant_rank,
    matches_source,
    missing_facts,
    retrieval_scores,
    text_scores,
)

AMOUNT = "600 000|600000|600 tusen"


@pytest.mark.parametrize(
    "answer",
    ["Högst 600 000 kronor [1].", "Högst 600000 kr.", "högst 600\u00a0000 kronor", "Upp till 600 TUSEN kronor."],
)
def test_fact_matches_whatever_the_spacing_inside_numbers(answer: str) -> None:
    assert missing_facts(answer, [AMOUNT]) == []


def test_fact_alternative_spaced_differently_from_the_answer_still_matches() -> None:
    assert missing_facts("Stödet är 2000000 kronor.", ["2 000 000"]) == []
    assert missing_facts("Stödet är 2 000 000 kronor.", ["2000000"]) == []


def test_a_number_does_not_match_inside_a_longer_number() -> None:
    assert missing_facts("Satsningen pågår till 2033.", ["33"]) == ["33"]
    assert missing_facts("Det blev 330 projekt.", ["33"]) == ["33"]
    assert missing_facts("Det blev 33 projekt.", ["33"]) == []


def test_every_fact_entry_must_be_present_and_missing_ones_are_named() -> None:
    facts = ["kommun", "civilsamhälle|ideell"]
    assert missing_facts("KOMMUNER och ideella föreningar får söka.", facts) == []
    assert missing_facts("Kommuner får söka.", facts) == ["civilsamhälle|ideell"]


def test_source_matches_doc_id_or_url_by_any_alternative() -> None:
    sources = ["utlysning-1-starta-er-ai-resa|2022-00880"]
    assert matches_source(sources, "utlysning-1-starta-er-ai-resa", "")
    assert matches_source(sources, "x", "https://vinnova.se/e/starta-2022-00880/")
    assert not matches_source(sources, "faq", "https://vinnova.se/faq")
    assert not matches_source(sources, "", "")


def test_retrieval_rank_and_metrics() -> None:
    retrieved = [{"doc_id": "faq", "url": ""}, {"doc_id": "satsningen", "url": ""}] + [
        {"doc_id": f"other-{i}", "url": ""} for i in range(10)
    ]
    assert first_relevant_rank(retrieved, ["satsningen"]) == 2
    assert retrieval_scores(2) == {"hit_at_1": 0.0, "hit_at_3": 1.0, "mrr_at_10": 0.5}
    assert retrieval_scores(None) == {"hit_at_1": 0.0, "hit_at_3": 0.0, "mrr_at_10": 0.0}
    assert first_relevant_rank(retrieved, ["other-9"]) is None, "rank 12 is beyond MRR@10's depth"


def _result(answer: str, refused: bool = False, cited: str = "faq") -> dict[str, object]:
    return {
        "answer": answer,
        "refused": refused,
        "citations": [{"n": 1, "doc_id": cited, "url": "", "title": "", "quote": ""}],
        "retrieved": [{"doc_id": "satsningen", "url": ""}, {"doc_id": cited, "url": ""}],
    }


def test_answer_correct_needs_the_facts_and_a_matching_citation() -> None:
    question = Question("q", "Hur mycket?", True, facts=[AMOUNT], sources=["faq"])
    right = text_scores(question, _result("Högst 600 000 kronor [1]."), "sv", 0.5)
    assert right["facts_ok"] and right["citation_ok"] and right["answer_correct"] and right["ok"]
    assert right["rank"] == 2
    wrong_source = text_scores(question, _result("Högst 600 000 kronor [1].", cited="satsningen"), "sv", 0.5)
    assert wrong_source["facts_ok"] and not wrong_source["citation_ok"] and not wrong_source["answer_correct"]
    wrong_fact = text_scores(question, _result("Högst 2 miljoner kronor [1]."), "sv", 0.5)
    assert wrong_fact["missing_facts"] == [AMOUNT] and not wrong_fact["ok"]


def test_refusal_is_right_only_for_unanswerable_questions() -> None:
    refusal = _result("Det vet jag inte utifrån mitt underlag.", refused=True)
    unanswerable = text_scores(Question("r", "Vädret?", False), refusal, "sv", 0.5)
    assert unanswerable["ok"] is True and unanswerable["hit_at_1"] is None
    answerable = text_scores(Question("u", "Belopp?", True, facts=[AMOUNT], sources=["faq"]), refusal, "sv", 0.5)
    assert answerable["ok"] is False and answerable["refused"] is True
    linked = _result("Det finns inte i mitt underlag. Närmast ligger: [Högst 600 000 kronor](https://x).", refused=True)
    assert text_scores(Question("u", "Belopp?", True, facts=[AMOUNT]), linked, "sv", 0.5)["facts_ok"] is False
    invented = text_scores(Question("r", "Vädret?", False), _result("Det blir sol [1]."), "sv", 0.5)
    assert invented["ok"] is False


def test_language_is_identified_and_refusals_are_not_judged() -> None:
    question = Question("u", "Vem får söka?", True, facts=["kommun"], sources=["faq"])
    swedish = text_scores(question, _result("Kommuner och ideella föreningar kan söka stöd [1]."), "sv", 0.5)
    assert swedish["language"] == "sv" and swedish["in_language"] is True
    english = text_scores(question, _result("Municipalities and non-profits can apply for funding [1]."), "sv", 0.5)
    assert english["language"] == "en" and english["in_language"] is False
    refused = text_scores(question, _result("Det vet jag inte utifrån mitt underlag.", refused=True), "sv", 0.5)
    assert refused["in_language"] is None
