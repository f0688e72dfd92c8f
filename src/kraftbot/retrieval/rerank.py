"""Optional cross-encoder reranking of fused candidates (sentence-transformers `CrossEncoder`).

A cross-encoder reads question and passage together and judges relevance better than either
first-stage method, at the cost of one model call per candidate. No multilingual one ships
offline, so it is off unless `retrieval.reranker_model` names a model id or local path.
"""

from __future__ import annotations

from collections.abc import Sequence

from kraftbot.runtime.devices import resolve_device


class CrossEncoderReranker:
    """Relevance scores in [0, 1] (the model's sigmoid output) for question-passage pairs."""

    def __init__(self, model: str, device: str = "auto") -> None:
        from sentence_transformers import CrossEncoder

        self.model_id = model
        self._model = CrossEncoder(model, device=resolve_device(device))

    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        pairs = [(question, passage) for passage in passages]
        return [float(s) for s in self._model.predict(pairs, show_progress_bar=False)]
