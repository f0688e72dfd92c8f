"""The web chat over the two calls' documents, as `kraftbot serve` builds it (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.index.store import build_index, load_index
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import load_settings
from kraftbot.storage.migrate import open_url
from kraftbot.storage.stores import Stores, open_stores

from ..conftest import copy_corpus

QUESTION = "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder) -> Assistant:
    root = tmp_path_factory.mktemp("web")
    settings = load_settings(config_file=root / "none.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    corpus = copy_corpus(root / "corpus", ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor"])
    build_index(settings, "default", corpus, embedder, progress=False)
    return Assistant(settings, Retriever(load_index(settings, "default", embedder, progress=False), settings.retrieval))


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    return open_stores(open_url(f"sqlite:///{tmp_path / 'kraftbot.db'}"), "default")


def parse_events(stream: str) -> list[tuple[str, dict]]:
    """Server-sent events as (name, data) pairs, in order."""
    events = []
    for block in stream.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture
def store(stores: Stores):
    """The answers and feedback of `stores`, for tests that read what was stored."""
    return stores.feedback
