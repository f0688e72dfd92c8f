"""Staff users: argon2 hashes, never the password; a wrong password or an unknown name gets nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from kraftbot.storage.users import UserError, UserStore

PASSWORD = "ett-långt-lösenord"


def test_a_user_signs_in_with_their_password_only(engine: Engine) -> None:
    users = UserStore(engine)
    users.add("anna", PASSWORD, "admin")
    signed_in = users.check("anna", PASSWORD)
    assert signed_in is not None and signed_in.role == "admin"
    assert users.check("anna", PASSWORD + "!") is None and users.check("bo", PASSWORD) is None
    assert [(u.name, u.role) for u in users.list()] == [("anna", "admin")]
    assert users.remove("anna") and users.check("anna", PASSWORD) is None and not users.remove("anna")


def test_the_password_is_stored_as_an_argon2_hash(engine: Engine) -> None:
    UserStore(engine).add("anna", PASSWORD)
    with engine.connect() as connection:
        [stored] = connection.execute(text("SELECT password_hash FROM users")).scalars()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_short_passwords_and_taken_names_are_refused(engine: Engine) -> None:
    users = UserStore(engine)
    with pytest.raises(UserError, match="12 characters"):
        users.add("anna", "kort")
    users.add("anna", PASSWORD)
    with pytest.raises(UserError, match="exists"):
        users.add("anna", PASSWORD)
