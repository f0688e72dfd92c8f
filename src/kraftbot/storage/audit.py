"""Every action taken in the staff workspace, with who and when (personal data redacted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kraftbot.storage.database import Base
from kraftbot.text.redact import redact


class StoredAction(Base):
    """One action: a sign-in, an upload, a re-index, an evaluation run…"""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Action:
    created: datetime
    user_name: str
    action: str
    detail: str


class AuditLog:
    """Appends actions and lists the latest."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, user_name: str, action: str, detail: str = "") -> None:
        with Session(self.engine) as session, session.begin():
            session.add(
                StoredAction(created=datetime.now(UTC), user_name=user_name, action=action, detail=redact(detail))
            )

    def latest(self, limit: int = 50) -> list[Action]:
        with Session(self.engine) as session:
            rows = session.scalars(select(StoredAction).order_by(StoredAction.id.desc()).limit(limit))
            return [Action(row.created, row.user_name, row.action, row.detail) for row in rows]
