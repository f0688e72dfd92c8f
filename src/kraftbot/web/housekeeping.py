"""What the server deletes on its own, once an hour: stored answers past `database.retention_days`
(with their feedback) and sign-in sessions that have run out."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from kraftbot.storage.stores import Stores

log = logging.getLogger(__name__)

EVERY_S = 3600.0


def forget_old(stores: Stores, retention_days: int) -> None:
    """One round: expired sessions always, answers only when a retention is set (0 = keep)."""
    sessions = stores.sessions.forget_expired()
    answers = 0
    if retention_days > 0:
        answers = stores.feedback.forget_before(datetime.now(UTC) - timedelta(days=retention_days))
    log.info("Housekeeping: deleted %d expired sessions and %d answers past retention", sessions, answers)


async def keep_house(stores: Stores, retention_days: int, every_s: float = EVERY_S) -> None:
    """`forget_old` now and every `every_s` after, until cancelled; a failed round is logged and retried."""
    while True:
        try:
            await asyncio.to_thread(forget_old, stores, retention_days)
        except Exception:
            log.exception("Housekeeping failed; trying again in an hour")
        await asyncio.sleep(every_s)
