"""The staff workspace in a real headless Chromium against the real server: sign in, upload a Word
document about something the corpus does not know, re-index, ask the chat about it, run a
six-question evaluation and read its report, turn a 👎 into a test question and run it; and,
signed out, nothing of it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kraftbot.web.background import BackgroundServer

from .browsing import answers, ask, needs_chromium, wait
from .conftest import STAFF_PASSWORD, StaffSite

pytestmark = [pytest.mark.slow, needs_chromium]

SIX_QUESTIONS = [
    ("Hur mycket pengar kunde man som mest söka per projekt i Starta er AI-resa?", ["600 000"]),
    ("Vem får vara koordinator i Gemensamma AI-förmågor?", ["koordinator"]),
    ("När öppnar AI-verkstaden i Testköping?", ["12 mars 2027"]),
    ("Vad heter verkstadens ansvariga enhet?", ["digitaliseringsenhet"]),
    ("Hur många deltagare tar AI-verkstaden emot per kurstillfälle?", ["tolv"]),
    ("Vad kostar en pizza i Testköping?", None),
]


def _docx(path: Path) -> Path:
    from docx import Document

    document = Document()
    document.core_properties.title = "AI-verkstaden i Testköping"
    document.add_heading("När öppnar AI-verkstaden i Testköping?", level=1)
    document.add_paragraph("AI-verkstaden i Testköping öppnar för kommunens medarbetare den 12 mars 2027.")
    document.add_heading("Vem ansvarar för AI-verkstaden?", level=1)
    document.add_paragraph("AI-verkstaden drivs av Testköpings digitaliseringsenhet.")
    document.add_heading("Hur många deltagare tar AI-verkstaden emot?", level=1)
    document.add_paragraph("AI-verkstaden tar emot tolv deltagare per kurstillfälle.")
    document.save(path)
    return path


def _question_file(path: Path) -> Path:
    lines = [
        {"id": f"ws{i}", "question": q, "answerable": facts is not None, "facts": facts or [], "category": "staff"}
        for i, (q, facts) in enumerate(SIX_QUESTIONS, start=1)
    ]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def site(staff_site: StaffSite) -> Iterator[tuple[StaffSite, BackgroundServer]]:
    server = BackgroundServer(staff_site.app)
    yield staff_site, server
    server.stop()


def _sign_in(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "admin")
    browser.find_element(By.ID, "name").send_keys("anna")
    browser.find_element(By.ID, "password").send_keys(STAFF_PASSWORD + "\n")
    wait(browser, lambda d: "Inloggad som anna" in d.page_source)


def _jobs(browser: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [job.get_attribute("data-state") for job in browser.find_elements(By.CSS_SELECTOR, ".job")]


def _finished(before: int) -> Callable[[Any], bool]:
    """The page lists more jobs than `before` (the one just started) and none is still going: it has
    reloaded after the new job ended (admin.js)."""

    def check(browser: Any) -> bool:
        states = _jobs(browser)
        return len(states) > before and all(state in ("done", "failed") for state in states)

    return check


def _start_run(browser: Any, option_text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(browser.current_url.split("/admin")[0] + "/admin/utvardering")
    before = len(_jobs(browser))
    choice = Select(browser.find_element(By.ID, "questions"))
    choice.select_by_visible_text(next(o.text for o in choice.options if option_text in o.text))
    browser.find_element(By.XPATH, "//button[text()='Starta']").click()
    wait(browser, _finished(before), 300)
    assert "Misslyckades" not in browser.page_source


def _open_newest_report(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    browser.find_elements(By.LINK_TEXT, "Visa rapport")[0].click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".report"))
    return browser.find_element(By.CSS_SELECTOR, ".report").text


def test_a_staff_day_documents_evaluation_and_feedback(browser, site, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    staff_site, server = site
    _sign_in(browser, server.url)
    assert browser.find_element(By.CSS_SELECTOR, "nav").text.split() == ["Dokument", "Utvärdering", "Återkoppling"]

    # Dokument: upload the Word file, re-index, and the chat knows it at once.
    browser.find_element(By.ID, "file").send_keys(str(_docx(tmp_path / "ai-verkstaden.docx")))
    browser.find_element(By.XPATH, "//button[text()='Ladda upp']").click()
    wait(browser, lambda d: "är uppladdad" in d.page_source)
    browser.find_element(By.ID, "reindex").click()
    wait(browser, _finished(0), 120)
    assert "Klart" in browser.page_source and "AI-verkstaden i Testköping" in browser.page_source
    browser.get(server.url)
    ask(browser, "när öppnar ai-verkstaden i testköping?")
    wait(browser, lambda d: answers(d))
    assert "12 mars 2027" in answers(browser)[0].text
    assert "AI-verkstaden i Testköping" in browser.find_element(By.CSS_SELECTOR, ".turn").text
    browser.find_element(By.CSS_SELECTOR, ".feedback .down").click()
    browser.find_element(By.CSS_SELECTOR, ".comment textarea").send_keys("Jag ville också veta var den ligger")
    browser.find_element(By.CSS_SELECTOR, ".send-comment").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".thanks"))

    # Utvärdering: upload six questions, run them, read the report.
    browser.get(server.url + "admin/utvardering")
    browser.find_element(By.ID, "questionfile").send_keys(str(_question_file(tmp_path / "sex-fragor.jsonl")))
    browser.find_element(By.XPATH, "//form[contains(@action,'ladda-upp')]//button").click()
    wait(browser, lambda d: "6 frågor" in d.page_source)
    _start_run(browser, "sex-fragor.jsonl")
    report = _open_newest_report(browser)
    assert "answer_correct" in report and "ws3" in report
    assert browser.find_elements(By.CSS_SELECTOR, ".report img"), "the report's plots are shown"
    assert all(
        img.get_attribute("naturalWidth") != "0" for img in browser.find_elements(By.CSS_SELECTOR, ".report img")
    )

    # Återkoppling: the 👎 becomes a test question, which runs.
    browser.get(server.url + "admin/aterkoppling")
    browser.find_element(By.PARTIAL_LINK_TEXT, "ai-verkstaden").click()
    assert "Jag ville också veta var den ligger" in browser.page_source
    browser.find_element(By.ID, "facts").send_keys("12 mars 2027")
    browser.find_element(By.ID, "sources").send_keys("ai-verkstaden")
    browser.find_element(By.XPATH, "//button[text()='Lägg till som testfråga']").click()
    wait(browser, lambda d: "är tillagd" in d.page_source)
    _start_run(browser, "personalens")
    assert "feedback-" in _open_newest_report(browser)

    # Compare the two runs side by side.
    browser.get(server.url + "admin/utvardering")
    browser.find_elements(By.CSS_SELECTOR, "input[name=gammal]")[1].click()
    browser.find_elements(By.CSS_SELECTOR, "input[name=ny]")[0].click()
    browser.find_element(By.XPATH, "//button[text()='Jämför markerade']").click()
    wait(browser, lambda d: "Jämförelse" in d.page_source)

    # Signed out, nothing is shown.
    browser.get(server.url + "admin/dokument")
    browser.find_element(By.CSS_SELECTOR, ".signout button").click()
    wait(browser, lambda d: "Du är utloggad" in d.page_source)
    for page in ("admin", "admin/dokument", "admin/utvardering", "admin/aterkoppling"):
        browser.get(server.url + page)
        assert browser.find_elements(By.ID, "password") and "AI-verkstaden" not in browser.page_source
    done = {(action.user_name, action.action) for action in staff_site.stores.audit.latest()}
    for what in ("sign-in", "upload", "reindex", "upload-questions", "evaluation", "add-test-question", "sign-out"):
        assert ("anna", what) in done, what


@pytest.mark.reliability
def test_markup_in_a_document_is_shown_as_text_in_the_chat(browser, site) -> None:
    from selenium.webdriver.common.by import By

    staff_site, server = site
    (staff_site.corpus / "markup.md").write_text(
        '---\ntitle: "<img src=x onerror=window.__pwned=1> Verkstaden"\nurl: "javascript:window.__pwned=2"\n---\n\n'
        "# Var ligger AI-verkstaden i Testköping?\n\n"
        "AI-verkstaden i Testköping ligger i stadshuset <script>window.__pwned=3</script> på plan två.\n",
        encoding="utf-8",
    )
    job = staff_site.workspace.reindex("anna")
    wait(browser, lambda _: job.state in ("done", "failed"), 120)
    browser.get(server.url)
    ask(browser, "var ligger ai-verkstaden i testköping?")
    wait(browser, lambda d: answers(d))
    turn = browser.find_element(By.CSS_SELECTOR, ".turn").text
    assert "<img src=x" in turn and "stadshuset" in turn, "the markup is shown as the text it is"
    assert not browser.find_elements(By.CSS_SELECTOR, ".turn img, .turn script"), "no markup became elements"
    assert browser.execute_script("return window.__pwned") is None, "no markup ran"
    for link in browser.find_elements(By.CSS_SELECTOR, ".turn a"):
        assert not (link.get_attribute("href") or "").startswith("javascript:")
