"""The answer queue: first come, first served; a question that leaves lets the others move up."""

from __future__ import annotations

import asyncio

from kraftbot.web.queue import AnswerQueue, Ticket


async def _places(queue: AnswerQueue, ticket: Ticket, seen: list[int]) -> None:
    async for place in queue.places(ticket):
        seen.append(place)


def test_questions_wait_their_turn_and_are_told_their_place() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        queue = AnswerQueue(workers=1)
        first, second, third = queue.join(), queue.join(), queue.join()
        await _places(queue, first, [])  # its turn at once
        second_seen: list[int] = []
        third_seen: list[int] = []
        waiting = [asyncio.create_task(_places(queue, t, s)) for t, s in ((second, second_seen), (third, third_seen))]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in waiting)
        queue.leave(first, started=True)
        await asyncio.wait_for(waiting[0], 1)
        assert not waiting[1].done(), "one answer at a time"
        queue.leave(second, started=True)
        await asyncio.wait_for(waiting[1], 1)
        return second_seen, third_seen

    second_seen, third_seen = asyncio.run(scenario())
    assert second_seen == [1] and third_seen == [2, 1]


def test_a_question_that_leaves_the_line_lets_the_next_move_up() -> None:
    async def scenario() -> list[int]:
        queue = AnswerQueue(workers=1)
        running, leaving, last = queue.join(), queue.join(), queue.join()
        await _places(queue, running, [])
        seen: list[int] = []
        task = asyncio.create_task(_places(queue, last, seen))
        await asyncio.sleep(0.01)
        queue.leave(leaving, started=False)  # tab closed while waiting
        await asyncio.sleep(0.01)
        queue.leave(running, started=True)
        await asyncio.wait_for(task, 1)
        assert queue.running == 1 and not queue.waiting
        return seen

    assert asyncio.run(scenario()) == [2, 1]


def test_two_workers_answer_two_at_once() -> None:
    async def scenario() -> None:
        queue = AnswerQueue(workers=2)
        first, second = queue.join(), queue.join()
        await asyncio.wait_for(_places(queue, first, []), 1)
        await asyncio.wait_for(_places(queue, second, []), 1)
        assert queue.running == 2

    asyncio.run(scenario())
