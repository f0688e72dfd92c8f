"""The evidence gate: decide before any model call whether the documents can answer a question.

A small generator answers whatever it is asked, so refusing cannot be left to it. The gate refuses:
- hostile questions that try to give the assistant new instructions (a pattern detector);
- off-topic questions, whose best passage is far from the question both by meaning (dense cosine)
  and by words (BM25);
- questions for contact details (a telephone number, an e-mail address) when no retrieved passage
  holds one: the documents name people, and a small model readily invents their numbers;
- questions the documents say they cannot answer: the corpus states what it lacks ("sista
  ansökningsdag finns inte i det här underlaget"), and when such a sentence matches the question at
  least as well as any sentence that could answer it, the honest answer is that refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from kraftbot.answering.evidence import Evidence, Terms, score_located, score_units
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import GateSettings
from kraftbot.text.lexicon import CONTACT_DETAILS, INJECTION_ATTEMPT
from kraftbot.values import GateScores, Passage, RefusalReason, Unit


def lacks_contact_details(question: str, passages: list[Passage]) -> bool:
    """The question asks for a telephone number or e-mail address and no passage holds one."""
    return any(
        asks.search(question) and not any(holds.search(p.text) for p in passages) for asks, holds in CONTACT_DETAILS
    )


def looks_like_injection(text: str) -> bool:
    """Instructions aimed at the assistant (role changes, fake system lines, "hitta på"), sv or en."""
    return bool(INJECTION_ATTEMPT.search(text))


@dataclass
class Verdict:
    """`refusal` is None when the evidence can answer, else the reason: injection, off_topic, absent."""

    refusal: RefusalReason | None
    evidence: Evidence
    scores: GateScores


class EvidenceGate:
    """Answerable or not, from retrieval scores and the passages' own statements of what is missing."""

    def __init__(
        self,
        config: GateSettings,
        similarity: Similarity,
        terms: Terms | None = None,
        absences: list[tuple[Unit, Passage]] | None = None,
    ) -> None:
        """`absences`: the corpus's statements of what it lacks (see `absence_statements`), which
        are compared with every question, retrieved or not: they are short and few."""
        self.config = config
        self.similarity = similarity
        self.terms = terms
        self.absences = absences or []

    def assess(self, question: str, passages: list[Passage], asked: str | None = None) -> Verdict:
        """`question` is what was retrieved for (a follow-up rewritten); `asked` what the user typed."""
        evidence = score_units(question, passages, self.similarity, self.terms, self.config.lexical_weight)
        if self.absences:
            located = [(i, unit) for i, (unit, _) in enumerate(self.absences)]
            elsewhere = score_located(question, located, self.similarity, self.terms, self.config.lexical_weight)[0]
            own = evidence.best_absence
            if own is None or elsewhere.score > own.score:
                evidence.absence_elsewhere = (elsewhere, self.absences[elsewhere.passage][1])
        answer, absence = evidence.best_answer, evidence.best_absence
        scores = GateScores(
            top_dense=round(evidence.top_dense, 4),
            top_bm25=round(evidence.top_bm25, 4),
            best_sentence=round(answer.score, 4) if answer else 0.0,
            best_absence=round(absence.score, 4) if absence else 0.0,
        )
        if self.config.block_injections and looks_like_injection(asked or question):
            return Verdict("injection", evidence, scores)
        if evidence.top_dense < self.config.min_dense and evidence.top_bm25 < self.config.min_bm25:
            return Verdict("off_topic", evidence, scores)
        if lacks_contact_details(question, passages):
            return Verdict("absent", evidence, scores)
        if absence and (answer is None or absence.score >= answer.score - self.config.absence_margin):
            return Verdict("absent", evidence, scores)
        return Verdict(None, evidence, scores)
