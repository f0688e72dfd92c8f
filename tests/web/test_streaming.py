"""The bridge from the assistant's blocking stream to the event loop: events cross over in order as
they come, an error crosses over as itself, and a reader who leaves early cancels the worker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import pytest

from kraftbot.web.streaming import in_worker

WAIT_S = 10.0  # the most a blocked worker waits for its cancel before the test fails


class Cancel:
    """The `cancel` callback, counting its calls; sets `event` as `Prepared.cancel` sets the lead's."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        self.event.set()


async def collect(events: AsyncIterator[str], most: int | None = None) -> list[str]:
    """The events read, at most `most` of them (then the reader leaves), the stream closed after."""
    read: list[str] = []
    async with aclosing(events):
        async for event in events:
            read.append(event)
            if len(read) == most:
                break
    return read


def test_the_events_arrive_in_order_and_a_finished_stream_is_not_cancelled() -> None:
    cancel = Cancel()
    events = [f"mening {n}" for n in range(50)]
    assert asyncio.run(collect(in_worker(iter(events), cancel))) == events
    assert cancel.calls == 0


def test_an_event_crosses_over_before_the_worker_produces_the_next() -> None:
    produced = threading.Event()

    def slow() -> Iterator[str]:
        yield "första"
        # the second is made only once the first has been read on the loop
        yield "andra" if produced.wait(WAIT_S) else "första kom aldrig fram"

    async def read() -> list[str]:
        events = in_worker(slow(), Cancel())
        first = await anext(events)
        produced.set()
        return [first, *await collect(events)]

    assert asyncio.run(read()) == ["första", "andra"]


def test_an_error_in_the_stream_is_raised_on_the_event_loop_after_the_events_before_it() -> None:
    read: list[str] = []

    def failing() -> Iterator[str]:
        yield "första"
        raise ValueError("modellen föll")

    async def consume() -> None:
        async for event in in_worker(failing(), Cancel()):
            read.append(event)

    with pytest.raises(ValueError, match="modellen föll"):
        asyncio.run(consume())
    assert read == ["första"]


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "dropped"])
def test_a_reader_who_leaves_early_cancels_the_worker_which_then_ends(closed: bool) -> None:
    cancel = Cancel()
    produced: list[str] = []

    def until_cancelled() -> Iterator[str]:
        for event in ("första", "andra"):
            produced.append(event)
            yield event
            if cancel.event.wait(WAIT_S):
                return  # as the lead writer does: stop at the next token once cancelled
        produced.append("resten")

    async def leave_early() -> list[str]:
        if closed:
            return await collect(in_worker(until_cancelled(), cancel), most=1)
        async for event in in_worker(until_cancelled(), cancel):  # a `break` without closing (the route's way)
            return [event]
        return []

    started = time.monotonic()
    assert asyncio.run(leave_early()) == ["första"]
    # asyncio.run waits for the worker thread: it ended at the cancel, not at the wait's end
    assert time.monotonic() - started < WAIT_S / 2
    assert (cancel.calls, produced) == (1, ["första"])
