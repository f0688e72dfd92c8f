"""The citation mask over a tiny synthetic vocabulary: while a `[` is open only tokens that continue a
citation of an evidence number may follow; elsewhere only a `[` that opens one is masked."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from kraftbot.llm.base import OutputForm
from kraftbot.llm.citation_mask import CitationMask, FormProcessor

VOCABULARY = [
    "Hej",
    " [",
    "[",
    "1",
    "2",
    "3",
    "]",
    "].",
    "]. ",
    ", ",
    " ",
    "a",
    "[1]",
    "[3]",
    " kronor [",
    "]!",
    "",
    "1]",
]
TOKEN = {text: number for number, text in enumerate(VOCABULARY)}
PROMPT = [TOKEN["Hej"], TOKEN[" ["]]  # the prompt ends with an open "[": it must not count
PADDING = 3  # a model's scores may be longer than its vocabulary


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("Hej", False, True),
        (" [", False, True),
        ("1", True, True),
        ("2", True, True),
        ("3", False, True),  # no evidence item 3
        ("]", True, True),
        ("].", True, True),
        ("]. ", False, True),  # nothing but the stop after the closing bracket
        ("]!", False, True),
        (", ", True, True),
        (" ", True, True),
        ("a", False, True),
        ("[1]", False, True),  # a whole citation opens no new one inside
        ("[3]", False, False),
        (" kronor [", False, True),
        ("1]", True, True),
        ("", False, True),
    ],
)
def test_the_masks_allow_only_tokens_of_a_valid_citation(text: str, inside: bool, outside: bool) -> None:
    allowed_inside, allowed_outside = CitationMask(VOCABULARY).masks(2)
    assert (allowed_inside[TOKEN[text]], allowed_outside[TOKEN[text]]) == (inside, outside)


def test_the_masks_are_made_once_per_number_of_sources() -> None:
    mask = CitationMask(VOCABULARY)
    assert mask.masks(2) is mask.masks(2)
    three = mask.masks(3)
    assert (three[0][TOKEN["3"]], three[1][TOKEN["[3]"]]) == (True, True)
    assert mask.masks(2)[0][TOKEN["3"]] == np.False_


def run(processor: FormProcessor, generated: list[str]) -> npt.NDArray[np.single]:
    """The processor called as llama.cpp calls it: once with the prompt, then after each token; the last scores."""
    ids = list(PROMPT)
    scores = processor(np.array(ids, dtype=np.intc), np.zeros(len(VOCABULARY) + PADDING, dtype=np.single))
    for text in generated:
        ids.append(TOKEN[text])
        scores = processor(np.array(ids, dtype=np.intc), np.zeros(len(VOCABULARY) + PADDING, dtype=np.single))
    return scores


@pytest.mark.parametrize(
    ("generated", "open_citation"),
    [
        ([], False),
        (["Hej"], False),
        (["Hej", " ["], True),
        (["Hej", " kronor ["], True),
        (["Hej", " [", "1"], True),
        (["Hej", " [", "1", ", "], True),
        (["Hej", " [", "1", "]"], False),
        (["Hej", " [", "1]"], False),
        (["Hej", "[1]"], False),
        (["Hej", " [", "2", "].", "Hej"], False),
    ],
)
def test_the_processor_masks_while_a_bracket_is_open(generated: list[str], open_citation: bool) -> None:
    mask = CitationMask(VOCABULARY)
    scores = run(FormProcessor(mask, OutputForm(sources=2, max_sentences=3)), generated)
    allowed = mask.masks(2)[0 if open_citation else 1]
    assert np.array_equal(np.isfinite(scores[: len(VOCABULARY)]), allowed)
    assert np.isfinite(scores[len(VOCABULARY) :]).all(), "scores past the vocabulary are left alone"


def test_a_token_outside_the_vocabulary_changes_nothing() -> None:
    mask = CitationMask(VOCABULARY)
    processor = FormProcessor(mask, OutputForm(sources=2, max_sentences=3))
    run(processor, ["Hej", " ["])
    ids = np.array([*PROMPT, TOKEN["Hej"], TOKEN[" ["], len(VOCABULARY) + 1], dtype=np.intc)
    scores = processor(ids, np.zeros(len(VOCABULARY) + PADDING, dtype=np.single))
    assert np.array_equal(np.isfinite(scores[: len(VOCABULARY)]), mask.masks(2)[0]), "the citation is still open"


def test_the_scores_are_masked_in_place() -> None:
    scores = np.linspace(-1.0, 1.0, len(VOCABULARY), dtype=np.single)
    processor = FormProcessor(CitationMask(VOCABULARY), OutputForm(sources=2, max_sentences=3))
    returned = processor(np.array(PROMPT, dtype=np.intc), scores)
    assert returned is scores
    assert scores[TOKEN["[3]"]] == -np.inf
    assert scores[TOKEN["Hej"]] == np.single(np.linspace(-1.0, 1.0, len(VOCABULARY))[TOKEN["Hej"]])
