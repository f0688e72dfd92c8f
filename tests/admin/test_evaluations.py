"""The staff workspace's evaluations: runs end to end with the real assistant over the answering
index (no model), their run.json, listing, report and comparison; uploaded and staff-added
question files; run ids and upload names that try to leave their folders."""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from kraftbot.admin.evaluations import (
    RUN_FILE,
    EvaluationLibrary,
    QuestionUploadRefused,
    RunNotFound,
    RunRecord,
    StaffQuestionRefused,
    UnknownQuestionFile,
    git_commit,
    settings_digest,
)
from kraftbot.answering.pipeline import Assistant
from kraftbot.evaluation.questions import load_questions
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings

from ..conftest import PROJECT_ROOT, write_questions
from ..evaluation.runs import AMOUNT, REFUSAL, WEATHER, WHO, write_run

QUESTIONS = [
    {"id": "amount", "question": "Hur mycket pengar kan ett projekt få i Starta er AI-resa?", "answerable": True,
     "facts": ["600 000"], "sources": ["utlysning-1-starta-er-ai-resa"], "tags": ["belopp"]},
    {"id": "leads", "question": "Vem leder AI-rådet?", "answerable": True, "facts": ["SKR"], "sources": ["ai-radet"]},
    {"id": "deadline", "question": "När är sista ansökningsdag för Starta er AI-resa?", "answerable": False},
]  # fmt: skip
# A 👎 as `storage.feedback.as_question` writes it, before staff fill in facts and sources.
FEEDBACK_QUESTION = {
    "id": "feedback-1a2b3c4d",
    "question": "Hur mycket kan man få i Starta er AI-resa?",
    "history": [],
    "answerable": True,
    "facts": [],
    "sources": [],
    "tags": ["feedback"],
    "feedback": {"answer": "Det vet jag inte.", "comments": ["fel"], "mode": "refused", "model": "extractive:"},
}


def make_library(root: Path) -> EvaluationLibrary:
    """A project folder with a three-question smoke set and the shipped thresholds."""
    (root / "eval").mkdir(parents=True)
    write_questions(root / "eval" / "smoke.jsonl", QUESTIONS)
    shutil.copy(PROJECT_ROOT / "eval" / "thresholds.toml", root / "eval" / "thresholds.toml")
    return EvaluationLibrary(root, root / "runs", root / "staff")


@dataclass
class Ran:
    library: EvaluationLibrary
    settings: Settings
    assistant: Assistant
    first: RunRecord
    second: RunRecord
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, answering_index) -> Ran:
    """Two runs of the smoke set, the first one's progress calls recorded."""
    settings, knowledge = answering_index
    assistant = Assistant(settings, Retriever(knowledge, settings.retrieval))
    library = make_library(tmp_path_factory.mktemp("admin"))
    smoke = library.root / "eval" / "smoke.jsonl"
    progress: list[tuple[int, int]] = []
    first = library.run(smoke, settings, assistant, on_answered=lambda done, total: progress.append((done, total)))
    second = library.run(smoke, settings, assistant)
    return Ran(library, settings, assistant, first, second, progress)


def test_a_run_reports_progress_and_records_what_it_ran(ran: Ran) -> None:
    assert ran.progress == [(1, 3), (2, 3), (3, 3)]
    record = ran.first
    assert re.fullmatch(r"\d{8}T\d{6}Z-smoke", record.id)
    folder = ran.library.runs_dir / record.id
    stored = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    assert RunRecord.model_validate(stored) == record
    assert record.status == "finished" and record.started <= record.finished
    assert (record.question_file, record.question_kind, record.index) == ("eval/smoke.jsonl", "shipped", "default")
    assert record.selected == record.answered == 3 and record.problems == []
    assert (
        re.fullmatch(r"[0-9a-f]{12}", record.settings_digest) and record.settings_digest == ran.second.settings_digest
    )
    assert record.settings["retrieval"] == ran.settings.retrieval.model_dump(mode="json")
    assert "api_key" not in record.settings["llm"]
    assert ":" in record.model
    assert record.commit == "okänd", "the project folder is not a git checkout"
    assert (folder / "questions.jsonl").read_bytes() == (ran.library.root / "eval" / "smoke.jsonl").read_bytes()

    gate = record.gate
    assert gate is not None and gate.error is None
    assert gate.thresholds_file == str(ran.library.root / "eval" / "thresholds.toml")
    assert gate.passed == (not gate.failures)
    assert all(" required " in failure for failure in gate.failures)


def test_runs_are_listed_newest_first_and_unreadable_folders_skipped(
    ran: Ran, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    library = EvaluationLibrary(ran.library.root, tmp_path / "runs", ran.library.staff_dir)
    shutil.copytree(ran.library.runs_dir, library.runs_dir)
    (library.runs_dir / "broken").mkdir()
    (library.runs_dir / "broken" / RUN_FILE).write_text("{not json", encoding="utf-8")
    (library.runs_dir / "cli-run").mkdir()  # a `kraftbot eval --out` folder: no run.json
    with caplog.at_level(logging.WARNING):
        listed = library.runs()
    assert [r.id for r in listed] == [ran.second.id, ran.first.id]
    assert sum("Skipping run folder" in m for m in caplog.messages) == 2
    assert library.record(ran.first.id) == ran.first


def test_report_has_the_markdown_and_its_plots(ran: Ran) -> None:
    markdown, plots = ran.library.report(ran.first.id)
    assert markdown.startswith("# KraftBot evaluation") and "| amount |" in markdown
    assert [p.name for p in plots] == ["latency.png", "score_by_tag.png"]
    assert all(p.is_file() and p.read_bytes().startswith(b"\x89PNG") for p in plots)
    assert all(f"]({p.name})" in markdown for p in plots)
    assert ran.library.plot_file(ran.first.id, "latency.png") == plots[0]


def test_two_runs_compare_by_id(ran: Ran) -> None:
    text = ran.library.compare(ran.first.id, ran.second.id)
    assert text.startswith(f"# Comparison: `{ran.first.id}` -> `{ran.second.id}`")
    assert "Right -> wrong (0)" in text and "Wrong -> right (0)" in text
    assert text.index("Right -> wrong") < text.index("## Measures") < text.index("| hit_at_3 |")
    assert str(ran.library.runs_dir) not in text, "runs are named by id, not by the server's folders"


def test_the_questions_that_changed_come_before_the_measures(tmp_path: Path) -> None:
    library = EvaluationLibrary(tmp_path, tmp_path / "runs", tmp_path / "staff")
    library.runs_dir.mkdir()
    write_run(
        library.runs_dir / "old", [(AMOUNT, "Högst 600 000 kronor [1]."), (WHO, REFUSAL), (WEATHER, REFUSAL)], 1.0
    )
    write_run(
        library.runs_dir / "new", [(AMOUNT, "Högst 2 miljoner [1]."), (WHO, "Kommuner [1]."), (WEATHER, REFUSAL)], 1.0
    )
    text = library.compare("old", "new")
    assert "Right -> wrong (1)" in text and "Wrong -> right (1)" in text
    assert text.index("| amount |") < text.index("| who |") < text.index("## Measures") < text.index("| hit_at_3 |")
    assert text.endswith("\n") and "\n\n\n" not in text


def test_a_run_stopped_by_its_progress_callback_is_recorded_as_failed(ran: Ran, tmp_path: Path) -> None:
    library = EvaluationLibrary(ran.library.root, tmp_path / "runs", ran.library.staff_dir)

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        library.run(library.root / "eval" / "smoke.jsonl", ran.settings, ran.assistant, on_answered=stop)
    [record] = library.runs()
    assert record.status == "failed" and record.error == "KeyboardInterrupt" and record.finished
    assert record.gate is None
    with pytest.raises(RunNotFound, match="ingen rapport"):
        library.report(record.id)
    with pytest.raises(RunNotFound, match="inte klar"):
        library.compare(record.id, ran.first.id)


def test_only_the_workspace_question_files_run(ran: Ran, tmp_path: Path) -> None:
    elsewhere = write_questions(tmp_path / "smoke.jsonl", QUESTIONS)
    with pytest.raises(UnknownQuestionFile):
        ran.library.run(elsewhere, ran.settings, ran.assistant)


@pytest.mark.parametrize("run_id", ["..", "../runs", "a/b", "", ".", ".hidden", "x/../../etc", "/etc", "nope"])
def test_run_ids_stay_in_the_runs_folder(ran: Ran, run_id: str) -> None:
    library = ran.library
    for call in (
        lambda: library.report(run_id),
        lambda: library.record(run_id),
        lambda: library.compare(run_id, ran.first.id),
        lambda: library.compare(ran.first.id, run_id),
        lambda: library.plot_file(run_id, "latency.png"),
    ):
        with pytest.raises(RunNotFound):
            call()
    with pytest.raises(RunNotFound):
        library.plot_file(ran.first.id, f"../{ran.second.id}/latency.png")
    with pytest.raises(RunNotFound):
        library.plot_file(ran.first.id, RUN_FILE)


def test_shipped_uploaded_and_staff_files_are_listed(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    [smoke] = library.question_files()
    assert (smoke.name, smoke.kind, smoke.questions, smoke.path) == (
        "eval/smoke.jsonl", "shipped", 3, tmp_path / "eval" / "smoke.jsonl"
    )  # fmt: skip
    library.save_question_upload("mina frågor.jsonl", json.dumps(QUESTIONS[2]).encode())
    library.add_staff_question(FEEDBACK_QUESTION | {"answerable": False})
    assert [(f.name, f.kind, f.questions) for f in library.question_files()] == [
        ("eval/smoke.jsonl", "shipped", 3),
        ("mina-frågor.jsonl", "uploaded", 1),
        ("Personalens testfrågor", "staff", 1),
    ]
    shipped = EvaluationLibrary(PROJECT_ROOT, tmp_path / "runs", tmp_path / "staff")
    assert {f.name: f.kind for f in shipped.question_files() if f.kind == "shipped"} == {
        "eval/smoke.jsonl": "shipped", "eval/kraftsamling.jsonl": "shipped", "eval/test/questions.jsonl": "shipped"
    }  # fmt: skip


def test_an_upload_is_kept_with_its_problems_listed(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    data = "\ufeff" + "\n".join([json.dumps(QUESTIONS[0], ensure_ascii=False), '{"id": "half', "", "[1, 2]"])
    kept = library.save_question_upload("Frågor v2.JSONL", data.encode())
    assert kept.path == library.uploads_dir / "Frågor-v2.jsonl" and kept.kind == "uploaded"
    assert kept.questions == 1 and len(kept.problems) == 2
    assert all(p.startswith("Frågor-v2.jsonl:") for p in kept.problems), kept.problems
    assert load_questions(kept.path).questions[0].id == "amount", "stored without the byte order mark"
    assert library.save_question_upload("Frågor v2.JSONL", data.encode()).path == kept.path, "same file again"
    other = library.save_question_upload("Frågor v2.JSONL", json.dumps(QUESTIONS[1]).encode())
    assert other.path.name == "Frågor-v2-2.jsonl" and load_questions(kept.path).questions[0].id == "amount"
    assert sorted(p.name for p in library.uploads_dir.iterdir()) == ["Frågor-v2-2.jsonl", "Frågor-v2.jsonl"]


@pytest.mark.parametrize(
    "name", ["../../evil.jsonl", "..\\..\\evil.jsonl", "/etc/evil.jsonl", "uploads/../../evil.jsonl", "evil"]
)
def test_an_upload_name_never_leaves_the_uploads_folder(tmp_path: Path, name: str) -> None:
    library = make_library(tmp_path / "project")
    kept = library.save_question_upload(name, json.dumps(QUESTIONS[2]).encode())
    assert kept.path == library.uploads_dir / "evil.jsonl"
    assert [p for p in tmp_path.rglob("evil*")] == [kept.path]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00i\x00d", "UTF-8"),
        (b"id,question,answerable\nq1,Vad?,true\n", "ingen giltig fråga"),
        (json.dumps(QUESTIONS).encode(), "ingen giltig fråga"),  # one JSON array, not JSON Lines
        (json.dumps(FEEDBACK_QUESTION).encode(), "ingen giltig fråga"),  # no facts or sources yet
        (b"", "ingen giltig fråga"),
        (b"\n" * (5 * 2**20 + 1), "för stor"),
    ],
)
def test_an_upload_without_a_valid_question_is_refused(tmp_path: Path, data: bytes, message: str) -> None:
    library = make_library(tmp_path)
    with pytest.raises(QuestionUploadRefused, match=message):
        library.save_question_upload("fragor.jsonl", data)
    assert not library.uploads_dir.exists() or list(library.uploads_dir.iterdir()) == []
    assert [f.kind for f in library.question_files()] == ["shipped"]


def test_a_staff_question_is_appended_with_a_unique_id(tmp_path: Path) -> None:
    library = make_library(tmp_path)
    filled = FEEDBACK_QUESTION | {"facts": ["600 000", " "], "sources": ["utlysning-1-starta-er-ai-resa"]}
    assert library.add_staff_question(filled) == "feedback-1a2b3c4d"
    assert library.add_staff_question(filled) == "feedback-1a2b3c4d-2"
    assert library.add_staff_question(FEEDBACK_QUESTION | {"id": "", "answerable": False}).startswith("personal-")
    loaded = load_questions(library.staff_file)
    assert loaded.problems == [] and len(loaded.questions) == 3
    assert loaded.questions[0].facts == ["600 000"], "the form's blank row is dropped"
    assert json.loads(library.staff_file.read_text(encoding="utf-8").splitlines()[0])["feedback"]["comments"] == ["fel"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (FEEDBACK_QUESTION, "minst ett faktum"),
        (FEEDBACK_QUESTION | {"facts": ["", "  "]}, "minst ett faktum"),
        (FEEDBACK_QUESTION | {"question": "  "}, "saknar text"),
        (FEEDBACK_QUESTION | {"answerable": "ja"}, "besvara"),
        (FEEDBACK_QUESTION | {"facts": "600 000"}, "lista"),
        (FEEDBACK_QUESTION | {"answerable": False, "category": 3}, "kan inte sparas"),
        (["inte", "ett", "objekt"], "JSON-objekt"),
    ],
)
def test_an_invalid_staff_question_is_refused(tmp_path: Path, item: object, message: str) -> None:
    library = make_library(tmp_path)
    with pytest.raises(StaffQuestionRefused, match=message):
        library.add_staff_question(item)  # type: ignore[arg-type]
    assert not library.staff_file.exists() or library.staff_file.read_text(encoding="utf-8") == ""


def test_the_commit_is_read_from_the_project_or_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = r"[0-9a-f]{4,64}" if (PROJECT_ROOT / ".git").exists() else "okänd"
    assert re.fullmatch(expected, git_commit(PROJECT_ROOT))
    assert git_commit(tmp_path) == "okänd"
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert git_commit(PROJECT_ROOT) == "okänd"


def test_the_settings_digest_follows_the_answering_settings_only(make_settings) -> None:
    settings = make_settings()
    moved = settings.model_copy(deep=True)
    moved.paths.index_dir = Path("/elsewhere")
    moved.llm.api_key = "secret"
    assert settings_digest(moved) == settings_digest(settings)
    changed = settings.model_copy(deep=True)
    changed.retrieval.top_k += 1
    assert settings_digest(changed) != settings_digest(settings)
