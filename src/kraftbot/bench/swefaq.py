"""SweFAQ v2.0 as a retrieval task: each question against the pooled correct answers.

Every question's correct answer (`candidate_answers[label]`) becomes one passage; the passages of
the dev and test splits are pooled, so a question competes against all of them, not only against
its own category. The category name is the passage's title, as a corpus document's title is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kraftbot.errors import DatasetError

SPLITS = ("dev", "test")
ATTRIBUTION = "SweFAQ v2.0, Språkbanken Text, CC BY 4.0"


@dataclass(frozen=True)
class BenchQuestion:
    id: str
    split: str
    question: str
    answer_id: str


@dataclass(frozen=True)
class BenchPassage:
    id: str
    title: str
    url: str
    text: str


@dataclass
class BenchData:
    questions: list[BenchQuestion]
    passages: list[BenchPassage]

    def limited(self, limit: int) -> BenchData:
        """The first `limit` questions against only their own answers: a quick smoke run."""
        questions = self.questions[:limit]
        keep = {q.answer_id for q in questions}
        return BenchData(questions, [p for p in self.passages if p.id in keep])


def load_swefaq(folder: Path) -> BenchData:
    """Read `swefaq_dev.jsonl` and `swefaq_test.jsonl` from `folder`."""
    questions: list[BenchQuestion] = []
    passages: dict[str, BenchPassage] = {}
    for split in SPLITS:
        path = folder / f"swefaq_{split}.jsonl"
        if not path.is_file():
            raise DatasetError(f"SweFAQ split missing: {path} (see eval/datasets/swefaq/README.md)")
        with path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                row = json.loads(line)
                answer = row["candidate_answers"][row["label"]]
                answer_id = f"{split}-{line_no:03d}"
                passages[answer_id] = BenchPassage(answer_id, row["meta"]["category"], row["meta"]["link"], answer)
                questions.append(BenchQuestion(f"{split}-{line_no:03d}", split, row["question"], answer_id))
    return BenchData(questions, list(passages.values()))


def write_corpus(passages: list[BenchPassage], folder: Path) -> Path:
    """The passages as Markdown files with front matter, read like the shipped corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    for passage in passages:
        front = {"title": passage.title, "url": passage.url, "doc_type": "faq", "sources": [ATTRIBUTION]}
        head = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items())
        (folder / f"{passage.id}.md").write_text(f"---\n{head}\n---\n\n{passage.text}\n", encoding="utf-8")
    return folder
