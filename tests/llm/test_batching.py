"""The batcher on its own: requests waiting together share one call, at most `max_batch` of them,
requests given up before their batch are left out, and a failing batch fails its requests while the
next request is still served."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from kraftbot.llm.batching import Batcher


class Ask:
    """A request that is answered with its own text, or failed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.answer: Future[str] = Future()
        self.given_up = False

    @property
    def cancelled(self) -> bool:
        return self.given_up

    def fail(self, error: BaseException) -> None:
        self.answer.set_exception(error)


class Recorder:
    """A batch function that answers each request with its text and notes every batch; it waits for
    `release` first when given one."""

    def __init__(self, release: threading.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.release = release

    def __call__(self, requests: list[Ask]) -> None:
        if self.release is not None:
            self.release.wait(5)
        self.batches.append([request.text for request in requests])
        for request in requests:
            request.answer.set_result(request.text.upper())


def _submit(batcher: Batcher[Ask], texts: str) -> list[Ask]:
    asks = [Ask(text) for text in texts]
    for ask in asks:
        batcher.submit(ask)
    return asks


def test_requests_waiting_together_share_a_batch() -> None:
    release = threading.Event()
    recorder = Recorder(release)
    batcher = Batcher(recorder, max_batch=8, wait_s=0.3)
    first = _submit(batcher, "a")  # its batch waits for the release; the next ones gather meanwhile
    rest = _submit(batcher, "bcde")
    release.set()
    assert [ask.answer.result(5) for ask in first + rest] == list("ABCDE")
    assert sorted(len(batch) for batch in recorder.batches) in ([5], [1, 4])


def test_at_most_max_batch_requests_go_together() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_batch=2, wait_s=0.3)
    asks = _submit(batcher, "abcde")
    assert [ask.answer.result(5) for ask in asks] == list("ABCDE")
    assert [len(batch) for batch in recorder.batches] == [2, 2, 1]


def test_a_request_given_up_before_its_batch_is_left_out() -> None:
    release = threading.Event()
    recorder = Recorder(release)
    batcher = Batcher(recorder, max_batch=8, wait_s=0.2)
    running = _submit(batcher, "a")
    waiting = _submit(batcher, "bc")
    waiting[0].given_up = True
    release.set()
    assert running[0].answer.result(5) == "A" and waiting[1].answer.result(5) == "C"
    assert "b" not in [text for batch in recorder.batches for text in batch]


def test_a_failed_batch_fails_its_requests_and_the_next_request_is_served() -> None:
    calls = []

    def flaky(requests: list[Ask]) -> None:
        calls.append(len(requests))
        if len(calls) == 1:
            raise RuntimeError("CUDA out of memory")
        for request in requests:
            request.answer.set_result("ok")

    batcher = Batcher(flaky, max_batch=4, wait_s=0.01)
    [failed] = _submit(batcher, "a")
    with pytest.raises(RuntimeError, match="out of memory"):
        failed.answer.result(5)
    assert _submit(batcher, "b")[0].answer.result(5) == "ok"
    assert batcher.idle.wait(5), "idle again after each batch: what the process waits for at exit"


def test_a_closed_batcher_waits_for_what_it_took_and_takes_no_more() -> None:
    """What the process does at exit: a batch still running would abort it inside torch."""
    release = threading.Event()
    recorder = Recorder(release)
    batcher = Batcher(recorder, max_batch=8, wait_s=0.01)
    [taken] = _submit(batcher, "a")
    assert not batcher.close(0.2), "the taken request is still running"
    [late] = _submit(batcher, "b")
    with pytest.raises(RuntimeError, match="exiting"):
        late.answer.result(1)
    release.set()
    assert batcher.close(5) and taken.answer.result(1) == "A"
    assert recorder.batches == [["a"]]
