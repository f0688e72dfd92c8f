"""Compare two evaluation runs: the delta of every summary measure and the questions that flipped.

A question flips when its overall verdict (`ok`: answered correctly, or refused where it should be)
differs between the runs; a model or prompt change is judged on those, not on averages alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kraftbot.errors import DatasetError
from kraftbot.evaluation.records import EvaluatedResult
from kraftbot.evaluation.report import cell, excerpt, table
from kraftbot.evaluation.runner import RESULTS_FILE, SUMMARY_FILE, ResultStore
from kraftbot.evaluation.summary import HIGHER_IS_BETTER, flatten

COMPARE_FILE = "compare.md"


@dataclass(frozen=True)
class Delta:
    name: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def verdict(self) -> str:
        """'better', 'worse' or '' (no change, or not comparable)."""
        change = self.change
        if not change:
            return ""
        return "better" if (change > 0) == HIGHER_IS_BETTER.get(self.name, True) else "worse"


@dataclass(frozen=True)
class Flip:
    id: str
    question: str
    old_answer: str
    new_answer: str


@dataclass
class Comparison:
    old_dir: Path
    new_dir: Path
    deltas: list[Delta]
    broke: list[Flip]
    fixed: list[Flip]
    only_old: list[str]
    only_new: list[str]


def _load(run_dir: Path) -> tuple[dict[str, Any], dict[str, EvaluatedResult]]:
    summary_path = run_dir / SUMMARY_FILE
    if not summary_path.exists():
        raise DatasetError(f"{run_dir} holds no {SUMMARY_FILE}; run `kraftbot eval --out {run_dir}` first")
    return json.loads(summary_path.read_text(encoding="utf-8")), ResultStore(run_dir / RESULTS_FILE).load(repair=False)


def compare_runs(old_dir: Path, new_dir: Path) -> Comparison:
    old_summary, old_results = _load(old_dir)
    new_summary, new_results = _load(new_dir)
    old_flat, new_flat = flatten(old_summary), flatten(new_summary)
    deltas = [Delta(name, old_flat.get(name), new_flat.get(name)) for name in dict.fromkeys([*old_flat, *new_flat])]
    broke, fixed = [], []
    for qid in old_results.keys() & new_results.keys():
        old, new = old_results[qid], new_results[qid]
        was, now = old.scores.ok, new.scores.ok
        if was == now:
            continue
        flip = Flip(qid, new.question, excerpt(old.answer), excerpt(new.answer))
        (broke if was else fixed).append(flip)
    return Comparison(
        old_dir,
        new_dir,
        deltas,
        sorted(broke, key=lambda f: f.id),
        sorted(fixed, key=lambda f: f.id),
        sorted(old_results.keys() - new_results.keys()),
        sorted(new_results.keys() - old_results.keys()),
    )


def _flips(flips: list[Flip]) -> list[str]:
    if not flips:
        return ["None."]
    return table(
        ["id", "question", "old answer", "new answer"], [[f.id, f.question, f.old_answer, f.new_answer] for f in flips]
    )


def render(comparison: Comparison) -> str:
    """The comparison as Markdown (printed and written to compare.md)."""
    lines = [
        f"# Comparison: `{comparison.old_dir}` -> `{comparison.new_dir}`",
        "",
        *table(
            ["measure", "old", "new", "delta", ""],
            [[d.name, d.old, d.new, d.change, d.verdict] for d in comparison.deltas],
        ),
        "",
        f"## Right -> wrong ({len(comparison.broke)})",
        "",
        *_flips(comparison.broke),
        "",
        f"## Wrong -> right ({len(comparison.fixed)})",
        "",
        *_flips(comparison.fixed),
        "",
    ]
    if comparison.only_old or comparison.only_new:
        lines += [
            f"Only in the old run: {cell(comparison.only_old)}. Only in the new run: {cell(comparison.only_new)}.",
            "",
        ]
    return "\n".join(lines)
