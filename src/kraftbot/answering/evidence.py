"""The evidence for a question: every sentence, list item and list of its passages, scored.

Both the gate (answerable or not) and the extractive answer (which sentences to quote) decide on
this one scoring, so a question the gate lets through has sentences the fallback can quote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kraftbot.answering.similarity import Similarity
from kraftbot.text.lexicon import ABSENCE, MATERIAL_ABSENCE
from kraftbot.text.sentences import text_units
from kraftbot.values import Passage, Unit

Terms = Callable[[str], list[str]]


def is_absence(unit: Unit) -> bool:
    """True for a sentence saying the material lacks something (a list: its lead or heading says so)."""
    own = "" if unit.kind == "list" else unit.text
    return bool(ABSENCE.search(own) or ABSENCE.search(unit.context))


def is_absence_statement(text: str) -> bool:
    """True when a text says the material does not hold something ("finns inte i underlaget")."""
    return bool(MATERIAL_ABSENCE.search(text))


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    passage: int  # index into the passages
    score: float  # cosine with the question plus the weighted share of its terms
    absent: bool
    cosine: float


@dataclass
class Evidence:
    """The retrieved passages and their sentences, best match to the question first."""

    passages: list[Passage]
    units: list[ScoredUnit]
    # The best statement of absence from anywhere in the corpus, when it beats the passages' own.
    absence_elsewhere: tuple[ScoredUnit, Passage] | None = None

    @property
    def best_answer(self) -> ScoredUnit | None:
        return next((u for u in self.units if not u.absent), None)

    @property
    def best_absence(self) -> ScoredUnit | None:
        own = next((u for u in self.units if u.absent), None)
        return self.absence_elsewhere[0] if self.absence_elsewhere else own

    @property
    def absence_passage(self) -> Passage | None:
        if self.absence_elsewhere:
            return self.absence_elsewhere[1]
        absence = self.best_absence
        return self.passages[absence.passage] if absence else None

    @property
    def top_dense(self) -> float:
        return max((p.dense_score for p in self.passages if p.dense_score is not None), default=-1.0)

    @property
    def top_bm25(self) -> float:
        return max((p.bm25_score for p in self.passages if p.bm25_score is not None), default=0.0)


def absence_statements(passages: list[Passage]) -> list[tuple[Unit, Passage]]:
    """Every sentence of the corpus that says the material lacks something, with its passage."""
    found: dict[str, tuple[Unit, Passage]] = {}
    for passage in passages:
        for unit in text_units(passage.text):
            if is_absence(unit):
                found.setdefault(unit.full, (unit, passage))
    return list(found.values())


def score_located(
    question: str, located: list[tuple[int, Unit]], similarity: Similarity, terms: Terms | None, weight: float
) -> list[ScoredUnit]:
    cosines = similarity.to_question(question, [unit.full for _, unit in located])
    wanted = set(terms(question)) if terms and weight else set()
    units = []
    for (i, unit), cosine in zip(located, cosines, strict=True):
        overlap = len(wanted & set(terms(unit.full))) / len(wanted) if wanted and terms else 0.0
        units.append(ScoredUnit(unit, i, float(cosine) + weight * overlap, is_absence(unit), float(cosine)))
    units.sort(key=lambda u: -u.score)
    return units


def score_units(
    question: str, passages: list[Passage], similarity: Similarity, terms: Terms | None = None, weight: float = 0.0
) -> Evidence:
    """Every sentence, list item and list of the passages, scored against the question.

    The score is the dense cosine plus `weight` times the share of the question's search terms
    (stemmed, stopwords removed) that the unit contains: the embedder blurs rare exact words
    ("telefonnummer", "bedömningskriterier") that decide which sentence answers.
    """
    located = [(i, unit) for i, p in enumerate(passages) for unit in text_units(p.text)]
    return Evidence(passages, score_located(question, located, similarity, terms, weight))
