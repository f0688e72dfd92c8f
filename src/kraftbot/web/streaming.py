"""The assistant's answer stream, read on the event loop: the model runs in a worker thread and each
event crosses over as soon as it exists, so the page sees a sentence the moment it passes its check.

When the reader leaves (a closed tab, "Avbryt", a dropped API client), the answer is cancelled: the
model stops at its next token and the worker ends without waiting for the rest of the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from kraftbot.values import AnswerEvent, AnswerResult

Event = TypeVar("Event")


@dataclass(frozen=True)
class InLine:
    """The question waits: its place in line (0 once its turn has come)."""

    place: int


@dataclass(frozen=True)
class Stored:
    """The whole answer, stored: its id for feedback, None when the database failed."""

    result: AnswerResult
    answer_id: str | None


# What the chat service yields for one question: its place in line, the assistant's events, the stored answer.
ServiceEvent = InLine | AnswerEvent | Stored


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


async def in_worker(events: Iterator[Event], cancel: Callable[[], None]) -> AsyncIterator[Event]:
    """The events of a blocking iterator, produced in the default executor; `cancel` on leaving early."""
    loop = asyncio.get_running_loop()
    arrived: asyncio.Queue[object] = asyncio.Queue()

    def produce() -> None:
        try:
            for event in events:
                loop.call_soon_threadsafe(arrived.put_nowait, event)
        except BaseException as error:  # re-raised on the event loop, where the route handles it
            loop.call_soon_threadsafe(arrived.put_nowait, _Failed(error))
        finally:
            loop.call_soon_threadsafe(arrived.put_nowait, _END)

    loop.run_in_executor(None, produce)  # catches everything itself: nothing to collect from its future
    finished = False
    try:
        while (item := await arrived.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
        finished = True
    finally:
        if not finished:
            cancel()  # the worker stops at the model's next token and ends by itself
