"""Build the SweFAQ real-prose check: half of SweFAQ's categories as a corpus, all its questions as a question file.

SweFAQ v2.0 (Språkbanken Text, CC BY 4.0; `eval/datasets/swefaq/`) holds questions from the FAQ
pages of Swedish authorities, grouped in categories; each row carries its category's answers
(`candidate_answers`) and the index of its own answer (`label`). This script

- groups the rows of both splits (dev and test) by category, where a category is the row's
  `meta.category` title: the title, not `category_id`, names the answers a row carries (one
  skogsbrand row in the published data has the vaccination category's id but the skogsbrand
  title, link and answers);
- picks the indexed half by a fixed rule: the category titles sorted by Python's string order,
  and every other one of them, starting with the first (positions 0, 2, 4, ...);
- writes one Markdown document per answer of an indexed category (front matter: `title` = the
  category title and "svar N", `url` = the category's FAQ page from `meta.link`, the real
  address of the page the answer was taken from, `doc_type` "faq", `date` "", `sources` with
  the page and the attribution), named `swefaq-cCCC-aNN.md` (SweFAQ's category id and the
  answer's 1-based position in `candidate_answers`);
- writes a question file in KraftBot's format: a question of an indexed category is answerable,
  with `sources` = its answer's document id and no `facts` (the file format allows an answerable
  question to be scored on its source alone); a question of any other category is
  `answerable: false` with category "off_topic".

The output is deterministic: the same dataset gives byte-identical files. Run from the repository root:

    python scripts/swefaq_check.py [--dataset eval/datasets/swefaq] [--out eval/swefaq-check]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SPLITS = ("dev", "test")
ATTRIBUTION = "Swedish FAQ v2.0, Aleksandrs Berdicevskis, Språkbanken Text, CC BY 4.0"
DOC_PREFIX = "swefaq-"


@dataclass(frozen=True)
class Row:
    """One SweFAQ question with what it needs from its dataset row."""

    id: str
    split: str
    question: str
    answer: str
    category: str
    category_id: int
    source: str
    link: str


@dataclass
class Category:
    """One category: its title, id, FAQ page, authority, answers in published order and questions."""

    title: str
    category_id: int
    link: str
    source: str
    answers: list[str]
    rows: list[Row] = field(default_factory=list)


def read_rows(dataset: Path) -> tuple[list[Row], dict[str, list[str]]]:
    """Every row of the dev and test splits, and each category title's candidate answers."""
    rows: list[Row] = []
    answers: dict[str, list[str]] = {}
    for split in SPLITS:
        path = dataset / f"swefaq_{split}.jsonl"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            data = json.loads(line)
            meta = data["meta"]
            candidates = [str(answer) for answer in data["candidate_answers"]]
            answers.setdefault(meta["category"], candidates)
            rows.append(
                Row(
                    id=f"sf-{split}-{number:03d}",
                    split=split,
                    question=data["question"].strip(),
                    answer=candidates[data["label"]],
                    category=meta["category"],
                    category_id=int(data["category_id"]),
                    source=meta["source"],
                    link=meta["link"],
                )
            )
    return rows, answers


def group_categories(rows: list[Row], answers: dict[str, list[str]]) -> list[Category]:
    """The categories sorted by title; a category's id is the one most of its rows carry."""
    categories: list[Category] = []
    for title in sorted(answers):
        members = [row for row in rows if row.category == title]
        category_id = Counter(row.category_id for row in members).most_common(1)[0][0]
        first = members[0]
        categories.append(Category(title, category_id, first.link, first.source, answers[title], members))
    return categories


def indexed_half(categories: list[Category]) -> list[Category]:
    """The fixed rule: of the categories sorted by title, every other one, starting with the first."""
    return categories[::2]


def doc_id(category: Category, position: int) -> str:
    """The document id (file stem) of the answer at 0-based `position` in the category's answers."""
    return f"{DOC_PREFIX}c{category.category_id:03d}-a{position + 1:02d}"


def document_text(category: Category, position: int) -> str:
    """One answer as Markdown with YAML front matter (JSON strings are valid YAML scalars)."""
    front = {
        "title": f"{category.title} – svar {position + 1}",
        "url": category.link,
        "doc_type": "faq",
        "date": "",
    }
    head = "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in front.items())
    sources = "\n".join(f"  - {json.dumps(value, ensure_ascii=False)}" for value in (category.link, ATTRIBUTION))
    return f"---\n{head}\nsources:\n{sources}\n---\n\n{category.answers[position].strip()}\n"


def write_corpus(categories: list[Category], folder: Path) -> int:
    """Write every answer of the given categories; earlier generated files in the folder are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"{DOC_PREFIX}*.md"):
        stale.unlink()
    written = 0
    for category in categories:
        for position in range(len(category.answers)):
            (folder / f"{doc_id(category, position)}.md").write_text(
                document_text(category, position), encoding="utf-8"
            )
            written += 1
    return written


def question_record(row: Row, category: Category, indexed: bool) -> dict[str, object]:
    """One question in KraftBot's question-file format."""
    record: dict[str, object] = {"id": row.id, "question": row.question, "answerable": indexed}
    if indexed:
        source = doc_id(category, category.answers.index(row.answer))
        record.update(category="direct", facts=[], sources=[source])
    else:
        record.update(category="off_topic", facts=[], sources=[])
    record.update(wrong=[], history=[], tags=["swefaq", row.split, row.source])
    return record


def write_questions(rows: list[Row], categories: list[Category], indexed: list[Category], path: Path) -> Counter[str]:
    """Every question in dataset order (dev, then test); returns the count per question category."""
    by_title = {category.title: category for category in categories}
    indexed_titles = {category.title for category in indexed}
    records = [question_record(row, by_title[row.category], row.category in indexed_titles) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return Counter(str(record["category"]) for record in records)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/swefaq"), help="folder with the jsonl")
    parser.add_argument("--out", type=Path, default=Path("eval/swefaq-check"), help="for corpus/, questions.jsonl")
    args = parser.parse_args()
    rows, answers = read_rows(args.dataset)
    categories = group_categories(rows, answers)
    indexed = indexed_half(categories)
    documents = write_corpus(indexed, args.out / "corpus")
    counts = write_questions(rows, categories, indexed, args.out / "questions.jsonl")
    print(f"{len(indexed)} of {len(categories)} categories indexed: {documents} documents in {args.out / 'corpus'}")
    print(f"{sum(counts.values())} questions in {args.out / 'questions.jsonl'}: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
