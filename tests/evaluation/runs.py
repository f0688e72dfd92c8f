"""Evaluation runs written the way the runner writes them, from scripted answers (no index, no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kraftbot.evaluation.questions import Question
from kraftbot.evaluation.records import EvaluatedResult, Scores
from kraftbot.evaluation.runner import RESULTS_FILE, SUMMARY_FILE, ResultStore
from kraftbot.evaluation.scoring import text_scores
from kraftbot.evaluation.summary import summarise
from kraftbot.settings import EvaluationSettings

from ..doubles import answer_result

AMOUNT = Question("amount", "Hur mycket kan man få?", True, facts=["600 000"], sources=["faq"], tags=["belopp"])
WHO = Question("who", "Vem får söka?", True, facts=["kommun"], sources=["faq"], tags=["ansökan"])
WEATHER = Question("weather", "Hur blir vädret?", False, tags=["vägran"])
REFUSAL = "Det vet jag inte utifrån mitt underlag."


def evaluated(question: Question, answer: str, total_s: float) -> EvaluatedResult:
    refused = answer == REFUSAL
    result = answer_result(
        answer, refused=refused, cited=[] if refused else ["faq"], retrieved=["faq"], question=question.question
    )
    result.timings.total_s = total_s
    scores = text_scores(question, result, "sv", 0.5) | {"supported_share": None, "ungrounded": []}
    return EvaluatedResult(
        **dict(result) | {"id": question.id},
        answerable=question.answerable,
        tags=question.tags,
        history=[],
        rss_mb=2000.0,
        peak_rss_mb=2100.0,
        scores=Scores(**scores, ungrounded_count=0),
    )


def write_run(run_dir: Path, answers: list[tuple[Question, str]], total_s: float) -> dict[str, Any]:
    """A finished run folder: `results.jsonl` and `summary.json`; returns the summary."""
    run_dir.mkdir()
    results = [evaluated(q, a, total_s) for q, a in answers]
    store = ResultStore(run_dir / RESULTS_FILE)
    for result in results:
        store.append(result)
    summary = summarise([r.to_dict() for r in results], EvaluationSettings(bootstrap_samples=200), {"problems": []})
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary))
    return summary
