"""Sign-in sessions: valid until they expire, end, or their user is removed; only hashes stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text

from kraftbot.storage.sessions import SessionStore
from kraftbot.storage.users import UserStore

PASSWORD = "ett-långt-lösenord"


def _anna(engine: Engine) -> None:
    UserStore(engine).add("anna", PASSWORD, "staff")


def test_a_session_names_its_user_until_it_ends(engine: Engine) -> None:
    _anna(engine)
    sessions = SessionStore(engine, timedelta(hours=8))
    token = sessions.start("anna")
    user = sessions.user(token)
    assert user is not None and user.name == "anna" and user.role == "staff"
    assert sessions.user(token + "x") is None
    sessions.end(token)
    assert sessions.user(token) is None


def test_an_expired_session_opens_nothing_and_is_forgotten(engine: Engine) -> None:
    _anna(engine)
    sessions = SessionStore(engine, timedelta(seconds=-1))
    token = sessions.start("anna")
    assert sessions.user(token) is None
    assert sessions.forget_expired() == 1


def test_removing_a_user_ends_their_sessions(engine: Engine) -> None:
    _anna(engine)
    sessions = SessionStore(engine, timedelta(hours=8))
    token = sessions.start("anna")
    UserStore(engine).remove("anna")
    assert sessions.user(token) is None
    _anna(engine)  # a new user of the same name does not inherit the old sign-in
    assert sessions.user(token) is None
    assert sessions.user(sessions.start("anna")) is not None


def test_only_the_token_hash_is_stored(engine: Engine) -> None:
    _anna(engine)
    token = SessionStore(engine, timedelta(hours=8)).start("anna")
    with engine.connect() as connection:
        stored = [tuple(map(str, row)) for row in connection.execute(text("SELECT * FROM sessions"))]
    assert stored and not any(token in value for row in stored for value in row)
