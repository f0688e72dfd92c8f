"""Random secrets handed out once (API keys, session cookies) and the hash that is stored instead.

A token is 32 random bytes, so a fast hash is enough to make the stored value useless to a thief
(passwords, which people choose, need a slow one: `storage.users`).
"""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
