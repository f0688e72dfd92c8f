"""API keys for `/v1`: created once and shown once, stored only as their SHA-256 (`storage.tokens`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Engine, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kraftbot.storage.database import Base
from kraftbot.storage.tokens import new_token, token_hash

KEY_PREFIX = "kb-"


class StoredKey(Base):
    """One API key: its name, the hash of its secret, and whether it still opens the API."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class KeyInfo:
    """What `kraftbot keys list` shows: never the key."""

    name: str
    created: datetime
    revoked: bool


class KeyExists(ValueError):
    """A key of that name exists already."""


class KeyStore:
    """Creates, lists, revokes and checks API keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str) -> str:
        """A new key for `name`; the returned key is the only copy."""
        key = new_token(KEY_PREFIX)
        with Session(self.engine) as session, session.begin():
            if session.get(StoredKey, name) is not None:
                raise KeyExists(name)
            session.add(StoredKey(name=name, key_hash=token_hash(key), created=datetime.now(UTC), revoked=False))
        return key

    def list(self) -> list[KeyInfo]:
        with Session(self.engine) as session:
            rows = session.scalars(select(StoredKey).order_by(StoredKey.name)).all()
            return [KeyInfo(row.name, row.created, row.revoked) for row in rows]

    def revoke(self, name: str) -> bool:
        """Revoke the key; False when there is none of that name."""
        with Session(self.engine) as session, session.begin():
            row = session.get(StoredKey, name)
            if row is None:
                return False
            row.revoked = True
            return True

    def valid(self, key: str) -> bool:
        with Session(self.engine) as session:
            row = session.scalar(select(StoredKey).where(StoredKey.key_hash == token_hash(key)))
            return row is not None and not row.revoked
