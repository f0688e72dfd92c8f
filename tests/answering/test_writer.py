"""What the model is given (numbered evidence, fixed prompt text first) and how its token stream is cut
into sentences, each at its citation, the moment the piece after it arrives."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from kraftbot.answering.check import SentenceCheck
from kraftbot.answering.similarity import Similarity
from kraftbot.answering.writer import EXAMPLES, SYSTEM_PROMPT, SentenceStream, numbered_evidence, prompt, tidy
from kraftbot.llm.base import NO_ANSWER
from kraftbot.settings import load_settings
from kraftbot.text.facts import common_words
from kraftbot.text.markers import cited_numbers
from kraftbot.text.swedish import SwedishAnalyzer

from ..doubles import GRANT_SOURCE, candidate, passage

AMOUNT = "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt."
SHARE = "Bidraget får utgöra högst 80 procent av kostnaderna."
ANNOUNCED = "Den 28 november 2022 meddelade Vinnova att åtta projekt hade fått finansiering."
DIRECTOR = "Darja Isaksson var generaldirektör."
CALL = passage(GRANT_SOURCE, node_id="utlysning-1#0")


def cut(pieces: Sequence[str]) -> tuple[list[list[str]], str]:
    """The sentences each piece completes, and what is left when the stream ends."""
    stream = SentenceStream()
    return [list(stream.feed(piece)) for piece in pieces], stream.rest()


@pytest.mark.parametrize(
    ("pieces", "done", "rest"),
    [
        (  # token by token, split inside "[1" and "]", the stop a piece of its own
            ["Ett projekt får 600 000 kron", "or [", "1", "]", ".", " Nästa mening gäller [", "2]", "."],
            [[], [], [], [], [], ["Ett projekt får 600 000 kronor [1]."], [], []],
            "Nästa mening gäller [2].",
        ),
        (
            ["Ett projekt får 600 000 kronor [1", "]. Nästa", " mening [2]."],
            [[], ["Ett projekt får 600 000 kronor [1]."], []],
            "Nästa mening [2].",
        ),
        (  # the stop before the citation is moved after it
            ["Ett projekt får 600 000 kronor", ".", " [", "1", "]", " Nästa [2]"],
            [[], [], [], [], [], ["Ett projekt får 600 000 kronor [1]."]],
            "Nästa [2].",
        ),
        (  # a citation that grows: "[1, " then "2]"; two markers in a row
            ["Ett projekt får 600 000 kronor [1, ", "2]", "[3]!", " Nästa [2]. Sista [1]."],
            [[], [], [], ["Ett projekt får 600 000 kronor [1, 2][3]!", "Nästa [2]."]],
            "Sista [1].",
        ),
        (["Text utan hänvisning"], [[]], "Text utan hänvisning."),
        (["INGET", "_SVAR"], [[], []], f"{NO_ANSWER}."),
        ([], [], ""),
    ],
    ids=[
        "token-by-token",
        "split-citation",
        "stop-before-citation",
        "growing-citation",
        "uncited",
        "no-answer",
        "empty",
    ],
)
def test_a_sentence_is_cut_at_its_citation_once_the_next_piece_arrives(
    pieces: list[str], done: list[list[str]], rest: str
) -> None:
    assert cut(pieces) == (done, rest)


def test_the_rest_is_given_once() -> None:
    stream = SentenceStream()
    assert list(stream.feed("Sista meningen [1].")) == []
    assert (stream.rest(), stream.rest()) == ("Sista meningen [1].", "")


@pytest.mark.parametrize(
    ("sentence", "tidied"),
    [
        ("  Högst   600 000\nkronor [1]. ", "Högst 600 000 kronor [1]."),
        ("Högst 600 000 kronor. [1]", "Högst 600 000 kronor [1]."),
        ("Högst 600 000 kronor. [1].", "Högst 600 000 kronor [1]."),
        ("Får alla söka? [1, 2]", "Får alla söka [1, 2]?"),
        ("Högst 600 000 kronor [1]", "Högst 600 000 kronor [1]."),
        ("Högst 600 000 kronor [1]!", "Högst 600 000 kronor [1]!"),
    ],
)
def test_tidy_puts_the_stop_after_the_citation(sentence: str, tidied: str) -> None:
    assert tidy(sentence) == tidied


@pytest.mark.parametrize(
    ("claims", "context_claims", "texts"),
    [
        ([AMOUNT], 2, [f"{AMOUNT} {SHARE} {ANNOUNCED}"]),
        ([AMOUNT], 0, [AMOUNT]),
        ([ANNOUNCED], 1, [f"{ANNOUNCED} {DIRECTOR}"]),
        # the share, chosen itself, is left to its own item (and the window is not widened for it)
        ([AMOUNT, SHARE], 2, [f"{AMOUNT} {ANNOUNCED}", f"{SHARE} {ANNOUNCED} {DIRECTOR}"]),
        # a claim its passage does not hold gets no context
        (["Något som passagen inte säger."], 2, ["Något som passagen inte säger."]),
    ],
)
def test_each_chosen_claim_is_an_item_with_the_sentences_that_follow_it(
    claims: list[str], context_claims: int, texts: list[str]
) -> None:
    items = numbered_evidence([candidate(claim, CALL) for claim in claims], context_claims)
    assert [(item.number, item.claim.unit.text, item.text) for item in items] == [
        (number, claim, text) for number, (claim, text) in enumerate(zip(claims, texts, strict=True), start=1)
    ]


def test_a_list_item_is_given_with_its_lead_and_without_context() -> None:
    item = candidate("- en kommun", kind="item", context="Följande får söka:")
    assert [entry.text for entry in numbered_evidence([item], context_claims=2)] == ["Följande får söka: en kommun"]


def test_the_prompt_is_fixed_text_then_the_numbered_evidence_then_the_question() -> None:
    items = numbered_evidence([candidate(AMOUNT, CALL), candidate(DIRECTOR, CALL)], context_claims=0)
    first, second = prompt("Hur mycket?", items), prompt("Vem?", items[:1])
    assert first[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert first[:-1] == second[:-1], "everything before the question's evidence is cached text"
    assert [m["role"] for m in first[1:]] == ["user", "assistant"] * len(EXAMPLES) + ["user"]
    assert first[-1]["content"] == f"Utdrag:\n[1] {AMOUNT}\n[2] {DIRECTOR}\n\nFråga: Hur mycket?"
    assert NO_ANSWER in SYSTEM_PROMPT


@pytest.fixture(scope="module")
def example_check(similarity: Similarity) -> SentenceCheck:
    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    texts = [text for evidence, _, _ in EXAMPLES for text in evidence]
    analyzer = SwedishAnalyzer.fit(texts)
    return SentenceCheck(settings.writer, settings.check, similarity, analyzer.terms, common_words(texts))


@pytest.mark.parametrize(
    ("evidence", "question", "answer"),
    [
        pytest.param(*example)
        for example in EXAMPLES
        if example[2] != NO_ANSWER
    ],
)
def test_the_examples_show_sentences_that_pass_the_check(
    example_check: SentenceCheck, evidence: tuple[str, ...], question: str, answer: str
) -> None:
    """The model imitates the examples: were they rejected, so would its answers be."""
    done, rest = cut([f"{word} " for word in answer.split(" ")])
    sentences = [sentence for piece in done for sentence in piece] + ([rest] if rest else [])
    assert len(sentences) == answer.count("[")
    assert all(cited_numbers(sentence) for sentence in sentences)
    verdicts = [example_check.judge(s, question, evidence, first=n == 0) for n, s in enumerate(sentences)]
    assert [v.failed for v in verdicts] == [None] * len(sentences), verdicts
