"""Signed-in staff: a random cookie value per sign-in, stored only as its hash, valid for a while.

A session counts only while its user exists and was made after the user was (last) added, so
removing a user (`kraftbot users remove`) signs them out everywhere at once, and adding the name
again does not bring the old sessions back (SQLite does not enforce the foreign key's cascade).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kraftbot.storage.database import Base
from kraftbot.storage.tokens import new_token, token_hash
from kraftbot.storage.users import StoredUser, UserInfo


class StoredSession(Base):
    """One sign-in: whose it is and until when it holds."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SessionStore:
    """Starts, checks and ends sign-in sessions."""

    def __init__(self, engine: Engine, lifetime: timedelta) -> None:
        self.engine = engine
        self.lifetime = lifetime

    def start(self, user_name: str) -> str:
        """A new session for the user; the returned token (the cookie's value) is the only copy."""
        token = new_token()
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.add(
                StoredSession(
                    token_hash=token_hash(token), user_name=user_name, created=now, expires=now + self.lifetime
                )
            )
        return token

    def user(self, token: str) -> UserInfo | None:
        """Whose session the token opens, or None (unknown, expired, or the user is gone)."""
        with Session(self.engine) as session:
            row = session.execute(
                select(StoredSession.created, StoredSession.expires, StoredUser)
                .join(StoredUser, StoredUser.name == StoredSession.user_name)
                .where(StoredSession.token_hash == token_hash(token))
            ).first()
        if row is None or as_utc(row.expires) <= datetime.now(UTC):
            return None
        user = row.StoredUser
        if as_utc(row.created) < as_utc(user.created):  # a session of an earlier user of that name
            return None
        return UserInfo(user.name, user.role, user.created)

    def end(self, token: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(StoredSession).where(StoredSession.token_hash == token_hash(token)))

    def forget_expired(self) -> int:
        """Delete the sessions that have run out; how many."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(delete(StoredSession).where(StoredSession.expires <= datetime.now(UTC)))
            return result.rowcount
