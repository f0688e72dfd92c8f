"""The web chat: its answer stream and source links with scripted backends, then the app started on a
free loopback port with the real index and generator (slow), driven through `gradio_client` (the
API) and through a real headless Chromium (the page).
"""

from __future__ import annotations

import logging
import shutil
import socket
from collections.abc import Iterator

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.errors import BackendError
from kraftbot.frontends.web import (
    BACKEND_FAILURE,
    EXAMPLES,
    UNEXPECTED_FAILURE,
    answer_stream,
    build_app,
    launch,
    sources_markdown,
    user_turns,
)
from kraftbot.index.knowledge import KnowledgeIndex
from kraftbot.index.store import build_index, load_index
from kraftbot.llm.extractive_backend import ExtractiveBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings, load_settings
from kraftbot.values import Citation, Mode

from ..conftest import copy_corpus
from ..doubles import FailingBackend, ScriptedBackend, answer_result

QUESTION = "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sources_are_listed_as_links_with_their_page() -> None:
    result = answer_result("Budgeten står i förstudien [1].", cited=["rapporter/förstudie"])
    result.citations = [
        Citation(1, "rapporter/förstudie", "Förstudie", "https://example.se/f.pdf", "Budgeten", "c", "3")
    ]
    assert sources_markdown(result) == "\n\n**Källor**\n1. [Förstudie, s. 3](https://example.se/f.pdf) – ”Budgeten”"
    result.mode = Mode.EXTRACTIVE
    assert "(svaret citerar källorna ordagrant)" in sources_markdown(result)
    assert sources_markdown(answer_result("Det vet jag inte.", refused=True)) == ""


def test_only_the_users_earlier_turns_are_history() -> None:
    history = [
        {"role": "user", "content": "Vad är AI-rådet?"},
        {"role": "assistant", "content": "Ett råd [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Och"}, {"type": "text", "text": "vilka är med?"}]},
        {"role": "user", "content": "  "},
    ]
    assert user_turns(history) == ["Vad är AI-rådet?", "Och vilka är med?"]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, embedder) -> tuple[Settings, KnowledgeIndex]:
    root = tmp_path_factory.mktemp("web")
    settings = load_settings(config_file=root / "none.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    build_index(
        settings, "default", copy_corpus(root / "corpus", ["utlysning-1-starta-er-ai-resa"]), embedder, progress=False
    )
    return settings, load_index(settings, "default", embedder, progress=False)


def _assistant(small_index, backend) -> Assistant:
    settings, knowledge = small_index
    return Assistant(settings, Retriever(knowledge, settings.retrieval), backend)


def test_the_stream_ends_with_the_checked_answer_and_its_sources(small_index) -> None:
    updates = list(answer_stream(_assistant(small_index, ExtractiveBackend()), QUESTION))
    assert len(updates) == 1 and "600 000" in updates[-1] and "**Källor** (svaret citerar" in updates[-1]
    draft = ScriptedBackend("Man kan få 5 miljoner kronor per projekt [1].")
    updates = list(answer_stream(_assistant(small_index, draft), QUESTION))
    assert updates[0] == "Man " and "5 miljoner" in updates[-2]  # the draft grows ...
    assert "5 miljoner" not in updates[-1] and "600 000" in updates[-1]  # ... and is replaced


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        (FailingBackend("Man kan få", pieces=2), "Språkmodellen svarar inte just nu."),
        (FailingBackend(error=BackendError("")), BACKEND_FAILURE),
        (FailingBackend(error=ZeroDivisionError("division by zero")), UNEXPECTED_FAILURE),
    ],
    ids=["backend-down", "backend-silent", "bug"],
)
def test_failures_become_a_swedish_message_in_the_chat(small_index, caplog, backend, message: str) -> None:
    with caplog.at_level(logging.ERROR, logger="kraftbot.frontends.web"):
        updates = list(answer_stream(_assistant(small_index, backend), QUESTION))
    assert updates[-1] == message
    assert caplog.records and caplog.records[-1].exc_info is not None, "the traceback goes to the log"
    assert updates[: backend.pieces] == ["Man ", "Man kan "][: backend.pieces]


def test_a_rejected_question_gets_its_message(small_index) -> None:
    assert list(answer_stream(_assistant(small_index, ExtractiveBackend()), "  ")) == [
        "Skriv en fråga först – frågan är tom."
    ]


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory, embedder, packaged_backend) -> Iterator[str]:
    root = tmp_path_factory.mktemp("webapp")
    settings = load_settings(config_file=root / "none.toml", environ={})
    settings.paths.index_dir = root / "indexes"
    corpus = copy_corpus(root / "corpus", ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor"])
    build_index(settings, "default", corpus, embedder, progress=False)
    retriever = Retriever(load_index(settings, "default", embedder, progress=False), settings.retrieval)
    app = build_app(Assistant(settings, retriever, packaged_backend))
    url = launch(app, "127.0.0.1", _free_port(), block=False)
    yield url
    app.close()


@pytest.mark.slow
def test_api_streams_an_answer_with_source_links(chat_url: str) -> None:
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    job = client.submit(QUESTION, api_name="/chat")
    final = job.result(timeout=600)
    updates = job.outputs()
    assert len(updates) > 2, "the answer should stream in several updates"
    assert "2022-00880" in final, "the answer should link to the call's page"
    assert "600 000" in final.replace("\u00a0", " ")


@pytest.mark.slow
def test_empty_question_gets_a_swedish_message(chat_url: str) -> None:
    from gradio_client import Client

    reply = Client(chat_url, verbose=False).predict("   ", api_name="/chat")
    assert "tom" in reply


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromedriver") is None, reason="scripts/browser.sh installs chromedriver")
def test_page_in_a_real_browser(chat_url: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    try:
        driver.get(chat_url)
        wait = WebDriverWait(driver, 60)
        box = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "textarea")))
        assert "KraftBot" in driver.page_source
        assert EXAMPLES[0][:40] in driver.page_source
        box.send_keys(QUESTION)
        driver.find_element(By.CSS_SELECTOR, "button.submit-button, button[aria-label='Skicka']").click()
        link = WebDriverWait(driver, 600).until(
            ready.presence_of_element_located((By.CSS_SELECTOR, "a[href*='2022-00880']"))
        )
        assert link.is_displayed()
    finally:
        driver.quit()
