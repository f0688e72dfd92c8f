"""Staff users: names, roles and argon2 password hashes (people choose passwords, so a slow hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, Engine, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kraftbot.storage.database import Base

Role = Literal["staff", "admin"]
MIN_PASSWORD_CHARS = 12


class StoredUser(Base):
    """One staff member who may sign in."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class UserInfo:
    """What `kraftbot users list` shows: never the hash."""

    name: str
    role: str
    created: datetime


class UserError(ValueError):
    """A user that exists already, or a password too short; the message says which, in English."""


class UserStore:
    """Adds, lists, removes and checks staff users."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hasher = PasswordHasher()

    def add(self, name: str, password: str, role: Role = "staff") -> None:
        if len(password) < MIN_PASSWORD_CHARS:
            raise UserError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
        with Session(self.engine) as session, session.begin():
            if session.get(StoredUser, name) is not None:
                raise UserError(f"a user named {name} exists already")
            session.add(
                StoredUser(name=name, role=role, password_hash=self.hasher.hash(password), created=datetime.now(UTC))
            )

    def list(self) -> list[UserInfo]:
        with Session(self.engine) as session:
            return [
                UserInfo(u.name, u.role, u.created)
                for u in session.scalars(select(StoredUser).order_by(StoredUser.name))
            ]

    def remove(self, name: str) -> bool:
        with Session(self.engine) as session, session.begin():
            user = session.get(StoredUser, name)
            if user is None:
                return False
            session.delete(user)
            return True

    def check(self, name: str, password: str) -> UserInfo | None:
        """The user when the password is theirs, else None."""
        with Session(self.engine) as session:
            user = session.get(StoredUser, name)
            if user is None:
                self.hasher.hash(password)  # as slow as a wrong password, so names cannot be probed by time
                return None
            try:
                self.hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            return UserInfo(user.name, user.role, user.created)
