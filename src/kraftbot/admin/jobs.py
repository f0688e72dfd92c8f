"""Long staff work (a re-index, an evaluation run) in the background, one at a time per queue.

A job survives its page being closed: it runs in the queue's own thread, and the page asks for its
state (`Job.view`) to draw the progress bar. Jobs wait in arrival order; a failed job keeps its
error for the page and the log, and the next job runs.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "failed"]
Progress = Callable[[int, int], None]
Work = Callable[[Progress], Any]


@dataclass
class Job:
    """One piece of background work, its progress and its outcome."""

    id: int
    kind: str
    label: str
    user: str
    work: Work = field(repr=False)
    state: State = "queued"
    done: int = 0
    total: int = 0
    result: Any = None
    error: str = ""

    def view(self) -> dict[str, Any]:
        """What the page shows: state, progress and the error when it failed."""
        percent = round(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": percent,
            "error": self.error,
        }


class JobQueue:
    """Runs its jobs one after another in a daemon thread."""

    _ids = itertools.count(1)

    def __init__(self, kind: str, failure_message: str, on_end: Callable[[Job], None] | None = None) -> None:
        self.kind = kind
        self.failure_message = failure_message  # Swedish, for the page; the details go to the log
        self.on_end = on_end
        self.jobs: dict[int, Job] = {}
        self._waiting: queue.Queue[Job] = queue.Queue()
        threading.Thread(target=self._serve, daemon=True, name=f"jobs-{kind}").start()

    def submit(self, label: str, user: str, work: Work) -> Job:
        job = Job(next(self._ids), self.kind, label, user, work)
        self.jobs[job.id] = job
        self._waiting.put(job)
        return job

    def latest(self, limit: int = 10) -> list[Job]:
        return sorted(self.jobs.values(), key=lambda job: job.id, reverse=True)[:limit]

    def busy(self) -> bool:
        return any(job.state in ("queued", "running") for job in self.jobs.values())

    def _serve(self) -> None:
        while True:
            job = self._waiting.get()
            job.state = "running"

            def progress(done: int, total: int, job: Job = job) -> None:
                job.done, job.total = done, total

            try:
                job.result = job.work(progress)
                job.state = "done"
                log.info("Job %s %d (%s) done", self.kind, job.id, job.label)
            except BaseException:  # whatever the work raised, the queue goes on with the next job
                log.exception("Job %s %d (%s) failed", self.kind, job.id, job.label)
                job.error = self.failure_message
                job.state = "failed"
            if self.on_end is not None:
                try:
                    self.on_end(job)
                except Exception:
                    log.exception("Could not record the end of job %s %d", self.kind, job.id)
