"""The evaluation run end to end with the real `extractive` backend (no generator): resumability,
bad questions, failing answers, the report files, and the `kraftbot eval` command with its gate."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from kraftbot.answering import Assistant
from kraftbot.cli import EXIT_GATE_FAILED, main
from kraftbot.evaluation.runner import REPORT_FILE, RESULTS_FILE, SUMMARY_FILE, run_evaluation
from kraftbot.indexing import build_index
from kraftbot.llm.base import BackendError
from kraftbot.result import AnswerResult
from kraftbot.service import build_assistant
from kraftbot.settings import Settings, load_settings

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


@dataclass
class Workspace:
    settings: Settings
    questions: Path
    assistant: Assistant


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, embedder) -> Workspace:
    """A three-document index and the real assistant with the extractive backend, shared by the tests."""
    root = tmp_path_factory.mktemp("eval")
    settings = load_settings(config_file=root / "absent.toml", environ={})
    settings.paths.corpus_dir = copy_corpus(root / "corpus", DOCS)
    settings.paths.index_dir = root / "indexes"
    settings.llm.backend = "extractive"
    build_index(settings, "default", embedder=embedder, progress=False)
    questions = root / "questions.jsonl"
    lines = [json.dumps(q, ensure_ascii=False) for q in QUESTIONS]
    lines.insert(2, '{"id": "broken", "question": "Vad')
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace(settings, questions, build_assistant(settings))


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_rerun_resumes_and_a_cut_off_line_is_answered_again(workspace: Workspace, tmp_path: Path) -> None:
    settings, questions, assistant = workspace.settings, workspace.questions, workspace.assistant
    out = tmp_path / "run"
    first = run_evaluation(settings, questions, out, limit=2, assistant=assistant, progress=False)
    assert first.answered_now == 2 and _ids(out / RESULTS_FILE) == ["amount", "who"]
    assert any("malformed" in p for p in first.problems)

    results = out / RESULTS_FILE
    text = results.read_text(encoding="utf-8")
    results.write_text(text[: len(text) - 40], encoding="utf-8")  # a crash in the middle of "who"
    second = run_evaluation(settings, questions, out, assistant=assistant, progress=False)
    assert second.answered_now == 3, "who (cut off), weather and common; amount is kept"
    assert sorted(_ids(results)) == ["amount", "common", "weather", "who"]
    summary = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary["run"]["answered"] == 4
    assert summary["measures"]["refusal_rate"]["n"] == 1
    assert summary["measures"]["hit_at_3"]["value"] == 1.0

    third = run_evaluation(settings, questions, out, assistant=assistant, progress=False)
    assert third.answered_now == 0 and len(third.results) == 4


def test_a_failing_answer_is_reported_and_the_rest_still_run(workspace: Workspace, tmp_path: Path) -> None:
    flaky = copy.copy(workspace.assistant)

    def ask(question: str, history: list[str] | None = None) -> AnswerResult:
        if "koordinator" in question:  # fault injection: the backend goes down for one question
            raise BackendError("backend unreachable")
        return workspace.assistant.ask(question, history)

    flaky.ask = ask  # type: ignore[method-assign]
    outcome = run_evaluation(workspace.settings, workspace.questions, tmp_path / "run", assistant=flaky, progress=False)
    assert [r["id"] for r in outcome.results] == ["amount", "weather", "common"]
    assert any(p.startswith("who: backend unreachable") for p in outcome.problems)
    assert "who: backend unreachable" in (tmp_path / "run" / REPORT_FILE).read_text(encoding="utf-8")


def test_report_has_summary_plots_and_every_question(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = run_evaluation(
        workspace.settings, workspace.questions, out, assistant=workspace.assistant, progress=False
    )
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


def test_eval_command_gates_and_compares(workspace: Workspace, tmp_path: Path, capsys) -> None:
    settings, questions = workspace.settings, workspace.questions
    run_evaluation(settings, questions, tmp_path / "old", limit=1, assistant=workspace.assistant, progress=False)
    config = tmp_path / "kraftbot.toml"
    config.write_text(
        f'[paths]\ncorpus_dir = "{settings.paths.corpus_dir}"\nindex_dir = "{settings.paths.index_dir}"\n',
        encoding="utf-8",
    )
    strict = tmp_path / "strict.toml"
    strict.write_text("[min]\nhit_at_3 = 0.0\nanswer_correct = 1.01\n")
    command = ["--config", str(config), "eval", "--questions", str(questions), "--out", str(tmp_path / "new")]
    gated = [*command, "--backend", "extractive", "--limit", "2", "--gate", "--thresholds", str(strict)]
    assert main(gated) == EXIT_GATE_FAILED
    captured = capsys.readouterr()
    assert "GATE FAILED: answer_correct" in captured.err and "hit_at_3" not in captured.err
    assert "| hit_at_3 |" in captured.out, "the summary table is printed"

    compare = ["--config", str(config), "eval", "--compare", str(tmp_path / "old"), str(tmp_path / "new")]
    assert main(compare) == 0
    compared = (tmp_path / "new" / "compare.md").read_text(encoding="utf-8")
    assert "Only in the new run: who" in compared
    assert compared in capsys.readouterr().out
