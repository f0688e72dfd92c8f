"""Requests from many threads answered by shared batched calls: how the `transformers` backend
serves many questions at once on a GPU, where one `generate` over 8 prompts costs little more than
over one.

A worker thread takes the oldest waiting request, gathers whatever else arrives within `wait_s`
(up to `max_batch`, and only requests with the same token budget), and runs them as one batch.
A failed batch fails each of its requests with the same error.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from kraftbot.llm.base import ChatMessage


@dataclass
class BatchRequest:
    """One caller's messages and token budget, and where its text goes."""

    messages: list[ChatMessage]
    max_new_tokens: int
    result: Future[str] = field(default_factory=Future)


RunBatch = Callable[[list[list[ChatMessage]], int], list[str]]


class Batcher:
    """Collects `submit` calls into `run_batch(messages_per_request, max_new_tokens)` calls."""

    def __init__(self, run_batch: RunBatch, max_batch: int, wait_s: float = 0.01) -> None:
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.waiting: queue.Queue[BatchRequest] = queue.Queue()
        self.held: list[BatchRequest] = []  # taken from the queue with another budget: next batch
        threading.Thread(target=self._serve, daemon=True, name="generate-batcher").start()

    def submit(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        """The generated text for these messages; blocks until its batch has run."""
        request = BatchRequest(list(messages), max_new_tokens)
        self.waiting.put(request)
        return request.result.result()

    def _next_batch(self) -> list[BatchRequest]:
        first = self.held.pop(0) if self.held else self.waiting.get()
        same = [request for request in self.held if request.max_new_tokens == first.max_new_tokens]
        batch = [first, *same[: self.max_batch - 1]]
        self.held = [request for request in self.held if request not in batch]
        while len(batch) < self.max_batch:
            try:
                request = self.waiting.get(timeout=self.wait_s)
            except queue.Empty:
                break
            (batch if request.max_new_tokens == first.max_new_tokens else self.held).append(request)
        return batch

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                texts = self.run_batch([request.messages for request in batch], batch[0].max_new_tokens)
                answers = list(zip(batch, texts, strict=True))
            except BaseException as error:  # handed to every caller of the batch; the thread goes on
                for request in batch:
                    request.result.set_exception(error)
                continue
            for request, text in answers:
                request.result.set_result(text)
