"""The evaluation run end to end with the real assistant (answers quote the sources: no generator):
resumability, bad questions and result lines, failing answers, the report files, and finding cited
passages."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from kraftbot.answering.pipeline import Assistant
from kraftbot.assistant import build_assistant
from kraftbot.errors import BackendError
from kraftbot.evaluation.runner import (
    REPORT_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    CitedPassages,
    ResultStore,
    run_evaluation,
)
from kraftbot.index.store import build_index
from kraftbot.settings import Settings, load_settings
from kraftbot.values import AnswerResult, Citation

from ..conftest import copy_corpus
from ..doubles import passage

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
    """A three-document index and the real assistant (no model), shared by the tests."""
    root = tmp_path_factory.mktemp("eval")
    settings = load_settings(config_file=root / "absent.toml", environ={})
    settings.paths.corpus_dir = copy_corpus(root / "corpus", DOCS)
    settings.paths.index_dir = root / "indexes"
    settings.llm.backend = "extractive"  # a run that needed a model (a naive baseline) would not load the 1.1 GB one
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
        if "koordinator" in question:  # fault injection: a backend (a follow-up's rewrite) goes down once
            raise BackendError("backend unreachable")
        return workspace.assistant.ask(question, history)

    flaky.ask = ask  # type: ignore[method-assign]
    outcome = run_evaluation(workspace.settings, workspace.questions, tmp_path / "run", assistant=flaky, progress=False)
    assert [r.id for r in outcome.results] == ["amount", "weather", "common"]
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
        assert {"id", "answer", "refused", "citations", "retrieved", "timings", "scores"} <= result.to_dict().keys()


def test_a_result_line_with_a_renamed_field_is_dropped_and_run_again(
    workspace: Workspace, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A line written by another version (here `answer_text` for `answer`) must not be scored as if it
    had no answer: it is dropped, the valid lines are kept, and the question runs again."""
    out = tmp_path / "run"
    run_evaluation(workspace.settings, workspace.questions, out, limit=2, assistant=workspace.assistant, progress=False)
    results = out / RESULTS_FILE
    amount, who = results.read_text(encoding="utf-8").splitlines()
    renamed = json.loads(who)
    renamed["answer_text"] = renamed.pop("answer")
    results.write_text(f"{amount}\n{json.dumps(renamed, ensure_ascii=False)}\n", encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="kraftbot.evaluation.runner"):
        loaded = ResultStore(results).load()
    assert list(loaded) == ["amount"] and loaded["amount"].answer == json.loads(amount)["answer"]
    assert "line 2 is not a valid result" in caplog.text
    assert results.read_text(encoding="utf-8") == amount + "\n", "the file is rewritten without the bad line"

    again = run_evaluation(
        workspace.settings, workspace.questions, out, limit=2, assistant=workspace.assistant, progress=False
    )
    assert again.answered_now == 1 and [r.id for r in again.results] == ["amount", "who"]


def test_loading_without_repair_leaves_the_file_alone(tmp_path: Path) -> None:
    results = tmp_path / RESULTS_FILE
    results.write_text('{"id": "x", "answer": "Svar"}\n', encoding="utf-8")  # misses required fields
    assert ResultStore(results).load(repair=False) == {}
    assert results.read_text(encoding="utf-8") == '{"id": "x", "answer": "Svar"}\n'
    assert ResultStore(tmp_path / "absent.jsonl").load() == {}


def test_a_cited_chunk_is_found_by_its_id_even_when_its_quote_recurs() -> None:
    shared = "Sverige har 290 kommuner."
    first = passage(f"Inledning. {shared}", "lansering", node_id="c1")
    second = passage(f"{shared} Enligt en källa arbetar 263 av dem med AI.", "lansering", node_id="c2")
    passages = CitedPassages([first, second])
    by_id = passages.find([Citation(2, "lansering", "", "", shared, node_id="c2")])
    assert "263" in by_id[2].text
    # Results written before citations carried a chunk id: the first chunk holding the quote.
    assert passages.find([Citation(1, "lansering", "", "", shared)])[1].node_id == "c1"
    assert passages.find([Citation(1, "okänd", "", "", shared)]) == {}
