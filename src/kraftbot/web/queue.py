"""First come, first served: a few questions answered at once, the rest told their place in line.

A question that leaves (its tab closed, "Avbryt" pressed) leaves the line at once, so the people
behind it move up instead of waiting for an answer nobody reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


class Ticket:
    """One question's place in the line."""


class AnswerQueue:
    """`workers` questions at a time, the rest in arrival order; for the event loop's thread only."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.running = 0
        self.waiting: list[Ticket] = []
        self._changed = asyncio.Event()

    def join(self) -> Ticket:
        ticket = Ticket()
        self.waiting.append(ticket)
        return ticket

    async def places(self, ticket: Ticket) -> AsyncIterator[int]:
        """The ticket's place (1 = next) whenever it changes while it waits; returns when its turn
        has come, the question now counted as running."""
        shown = 0
        while not (self.waiting[0] is ticket and self.running < self.workers):
            place = self.waiting.index(ticket) + 1
            if place != shown:
                shown = place
                yield place
            self._changed.clear()
            await self._changed.wait()
        self.waiting.remove(ticket)
        self.running += 1
        self._changed.set()

    def leave(self, ticket: Ticket, started: bool) -> None:
        """The question is answered or abandoned: free its slot or its place in line."""
        if started:
            self.running -= 1
        elif ticket in self.waiting:
            self.waiting.remove(ticket)
        self._changed.set()
