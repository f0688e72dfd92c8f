"""The answer check: invented numbers and names are caught, normalised ones are accepted."""

from __future__ import annotations

import pytest

from kraftbot.attribution import repair_citations
from kraftbot.grounding import (
    AnswerChecker,
    absent_names,
    absent_numbers,
    absent_terms,
    common_words,
    identify_language,
    judge_language,
    names_in,
)
from kraftbot.retrieval import Passage
from kraftbot.settings import GroundingSettings
from kraftbot.similarity import Similarity

SOURCE = (
    "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt. Bidraget får utgöra högst "
    "80 procent av kostnaderna. Den 28 november 2022 meddelade Vinnova att åtta projekt hade fått "
    "finansiering. Darja Isaksson var generaldirektör. I Gemensamma AI-förmågor kan ett projekt få "
    "upp till 2 miljoner kronor."
)


def passage(text: str = SOURCE, doc_id: str = "utlysning-1") -> Passage:
    return Passage("n1", doc_id, "Utlysning", f"https://www.vinnova.se/{doc_id}", "utlysning", text, 1.0)


@pytest.mark.parametrize(
    "answer",
    [
        "Man kan få högst 600 000 kr [1].",
        "Man kan få 600000 kronor.",
        "Högst 600 tusen kronor.",
        "Upp till 0,6 miljoner kronor.",
        "Upp till 2 000 000 kronor.",
        "Upp till två miljoner kronor.",
        "Bidraget täcker 80 %.",
        "Beslutet kom 2022-11-28.",
        "8 projekt fick pengar.",
    ],
)
def test_normalised_numbers_count_as_present(answer: str) -> None:
    assert absent_numbers(answer, [SOURCE]) == []


@pytest.mark.parametrize(
    ("answer", "invented"),
    [
        ("Starta er AI-resa ger 5 miljoner kronor per projekt.", "5 miljoner"),
        ("Bidraget får utgöra högst 90 procent.", "90"),
        ("Beslutet kom den 3 december 2022.", "3"),
        ("Man kan få 750 000 kronor.", "750 000"),
    ],
)
def test_invented_numbers_are_caught(answer: str, invented: str) -> None:
    assert invented in absent_numbers(answer, [SOURCE])


def test_invented_names_are_caught_and_real_ones_inflected_pass() -> None:
    assert absent_names("Det var Vinnovas generaldirektör Darja Isaksson.", [SOURCE]) == []
    assert absent_names("Vinnova har en handläggare som heter Anna Lindqvist.", [SOURCE]) == ["Anna", "Lindqvist"]
    # A name opening a sentence is checked too; common opening words are not names.
    assert "Kalle" in names_in("Kalle Anka beviljade pengarna.")
    assert names_in("Det var åtta projekt.") == []
    assert absent_terms("Enligt Vinnova fick åtta projekt pengar [1].", [SOURCE]) == []


def test_a_capitalised_ordinary_word_opening_a_sentence_is_no_name() -> None:
    common = common_words([SOURCE, "Kommunerna kan själva välja. Läs mer på vinnova.se/halmstad."])
    assert "själva" in common and "halmstad" not in common  # a web address is no lower-case use
    assert absent_names("Själva bidraget är högst 600 000 kronor.", [SOURCE], common) == []
    assert absent_names("Själva bidraget är högst 600 000 kronor.", [SOURCE]) == ["Själva"]
    assert absent_names("Halmstad fick pengar.", [SOURCE], common) == ["Halmstad"]
    # A line opens a sentence even after a line without a full stop (a heading, a list).
    assert absent_names("Kristinehamn och Gagnef [1]\n\nSjälva källan:", ["Kristinehamn, Gagnef"], common) == []


def test_language_is_identified_and_only_a_confident_other_language_fails() -> None:
    assert identify_language("Man kan få högst 600 000 kronor per projekt i utlysningen [1].")[0] == "sv"
    english = "You can get at most 600,000 kronor per project in this call [1]."
    assert identify_language(english)[0] == "en" and not judge_language(english, "sv", 0.5)[1]
    assert not judge_language("Beslutningen sendes på e-mail til ansøgeren.", "sv", 0.5)[1]  # Danish
    # Too short to identify: a number and a name are not held to be another language.
    assert identify_language("600 000 kronor per projekt.")[0] != "sv"
    assert judge_language("600 000 kronor per projekt.", "sv", 0.5)[1]


@pytest.fixture(scope="module")
def checker(embedder) -> AnswerChecker:
    return AnswerChecker(GroundingSettings(), Similarity(embedder))


def test_a_faithful_cited_answer_passes(checker: AnswerChecker) -> None:
    check = checker.check("Man kan få högst 600 000 kronor per projekt i Starta er AI-resa [1].", [passage()])
    assert check.passed, check.problems


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Man kan få högst 600 000 kronor per projekt.", "no valid citation"),
        ("Man kan få högst 600 000 kronor per projekt [3].", "not given"),
        ("Man kan få högst 900 000 kronor per projekt [1].", "absent from the cited sources"),
        ("You can get at most 600 000 kronor per project in this call [1].", "language"),
        ("Kommunen bör också anlita en konsult för att måla om stadshuset i grönt [1].", "not supported"),
        ("", "empty answer"),
    ],
)
def test_a_bad_answer_fails_with_its_reason(checker: AnswerChecker, answer: str, problem: str) -> None:
    check = checker.check(answer, [passage()])
    assert not check.passed
    assert any(problem in p for p in check.problems), check.problems


def test_a_number_from_an_uncited_source_does_not_count(checker: AnswerChecker) -> None:
    other = passage("Ett annat dokument nämner 900 000 kronor.", "annat")
    check = checker.check("Man kan få högst 900 000 kronor per projekt [1].", [passage(), other])
    assert "900 000" in check.absent_terms


def test_a_sentence_citing_the_wrong_source_is_pointed_at_the_right_one(checker: AnswerChecker) -> None:
    other = passage("I arbetet medverkade Högskolan i Halmstad och kommunens MAS.", "vetlanda")
    first, second = "[1] Starta er AI-resa ger högst 600 000 kronor.", "Kommunen samarbetade med Högskolan i Halmstad"
    repaired = repair_citations(f"{first} {second} [1].", [passage(), other], checker)
    assert repaired.text == f"{first} {second} [2]."
    assert [move["to"] for move in repaired.moved] == [2]
    assert checker.check(repaired.text, [passage(), other]).passed


def test_citation_repair_leaves_what_no_source_grounds(checker: AnswerChecker) -> None:
    other = passage("I arbetet medverkade Högskolan i Halmstad.", "vetlanda")
    invented = "Kommunen samarbetade med Lunds universitet [1]."
    assert repair_citations(invented, [passage(), other], checker).text == invented
    uncited = "Kommunen samarbetade med Högskolan i Halmstad."
    assert repair_citations(uncited, [passage(), other], checker).text == uncited
