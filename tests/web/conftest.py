"""The web chat over the two calls' documents, as `kraftbot serve` builds it (no model)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from kraftbot.admin.workspace import Workspace
from kraftbot.answering.pipeline import Assistant
from kraftbot.index.store import build_index, load_index
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import ServerSettings, Settings, load_settings
from kraftbot.storage.migrate import open_url
from kraftbot.storage.stores import Stores, open_stores
from kraftbot.web.app import build_app

from ..conftest import PROJECT_ROOT, copy_corpus

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


STAFF_PASSWORD = "ett-långt-lösenord"


@dataclass
class StaffSite:
    """A server with the staff workspace over its own corpus copy, index, data folder and database."""

    settings: Settings
    stores: Stores
    workspace: Workspace
    app: FastAPI
    corpus: Path


@pytest.fixture
def staff_site(tmp_path: Path, embedder) -> StaffSite:
    settings = load_settings(config_file=tmp_path / "none.toml", environ={})
    settings.paths.index_dir, settings.paths.data_dir = tmp_path / "indexes", tmp_path / "data"
    corpus = copy_corpus(tmp_path / "corpus", ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor"])
    settings.paths.corpus_dir = corpus
    build_index(settings, "default", corpus, embedder, progress=False)
    knowledge = load_index(settings, "default", embedder, progress=False)
    assistant = Assistant(settings, Retriever(knowledge, settings.retrieval))
    stores = open_stores(open_url(f"sqlite:///{tmp_path / 'kraftbot.db'}"), "default")
    stores.users.add("anna", STAFF_PASSWORD)
    workspace = Workspace(settings, "default", PROJECT_ROOT)
    return StaffSite(settings, stores, workspace, build_app(assistant, stores, ServerSettings(), 0, workspace), corpus)


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (skip the tests that use it with `browsing.needs_chromium` when it is missing)."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1000,1200",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    yield driver
    driver.quit()
