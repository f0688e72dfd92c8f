"""The web chat, started on a free loopback port with the real index and generator.

Driven twice: through `gradio_client` (the API) and through a real headless Chromium (the page).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pytest

from kraftbot.answering import Assistant
from kraftbot.indexing import build_index, load_index
from kraftbot.retrieval import Retriever
from kraftbot.webapp import EXAMPLES, build_app, launch

from .conftest import copy_corpus

pytestmark = pytest.mark.slow

QUESTION = "Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory, embedder, packaged_backend) -> Iterator[str]:
    from kraftbot.settings import load_settings

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


def test_api_streams_an_answer_with_source_links(chat_url: str) -> None:
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    job = client.submit(QUESTION, api_name="/chat")
    final = job.result(timeout=600)
    updates = job.outputs()
    assert len(updates) > 2, "the answer should stream in several updates"
    assert "2022-00880" in final, "the answer should link to the call's page"
    assert "600 000" in final.replace("\u00a0", " ")


def test_empty_question_gets_a_swedish_message(chat_url: str) -> None:
    from gradio_client import Client

    reply = Client(chat_url, verbose=False).predict("   ", api_name="/chat")
    assert "tom" in reply


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
