"""The staff workspace over the one served index: its documents, its evaluation runs, and the
background queues that rebuild the index and run evaluations (one of each kind at a time).

A finished re-index swaps a new assistant into the chat service; questions already being answered
finish on the old one (`web.app.ChatService`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kraftbot.admin.documents import DocumentLibrary
from kraftbot.admin.evaluations import EvaluationLibrary, RunRecord
from kraftbot.admin.jobs import Job, JobQueue, Progress
from kraftbot.answering.pipeline import Assistant
from kraftbot.assistant import with_fresh_index
from kraftbot.index.manifest import MANIFEST_FILE, Manifest
from kraftbot.index.store import BuildReport, build_index, index_path
from kraftbot.settings import Settings

log = logging.getLogger(__name__)

INDEX_FAILED = "Indexeringen misslyckades; chatten svarar fortfarande ur det förra indexet."
RUN_FAILED = "Utvärderingen misslyckades."


class Serving(Protocol):
    """What the workspace swaps a re-indexed assistant into (`web.app.ChatService`)."""

    assistant: Assistant


class Workspace:
    """Documents, evaluations and their background jobs for one index of one server."""

    def __init__(self, settings: Settings, index_name: str, project_root: Path) -> None:
        self.settings = settings
        self.index_name = index_name
        self.serving: Serving | None = None  # the chat service, set by `web.app.build_app`
        self.audit: Callable[[str, str, str], None] | None = None  # (user, action, detail), set there too
        data = settings.paths.data_dir
        self.evaluations = EvaluationLibrary(project_root, data / "evaluations", data / "staff")
        if interrupted := self.evaluations.mark_interrupted():
            log.warning("%d evaluation runs were cut off by a restart; marked failed", interrupted)
        self.indexing = JobQueue("index", INDEX_FAILED, self._ended)
        self.running = JobQueue("evaluation", RUN_FAILED, self._ended)

    def _ended(self, job: Job) -> None:
        """How a job ended goes into the audit log, under the user who started it."""
        if self.audit is not None:
            self.audit(job.user, f"{job.kind}-{job.state}", job.label)

    def attached(self) -> Serving:
        if self.serving is None:
            raise RuntimeError("the workspace is not attached to a chat service (web.app.build_app does that)")
        return self.serving

    def manifest(self) -> Manifest | None:
        path = index_path(self.settings, self.index_name)
        return Manifest.read(path) if (path / MANIFEST_FILE).exists() else None

    def corpus_dir(self) -> Path:
        """The folder the served index was built from (else `paths.corpus_dir`)."""
        manifest = self.manifest()
        return Path(manifest.corpus_dir) if manifest else self.settings.paths.corpus_dir

    def documents(self) -> DocumentLibrary:
        return DocumentLibrary(self.corpus_dir(), self.settings.ingest)

    def reindex(self, user: str) -> Job:
        """Queue a rebuild of the index from its folder; when done, the chat answers from it."""

        def work(progress: Progress) -> BuildReport:
            serving = self.attached()
            embedder = serving.assistant.retriever.knowledge.embedder  # the loaded model, not a second copy
            report = build_index(
                self.settings, self.index_name, self.corpus_dir(), embedder, progress=False, on_progress=progress
            )
            serving.assistant = with_fresh_index(serving.assistant, self.index_name)
            log.info("Index %s rebuilt by %s and swapped in (%s)", self.index_name, user, report.summary())
            return report

        return self.indexing.submit(f"Indexera om {self.index_name}", user, work)

    def start_run(self, questions: Path, label: str, user: str) -> Job:
        """Queue an evaluation run of a question file on the chat's current assistant."""

        def work(progress: Progress) -> RunRecord:
            return self.evaluations.run(
                questions, self.settings, self.attached().assistant, on_answered=progress, index_name=self.index_name
            )

        return self.running.submit(f"Utvärdera {label}", user, work)

    def job(self, job_id: int) -> Job | None:
        return self.indexing.jobs.get(job_id) or self.running.jobs.get(job_id)
