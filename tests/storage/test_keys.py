"""API keys: shown once, stored only hashed, refused once revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from kraftbot.storage.keys import KeyExists, KeyStore
from kraftbot.storage.tokens import token_hash


def test_a_key_opens_the_api_until_it_is_revoked(engine: Engine) -> None:
    keys = KeyStore(engine)
    key = keys.create("intranät")
    assert key.startswith("kb-") and len(key) > 40
    assert keys.valid(key) and not keys.valid(key + "x") and not keys.valid("")
    assert [(info.name, info.revoked) for info in keys.list()] == [("intranät", False)]
    assert keys.revoke("intranät") and not keys.valid(key)
    assert not keys.revoke("okänd")
    assert [(info.name, info.revoked) for info in keys.list()] == [("intranät", True)]


def test_only_the_hash_is_stored(engine: Engine) -> None:
    key = KeyStore(engine).create("e-tjänst")
    with engine.connect() as connection:
        stored = [tuple(map(str, row)) for row in connection.execute(text("SELECT * FROM api_keys"))]
    assert not any(key in value for row in stored for value in row)
    assert any(token_hash(key) in row for row in stored)


def test_a_name_is_used_once(engine: Engine) -> None:
    keys = KeyStore(engine)
    keys.create("drift")
    with pytest.raises(KeyExists):
        keys.create("drift")
