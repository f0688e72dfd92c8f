"""Requests from many threads served by shared batched calls: how the `transformers` backend serves
many questions at once on a GPU, where one `generate` over 8 prompts costs little more than over one.

A worker thread takes the oldest waiting request, gathers whatever else arrives within `wait_s` (up to
`max_batch`), and hands them to `run_batch` together. Requests whose caller has already given up are
left out. A batch that raises fails each of its requests with the same error, and the worker goes on
with the next.

The batcher does not know what a request holds: the backend's requests carry their messages, their
budget and where their text goes, and `run_batch` answers each of them.

A streaming caller has its whole text before `run_batch` returns (its row may end before the others),
so a process can reach its end while a batch still runs. Exiting then, with the daemon thread inside
torch, aborts the process ("terminate called without an active exception", exit code 134); so at exit
the batcher takes no more requests and the process waits until those it took are answered
(`EXIT_WAIT_S` at most).
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

EXIT_WAIT_S = 30.0


class BatchRequest(Protocol):
    """What the batcher needs of a request: whether its caller still waits, and how to fail it."""

    @property
    def cancelled(self) -> bool: ...

    def fail(self, error: BaseException) -> None: ...


Request = TypeVar("Request", bound=BatchRequest)


class Batcher(Generic[Request]):
    """Collects `submit`ted requests into `run_batch(requests)` calls on one worker thread."""

    def __init__(self, run_batch: Callable[[list[Request]], None], max_batch: int, wait_s: float = 0.01) -> None:
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.waiting: queue.Queue[Request] = queue.Queue()
        # set while no request is queued or in a batch: counted from `submit` on, so that no moment
        # between taking a request and running it looks idle
        self.idle = threading.Event()
        self.idle.set()
        self._unfinished = 0
        self._counting = threading.Lock()
        self.closed = False
        _batchers.add(self)
        threading.Thread(target=self._serve, daemon=True, name="generate-batcher").start()

    def submit(self, request: Request) -> None:
        """Queue the request; it is answered through itself when its batch runs (or failed at once
        when the process is exiting)."""
        with self._counting:
            if self.closed:
                request.fail(RuntimeError("the process is exiting"))
                return
            self._unfinished += 1
            self.idle.clear()
        self.waiting.put(request)

    def close(self, wait_s: float) -> bool:
        """Take no more requests, and wait (`wait_s` at most) for those taken; whether they all ended."""
        with self._counting:
            self.closed = True
        return self.idle.wait(wait_s)

    def _next_batch(self) -> list[Request]:
        batch = [self.waiting.get()]
        while len(batch) < self.max_batch:
            try:
                batch.append(self.waiting.get(timeout=self.wait_s))
            except queue.Empty:
                break
        return batch

    def _serve(self) -> None:
        while True:
            taken = self._next_batch()
            batch = [request for request in taken if not request.cancelled]
            try:
                if batch:
                    self.run_batch(batch)
            except BaseException as error:  # handed to every caller of the batch; the thread goes on
                for request in batch:
                    request.fail(error)
            finally:
                with self._counting:
                    self._unfinished -= len(taken)
                    if not self._unfinished:
                        self.idle.set()


_batchers: weakref.WeakSet[Batcher] = weakref.WeakSet()


@atexit.register
def _wait_for_running_batches() -> None:
    for batcher in list(_batchers):
        batcher.close(EXIT_WAIT_S)
