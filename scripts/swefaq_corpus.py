"""Write SweFAQ's dev and test answers as a corpus folder: one Markdown file per answer.

This is a realistic stand-in for a user's own documents (219 short Swedish answers from nine
authorities' FAQ pages) to time `kraftbot index --corpus DIR --name swefaq`. Each file's title
is its category's title, which SweFAQ needs: many answers are unreadable without it.

    python scripts/swefaq_corpus.py [--dataset ../shared/datasets/swefaq] [--out /tmp/swefaq-corpus]

SweFAQ v2.0: Språkbanken Text, CC BY 4.0 (https://spraakbanken.gu.se/en/resources/superlim);
every written file names it in its front matter.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import yaml

SPLITS = ("swefaq_dev.jsonl", "swefaq_test.jsonl")
ATTRIBUTION = "SweFAQ v2.0, Språkbanken Text, CC BY 4.0"
DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "swefaq"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9åäö]+", "-", text.lower()).strip("-")[:40].rstrip("-")


def swefaq_answers(dataset: Path) -> dict[tuple[str, int], dict[str, str]]:
    """Each item's correct answer (`candidate_answers[label]`), once per category and label.

    A category is its id with its title: id 35 names two different categories in the test split.
    """
    answers: dict[tuple[str, int], dict[str, str]] = {}
    for split in SPLITS:
        with (dataset / split).open(encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line)
                meta = item["meta"]
                category = f"{item['category_id']:03d}-{_slug(meta['category'])}"
                answers[(category, item["label"])] = {
                    "title": meta["category"],
                    "url": meta["link"],
                    "source": meta["source"],
                    "text": item["candidate_answers"][item["label"]],
                }
    return answers


def write_corpus(dataset: Path, out: Path) -> int:
    """Write `out/<id>-<category>/svar-<label>.md` for every answer; returns the number of files."""
    answers = swefaq_answers(dataset)
    for (category, label), answer in sorted(answers.items()):
        front = {
            "title": answer["title"],
            "url": answer["url"],
            "doc_type": "faq",
            "sources": [answer["url"], ATTRIBUTION],
            "publisher": answer["source"],
        }
        path = out / category / f"svar-{label:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
        path.write_text(f"---\n{head}---\n{answer['text']}\n", encoding="utf-8")
    return len(answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="folder with the SweFAQ jsonl")
    parser.add_argument("--out", type=Path, default=Path("/tmp/swefaq-corpus"), help="corpus folder to write")
    args = parser.parse_args()
    count = write_corpus(args.dataset, args.out)
    print(f"Wrote {count} answers to {args.out}")


if __name__ == "__main__":
    main()
