"""Source markers: which sources an answer names, and its text without them."""

from __future__ import annotations

from kraftbot.text.markers import cited_numbers, strip_markers


def test_every_marker_form_counts_once_in_order_of_first_mention() -> None:
    assert cited_numbers("Först [2], sedan [1, 3] och [2][4]; [3 ; 5].") == [2, 1, 3, 4, 5]
    assert cited_numbers("Inga källor, bara [a] och [].") == []


def test_stripping_markers_keeps_the_sentence_tidy() -> None:
    assert strip_markers("Högst 600 000 kronor [1].") == "Högst 600 000 kronor."
    assert strip_markers("[1] Högst  600 000 kronor [2, 3]") == "Högst 600 000 kronor"
