"""Citations: each valid `[n]` names its passage, with the sentence that best matches the answer."""

from __future__ import annotations

from kraftbot.answering.citations import best_quote, map_citations

from ..doubles import GRANT_SOURCE, passage


def test_markers_map_to_their_passages_and_invalid_ones_are_returned() -> None:
    other = passage("Koordinatorn ska vara en kommun.", "villkor", title="Villkor")
    citations, invalid = map_citations(
        "Högst 600 000 kronor [1], en kommun [2], och [7].", [passage(GRANT_SOURCE), other], 200
    )
    assert [(c.n, c.doc_id, c.node_id) for c in citations] == [
        (1, "utlysning-1", "utlysning-1#0"),
        (2, "villkor", "villkor#0"),
    ]
    assert invalid == [7]
    assert citations[0].quote == "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt."


def test_a_pdf_citation_carries_its_page_into_the_result() -> None:
    report = passage("Budgeten för pilotprojektet i Växjö.", "rapporter/förstudie", title="Förstudie", page="3")
    citations, _ = map_citations("Budgeten står i förstudien [1].", [report], 200)
    assert citations[0].page == "3" and citations[0].label == "Förstudie, s. 3"


def test_a_long_quote_is_cut_with_an_ellipsis() -> None:
    quote = best_quote(GRANT_SOURCE, "generaldirektör Darja Isaksson", 20)
    assert quote == "Darja Isaksson var…" and len(quote) <= 20
    assert best_quote("En mening utan slut", "slut", 200) == "En mening utan slut"
