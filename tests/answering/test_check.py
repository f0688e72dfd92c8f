"""The answer check: a faithful cited answer passes; each way of failing is named in `problems`."""

from __future__ import annotations

import pytest

from kraftbot.answering.check import AnswerChecker, adds_nothing
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import CheckSettings
from kraftbot.text.swedish import SwedishAnalyzer
from kraftbot.values import CheckReport

from ..doubles import GRANT_SOURCE, passage


@pytest.fixture(scope="module")
def checker(embedder) -> AnswerChecker:
    return AnswerChecker(CheckSettings(), Similarity(embedder))


def test_a_faithful_cited_answer_passes(checker: AnswerChecker) -> None:
    check = checker.check(
        "Man kan få högst 600 000 kronor per projekt i Starta er AI-resa [1].", [passage(GRANT_SOURCE)]
    )
    assert isinstance(check, CheckReport)
    assert check.passed, check.problems
    assert (check.problems, check.invalid_citations, check.absent_terms, check.language) == ([], [], [], "sv")


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
    check = checker.check(answer, [passage(GRANT_SOURCE)])
    assert not check.passed
    assert any(problem in p for p in check.problems), check.problems


def test_a_number_from_an_uncited_source_does_not_count(checker: AnswerChecker) -> None:
    other = passage("Ett annat dokument nämner 900 000 kronor.", "annat")
    check = checker.check("Man kan få högst 900 000 kronor per projekt [1].", [passage(GRANT_SOURCE), other])
    assert "900 000" in check.absent_terms
    assert checker.check("Ett annat dokument nämner 900 000 kronor [2].", [passage(GRANT_SOURCE), other]).passed


def test_a_sentence_is_grounded_only_by_numbers_and_meaning_together(checker: AnswerChecker) -> None:
    source = [passage(GRANT_SOURCE)]
    assert checker.grounded("Starta er AI-resa ger högst 600 000 kronor per projekt", source)
    assert not checker.grounded("Starta er AI-resa ger högst 700 000 kronor per projekt", source)
    assert not checker.grounded("Stadshuset ska målas om i grönt", source)


def test_an_echo_of_the_question_adds_nothing() -> None:
    terms = SwedishAnalyzer.fit([GRANT_SOURCE]).terms
    question = "Kan man få pengar i Starta er AI-resa?"
    assert adds_nothing("Ja, man kan få pengar i Starta er AI-resa [1].", question, terms)
    assert not adds_nothing("Man kan få högst 600 000 kronor [1].", question, terms)
