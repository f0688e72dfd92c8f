"""Every store on one database: what the server needs, opened once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from kraftbot.storage.audit import AuditLog
from kraftbot.storage.feedback import FeedbackStore
from kraftbot.storage.keys import KeyStore
from kraftbot.storage.sessions import SessionStore
from kraftbot.storage.users import UserStore


@dataclass(frozen=True)
class Stores:
    """Answers and feedback, API keys, staff users, their sign-in sessions and what they did."""

    feedback: FeedbackStore
    keys: KeyStore
    users: UserStore
    sessions: SessionStore
    audit: AuditLog


def open_stores(engine: Engine, index_name: str, session_hours: float = 8.0) -> Stores:
    """The stores on a migrated engine (`storage.migrate.open_url`)."""
    return Stores(
        FeedbackStore(engine, index_name),
        KeyStore(engine),
        UserStore(engine),
        SessionStore(engine, timedelta(hours=session_hours)),
        AuditLog(engine),
    )
