"""Choose `writer.veto_below` on a dev run: where may the model's own "no answer" refuse?

The model's INGET_SVAR only ever vetoes; the question is below which answerability (the decision's
probability) a veto does more good than harm. From a run made with the model never vetoing
(`writer.veto_below = 0`), each answer where the model wrote INGET_SVAR is one case: a veto there
would be right when the question is unanswerable, and would cost a right answer when the quoted
answer was correct. The threshold is chosen to maximise (right vetoes - right answers lost), over
the cases' own scores, and its held-out gain is estimated by leave-one-out (each case judged by the
threshold chosen on the others).

    python scripts/choose_veto.py eval/runs/dev-w1
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

Case = tuple[float, int]  # (answerability, +1 a right veto / -1 a right answer lost / 0 neither)


def cases(folder: Path) -> list[Case]:
    found = []
    for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
        result = json.loads(line)
        traces = result.get("sentences") or []
        if not any(t.get("failed") == "no_answer" for t in traces):
            continue
        gain = 1 if not result["answerable"] else -1 if result["scores"].get("answer_correct") else 0
        found.append((result["decision"]["answerable"], gain))
    return found


def gain_below(threshold: float, found: list[Case]) -> int:
    return sum(gain for score, gain in found if score < threshold)


def best_threshold(found: list[Case]) -> float:
    """The threshold of the highest gain; 0 (never veto) on ties, the cautious choice."""
    candidates = [0.0, *sorted({score + 1e-6 for score, _ in found})]
    return max(candidates, key=lambda t: (gain_below(t, found), -t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    found = cases(parser.parse_args().run)
    chosen = best_threshold(found)
    held_out = sum(gain_below(best_threshold(found[:i] + found[i + 1 :]), [case]) for i, case in enumerate(found))
    print(
        f"{len(found)} answers where the model wrote no answer: {sum(g == 1 for _, g in found)} unanswerable, "
        f"{sum(g == -1 for _, g in found)} answered right by the quotes"
    )
    print(f"writer.veto_below = {chosen:.4f}: gain {gain_below(chosen, found)} in-sample, {held_out} held out (LOO)")


if __name__ == "__main__":
    main()
