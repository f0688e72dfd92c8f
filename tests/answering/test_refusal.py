"""Refusals an applicant reads: why, what the documents say they lack, the closest documents as
links, and where to look instead."""

from __future__ import annotations

import pytest

from kraftbot.answering.refusal import INJECTION, NO_QUESTION, NOT_IN_MATERIAL, OFF_TOPIC, refusal_message
from kraftbot.settings import TopicSettings
from kraftbot.values import RefusalReason

from ..doubles import candidate, passage

CALL = passage("Högst 600 000 kronor per projekt.", "utlysning-1", title="Starta er AI-resa")
COUNCIL = passage("AI-rådet leds av AI Sweden och SKR.", "ai-radet", title="AI-rådet", url="https://www.ai.se/radet")
CASE = passage("Vetlanda utvecklade en AI-tjänst.", "vetlanda", title="Vetlanda", url="https://www.digg.se/vetlanda")
DEADLINE = "Sista ansökningsdag finns inte i underlaget; den står på utlysningens sida."
MISSING = passage(DEADLINE, "kontakt", title="Saknade uppgifter", url="https://www.vinnova.se/kontakt")
# The shipped corpus's topic and sites (the defaults).
TOPIC = TopicSettings()


@pytest.mark.parametrize(
    ("reason", "message"), [("no_question", NO_QUESTION), ("injection", INJECTION), ("off_topic", OFF_TOPIC)]
)
def test_refusals_without_a_subject_in_the_documents_get_no_links(reason: RefusalReason, message: str) -> None:
    refused = refusal_message(reason, [CALL, COUNCIL], TOPIC, candidate(DEADLINE, MISSING, absent=True), ["Kiruna"])
    assert refused == message.format(topic=TOPIC.name)
    assert "](" not in refused and TOPIC.name in refused


@pytest.mark.parametrize(
    ("unmentioned", "named"),
    [
        (["Kiruna"], "”Kiruna”"),
        (["Kiruna", "2019"], "”Kiruna” eller ”2019”"),
        (["Kiruna", "Lund", "5 miljoner"], "”Kiruna”, ”Lund” eller ”5 miljoner”"),
    ],
)
def test_a_false_premise_is_refused_naming_what_the_documents_never_mention(unmentioned: list[str], named: str) -> None:
    lead = refusal_message("premise", [CALL], TOPIC, unmentioned=unmentioned).split("\n\n")[0]
    assert lead == f"Det kan jag inte svara på: mitt underlag nämner inte {named}."


def test_an_absent_fact_is_refused_quoting_the_documents_and_linking_their_source_first() -> None:
    message = refusal_message("absent", [CALL, COUNCIL], TOPIC, candidate(DEADLINE, MISSING, absent=True))
    lead, links, *_ = message.split("\n\n")
    assert lead == f"Det kan jag tyvärr inte svara på. Underlaget säger: ”{DEADLINE}”"
    assert links == (
        "Närmast ligger: [Saknade uppgifter](https://www.vinnova.se/kontakt), "
        "[Starta er AI-resa](https://www.vinnova.se/utlysning-1), [AI-rådet](https://www.ai.se/radet)."
    )


def test_a_refusal_without_a_statement_to_quote_says_the_fact_is_not_in_the_material() -> None:
    assert refusal_message("unsupported", [CALL], TOPIC).startswith(NOT_IN_MATERIAL + "\n\n")
    assert refusal_message("absent", [CALL], TOPIC).startswith(NOT_IN_MATERIAL + "\n\n")
    assert refusal_message("premise", [CALL], TOPIC).startswith(NOT_IN_MATERIAL + "\n\n")


def test_at_most_the_asked_number_of_documents_is_linked_each_once() -> None:
    passages = [passage(f"Text {n}.", f"doc-{n}", title=f"Dokument {n}") for n in range(5)]
    passages.insert(1, passage("Samma dokument igen.", "doc-0", title="Dokument 0"))
    passages.insert(0, passage("Utan adress.", "ingen", url=""))
    message = refusal_message("unsupported", passages, TOPIC, documents=2)
    assert (
        "Närmast ligger: [Dokument 0](https://www.vinnova.se/doc-0), [Dokument 1](https://www.vinnova.se/doc-1)."
        in message
    )
    assert "Dokument 2" not in message and "ingen" not in message


@pytest.mark.parametrize(
    ("passages", "pointer"),
    [
        ([CALL], "Aktuella uppgifter hittar du på Vinnovas webbplats (vinnova.se)."),
        ([COUNCIL], "Aktuella uppgifter hittar du på AI Swedens webbplats (ai.se)."),
        (
            [COUNCIL, CALL],
            "Aktuella uppgifter hittar du på Vinnovas webbplats (vinnova.se) eller AI Swedens webbplats (ai.se).",
        ),
    ],
)
def test_the_refusal_points_to_the_sites_of_the_linked_documents(passages: list, pointer: str) -> None:
    assert refusal_message("unsupported", passages, TOPIC).endswith("\n\n" + pointer)


def test_no_site_is_pointed_to_when_no_linked_document_is_on_one() -> None:
    assert "Aktuella uppgifter" not in refusal_message("unsupported", [CASE], TOPIC)
    assert refusal_message("unsupported", [], TOPIC) == NOT_IN_MATERIAL


def test_a_custom_topic_and_site_replace_the_shipped_corpus_names() -> None:
    topic = TopicSettings(name="Exempelby kommuns AI-pilot", more_info={"exempelby.se": "Exempelby kommuns webbplats"})
    notice = passage("Piloten pågår under hösten.", "pilot", title="Piloten", url="https://www.exempelby.se/ai-pilot")
    off_topic = refusal_message("off_topic", [notice], topic)
    unsupported = refusal_message("unsupported", [notice], topic)
    assert "Exempelby kommuns AI-pilot" in off_topic
    assert unsupported.endswith("\n\nAktuella uppgifter hittar du på Exempelby kommuns webbplats.")
    for shipped in ("Kraftsamling", "Vinnova", "vinnova.se", "AI Sweden", "ai.se"):
        assert shipped not in off_topic and shipped not in unsupported
    assert "Aktuella uppgifter" not in refusal_message("unsupported", [CALL], topic), "vinnova.se is no longer named"
