"""Write the sheet for a hand audit of written answers: each shown sentence beside the evidence it cites.

Takes evaluation run folders (their `results.jsonl`) and picks, from each, the answers whose lead the
model wrote (`mode` = written), spread evenly over the file (a fixed stride, so the pick is the same
every time and not the reader's choice). For every picked answer the sheet lists the question, each
shown sentence with its origin (generated or quoted) and the quotes of the sources it cites, with an
empty verdict column for the auditor: supported, partly supported or unsupported.

    python scripts/audit_sheet.py eval/runs/dev-w1:30 eval/runs/prose-w1:30 --out eval/reports/answer-audit.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kraftbot.text.markers import cited_numbers


def written_answers(folder: Path, count: int) -> list[dict[str, Any]]:
    """`count` written answers of a run, evenly spread over its results."""
    lines = (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()
    written = [result for result in map(json.loads, lines) if result.get("mode") == "written"]
    stride = max(1, len(written) // count) if count else 1
    return written[::stride][:count]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def answer_rows(result: dict[str, Any]) -> list[str]:
    """One row per shown sentence: its text, origin, and the quotes of the sources it cites."""
    quotes = {citation["n"]: citation["quote"] for citation in result["citations"]}
    rows = []
    for trace in result.get("sentences") or []:
        if trace["origin"] == "rejected":
            continue
        cited = cited_numbers(trace["text"])
        evidence = " / ".join(f"[{n}] {quotes.get(n, '?')}" for n in cited)
        rows.append(f"| {result['id']} | {_cell(trace['text'])} | {trace['origin']} | {_cell(evidence)} |  |")
    return rows


def sheet(picked: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| id | sentence shown | origin | cited evidence | verdict |",
        "|---|---|---|---|---|",
    ]
    for _, result in picked:
        lines.append(f"| {result['id']} | **{_cell(result['question'])}** |  |  |  |")
        lines += answer_rows(result)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="RUN_FOLDER:COUNT")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    picked = []
    for spec in args.runs:
        folder, _, count = spec.rpartition(":")
        picked += [(folder, result) for result in written_answers(Path(folder), int(count))]
    args.out.write_text(sheet(picked), encoding="utf-8")
    print(f"{len(picked)} answers written to {args.out}")


if __name__ == "__main__":
    main()
