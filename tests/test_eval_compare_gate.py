"""Comparing two runs and gating one, on runs written the way the runner writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraftbot.evaluation.compare import compare_runs, render
from kraftbot.evaluation.gate import Thresholds, check, load_thresholds
from kraftbot.evaluation.questions import Question
from kraftbot.evaluation.runner import RESULTS_FILE, SUMMARY_FILE, ResultStore
from kraftbot.evaluation.scoring import text_scores
from kraftbot.evaluation.summary import flatten, summarise
from kraftbot.settings import EvaluationSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AMOUNT = Question("amount", "Hur mycket kan man få?", True, facts=["600 000"], sources=["faq"], tags=["belopp"])
WHO = Question("who", "Vem får söka?", True, facts=["kommun"], sources=["faq"], tags=["ansökan"])
WEATHER = Question("weather", "Hur blir vädret?", False, tags=["vägran"])
REFUSAL = "Det vet jag inte utifrån mitt underlag."


def _result(question: Question, answer: str, total_s: float) -> dict[str, object]:
    refused = answer == REFUSAL
    result: dict[str, object] = {
        "id": question.id,
        "question": question.question,
        "answer": answer,
        "refused": refused,
        "mode": "refused" if refused else "generated",
        "citations": [] if refused else [{"n": 1, "doc_id": "faq", "title": "", "url": "", "quote": ""}],
        "retrieved": [{"doc_id": "faq", "url": "", "score": 0.9}],
        "timings": {"retrieval_s": 0.05, "ttft_s": None if refused else 1.0, "total_s": total_s},
        "tokens_out": 0 if refused else 21,
        "answerable": question.answerable,
        "tags": question.tags,
        "peak_rss_mb": 2100.0,
    }
    result["scores"] = text_scores(question, result, "sv", 0.5) | {"supported_share": None, "ungrounded_count": 0}
    return result


def _write_run(run_dir: Path, answers: list[tuple[Question, str]], total_s: float) -> dict[str, object]:
    run_dir.mkdir()
    results = [_result(q, a, total_s) for q, a in answers]
    store = ResultStore(run_dir / RESULTS_FILE)
    for result in results:
        store.append(result)
    summary = summarise(results, EvaluationSettings(bootstrap_samples=200), {"problems": []})
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary))
    return summary


def test_compare_reports_deltas_and_the_questions_that_flipped(tmp_path: Path) -> None:
    _write_run(
        tmp_path / "old",
        [(AMOUNT, "Högst 600 000 kronor [1]."), (WHO, REFUSAL), (WEATHER, REFUSAL)],
        total_s=10.0,
    )
    _write_run(
        tmp_path / "new",
        [(AMOUNT, "Högst 2 miljoner kronor [1]."), (WHO, "Kommuner får söka [1]."), (WEATHER, REFUSAL)],
        total_s=4.0,
    )
    comparison = compare_runs(tmp_path / "old", tmp_path / "new")
    assert [f.id for f in comparison.broke] == ["amount"]
    assert [f.id for f in comparison.fixed] == ["who"]
    deltas = {d.name: d for d in comparison.deltas}
    assert deltas["false_refusal_rate"].change == pytest.approx(-0.5)
    assert deltas["false_refusal_rate"].verdict == "better"
    assert deltas["latency.total_s.p50"].change == pytest.approx(-6.0)
    assert deltas["latency.total_s.p50"].verdict == "better"
    assert deltas["refusal_rate"].change == 0 and deltas["refusal_rate"].verdict == ""
    text = render(comparison)
    assert "Right -> wrong (1)" in text and "| amount |" in text and "| who |" in text


def test_compare_needs_a_finished_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no summary"):
        compare_runs(tmp_path / "empty", tmp_path / "empty")


def test_gate_names_every_measure_outside_its_bounds(tmp_path: Path) -> None:
    summary = _write_run(
        tmp_path / "run", [(AMOUNT, "Högst 600 000 kronor [1]."), (WHO, REFUSAL), (WEATHER, REFUSAL)], total_s=10.0
    )
    passing = Thresholds({"refusal_rate": 1.0, "fact_accuracy": 0.5}, {"latency.total_s.p95": 30})
    assert check(summary, passing) == []
    failing = Thresholds({"answer_correct": 0.9, "supported_sentence_share": 0.5}, {"false_refusal_rate": 0.2})
    failures = {f.name: f for f in check(summary, failing)}
    assert set(failures) == {"answer_correct", "supported_sentence_share", "false_refusal_rate"}
    assert failures["supported_sentence_share"].value is None, "a measure that could not be computed fails"
    assert "required >= 0.9" in str(failures["answer_correct"])
    with pytest.raises(ValueError, match="unknown measures"):
        check(summary, Thresholds({"hit_at_7": 0.5}, {}))


def test_shipped_thresholds_name_known_measures(tmp_path: Path) -> None:
    summary = _write_run(tmp_path / "run", [(AMOUNT, "Högst 600 000 kronor [1].")], total_s=1.0)
    thresholds = load_thresholds(PROJECT_ROOT / "eval" / "thresholds.toml")
    assert thresholds.minimum and thresholds.maximum
    names = set(thresholds.minimum) | set(thresholds.maximum)
    assert names <= set(flatten(summary))
