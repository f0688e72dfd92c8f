"""Write SweFAQ's 219 dev and test answers as a corpus folder: one Markdown file per answer.

A realistic stand-in for a user's own documents (short Swedish answers from nine authorities' FAQ
pages) to time `kraftbot index --corpus DIR --name swefaq`. Each file's title is its category's
title, which SweFAQ needs: many answers are unreadable without it.

    python scripts/swefaq_corpus.py [--dataset eval/datasets/swefaq] [--out /tmp/swefaq-corpus]

SweFAQ v2.0: Språkbanken Text, CC BY 4.0; every written file names it in its front matter.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kraftbot.bench.swefaq import load_swefaq, write_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/swefaq"), help="folder with the jsonl")
    parser.add_argument("--out", type=Path, default=Path("/tmp/swefaq-corpus"), help="corpus folder to write")
    args = parser.parse_args()
    passages = load_swefaq(args.dataset).passages
    write_corpus(passages, args.out)
    print(f"Wrote {len(passages)} answers to {args.out}")


if __name__ == "__main__":
    main()
