"""Which claim answers a question: a learned ranking of the evidence's candidates.

Each candidate is described by a few signals, and one logistic model (fitted on the dev set by
`kraftbot tune`) turns them into the probability that the claim states what was asked:
- `cos_headed`: dense cosine of the question with the claim under its section heading (a heading
  phrased as a question matches the applicant's question);
- `cos_text`: the same for the claim alone;
- `lex`: the share of the question's search terms (stemmed, compounds split) in the headed claim;
- `typ`: the claim holds the kind of fact asked for (a time for "när", a percentage for "hur stor
  andel", an amount for "hur mycket", a count for "hur många", a new name for "vem/vilka"); 0.5
  when the question asks for none;
- `first`: the claim opens its passage (a section's answer comes first);
- `prank`: 1 / (1 + rank of its passage in the retrieval), which brings in the section-level
  fusion of dense and keyword search.
Measured on the dev set (`eval/reports/answer-selection.md`), this ranking picked the right claim
more often than the packaged model did, judging each claim (yes/no) or citing one of four.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kraftbot.answering.evidence import Candidate, Evidence
from kraftbot.answering.linear import LinearModel, Matrix
from kraftbot.answering.similarity import Similarity
from kraftbot.text.facts import AMOUNT, SHARE, WHEN, YEAR, names_in, number_values
from kraftbot.text.lexicon import ASKS

FEATURES = ("cos_headed", "cos_text", "lex", "typ", "first", "prank")
Terms = Callable[[str], list[str]]


def asked_types(question: str) -> set[str]:
    """What kind of fact the question asks for: a date, a share, an amount, a count or a name."""
    return {kind for kind, pattern in ASKS.items() if pattern.search(question)}


def holds(kind: str, text: str, question: str) -> bool:
    """Does the text state a fact of that kind? A name is a capitalised word the question does not
    already give, also one opening the sentence: who may apply is told by a common noun there
    ("Kommuner och civilsamhällesorganisationer får söka …")."""
    if kind == "date":
        return bool(WHEN.search(text))
    if kind == "share":
        return bool(SHARE.search(text))
    if kind == "amount":
        return bool(AMOUNT.search(text))
    if kind == "count":
        amounts = {match.group(0) for match in AMOUNT.finditer(text)}
        return any(
            not YEAR.match(surface) and not any(surface in amount for amount in amounts)
            for surface, _ in number_values(text)
        )
    asked = {name.lower() for name in names_in(question)}
    return any(name.lower() not in asked for name in names_in(text))


@dataclass(frozen=True)
class Scored:
    """A candidate with the probability that it answers the question, and its `cos_headed`."""

    candidate: Candidate
    probability: float
    cosine: float


class SentenceRanker:
    """Scores every candidate of the evidence against a question (or one part of it)."""

    def __init__(self, model: LinearModel, similarity: Similarity, terms: Terms) -> None:
        if model.names != FEATURES:
            raise ValueError(f"ranking model has features {model.names}, expected {FEATURES}")
        self.model = model
        self.similarity = similarity
        self.terms = terms

    def features(self, question: str, candidates: list[Candidate]) -> Matrix:
        """One row of `FEATURES` per candidate."""
        if not candidates:
            return np.zeros((0, len(FEATURES)))
        headed = self.similarity.to_question(question, [c.unit.headed for c in candidates])
        plain = self.similarity.to_question(question, [c.unit.full for c in candidates])
        wanted = set(self.terms(question))
        kinds = asked_types(question)
        rows = []
        for candidate, cos_headed, cos_text in zip(candidates, headed, plain, strict=True):
            text = candidate.unit.headed
            lex = len(wanted & set(self.terms(text))) / len(wanted) if wanted else 0.0
            typ = float(any(holds(kind, candidate.unit.full, question) for kind in kinds)) if kinds else 0.5
            rows.append([cos_headed, cos_text, lex, typ, float(candidate.unit.first), 1.0 / (1 + candidate.rank)])
        return np.asarray(rows, dtype=np.float64)

    def rank(self, question: str, evidence: Evidence) -> list[Scored]:
        """The candidates, most probable answer first."""
        return self.scored(evidence.candidates, self.features(question, evidence.candidates))

    def scored(self, candidates: list[Candidate], features: Matrix) -> list[Scored]:
        """Candidates with their features scored by the model, most probable answer first."""
        probabilities = self.model.probabilities(features) if len(candidates) else []
        rows = zip(candidates, probabilities, features[:, 0] if len(candidates) else [], strict=True)
        return sorted((Scored(c, float(p), float(cos)) for c, p, cos in rows), key=lambda s: -s.probability)
