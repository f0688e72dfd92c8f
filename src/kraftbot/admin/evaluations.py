"""Evaluations for the staff workspace: the question files to run, runs with their provenance, their
reports and comparisons. Plain Python under the Utvärdering page; the page and its job queue call it.

Where things are kept:

- `root/eval/…`: the shipped question sets (read only);
- `staff_dir/uploads/*.jsonl`: question files staff uploaded (validated before they are kept);
- `staff_dir/staff-questions.jsonl`: questions staff added one at a time (from 👎 feedback);
- `runs_dir/<UTC time>-<slug>/`: one run, as `kraftbot eval --out` writes it (results.jsonl,
  summary.json, report.md and its plots), plus `run.json`: when, which question file, index, model,
  settings and commit, and the thresholds gate.

Messages meant for staff (the errors below) are Swedish.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kraftbot.errors import ConfigurationError, KraftbotError, QuestionFileError
from kraftbot.evaluation.compare import compare_runs, render
from kraftbot.evaluation.questions import load_questions, parse_question
from kraftbot.evaluation.report import LATENCY_PLOT, TAG_PLOT
from kraftbot.evaluation.runner import REPORT_FILE, SUMMARY_FILE, ProgressCallback, run_evaluation
from kraftbot.evaluation.thresholds import check, load_thresholds
from kraftbot.index.store import DEFAULT_INDEX
from kraftbot.settings import Settings

if TYPE_CHECKING:
    from kraftbot.answering.pipeline import Assistant

log = logging.getLogger(__name__)

SHIPPED_FILES = ("eval/smoke.jsonl", "eval/kraftsamling.jsonl", "eval/test/questions.jsonl")
UPLOADS_DIR = "uploads"
STAFF_FILE = "staff-questions.jsonl"
RUN_FILE = "run.json"
QUESTIONS_COPY = "questions.jsonl"
PLOT_FILES = (LATENCY_PLOT, TAG_PLOT)
MAX_UPLOAD_BYTES = 5 * 2**20
UNKNOWN_COMMIT = "okänd"

QuestionKind = Literal["shipped", "uploaded", "staff"]
RunStatus = Literal["running", "finished", "failed"]

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
_LIST_FIELDS = ("facts", "sources", "history", "tags", "wrong")
_FLIPS_HEADING = "## Right -> wrong"


class QuestionUploadRefused(KraftbotError):
    """An uploaded question file is not kept: not UTF-8 JSON Lines, too large, or no valid question."""


class StaffQuestionRefused(KraftbotError):
    """A question staff filled in is not a valid evaluation question."""


class UnknownQuestionFile(KraftbotError):
    """A run was asked for a file that is not one of the workspace's question files."""


class RunNotFound(KraftbotError):
    """No run by that id (or the id is not a plain folder name), or the run has no report yet."""


@dataclass(frozen=True)
class QuestionFile:
    """A question file staff can run: `name` is what the page shows, `questions` the valid ones."""

    name: str
    path: Path
    questions: int
    kind: QuestionKind
    problems: tuple[str, ...] = ()


class GateResult(BaseModel):
    """The thresholds gate on a run's summary; `error` when the thresholds could not be checked
    (missing file, unknown measure), which counts as failed."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    failures: list[str]
    thresholds_file: str
    error: str | None = None


class RunRecord(BaseModel):
    """`run.json`: what was run, on what, by which code, and how it went."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: RunStatus
    started: str
    finished: str | None = None
    question_file: str
    questions_path: str
    question_kind: QuestionKind
    index: str
    model: str
    settings_digest: str
    settings: dict[str, Any]
    commit: str
    selected: int | None = None
    answered: int | None = None
    problems: list[str] = []
    gate: GateResult | None = None
    error: str | None = None


class EvaluationLibrary:
    """Question files, runs, reports and comparisons for staff; `root` is the project folder holding `eval/`."""

    def __init__(self, root: Path, runs_dir: Path, staff_dir: Path) -> None:
        self.root = root
        self.runs_dir = runs_dir
        self.staff_dir = staff_dir
        self._counts: dict[Path, tuple[tuple[int, int], int, tuple[str, ...]]] = {}

    @property
    def uploads_dir(self) -> Path:
        return self.staff_dir / UPLOADS_DIR

    @property
    def staff_file(self) -> Path:
        return self.staff_dir / STAFF_FILE

    # Question files

    def question_files(self) -> list[QuestionFile]:
        """The shipped sets that exist, the uploaded files (by name), then the staff question file
        when one question has been added."""
        files = [
            self._describe(self.root / name, name, "shipped") for name in SHIPPED_FILES if (self.root / name).is_file()
        ]
        if self.uploads_dir.is_dir():
            files += [self._describe(p, p.name, "uploaded") for p in sorted(self.uploads_dir.glob("*.jsonl"))]
        if self.staff_file.is_file():
            files.append(self._describe(self.staff_file, "Personalens testfrågor", "staff"))
        return files

    def _describe(self, path: Path, name: str, kind: QuestionKind) -> QuestionFile:
        """Counted once per version of the file (load_questions logs each problem as it reads)."""
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._counts.get(path)
        if cached is None or cached[0] != version:
            question_set = load_questions(path)
            cached = (version, len(question_set.questions), tuple(question_set.problems))
            self._counts[path] = cached
        return QuestionFile(name, path, cached[1], kind, cached[2])

    def save_question_upload(self, filename: str, data: bytes) -> QuestionFile:
        """Keep an uploaded question file under `staff_dir/uploads/` once it holds a valid question.

        The name is reduced to a safe one ending in `.jsonl` (never a path); an existing file of that
        name is not replaced: the new one gets `-2`, `-3`… (the same content again is the same file).
        Lines that are not valid questions are kept and listed in `problems`, as `kraftbot eval` skips them.
        """
        if len(data) > MAX_UPLOAD_BYTES:
            raise QuestionUploadRefused(f"Filen är för stor: högst {MAX_UPLOAD_BYTES // 2**20} MB.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise QuestionUploadRefused(
                "Filen är inte UTF-8-kodad text. Spara frågefilen som UTF-8 (JSON Lines, en fråga per rad) "
                "och ladda upp den igen."
            ) from error
        if "\x00" in text:
            raise QuestionUploadRefused("Filen är inte en textfil med JSON Lines (en fråga per rad).")
        name = _safe_upload_name(filename)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary_name = tempfile.mkstemp(dir=self.uploads_dir, prefix=".upload-", suffix=".part")
        temporary = Path(temporary_name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            question_set = load_questions(temporary)
            problems = [p.replace(temporary.name, name) for p in question_set.problems]
            if not question_set.questions:
                shown = "; ".join(problems[:3]) or "filen är tom"
                raise QuestionUploadRefused(
                    "Filen innehåller ingen giltig fråga. Varje rad ska vara ett JSON-objekt med `id`, `question` "
                    f"och `answerable` (och `facts` eller `sources` för en fråga som går att besvara). Fel: {shown}"
                )
            target = self._keep(name, text)
        finally:
            temporary.unlink(missing_ok=True)
        log.info("Question file %s uploaded: %d questions", target.name, len(question_set.questions))
        return self._describe(target, target.name, "uploaded")

    def _keep(self, name: str, text: str) -> Path:
        """Write the checked text under `name`, or the first free `stem-N.jsonl`; never replaces a file."""
        stem = name.removesuffix(".jsonl")
        for number in range(1, 1000):
            target = self.uploads_dir / (name if number == 1 else f"{stem}-{number}.jsonl")
            if target.resolve().parent != self.uploads_dir.resolve():  # the name is safe; this is a second lock
                raise QuestionUploadRefused("Ogiltigt filnamn.")
            try:
                with target.open("x", encoding="utf-8") as out:
                    out.write(text)
            except FileExistsError:
                if target.read_text(encoding="utf-8") == text:
                    return target
                continue
            return target
        raise QuestionUploadRefused(f"Det finns redan för många filer som heter {name}; byt namn på filen.")

    def add_staff_question(self, item: dict[str, Any]) -> str:
        """Append one question (the evaluation format, such as `storage.feedback.as_question` with facts,
        sources or `answerable` filled in by staff) to the staff question file; returns its id, made
        unique in that file. Checked with the parser `kraftbot eval` uses; blank list entries are dropped.
        """
        if not isinstance(item, dict):
            raise StaffQuestionRefused("Testfrågan måste vara ett JSON-objekt.")
        question = _tidy(item)
        _check_staff_question(question)
        self.staff_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.staff_file) as handle:
            handle.seek(0)
            existing = handle.read()
            taken = _ids_in(existing)
            base = str(question.get("id") or "").strip() or f"personal-{uuid.uuid4().hex[:8]}"
            qid, number = base, 1
            while qid in taken:
                number += 1
                qid = f"{base}-{number}"
            question["id"] = qid
            try:
                parse_question(question)
            except QuestionFileError as error:
                raise StaffQuestionRefused(f"Testfrågan kan inte sparas: {error}") from error
            line = json.dumps(question, ensure_ascii=False) + "\n"
            handle.write(line if not existing or existing.endswith("\n") else "\n" + line)
            handle.flush()
            os.fsync(handle.fileno())
        log.info("Staff question %s added to %s", qid, self.staff_file)
        return qid

    # Runs

    def run(
        self,
        questions: Path,
        settings: Settings,
        assistant: Assistant | None = None,
        on_answered: ProgressCallback | None = None,
        index_name: str = DEFAULT_INDEX,
    ) -> RunRecord:
        """Run one of `question_files()` into a new folder `runs_dir/<UTC time>-<slug>` and gate it.

        `run.json` is written when the run starts (status "running") and again when it ends
        ("finished", or "failed" with the error, which is raised again). Without `assistant` one is
        built for `index_name`; with one, `index_name` should name the index it answers from.
        `on_answered(done, total)` is told after each question; an exception it raises stops the run.
        """
        chosen = self._known(questions)
        folder = self._new_folder(_slug(chosen))
        shutil.copyfile(chosen.path, folder / QUESTIONS_COPY)
        record = RunRecord(
            id=folder.name,
            status="running",
            started=_now(),
            question_file=chosen.name,
            questions_path=str(chosen.path),
            question_kind=chosen.kind,
            index=index_name,
            model=f"{settings.llm.backend}:{settings.llm.model}",
            settings_digest=settings_digest(settings),
            settings=settings.model_dump(
                mode="json",
                include={"embedding", "retrieval", "llm", "answer", "gate", "followup"},
                exclude={"llm": {"api_key"}},
            ),
            commit=git_commit(self.root),
        )
        _write_record(folder, record)
        log.info("Evaluation run %s of %s started", folder.name, chosen.path)
        try:
            outcome = run_evaluation(
                settings, chosen.path, folder, index_name, assistant=assistant, progress=False, on_answered=on_answered
            )
        except BaseException as error:
            _write_record(
                folder,
                record.model_copy(
                    update={"status": "failed", "finished": _now(), "error": str(error) or type(error).__name__}
                ),
            )
            raise
        summary = outcome.summary
        record = record.model_copy(
            update={
                "status": "finished",
                "finished": summary["run"]["finished"],
                "model": ", ".join(summary["run"]["models"]) or record.model,
                "selected": summary["run"]["selected"],
                "answered": summary["run"]["answered"],
                "problems": list(outcome.problems),
                "gate": self._gate(summary, settings),
            }
        )
        _write_record(folder, record)
        log.info("Evaluation run %s finished: %d answered", folder.name, record.answered)
        return record

    def _known(self, questions: Path) -> QuestionFile:
        wanted = questions.resolve()
        for question_file in self.question_files():
            if question_file.path.resolve() == wanted:
                return question_file
        raise UnknownQuestionFile(f"{questions.name} är ingen av arbetsytans frågefiler; välj en i listan.")

    def _new_folder(self, slug: str) -> Path:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for number in range(1, 100):
            folder = self.runs_dir / (f"{stamp}-{slug}" if number == 1 else f"{stamp}-{slug}-{number}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
        raise FileExistsError(f"No free run folder for {stamp}-{slug} in {self.runs_dir}")

    def _gate(self, summary: dict[str, Any], settings: Settings) -> GateResult:
        path = settings.evaluation.thresholds_file
        path = path if path.is_absolute() else self.root / path
        try:
            failures = check(summary, load_thresholds(path))
        except ConfigurationError as error:
            return GateResult(passed=False, failures=[], thresholds_file=str(path), error=str(error))
        return GateResult(passed=not failures, failures=[str(f) for f in failures], thresholds_file=str(path))

    def runs(self) -> list[RunRecord]:
        """Every run with a readable `run.json`, newest first; other folders are skipped with a warning."""
        if not self.runs_dir.is_dir():
            return []
        records = []
        for folder in self.runs_dir.iterdir():
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                records.append(_read_record(folder))
            except (OSError, UnicodeDecodeError, ValidationError) as error:
                log.warning("Skipping run folder %s: no readable %s (%s)", folder, RUN_FILE, error)
        return sorted(records, key=lambda r: (r.started, r.id), reverse=True)

    def record(self, run_id: str) -> RunRecord:
        folder = self._folder(run_id)
        try:
            return _read_record(folder)
        except (OSError, UnicodeDecodeError, ValidationError) as error:
            raise RunNotFound(f"Körningen {run_id} saknar en läsbar {RUN_FILE}.") from error

    def report(self, run_id: str) -> tuple[str, list[Path]]:
        """The run's report.md and its plot files (the Markdown links them by file name)."""
        folder = self._folder(run_id)
        report = folder / REPORT_FILE
        if not report.is_file():
            raise RunNotFound(f"Körningen {run_id} har ingen rapport än (den pågår eller misslyckades).")
        return report.read_text(encoding="utf-8"), [folder / n for n in PLOT_FILES if (folder / n).is_file()]

    def plot_file(self, run_id: str, name: str) -> Path:
        """One of a run's plots by file name, for serving the images the report links to."""
        path = self._folder(run_id) / name
        if name not in PLOT_FILES or not path.is_file():
            raise RunNotFound(f"Körningen {run_id} har ingen bild {name}.")
        return path

    def compare(self, old_id: str, new_id: str) -> str:
        """`kraftbot eval --compare` as Markdown: the questions that changed verdict first, then the
        measures; the runs are named by their ids."""
        folders = []
        for run_id in (old_id, new_id):
            folder = self._folder(run_id)
            if not (folder / SUMMARY_FILE).is_file():
                raise RunNotFound(f"Körningen {run_id} är inte klar och kan inte jämföras.")
            folders.append(folder)
        comparison = compare_runs(*folders)
        named = dataclasses.replace(comparison, old_dir=Path(old_id), new_dir=Path(new_id))
        return changed_questions_first(render(named))

    def mark_interrupted(self) -> int:
        """Runs still marked running when the server starts were cut off by a restart: mark them
        failed, so the page does not show them as going on for ever. How many."""
        interrupted = [run for run in self.runs() if run.status == "running"]
        for run in interrupted:
            error = "Avbruten: servern startades om under körningen."
            _write_record(self._folder(run.id), run.model_copy(update={"status": "failed", "error": error}))
        return len(interrupted)

    def _folder(self, run_id: str) -> Path:
        """The folder of a run id that is a plain folder name in runs_dir (no separators, no `..`)."""
        if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id) or ".." in run_id:
            raise RunNotFound("Ogiltigt id för en körning.")
        folder = self.runs_dir / run_id
        if folder.resolve().parent != self.runs_dir.resolve() or not folder.is_dir():
            raise RunNotFound(f"Körningen {run_id} finns inte.")
        return folder


def changed_questions_first(markdown: str) -> str:
    """`compare.render` puts the measure table before the questions that flipped; staff read the
    flipped questions first, so the table moves to the end under a heading of its own."""
    lines = markdown.split("\n")
    if _FLIPS_HEADING not in "\n".join(lines[1:]):
        return markdown
    start = next(i for i, line in enumerate(lines) if line.startswith(_FLIPS_HEADING))
    title, measures, flips = lines[0], lines[1:start], lines[start:]
    while flips and not flips[-1].strip():
        flips.pop()
    return "\n".join([title, "", *flips, "", "## Measures", *measures]).rstrip("\n") + "\n"


def settings_digest(settings: Settings) -> str:
    """A short hash of every setting that decides answers and scores: the whole dump less where
    files live, the server and the database (they differ per machine) and the model server's key."""
    dump = settings.model_dump(
        mode="json", exclude={"paths": True, "server": True, "database": True, "llm": {"api_key"}}
    )
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:12]


def git_commit(root: Path) -> str:
    """`git rev-parse --short HEAD` in `root` (not a repository above it), else "okänd"."""
    environment = os.environ | {
        "GIT_CEILING_DIRECTORIES": str(root.resolve().parent),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_COMMIT
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{4,64}", commit) else UNKNOWN_COMMIT


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_record(folder: Path, record: RunRecord) -> None:
    """run.json, replaced whole (a reader sees the old or the new one, never half)."""
    temporary = folder / f".{RUN_FILE}.part"
    temporary.write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, folder / RUN_FILE)


def _read_record(folder: Path) -> RunRecord:
    record = RunRecord.model_validate_json((folder / RUN_FILE).read_text(encoding="utf-8"))
    return record if record.id == folder.name else record.model_copy(update={"id": folder.name})


def _safe_upload_name(filename: str) -> str:
    """The last part of an uploaded file's name, letters, digits, `-` and `_` only, ending in `.jsonl`."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", filename or "")[-1])
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = re.sub(r"[^\w-]+", "-", stem).strip("-_")[:80].strip("-_")
    return f"{stem or 'fragor'}.jsonl"


def _slug(question_file: QuestionFile) -> str:
    """A run folder's name part from its question file: `smoke`, `test-questions`, an upload's stem."""
    name = question_file.name if question_file.kind == "shipped" else question_file.path.name
    name = name.removeprefix("eval/").removesuffix(".jsonl")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-") or "fragor"


def _tidy(item: dict[str, Any]) -> dict[str, Any]:
    """A copy with text trimmed and blank entries of the string lists dropped (a form's empty rows)."""
    question = dict(item)
    for name in ("id", "question", "category"):
        if isinstance(question.get(name), str):
            question[name] = question[name].strip()
    for name in _LIST_FIELDS:
        value = question.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            question[name] = [v.strip() for v in value if v.strip()]
    return question


def _check_staff_question(question: dict[str, Any]) -> None:
    """The mistakes a staff form can make, in Swedish; `parse_question` checks the rest."""
    if not isinstance(question.get("question"), str) or not question["question"]:
        raise StaffQuestionRefused("Frågan saknar text.")
    if not isinstance(question.get("answerable"), bool):
        raise StaffQuestionRefused("Ange om frågan går att besvara utifrån dokumenten (ja eller nej).")
    for name in _LIST_FIELDS:
        value = question.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StaffQuestionRefused(f"Fältet {name} måste vara en lista med texter.")
    if question["answerable"] and not (question.get("facts") or question.get("sources")):
        raise StaffQuestionRefused(
            "En fråga som går att besvara behöver minst ett faktum som svaret ska innehålla eller en källa "
            "(dokument-id) som svaret ska hämtas från. Annars: markera den som inte besvarbar."
        )
    if "id" in question and not isinstance(question["id"], str):
        raise StaffQuestionRefused("Frågans id måste vara en text.")


def _ids_in(text: str) -> set[str]:
    ids = set()
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            ids.add(data["id"].strip())
    return ids


@contextmanager
def _locked(path: Path) -> Iterator[Any]:
    """The file opened for reading and appending, locked against other processes adding at once."""
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
