"""`server.chat_sign_in`: the chat only for signed-in staff; the sign-in form, its cookie, its
limits; open by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from kraftbot.settings import ServerSettings
from kraftbot.web.app import SIGN_IN_NEEDED, build_app
from kraftbot.web.auth import COOKIE, FOREIGN_FORM, TOO_MANY, WRONG

from .conftest import QUESTION, parse_events

pytestmark = pytest.mark.reliability

PASSWORD = "ett-långt-lösenord"


def _closed_chat(stores, assistant, base_url: str = "http://testserver", attempts: int = 5) -> TestClient:
    stores.users.add("anna", PASSWORD)
    config = ServerSettings(chat_sign_in=True, sign_in_attempts_per_minute=attempts)
    return TestClient(build_app(assistant, stores, config), base_url=base_url, follow_redirects=False)


def _sign_in(client: TestClient, password: str = PASSWORD, next_path: str = "/"):
    return client.post("/signin", data={"name": "anna", "password": password, "next": next_path})


def test_the_chat_is_open_by_default(stores, assistant) -> None:
    client = TestClient(build_app(assistant, stores))
    assert client.get("/").status_code == 200
    assert [name for name, _ in parse_events(client.post("/api/ask", json={"question": QUESTION}).text)][-1] == "done"


def test_a_closed_chat_sends_strangers_to_the_sign_in_form(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    page = client.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/"
    form = client.get("/signin?next=/")
    assert 'lang="sv"' in form.text and "Användarnamn" in form.text and "Lösenord" in form.text
    for path, body in (("/api/ask", {"question": QUESTION}), ("/api/feedback", {"answer_id": "x", "rating": "up"})):
        refused = client.post(path, json=body)
        assert refused.status_code == 401 and refused.json()["error"]["message"] == SIGN_IN_NEEDED


def test_signing_in_opens_the_chat_and_signing_out_closes_it(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    signed_in = _sign_in(client)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
    page = client.get("/")
    assert page.status_code == 200 and "Inloggad som anna" in page.text and "Logga ut" in page.text
    events = parse_events(client.post("/api/ask", json={"question": QUESTION}).text)
    assert "answer" in dict(events)
    assert client.post("/signout").status_code == 200
    assert client.get("/").status_code == 303
    client.cookies.set(COOKIE, signed_in.cookies[COOKIE])  # the old cookie no longer opens anything
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 401


def test_the_cookie_is_secure_behind_https(stores, assistant) -> None:
    signed_in = _sign_in(_closed_chat(stores, assistant, base_url="https://kraftbot.kommun.se"))
    assert "Secure" in signed_in.headers["set-cookie"]


def test_a_wrong_password_is_refused_in_swedish_and_attempts_are_limited(stores, assistant) -> None:
    client = _closed_chat(stores, assistant, attempts=3)
    for _ in range(3):
        wrong = _sign_in(client, "fel-lösenord-helt-och-hållet")
        assert wrong.status_code == 401 and WRONG in wrong.text and COOKIE not in wrong.cookies
        assert 'value="anna"' in wrong.text  # the name stays, the password is typed again
    limited = _sign_in(client)  # even the right password waits out the minute
    assert limited.status_code == 429 and TOO_MANY in limited.text


def test_after_sign_in_only_a_path_on_this_server_is_followed(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    for outside in ("//elak.example/", "https://elak.example/", "/\\elak.example"):
        assert _sign_in(client, next_path=outside).headers["location"] == "/"


def test_a_typed_name_cannot_inject_markup_into_the_form(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    wrong = client.post("/signin", data={"name": '"><script>alert(1)</script>', "password": "x"})
    assert wrong.status_code == 401 and "<script>alert(1)" not in wrong.text


def test_a_form_posted_from_another_site_is_refused(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    foreign = client.post(
        "/signin", data={"name": "anna", "password": PASSWORD}, headers={"Origin": "https://elak.example"}
    )
    assert foreign.status_code == 403 and FOREIGN_FORM in foreign.text


def test_an_expired_session_must_sign_in_again(stores, assistant) -> None:
    client = _closed_chat(stores, assistant)
    _sign_in(client)
    with stores.feedback.engine.begin() as connection:
        connection.execute(text("UPDATE sessions SET expires = :past"), {"past": datetime.now(UTC) - timedelta(1)})
    assert client.get("/").status_code == 303
