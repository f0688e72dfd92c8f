"""The evaluation run end to end with the real `extractive` backend (no generator): resumability,
bad questions, failing answers, the report files, and the `kraftbot eval` command with its gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraftbot.cli import EXIT_GATE_FAILED, main
from kraftbot.evaluation.runner import REPORT_FILE, RESULTS_FILE, SUMMARY_FILE, run_evaluation
from kraftbot.indexing import build_index
from kraftbot.llm.base import BackendError
from kraftbot.service import build_assistant

from .conftest import copy_corpus

DOCS = ["utlysning-1-starta-er-ai-resa", "utlysning-2-gemensamma-ai-formagor", "satsningen"]
QUESTIONS = [
    {
        "id": "amount",
        "question": "Hur mycket pengar kan ett projekt få i Starta er AI-resa?",
        "answerable": True,
        "facts": ["600 000"],
        "sources": ["utlysning-1-starta-er-ai-resa"],
        "tags": ["belopp"],
    },
    {
        "id": "who",
        "question": "Vem får vara koordinator i Starta er AI-resa?",
        "answerable": True,
        "facts": ["kommun"],
        "sources": ["utlysning-1-starta-er-ai-resa"],
        "tags": ["ansökan"],
    },
    {"id": "weather", "question": "Hur blir vädret i Göteborg i helgen?", "answerable": False, "tags": ["vägran"]},
    {
        "id": "common",
        "question": "Hur många organisationer måste vara med i Gemensamma AI-förmågor?",
        "answerable": True,
        "facts": ["tre|3"],
        "sources": ["utlysning-2-gemensamma-ai-formagor"],
        "tags": ["ansökan"],
    },
]


@pytest.fixture
def setup(make_settings, embedder, tmp_path: Path):
    settings = make_settings(llm={"backend": "extractive"})
    copy_corpus(settings.paths.corpus_dir, DOCS)
    build_index(settings, "default", embedder=embedder, progress=False)
    questions = tmp_path / "questions.jsonl"
    lines = [json.dumps(q, ensure_ascii=False) for q in QUESTIONS]
    lines.insert(2, '{"id": "broken", "question": "Vad')
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings, questions


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_rerun_resumes_and_a_cut_off_line_is_answered_again(setup, tmp_path: Path) -> None:
    settings, questions = setup
    out = tmp_path / "run"
    first = run_evaluation(settings, questions, out, limit=2, progress=False)
    assert first.answered_now == 2 and _ids(out / RESULTS_FILE) == ["amount", "who"]
    assert any("malformed" in p for p in first.problems)

    results = out / RESULTS_FILE
    text = results.read_text(encoding="utf-8")
    results.write_text(text[: len(text) - 40], encoding="utf-8")  # a crash in the middle of "who"
    second = run_evaluation(settings, questions, out, progress=False)
    assert second.answered_now == 3, "who (cut off), weather and common; amount is kept"
    assert sorted(_ids(results)) == ["amount", "common", "weather", "who"]
    summary = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary["run"]["answered"] == 4
    assert summary["measures"]["refusal_rate"]["n"] == 1
    assert summary["measures"]["hit_at_3"]["value"] == 1.0

    third = run_evaluation(settings, questions, out, progress=False)
    assert third.answered_now == 0


def test_a_failing_answer_is_reported_and_the_rest_still_run(setup, tmp_path: Path) -> None:
    settings, questions = setup
    assistant = build_assistant(settings)
    real_ask = assistant.ask

    def flaky_ask(question: str, *args, **kwargs):  # fault injection: the backend goes down once
        if "koordinator" in question:
            raise BackendError("backend unreachable")
        return real_ask(question, *args, **kwargs)

    assistant.ask = flaky_ask  # type: ignore[method-assign]
    outcome = run_evaluation(settings, questions, tmp_path / "run", assistant=assistant, progress=False)
    assert [r["id"] for r in outcome.results] == ["amount", "weather", "common"]
    assert any(p.startswith("who: backend unreachable") for p in outcome.problems)


def test_report_has_summary_plots_and_every_question(setup, tmp_path: Path) -> None:
    settings, questions = setup
    out = tmp_path / "run"
    outcome = run_evaluation(settings, questions, out, progress=False)
    report = (out / REPORT_FILE).read_text(encoding="utf-8")
    summary_at, plot_at, table_at = report.index("## Summary"), report.index("]("), report.index("## Per question")
    assert summary_at < plot_at < table_at
    for name in ("latency.png", "score_by_tag.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in report
    per_question = report[table_at:]
    assert all(f"| {q['id']} |" in per_question for q in QUESTIONS)
    for result in outcome.results:
        assert {"id", "answer", "refused", "citations", "retrieved", "timings", "scores"} <= result.keys()


def test_eval_command_gates_and_compares(setup, tmp_path: Path, capsys) -> None:
    settings, questions = setup
    config = tmp_path / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{settings.paths.corpus_dir}"\nindex_dir = "{settings.paths.index_dir}"\n'
        '[llm]\nbackend = "extractive"\n',
        encoding="utf-8",
    )
    strict = tmp_path / "strict.toml"
    strict.write_text("[min]\nhit_at_3 = 0.0\nanswer_correct = 1.01\n")
    run = ["--config", str(config), "eval", "--questions", str(questions)]
    assert main([*run, "--out", str(tmp_path / "a"), "--limit", "2"]) == 0
    assert main([*run, "--out", str(tmp_path / "b"), "--gate", "--thresholds", str(strict)]) == EXIT_GATE_FAILED
    captured = capsys.readouterr()
    assert "GATE FAILED: answer_correct" in captured.err and "hit_at_3" not in captured.err

    assert main(["--config", str(config), "eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    compared = (tmp_path / "b" / "compare.md").read_text(encoding="utf-8")
    assert "Only in the new run: common, weather" in compared
