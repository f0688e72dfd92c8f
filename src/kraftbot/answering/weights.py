"""The learned part of answering: the ranking and answerability models, and where they came from.

`kraftbot tune` fits both on a question file (the dev set) and writes them as JSON with the data
and cross-validated scores behind them; KraftBot ships the file fitted on `eval/kraftsamling.jsonl`
with the packaged embedder (`answer.weights_file` points at another, for instance one fitted on a
municipality's own questions and documents).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kraftbot.answering.linear import LinearModel
from kraftbot.answering.ranking import FEATURES
from kraftbot.errors import ConfigurationError

PACKAGED_WEIGHTS = Path(__file__).with_name("weights.json")

# What the answerability model weighs: the best claim's probability of answering, how much closer
# to the question the best statement of absence is than the best claim (dense cosines of the
# headed claims), and how close the best passage is by meaning and by words.
ANSWERABILITY_FEATURES = ("best_claim", "absence_margin", "top_dense", "top_bm25")


@dataclass(frozen=True)
class AnswerWeights:
    """The two models, the answerability threshold chosen with them, and their provenance."""

    ranking: LinearModel
    answerability: LinearModel
    min_answerable: float = 0.5
    provenance: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def untrained(cls) -> AnswerWeights:
        """Zero weights: what `kraftbot tune` starts from (the features do not depend on the weights)."""
        ranking = LinearModel(FEATURES, (0.0,) * len(FEATURES), 0.0)
        answerability = LinearModel(ANSWERABILITY_FEATURES, (0.0,) * len(ANSWERABILITY_FEATURES), 0.0)
        return cls(ranking, answerability, provenance={"untrained": True})

    def to_dict(self) -> dict[str, Any]:
        return {
            "provenance": self.provenance,
            "ranking": self.ranking.to_dict(),
            "answerability": self.answerability.to_dict(),
            "min_answerable": self.min_answerable,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_weights(path: Path | None = None) -> AnswerWeights:
    """The weights in `path` (default: the packaged file); a missing or malformed file is a settings error."""
    path = path or PACKAGED_WEIGHTS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = AnswerWeights(
            LinearModel.from_dict(data["ranking"]),
            LinearModel.from_dict(data["answerability"]),
            float(data["min_answerable"]),
            dict(data.get("provenance", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"answer.weights_file {path}: not a readable weights file ({error})") from error
    for part, model, expected in (
        ("ranking", weights.ranking, FEATURES),
        ("answerability", weights.answerability, ANSWERABILITY_FEATURES),
    ):
        if model.names != expected:
            raise ConfigurationError(f"answer.weights_file {path}: {part} features {model.names}, expected {expected}")
    return weights
