"""Sentence similarity: cosines from one embedder, each text embedded once while it stays cached."""

from __future__ import annotations

import numpy as np
import pytest

from kraftbot.answering.similarity import Similarity

from ..doubles import CountingEmbedding

TEXTS = ["Högst 600 000 kronor per projekt.", "Koordinatorn ska vara en kommun.", "Vädret blir soligt."]


@pytest.fixture(scope="module")
def counting() -> CountingEmbedding:
    return CountingEmbedding()


def test_a_text_is_embedded_once_and_compared_by_cosine(counting: CountingEmbedding) -> None:
    similarity = Similarity(counting)
    before = len(counting.passages)
    scores = similarity.to_question("Hur mycket pengar kan man få?", TEXTS)
    assert int(np.argmax(scores)) == 0 and np.all(scores <= 1.0 + 1e-6)
    again = similarity.between(TEXTS[0], TEXTS[1:])
    assert counting.passages[before:] == TEXTS, "the second call found every text in the cache"
    assert again.shape == (2,) and similarity.between(TEXTS[0], [TEXTS[0]])[0] == pytest.approx(1.0, abs=1e-5)
    assert similarity.to_question("Fråga?", []).shape == (0,) and similarity.between("x", []).shape == (0,)


def test_the_cache_forgets_the_oldest_texts_beyond_its_size(counting: CountingEmbedding) -> None:
    similarity = Similarity(counting, cache_size=2)
    similarity.text_vectors(TEXTS[:2])
    before = len(counting.passages)
    similarity.text_vectors(TEXTS[1:2])
    assert len(counting.passages) == before, "a cached text is not embedded again"
    similarity.text_vectors(TEXTS[2:])  # the oldest, TEXTS[0], makes room
    similarity.text_vectors(TEXTS[:1])
    assert counting.passages[before:] == [TEXTS[2], TEXTS[0]]


def test_a_full_cache_still_returns_every_text_of_the_request(counting: CountingEmbedding) -> None:
    """A long-running server fills the cache; a question whose passages hold the oldest cached
    sentence and a new one must still be answered."""
    similarity = Similarity(counting, cache_size=2)
    similarity.text_vectors(TEXTS[:2])
    vectors = similarity.text_vectors([TEXTS[0], TEXTS[2]])
    assert vectors.shape[0] == 2
    assert float(vectors[0] @ similarity.text_vectors([TEXTS[0]])[0]) == pytest.approx(1.0, abs=1e-5)
