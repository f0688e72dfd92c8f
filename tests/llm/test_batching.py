"""The batcher on its own: requests waiting together share one call, only with the same token
budget; a failing or malformed batch fails its callers and the next request is still served."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kraftbot.llm.batching import Batcher


class Recorder:
    """A batch function that writes `text:budget` back and notes every batch it was given."""

    def __init__(self, release: threading.Event | None = None) -> None:
        self.batches: list[tuple[list[str], int]] = []
        self.release = release

    def __call__(self, conversations, max_new_tokens: int) -> list[str]:
        if self.release is not None:
            self.release.wait(5)
        texts = [messages[-1]["content"] for messages in conversations]
        self.batches.append((texts, max_new_tokens))
        return [f"{text}:{max_new_tokens}" for text in texts]


def _ask(batcher: Batcher, text: str, budget: int) -> str:
    return batcher.submit([{"role": "user", "content": text}], budget)


def test_waiting_requests_share_a_batch_only_with_the_same_budget() -> None:
    release = threading.Event()
    recorder = Recorder(release)
    batcher = Batcher(recorder, max_batch=8, wait_s=0.3)
    asks = [("a", 16), ("b", 64), ("c", 16), ("d", 64), ("e", 16)]
    with ThreadPoolExecutor(len(asks)) as pool:
        futures = [pool.submit(_ask, batcher, text, budget) for text, budget in asks]
        release.set()
        answers = [future.result(10) for future in futures]
    assert answers == [f"{text}:{budget}" for text, budget in asks]
    budget_of = dict(asks)
    assert all(budget_of[text] == budget for texts, budget in recorder.batches for text in texts)
    assert len(recorder.batches) == 2, recorder.batches  # one batch per budget
    assert sorted(len(texts) for texts, _ in recorder.batches) == [2, 3]


def test_at_most_max_batch_requests_go_together() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_batch=2, wait_s=0.3)
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda text: _ask(batcher, text, 8), "abcde"))
    assert max(len(texts) for texts, _ in recorder.batches) == 2 and sum(len(t) for t, _ in recorder.batches) == 5


@pytest.mark.parametrize("failure", ["raises", "too few texts"])
def test_a_failed_batch_fails_its_callers_and_the_next_request_is_served(failure: str) -> None:
    calls = []

    def flaky(conversations, max_new_tokens: int) -> list[str]:
        calls.append(len(conversations))
        if len(calls) == 1:
            if failure == "raises":
                raise RuntimeError("CUDA out of memory")
            return []
        return ["ok"] * len(conversations)

    batcher = Batcher(flaky, max_batch=4, wait_s=0.01)
    with pytest.raises((RuntimeError, ValueError)):
        _ask(batcher, "a", 8)
    assert _ask(batcher, "b", 8) == "ok"
