"""Citation repair: a sentence citing the wrong given source is pointed at the one that grounds it."""

from __future__ import annotations

import pytest

from kraftbot.answering.check import AnswerChecker
from kraftbot.answering.repair import repair_citations
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import CheckSettings

from ..doubles import GRANT_SOURCE, passage


@pytest.fixture(scope="module")
def checker(embedder) -> AnswerChecker:
    return AnswerChecker(CheckSettings(), Similarity(embedder))


def test_a_sentence_citing_the_wrong_source_is_pointed_at_the_right_one(checker: AnswerChecker) -> None:
    other = passage("I arbetet medverkade Högskolan i Halmstad och kommunens MAS.", "vetlanda")
    first, second = "[1] Starta er AI-resa ger högst 600 000 kronor.", "Kommunen samarbetade med Högskolan i Halmstad"
    repaired = repair_citations(f"{first} {second} [1].", [passage(GRANT_SOURCE), other], checker)
    assert repaired.text == f"{first} {second} [2]."
    assert [(move.sentence, move.from_, move.to) for move in repaired.moved] == [(f"{second}.", [1], 2)]
    assert checker.check(repaired.text, [passage(GRANT_SOURCE), other]).passed


def test_citation_repair_leaves_what_no_source_grounds(checker: AnswerChecker) -> None:
    other = passage("I arbetet medverkade Högskolan i Halmstad.", "vetlanda")
    invented = "Kommunen samarbetade med Lunds universitet [1]."
    assert repair_citations(invented, [passage(GRANT_SOURCE), other], checker).text == invented
    uncited = "Kommunen samarbetade med Högskolan i Halmstad."
    repaired = repair_citations(uncited, [passage(GRANT_SOURCE), other], checker)
    assert (repaired.text, repaired.moved) == (uncited, [])
