"""Numbers and names of an answer that its sources lack: normalised forms count as present."""

from __future__ import annotations

import pytest

from kraftbot.text.facts import absent_names, absent_numbers, absent_terms, common_words, names_in, number_values

from ..doubles import GRANT_SOURCE


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
    assert absent_numbers(answer, [GRANT_SOURCE]) == []


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
    assert invented in absent_numbers(answer, [GRANT_SOURCE])


def test_number_values_read_digits_words_and_scales() -> None:
    values = dict(number_values("Högst 600 tusen kronor, två miljoner eller 0,6 miljoner."))
    assert sorted(values.values()) == [600_000.0, 600_000.0, 2_000_000.0]


def test_invented_names_are_caught_and_real_ones_inflected_pass() -> None:
    assert absent_names("Det var Vinnovas generaldirektör Darja Isaksson.", [GRANT_SOURCE]) == []
    assert absent_names("Vinnova har en handläggare som heter Anna Lindqvist.", [GRANT_SOURCE]) == ["Anna", "Lindqvist"]
    # A name opening a sentence is checked too; common opening words are not names.
    assert "Kalle" in names_in("Kalle Anka beviljade pengarna.")
    assert names_in("Det var åtta projekt.") == []
    assert absent_terms("Enligt Vinnova fick åtta projekt pengar [1].", [GRANT_SOURCE]) == []
    assert absent_terms("Anna fick 750 000 kronor.", [GRANT_SOURCE]) == ["750 000", "Anna"]


def test_a_capitalised_ordinary_word_opening_a_sentence_is_no_name() -> None:
    common = common_words([GRANT_SOURCE, "Kommunerna kan själva välja. Läs mer på vinnova.se/halmstad."])
    assert "själva" in common and "halmstad" not in common  # a web address is no lower-case use
    assert absent_names("Själva bidraget är högst 600 000 kronor.", [GRANT_SOURCE], common) == []
    assert absent_names("Själva bidraget är högst 600 000 kronor.", [GRANT_SOURCE]) == ["Själva"]
    assert absent_names("Halmstad fick pengar.", [GRANT_SOURCE], common) == ["Halmstad"]
    # A line opens a sentence even after a line without a full stop (a heading, a list).
    assert absent_names("Kristinehamn och Gagnef [1]\n\nSjälva källan:", ["Kristinehamn, Gagnef"], common) == []
