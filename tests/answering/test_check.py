"""The check every written sentence passes before it is shown: each check fails a Swedish sentence
for its own reason, a faithful paraphrase (inflected names, the question's own words) passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.answering.check import SentenceCheck, denies, inflected_from
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import WriterSettings, load_settings
from kraftbot.text.facts import common_words
from kraftbot.text.swedish import SwedishAnalyzer

from ..doubles import GRANT_SOURCE

VETLANDA = (
    "Vetlanda kommun genomförde ett AI-projekt mellan mars och november 2022. "
    "Projektet leddes av kommunens digitaliseringsstrateg."
)
PRIVATE = "Bidraget betalas inte ut till privatpersoner."
# Evidence [1], [2], [3] as the model reads it.
EVIDENCE = (GRANT_SOURCE, VETLANDA, PRIVATE)

AMOUNT = "Hur mycket pengar kan ett projekt få i Starta er AI-resa?"
WHEN = "När pågick projektet?"
YES_NO = "Kan privatpersoner få bidraget?"
WHO = "Vem var generaldirektör?"

FAITHFUL_AMOUNT = "Ett projekt kan få högst 600 000 kronor [1]."
VAGUE_AMOUNT = "Utlysningen Starta er AI-resa ger pengar till projekt [1]."


def make_check(similarity: Similarity, evidence: tuple[str, ...], **writer: float) -> SentenceCheck:
    """The check as the assistant builds it, its stems and common words taken from `evidence`."""
    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    config = WriterSettings.model_validate(settings.writer.model_dump() | writer)
    return SentenceCheck(
        config, settings.check, similarity, SwedishAnalyzer.fit(evidence).terms, common_words(evidence)
    )


@pytest.fixture(scope="module")
def check(similarity: Similarity) -> SentenceCheck:
    return make_check(similarity, EVIDENCE)


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        (FAITHFUL_AMOUNT, AMOUNT),
        # "Vetlandas" and "AI-projekt" inflect the evidence's names; the question does not name them
        ("Vetlandas AI-projekt pågick mellan mars och november 2022 [2].", WHEN),
        # a "Nej" that keeps the evidence's negation, to a yes/no question
        ("Nej, bidraget betalas inte ut till privatpersoner [3].", YES_NO),
        ("Darja Isaksson var generaldirektör [1].", WHO),
    ],
)
def test_a_faithful_sentence_passes_every_check(check: SentenceCheck, sentence: str, question: str) -> None:
    verdict = check.judge(sentence, question, EVIDENCE, first=True)
    assert verdict.passed, verdict


@pytest.mark.parametrize(
    ("sentence", "question", "failed", "detail"),
    [
        ("Ett projekt kan få högst 600 000 kronor [4].", AMOUNT, "citation", "[4]"),
        ("Ett projekt kan få högst 600 000 kronor.", AMOUNT, "citation", "nothing"),
        ("A project can receive at most 600 000 kronor from Vinnova [1].", AMOUNT, "language", "en"),
        ("Ett projekt kan få högst 700 000 kronor [1].", AMOUNT, "numbers", "700 000"),
        # the amount is evidence [1]'s, not the cited [2]'s
        ("Ett projekt kan få högst 600 000 kronor [2].", AMOUNT, "numbers", "600 000"),
        ("Anna Svensson var generaldirektör [1].", WHO, "names", "Anna, Svensson"),
        ("Utlysningen Starta er AI-resa ger inte 600 000 kronor per projekt [1].", AMOUNT, "polarity", "evidence"),
        ("Bidraget betalas ut till privatpersoner [3].", YES_NO, "polarity", "inte ut till privatpersoner"),
        ("Ja, utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt [1].", AMOUNT, "polarity", "yes/no"),
        (VAGUE_AMOUNT, AMOUNT, "asked", "amount"),
        ("Det säljs cyklar och bananer billigt på torget [1].", "Vad säljs?", "words", "cykl"),
        ("600 000 kronor [1].", AMOUNT, "fragment", "600 000 kronor"),
        ("Ja, Anna Svensson var generaldirektör [1].", "Var Anna Svensson generaldirektör?", "names", "Anna"),
        ("Ja, bidraget betalas ut till privatpersoner [3].", "Får privatpersoner bidraget?", "polarity", ""),
    ],
    ids=[
        "cites-no-such-item",
        "cites-nothing",
        "english",
        "invented-amount",
        "amount-of-an-uncited-item",
        "invented-name",
        "denies-what-evidence-states",
        "states-what-evidence-denies",
        "yes-to-an-open-question",
        "no-amount-when-asked-how-much",
        "words-not-in-evidence",
        "a-fragment",
        "a-name-only-the-question-gives",
        "yes-to-what-evidence-denies",
    ],
)
def test_each_check_fails_the_sentence_for_its_own_reason(
    check: SentenceCheck, sentence: str, question: str, failed: str, detail: str
) -> None:
    verdict = check.judge(sentence, question, EVIDENCE, first=True)
    assert (verdict.failed, verdict.passed) == (failed, False)
    assert detail in verdict.detail


@pytest.mark.parametrize(("first", "failed"), [(True, "asked"), (False, None)])
def test_only_the_first_sentence_must_state_the_kind_of_fact_asked_for(
    check: SentenceCheck, first: bool, failed: str | None
) -> None:
    assert check.judge(VAGUE_AMOUNT, AMOUNT, EVIDENCE, first=first).failed == failed


@pytest.mark.parametrize(("min_similarity", "failed"), [(0.5, None), (0.999, "similarity")])
def test_a_sentence_must_be_close_enough_to_its_evidence_in_meaning(
    similarity: Similarity, min_similarity: float, failed: str | None
) -> None:
    strict = make_check(similarity, EVIDENCE, min_similarity=min_similarity)
    verdict = strict.judge(FAITHFUL_AMOUNT, AMOUNT, EVIDENCE, first=True)
    assert verdict.failed == failed
    assert verdict.detail.startswith("cosine") == (failed == "similarity")


@pytest.mark.parametrize(
    ("name", "words", "inflected"),
    [
        ("Vetlandas", {"vetlanda"}, True),
        ("Vinnovas", {"vinnova"}, True),
        ("AI-projektet", {"ai", "projekt"}, True),
        ("AI", {"ai"}, True),
        ("KI", {"ai"}, False),  # a short part must match exactly
        ("AIs", {"ai"}, False),
        ("Växjö", {"vetlanda"}, False),
        ("Vetlandakommunerna", {"vetlanda"}, False),  # more than a Swedish ending added
        ("Vet", {"vetlanda"}, False),
        ("Eksjö-Vetlanda", {"vetlanda"}, False),  # every part must be given
    ],
)
def test_a_name_is_given_when_each_part_is_a_word_given_or_its_inflection(
    name: str, words: set[str], inflected: bool
) -> None:
    assert inflected_from(name, words) is inflected


def test_another_town_sharing_a_prefix_is_not_an_inflection(similarity: Similarity) -> None:
    evidence = ("Karlskrona kommun fick 600 000 kronor för ett AI-projekt 2022.",)
    assert not inflected_from("Karlstad", {"karlskrona"})
    invented = make_check(similarity, evidence).judge(
        "Karlstad kommun fick 600 000 kronor för ett AI-projekt 2022 [1].", "Vilken kommun fick pengar?", evidence, True
    )
    assert invented.failed == "names"


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("Det går inte.", True),
        ("Stödet ges ej till företag.", True),
        ("Bidraget ges aldrig ut i förskott.", True),
        ("Ingen får söka två gånger.", True),
        ("Nej.", True),
        ("Nej, det går bra.", True),  # an opening reply decides
        ("Ja, men inte i år.", False),
        ("Det går.", False),
        ("Inteckningen gäller.", False),  # "inte" only as a word
    ],
)
def test_denies_reads_negations_and_an_opening_no(text: str, denied: bool) -> None:
    assert denies(text) is denied


@pytest.mark.parametrize(
    ("sentence", "closest"),
    [
        ("Darja Isaksson var generaldirektör.", 1),
        ("Projektet i Vetlanda leddes av en digitaliseringsstrateg.", 2),
        ("Inget betalas ut till privatpersoner.", 3),
        # the sentence's own marker does not decide: its words do
        ("Projektet i Vetlanda leddes av en digitaliseringsstrateg [1].", 2),
    ],
)
def test_an_uncited_sentence_is_given_the_item_whose_words_it_shares_most(
    check: SentenceCheck, sentence: str, closest: int
) -> None:
    assert check.closest(sentence, EVIDENCE) == closest


@pytest.mark.parametrize(
    ("question", "allowed"),
    [
        ("Vi är ett konsultbolag, kan vi vara med i projektet?", True),
        ("Kom det någon ny omgång efter den första?", True),
        ("Hur mycket kan en förening få?", False),
    ],
)
def test_only_a_question_without_a_question_word_may_be_answered_yes_or_no(
    similarity: Similarity, question: str, allowed: bool
) -> None:
    evidence = ("Konsultbolag kan vara med i projektet som experter.",)
    verdict = make_check(similarity, evidence).judge(
        "Ja, konsultbolag kan vara med i projektet som experter [1].", question, evidence, True
    )
    assert (verdict.failed != "polarity") is allowed


def test_a_bare_number_is_judged_by_its_value_not_by_its_words(similarity: Similarity) -> None:
    evidence = ("Inom satsningen finns fyra utlysningar.",)
    verdict = make_check(similarity, evidence).judge(
        "Det finns 4 utlysningar [1].", "Hur många utlysningar finns?", evidence, True
    )
    assert verdict.failed not in ("numbers", "words"), verdict


def test_a_sentence_that_only_repeats_the_question_is_an_echo(similarity: Similarity) -> None:
    evidence = ("Ett projekt med flera parter ska skriva ett projektavtal om hur arbetet fördelas.",)
    question = "Vi är tre organisationer som driver projektet ihop, behöver vi skriva något avtal?"
    echo = make_check(similarity, evidence).judge(
        "Ja, organisationer som driver projektet ihop behöver skriva avtal [1].", question, evidence, True
    )
    assert echo.failed == "echo", echo
    answer = make_check(similarity, evidence).judge(
        "Ja, ett projekt med flera parter ska skriva ett projektavtal [1].", question, evidence, True
    )
    assert answer.passed, answer


def test_words_the_prompt_examples_brought_in_are_withheld(similarity: Similarity) -> None:
    """ "DIGG står för att Vinnova har öppet måndag till fredag": the opening hours come from the prompt."""
    from kraftbot.answering.writer import example_text

    evidence = ("DIGG står för stöd till kommunerna och Vinnova står för finansieringen.",)
    analyzer = SwedishAnalyzer.fit([*evidence, example_text()])
    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    check = SentenceCheck(
        settings.writer,
        settings.check,
        similarity,
        analyzer.terms,
        common_words(evidence),
        borrowed=set(analyzer.terms(example_text())),
    )
    copied = check.judge(
        "DIGG står för stöd och Vinnova har öppet måndag till fredag [1].", "Vad gör DIGG?", evidence, True
    )
    assert copied.failed == "words" and "examples" in copied.detail, copied
    faithful = check.judge("DIGG står för stöd till kommunerna [1].", "Vad gör DIGG?", evidence, True)
    assert faithful.passed, faithful
