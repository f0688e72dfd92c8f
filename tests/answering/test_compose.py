"""The answer an applicant reads: the chosen claims, each with its source number before the final
punctuation, and one citation per cited passage, numbered in the order the answer cites them."""

from __future__ import annotations

import pytest

from kraftbot.answering.compose import cite, compose, shown

from ..doubles import candidate, passage

CALL = passage("Högst 600 000 kronor per projekt. Bidraget täcker högst 80 procent.", "utlysning-1", node_id="u#3")
COUNCIL = passage("AI-rådet har tolv kommuner som medlemmar.", "ai-radet", node_id="a#1", url="https://www.ai.se/r")


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("Högst 600 000 kronor per projekt.", "Högst 600 000 kronor per projekt [1]."),
        ("Vem får söka?", "Vem får söka [1]?"),
        ("Följande krävs:", "Följande krävs [1]:"),
        ("Utan slutpunkt", "Utan slutpunkt [1]."),
        ("  Med mellanslag.  ", "Med mellanslag [1]."),
    ],
)
def test_the_source_number_stands_before_the_final_punctuation(text: str, cited: str) -> None:
    assert cite(text, 1) == cited


def test_sources_are_numbered_in_the_order_the_answer_cites_them() -> None:
    chosen = [candidate("AI-rådet har tolv kommuner som medlemmar.", COUNCIL), candidate("Högst 600 000 kronor.", CALL)]
    answer, citations = compose(chosen, quote_chars=240)
    assert answer == "AI-rådet har tolv kommuner som medlemmar [1]. Högst 600 000 kronor [2]."
    assert [(c.n, c.doc_id, c.node_id, c.url) for c in citations] == [
        (1, "ai-radet", "a#1", "https://www.ai.se/r"),
        (2, "utlysning-1", "u#3", "https://www.vinnova.se/utlysning-1"),
    ]


def test_two_claims_of_one_passage_share_its_number_and_its_citation() -> None:
    chosen = [
        candidate("Högst 600 000 kronor per projekt.", CALL),
        candidate("AI-rådet har tolv kommuner som medlemmar.", COUNCIL),
        candidate("Bidraget täcker högst 80 procent.", CALL),
    ]
    answer, citations = compose(chosen, quote_chars=240)
    assert answer.endswith("Bidraget täcker högst 80 procent [1].")
    assert [c.n for c in citations] == [1, 2]
    assert citations[0].quote == "Högst 600 000 kronor per projekt.", "the quote is the passage's first cited claim"


def test_a_list_item_is_quoted_with_its_lead_and_without_its_bullet() -> None:
    item = candidate("- en kommun eller en förening", kind="item", context="Följande krävs:")
    assert shown(item) == "Följande krävs: en kommun eller en förening"
    answer, citations = compose([item], quote_chars=240)
    assert answer == "Följande krävs: en kommun eller en förening [1]."
    assert citations[0].quote == shown(item)
    numbered = candidate("2) en förening", kind="item", context="Följande krävs:")
    assert shown(numbered) == "Följande krävs: en förening"


def test_a_whole_list_is_quoted_on_one_line() -> None:
    listed = candidate("Följande krävs:\n\n- en kommun\n- en förening", kind="list", context="Följande krävs:")
    assert shown(listed) == "Följande krävs: - en kommun - en förening"


def test_a_long_quote_is_cut_with_an_ellipsis_but_the_answer_is_not() -> None:
    sentence = "Starta er AI-resa finansierar projekt som bygger kunskap om maskininlärning i kommunerna."
    answer, citations = compose([candidate(sentence)], quote_chars=30)
    quote = citations[0].quote
    assert len(quote) <= 30 and quote.endswith("…") and sentence.startswith(quote.removesuffix("…"))
    assert answer == sentence.removesuffix(".") + " [1]."
    assert compose([candidate(sentence)], quote_chars=len(sentence))[1][0].quote == sentence


def test_nothing_chosen_composes_nothing() -> None:
    assert compose([], quote_chars=240) == ("", [])
