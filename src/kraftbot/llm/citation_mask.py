"""The cheap form constraint: inside an open `[`, only the tokens of a valid citation may follow.

llama.cpp's GBNF grammar (llama-cpp-python 0.3.x) checks every token of the vocabulary at every
step; with the answer form's free-text rule that cost 17-18 tokens/s down to 1-12 here (2 cores,
`/tmp`-free measurement in the README). The prose needs no constraint: only the citation numbers
must be among the evidence given. So this mask acts only while a `[` is open, where it allows the
tokens made of the valid numbers, `,`, spaces, `]` and `.`; elsewhere it leaves the scores alone.
The check still judges every sentence, so the mask is about form, never about truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kraftbot.llm.base import OutputForm


class CitationMask:
    """For one vocabulary: which tokens may continue an open citation of a form with n sources."""

    def __init__(self, token_texts: Sequence[str]) -> None:
        self.texts = list(token_texts)
        self._masks: dict[int, tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]] = {}

    def masks(self, sources: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """For a form with `sources` items: the tokens allowed inside an open `[` (made only of the
        numbers 1..sources, `,`, spaces, and a closing `]` with the stop after it), and those allowed
        outside (any without `[`, or one whose `[` opens a valid citation); cached per count."""
        if sources not in self._masks:
            digits = {str(n) for n in range(1, min(sources, 9) + 1)}
            inside = np.array([bool(text) and _continues(text, digits) for text in self.texts], dtype=bool)
            outside = np.array(
                ["[" not in text or _continues(text.rsplit("[", 1)[1], digits) for text in self.texts], dtype=bool
            )
            self._masks[sources] = (inside, outside)
        return self._masks[sources]


def _continues(text: str, digits: set[str]) -> bool:
    """Whether a token's text can continue an open citation (an empty rest of `[` can)."""
    if "[" in text:
        return False
    inside, closed, after = text.partition("]")
    if not all(ch in digits or ch in ", " for ch in inside):
        return False
    return not closed or after in ("", ".")


class FormProcessor:
    """A llama.cpp logits processor for one generation: tracks whether a `[` is open in the text
    generated so far and, while it is, masks every token that cannot continue a valid citation."""

    def __init__(self, mask: CitationMask, form: OutputForm) -> None:
        self._inside, self._outside = mask.masks(form.sources)
        self._texts = mask.texts
        self._seen: int | None = None  # tokens already read: the prompt, at the first call
        self._open = False

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        if self._seen is None:
            self._seen = len(input_ids)
        for token in input_ids[self._seen :]:
            text = self._texts[int(token)] if int(token) < len(self._texts) else ""
            if "[" in text or "]" in text:
                self._open = text.rfind("[") > text.rfind("]")
        self._seen = len(input_ids)
        allowed = self._inside if self._open else self._outside
        scores[: len(allowed)][~allowed] = -np.inf
        return scores
