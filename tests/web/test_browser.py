"""The chat page in a real headless Chromium against the real server on loopback: sources before
the answer, no text ever withdrawn, 👎 with a comment stored, a follow-up, a reload that keeps the
conversation, "Avbryt", the server gone, and a chat behind sign-in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kraftbot.answering.pipeline import Assistant
from kraftbot.settings import ServerSettings
from kraftbot.storage.feedback import StoredAnswer
from kraftbot.web.app import build_app
from kraftbot.web.background import BackgroundServer

from .browsing import answers, ask, needs_chromium, wait

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]

# Every state of the conversation as the page shows it, recorded on each change.
RECORD_STATES = """
window.__states = [];
new MutationObserver(() => window.__states.push(document.getElementById('conversation').innerText))
  .observe(document.getElementById('conversation'), {childList: true, subtree: true, characterData: true});
"""


@pytest.fixture
def serve(stores) -> Iterator[Callable[..., BackgroundServer]]:
    servers: list[BackgroundServer] = []

    def start(assistant: Assistant, config: ServerSettings | None = None) -> BackgroundServer:
        servers.append(BackgroundServer(build_app(assistant, stores, config)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_an_answer_its_feedback_a_follow_up_and_a_reload(browser, serve, assistant, store) -> None:
    from selenium.webdriver.common.by import By

    browser.get(serve(assistant).url)
    assert browser.execute_script("return document.documentElement.lang") == "sv"
    browser.execute_script(RECORD_STATES)
    ask(browser, "hur mkt pengar kan man få i starta er ai-resa")
    wait(browser, lambda d: len(answers(d)) == 1 and not d.find_elements(By.CSS_SELECTOR, ".status"))
    states = [state for state in browser.execute_script("return window.__states") if state.strip()]
    answer = answers(browser)[0].text.split("\n")[0]
    first_answer = next(i for i, state in enumerate(states) if answer in state)
    assert any("Hittade källor" in state for state in states[:first_answer]), "sources shown before the answer"
    assert all(answer in state for state in states[first_answer:]), "an answer once shown is never withdrawn"
    kept = [line for line in states[-1].splitlines() if not line.startswith("⏳")]
    for state in states:  # every line but a ⏳ status stays to the end
        assert all(line in kept for line in state.splitlines() if line.strip() and not line.startswith("⏳"))

    browser.find_element(By.CSS_SELECTOR, ".feedback .down").click()
    browser.find_element(By.CSS_SELECTOR, ".comment textarea").send_keys("Jag ville veta totalbudgeten")
    browser.find_element(By.CSS_SELECTOR, ".send-comment").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".thanks"))
    [item] = store.negative_items()
    assert item.comments == ["Jag ville veta totalbudgeten"] and "600 000" in item.answer.answer

    ask(browser, "och vem får söka?")
    wait(browser, lambda d: len(answers(d)) == 2)
    assert "Kommuner och civilsamhällesorganisationer" in answers(browser)[1].text

    browser.refresh()
    wait(browser, lambda d: len(answers(d)) == 2)
    assert browser.find_elements(By.CSS_SELECTOR, ".thanks"), "the conversation survives a reload"
    browser.find_element(By.ID, "new").click()
    assert not answers(browser)


@pytest.mark.reliability
def test_stop_ends_a_question_and_frees_the_server(browser, serve, assistant, store, monkeypatch) -> None:
    from selenium.webdriver.common.by import By

    real_prepare = assistant.prepare

    def slow_prepare(question: str, history: list[str] | None = None):
        time.sleep(3)  # fault injection: a slow backend
        return real_prepare(question, history)

    monkeypatch.setattr(assistant, "prepare", slow_prepare)
    server = serve(assistant)
    browser.get(server.url)
    ask(browser, "Vem får söka pengar i Starta er AI-resa?")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".status"))
    browser.find_element(By.ID, "stop").click()
    wait(browser, lambda d: "Frågan avbröts." in d.find_element(By.ID, "conversation").text, 5)
    service = server.app.state.service
    wait(browser, lambda d: service.queue.running == 0 and not service.queue.waiting, 10)
    time.sleep(3.5)  # past the slow step: the abandoned question must not go on to an answer
    with Session(store.engine) as session:
        assert session.scalar(select(func.count()).select_from(StoredAnswer)) == 0
    assert not answers(browser)


@pytest.mark.reliability
def test_the_server_gone_gives_a_swedish_message(browser, serve, assistant) -> None:
    from selenium.webdriver.common.by import By

    server = serve(assistant)
    browser.get(server.url)
    server.stop()
    ask(browser, "Hur mycket kan man få?")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".error"), 20)
    assert "går inte att nå" in browser.find_element(By.CSS_SELECTOR, ".error").text


def test_a_chat_behind_sign_in_asks_first_and_signs_out(browser, serve, assistant, stores) -> None:
    from selenium.webdriver.common.by import By

    stores.users.add("anna", "ett-långt-lösenord")
    server = serve(assistant, ServerSettings(chat_sign_in=True))
    browser.get(server.url)
    assert "/signin" in browser.current_url and browser.find_elements(By.ID, "question") == []
    browser.find_element(By.ID, "name").send_keys("anna")
    browser.find_element(By.ID, "password").send_keys("fel-lösenord\n")
    wait(browser, lambda d: "Fel användarnamn eller lösenord" in d.page_source)
    browser.find_element(By.ID, "password").send_keys("ett-långt-lösenord\n")
    wait(browser, lambda d: d.find_elements(By.ID, "question"))
    assert "Inloggad som anna" in browser.page_source
    assert browser.get_cookie("kraftbot_session")["httpOnly"] is True
    ask(browser, "Hur mycket pengar kunde man få i Starta er AI-resa?")
    wait(browser, lambda d: answers(d))
    browser.find_element(By.CSS_SELECTOR, ".signout button").click()
    wait(browser, lambda d: "Du är utloggad" in d.page_source)
    browser.get(server.url)
    assert "/signin" in browser.current_url
