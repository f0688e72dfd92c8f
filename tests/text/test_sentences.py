"""Sentences and the claims of a passage: sentences, list items with their lead, whole lists, each
under its section heading."""

from __future__ import annotations

from kraftbot.text.sentences import sentences, text_units
from kraftbot.values import Unit


def test_sentences_split_after_end_punctuation_only() -> None:
    assert sentences(" Högst 600 000 kr. Vem får söka? Kommuner!  ") == [
        "Högst 600 000 kr.",
        "Vem får söka?",
        "Kommuner!",
    ]
    assert sentences("Se vinnova.se/e/2022 för mer") == ["Se vinnova.se/e/2022 för mer"]


def test_a_list_is_one_claim_and_each_item_keeps_its_lead_as_context() -> None:
    text = "# Villkor\n\nProjektet ska ha två parter. Följande krävs:\n\n- en kommun\n- en förening\n\nSlut."
    units = text_units(text)
    lead = "Följande krävs:"
    assert units[0] == Unit("Projektet ska ha två parter.", "sentence", section="Villkor", first=True)
    assert units[1] == Unit(f"{lead}\n\n- en kommun\n- en förening", "list", lead, "Villkor")
    assert [u.full for u in units if u.kind == "item"] == [f"{lead} - en kommun", f"{lead} - en förening"]
    assert units[-1] == Unit("Slut.", "sentence", section="Villkor")
    assert all(u.text in text for u in units)  # verbatim slices: usable as quotes


def test_a_list_without_a_lead_sentence_takes_its_heading() -> None:
    units = text_units("## Vilka kan söka\n\n- kommuner\n- regioner")
    assert {u.context for u in units} == {"Vilka kan söka"}


def test_claims_stand_under_the_given_section_until_a_heading_in_the_text_takes_over() -> None:
    text = "Högst 600 000 kronor. Resten på annat sätt.\n\n## Vem får söka?\n\nKommuner får söka."
    units = text_units(text, "Hur mycket?")
    assert [(u.text, u.section) for u in units] == [
        ("Högst 600 000 kronor.", "Hur mycket?"),
        ("Resten på annat sätt.", "Hur mycket?"),
        ("Kommuner får söka.", "Vem får söka?"),
    ]


def test_only_the_claim_that_opens_the_passage_is_first() -> None:
    assert [u.first for u in text_units("Högst 600 000 kronor. Resten på annat sätt.\n\nSlut.")] == [True, False, False]
    listed = text_units("Följande krävs:\n\n- en kommun\n- en förening\n\nSlut.")
    assert [(u.kind, u.first) for u in listed] == [
        ("list", True),
        ("item", False),
        ("item", False),
        ("sentence", False),
    ]


def test_a_headed_claim_says_what_it_answers() -> None:
    claim = text_units("Högst 600 000 kronor per projekt.", "Hur mycket kan ett projekt få?")[0]
    assert claim.headed == "Hur mycket kan ett projekt få? Högst 600 000 kronor per projekt."
    assert claim.full == "Högst 600 000 kronor per projekt.", "the quote stays the source's own sentence"
    assert text_units("Högst 600 000 kronor.")[0].headed == "Högst 600 000 kronor."


def test_a_list_item_under_its_heading_names_the_heading_once() -> None:
    item = text_units("## Vilka kan söka?\n\n- kommuner\n- regioner")[1]
    assert item.kind == "item" and item.headed == "Vilka kan söka? - kommuner"


def test_a_list_without_a_lead_is_matched_under_its_heading() -> None:
    whole = text_units("## Vilka kan söka?\n\n- kommuner\n- regioner")[0]
    assert whole.kind == "list" and whole.headed.startswith("Vilka kan söka?")
