"""A small index of shipped documents, built once for the answering tests, and an assistant over it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.index.knowledge import KnowledgeIndex
from kraftbot.index.store import build_index, load_index
from kraftbot.llm.base import GenerationBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings, load_settings

from ..conftest import copy_corpus

DOCS = ["utlysning-1-starta-er-ai-resa", "kontakt-och-saknade-uppgifter", "ai-radet", "fallstudie-vetlanda"]


@pytest.fixture(scope="package")
def knowledge(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Settings, KnowledgeIndex]:
    """The shipped settings and a loaded index of `DOCS`; copy the settings before changing them."""
    root = tmp_path_factory.mktemp("answering")
    settings = load_settings(config_file=root / "absent.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    corpus = copy_corpus(root / "corpus", DOCS)
    build_index(settings, "default", corpus, embedder, progress=False)
    return settings, load_index(settings, "default", embedder, progress=False)


@pytest.fixture(scope="package")
def retriever(knowledge) -> Retriever:
    settings, index = knowledge
    return Retriever(index, settings.retrieval)


@pytest.fixture
def make_assistant(knowledge, embedder) -> Callable[..., Assistant]:
    """An assistant over the index with the given backend (and settings, the shipped ones by default)."""

    def factory(backend: GenerationBackend, settings: Settings | None = None) -> Assistant:
        config = settings or knowledge[0]
        return Assistant(config, Retriever(knowledge[1], config.retrieval), backend, embedder)

    return factory
