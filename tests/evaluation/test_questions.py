"""Question files: a bad line is reported with its number and skipped; the shipped sets are valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraftbot.evaluation.questions import load_questions

from ..conftest import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval"


def _line(**fields: object) -> str:
    base = {"id": "u1", "question": "Vem får söka?", "answerable": True, "facts": ["kommun"], "sources": ["faq"]}
    return json.dumps(base | fields, ensure_ascii=False)


def test_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        "\n".join(
            [
                _line(id="good1"),
                '{"id": "broken", "question": ',
                _line(id="empty", question="   "),
                _line(id="flag", answerable="yes"),
                _line(id="facts", facts="kommun"),
                _line(id="nothing", facts=[], sources=[]),
                "",
                _line(id="good1"),
                "[1, 2]",
                _line(id="good2", history=["Vad är Kraftsamling?"], tags=["uppföljning"]),
            ]
        ),
        encoding="utf-8",
    )
    loaded = load_questions(path)
    assert [q.id for q in loaded.questions] == ["good1", "good2"]
    assert loaded.questions[1].history == ["Vad är Kraftsamling?"]
    assert [p.split(":")[1] for p in loaded.problems] == ["2", "3", "4", "5", "6", "8", "9"]
    assert "duplicate id good1" in loaded.problems[5]


@pytest.mark.parametrize("name", ["smoke.jsonl", "kraftsamling.jsonl"])
def test_shipped_question_sets_are_valid(name: str) -> None:
    loaded = load_questions(EVAL_DIR / name)
    assert loaded.problems == []
    assert any(q.answerable for q in loaded.questions) and any(not q.answerable for q in loaded.questions)
