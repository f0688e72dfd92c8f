"""Read and validate a question file (DESIGN.md's JSON Lines contract plus `tags`, `category`, `wrong`).

One bad line must not stop an evaluation: it is reported with its line number and skipped.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kraftbot.errors import QuestionFileError

log = logging.getLogger(__name__)

_STRING_LISTS = ("facts", "sources", "history", "tags", "wrong")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    facts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Tempting wrong answers (`|` alternatives, matched like facts): one in the lead is a wrong claim.
    wrong: list[str] = field(default_factory=list)
    # The kind of question (colloquial, follow_up, near_miss, ...): reports break every measure down by it.
    category: str = ""


@dataclass
class QuestionSet:
    questions: list[Question]
    problems: list[str]


def parse_question(data: Any) -> Question:
    """Validate one decoded JSON value and build a Question."""
    if not isinstance(data, dict):
        raise QuestionFileError("not a JSON object")
    qid, text, answerable = data.get("id"), data.get("question"), data.get("answerable")
    if not isinstance(qid, str) or not qid.strip():
        raise QuestionFileError("`id` must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise QuestionFileError(f"{qid}: `question` must be a non-empty string")
    if not isinstance(answerable, bool):
        raise QuestionFileError(f"{qid}: `answerable` must be true or false")
    lists: dict[str, list[str]] = {}
    for name in _STRING_LISTS:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise QuestionFileError(f"{qid}: `{name}` must be a list of non-empty strings")
        lists[name] = value
    if answerable and not (lists["facts"] or lists["sources"]):
        raise QuestionFileError(f"{qid}: an answerable question needs `facts` or `sources` to score against")
    category = data.get("category", "")
    if not isinstance(category, str):
        raise QuestionFileError(f"{qid}: `category` must be a string")
    return Question(id=qid.strip(), question=text.strip(), answerable=answerable, category=category.strip(), **lists)


def load_questions(path: Path) -> QuestionSet:
    """Every valid question in file order; malformed, invalid and duplicate lines become problems."""
    questions: list[Question] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            question = parse_question(json.loads(line))
        except json.JSONDecodeError as error:
            problems.append(f"{path.name}:{number}: malformed JSON ({error.msg})")
            continue
        except QuestionFileError as error:
            problems.append(f"{path.name}:{number}: {error}")
            continue
        if question.id in seen:
            problems.append(f"{path.name}:{number}: duplicate id {question.id}")
            continue
        seen.add(question.id)
        questions.append(question)
    for problem in problems:
        log.warning("Skipped question: %s", problem)
    return QuestionSet(questions, problems)
