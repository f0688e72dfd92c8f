"""Swedish analysis: stopwords, stemming, hyphen and compound splitting against the vocabulary."""

from __future__ import annotations

from kraftbot.text.lexicon import STOPWORDS
from kraftbot.text.swedish import SwedishAnalyzer

CORPUS = [
    "Kommuner och förbund samarbetar i en kommunal verksamhet.",
    "Ansökningar ska lämnas in före sista dag.",
    "AI och nya förmågor i arbete och miljö.",
    "Barn har rätt till stöd.",
]


def analyzer(decompound: bool = True) -> SwedishAnalyzer:
    return SwedishAnalyzer.fit(CORPUS, decompound=decompound)


def test_lower_cases_stems_and_drops_stopwords() -> None:
    terms = analyzer().terms("Och KOMMUNERNA har inte några ansökningar")
    assert terms == ["kommun", "ansökning"]
    assert {"och", "har", "inte", "några"} <= STOPWORDS


def test_hyphenated_word_yields_whole_and_parts() -> None:
    terms = analyzer().terms("AI-förmågor")
    assert terms[0] == "ai-förmåg"
    assert {"ai", "förmåg"} <= set(terms)


def test_closed_compounds_split_with_and_without_linking_s() -> None:
    a = analyzer()
    assert a.terms("kommunalförbund") == ["kommunalförbund", "kommunal", "förbund", "kommun"]
    assert a.terms("ansökningsdag") == ["ansökningsdag", "ansökning", "dag"]


def test_definite_forms_meet_their_stem() -> None:
    a = analyzer()
    assert a.terms("barnet") == a.terms("barn") == ["barn"]
    assert "miljö" in a.terms("arbetsmiljön")


def test_no_split_into_words_the_corpus_lacks() -> None:
    a = analyzer()
    assert a.compound_parts("betalningsplan") == []
    assert a.compound_parts("dagbok") == []  # too short to be treated as a compound


def test_decompounding_can_be_switched_off() -> None:
    assert analyzer(decompound=False).terms("kommunalförbund") == ["kommunalförbund"]


def test_soft_hyphen_does_not_split_a_word() -> None:
    assert analyzer().terms("funktions\u00adnedsättning") == analyzer().terms("funktionsnedsättning")
