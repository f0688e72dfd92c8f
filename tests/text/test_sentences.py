"""Sentences and the claims of a passage: sentences, list items with their lead, whole lists."""

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
    assert units[0] == Unit("Projektet ska ha två parter.", "sentence")
    assert units[1] == Unit(f"{lead}\n\n- en kommun\n- en förening", "list", lead)
    assert [u.full for u in units if u.kind == "item"] == [f"{lead} - en kommun", f"{lead} - en förening"]
    assert units[-1] == Unit("Slut.", "sentence")
    assert all(u.text in text for u in units)  # verbatim slices: usable as quotes


def test_a_list_without_a_lead_sentence_takes_its_heading() -> None:
    units = text_units("## Vilka kan söka\n\n- kommuner\n- regioner")
    assert {u.context for u in units} == {"Vilka kan söka"}
