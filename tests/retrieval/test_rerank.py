"""The optional cross-encoder reranker, with a tiny randomly initialised model (no download)."""

from __future__ import annotations

import pytest

from kraftbot.retrieval.rerank import CrossEncoderReranker

from ..tiny_models import build_cross_encoder


@pytest.fixture(scope="module")
def reranker(tmp_path_factory) -> CrossEncoderReranker:
    return CrossEncoderReranker(str(build_cross_encoder(tmp_path_factory.mktemp("cross"))), device="cpu")


def test_reranker_scores_each_pair_independently(reranker) -> None:
    texts = ["Koncernstab HR fattar beslut.", "Svar inom en vecka.", "Okända ord här."]
    scores = reranker.scores("Vem fattar beslut?", texts)
    assert len(scores) == 3 and all(0.0 < s < 1.0 for s in scores)
    assert reranker.scores("Vem fattar beslut?", texts[::-1]) == pytest.approx(scores[::-1], abs=1e-5)
    assert reranker.scores("Vem fattar beslut?", []) == []
