"""Answer or refuse, and with which claims: one decision on the ranked evidence.

The answerability model weighs the best claim against the best statement of absence and the
retrieval's strength; below its threshold (chosen with it on the dev set, or `answer.min_answerable`)
the question is refused, as "absent" when a statement of absence is closer to the question than any
claim (the refusal then quotes it). An answered question gets its best claim, and the runner-up
when the ranking is unsure between them (`answer.second_claim_ratio`); a message that asks several
things gets the best claim for each part instead, where that claim is probable enough
(`answer.min_part_probability`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kraftbot.answering.evidence import Candidate, Evidence
from kraftbot.answering.ranking import Scored, SentenceRanker
from kraftbot.answering.weights import ANSWERABILITY_FEATURES, AnswerWeights
from kraftbot.settings import AnswerSettings
from kraftbot.values import DecisionScores, RefusalReason


@dataclass(frozen=True)
class Decision:
    """The claims to answer with, or why not; `absence` is the best statement of absence, if any."""

    chosen: list[Candidate]
    refusal: RefusalReason | None
    absence: Candidate | None
    scores: DecisionScores


# The absence margin when no statement of absence is a candidate (a corpus that states none).
NO_ABSENCE_MARGIN = -0.1


def answerability_features(ranked: Sequence[Scored], evidence: Evidence) -> dict[str, float]:
    claims = [s for s in ranked if not s.candidate.absent]
    absences = [s for s in ranked if s.candidate.absent]
    best_claim = max((s.probability for s in claims), default=0.0)
    closest_claim = max((s.cosine for s in claims), default=0.0)
    margin = max(s.cosine for s in absences) - closest_claim if absences else NO_ABSENCE_MARGIN
    values = (best_claim, margin, evidence.top_dense, evidence.top_bm25)
    return dict(zip(ANSWERABILITY_FEATURES, values, strict=True))


class Decider:
    def __init__(self, ranker: SentenceRanker, weights: AnswerWeights, config: AnswerSettings) -> None:
        self.ranker = ranker
        self.answerability = weights.answerability
        self.min_answerable = weights.min_answerable if config.min_answerable is None else config.min_answerable
        self.config = config

    def decide(self, question: str, parts: Sequence[str], evidence: Evidence) -> Decision:
        """`question` is what was retrieved for (a follow-up with its earlier turns); `parts` the
        questions in the message, each with the same earlier turns before it."""
        ranked = self.ranker.rank(question, evidence)
        features = answerability_features(ranked, evidence)
        probability = self.answerability.probability(features)
        absence = next((s.candidate for s in ranked if s.candidate.absent), None)
        scores = DecisionScores(
            **{name: round(value, 4) for name, value in features.items()}, answerable=round(probability, 4)
        )
        claims = [s for s in ranked if not s.candidate.absent]
        if probability < self.min_answerable or not claims:
            absent = absence is not None and features["absence_margin"] > 0
            return Decision([], "absent" if absent else "unsupported", absence, scores)
        return Decision(self._claims_for(parts, evidence) or self._best(claims), None, absence, scores)

    def _best(self, claims: Sequence[Scored]) -> list[Candidate]:
        """The best claim, and the runner-up when the ranking is unsure between them."""
        best = [claims[0].candidate]
        ratio = self.config.second_claim_ratio
        if len(claims) > 1 and ratio < 1.0 and claims[1].probability >= ratio * claims[0].probability:
            best.append(claims[1].candidate)
        return best

    def _claims_for(self, parts: Sequence[str], evidence: Evidence) -> list[Candidate]:
        """One claim per part of a message that asks several things, each probable enough; none for one part.

        The parts share out the claims most probable first, not in the parts' order: the claim the
        first part ranks first may be the only good one for the second."""
        if len(parts) < 2:
            return []
        pairs = [
            (scored.probability, index, scored.candidate)
            for index, part in enumerate(parts)
            for scored in self.ranker.rank(part, evidence)
            if not scored.candidate.absent and scored.probability >= self.config.min_part_probability
        ]
        chosen: dict[int, Candidate] = {}
        for _, index, candidate in sorted(pairs, key=lambda pair: -pair[0]):
            if index not in chosen and all(candidate is not other for other in chosen.values()):
                chosen[index] = candidate
        return [chosen[index] for index in sorted(chosen)]
