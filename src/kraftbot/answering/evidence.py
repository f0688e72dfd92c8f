"""The evidence for a question: every claim of its passages, and what the corpus says it lacks.

The answer is composed from these claims (sentences, list items, lists), so the stages that decide
whether to answer and what to quote all read the same candidates. Statements of absence ("sista
ansökningsdag finns inte i underlaget") are candidates too: when one answers the question best,
the honest answer is that refusal. The corpus's statements of absence are few and short, so the
ones closest to the question join the candidates even when their passage was not retrieved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kraftbot.answering.similarity import Similarity
from kraftbot.text.lexicon import ABSENCE, MATERIAL_ABSENCE
from kraftbot.text.sentences import text_units
from kraftbot.values import Passage, Unit


def is_absence(unit: Unit) -> bool:
    """True for a claim saying the material lacks something (a list: its lead or heading says so)."""
    own = "" if unit.kind == "list" else unit.text
    return bool(ABSENCE.search(own) or ABSENCE.search(unit.context))


def is_absence_statement(text: str) -> bool:
    """True when a text says the material does not hold something ("finns inte i underlaget")."""
    return bool(MATERIAL_ABSENCE.search(text))


@dataclass(frozen=True)
class Candidate:
    """A claim that may answer the question, with the passage it stands in.

    `rank` is its passage's place in the retrieval (0 = best); a statement of absence brought in
    from the rest of the corpus ranks just after the retrieved passages.
    """

    unit: Unit
    passage: Passage
    rank: int
    absent: bool


@dataclass(frozen=True)
class Evidence:
    """The retrieved passages and the candidates drawn from them."""

    passages: list[Passage]
    candidates: list[Candidate]

    @property
    def top_dense(self) -> float:
        return max((p.dense_score for p in self.passages if p.dense_score is not None), default=-1.0)

    @property
    def top_bm25(self) -> float:
        return max((p.bm25_score for p in self.passages if p.bm25_score is not None), default=0.0)


def claims(passages: Sequence[Passage], rank_offset: int = 0) -> list[Candidate]:
    """Every claim of the passages, once (overlapping chunks repeat sentences), in passage order."""
    seen: set[str] = set()
    found: list[Candidate] = []
    for rank, passage in enumerate(passages, start=rank_offset):
        for unit in text_units(passage.text, passage.section):
            if unit.full not in seen and not unit.text.endswith(":"):
                seen.add(unit.full)
                found.append(Candidate(unit, passage, rank, is_absence(unit)))
    return found


def absence_statements(passages: Sequence[Passage]) -> list[Candidate]:
    """Every claim of the corpus that says the material lacks something."""
    return [candidate for candidate in claims(passages) if candidate.absent]


def gather_evidence(
    question: str,
    passages: list[Passage],
    absences: Sequence[Candidate],
    similarity: Similarity,
    extra_absences: int,
) -> Evidence:
    """The passages' claims, and the `extra_absences` corpus statements of absence closest to the question."""
    candidates = claims(passages)
    known = {candidate.unit.full for candidate in candidates}
    others = [candidate for candidate in absences if candidate.unit.full not in known]
    if others and extra_absences:
        cosines = similarity.to_question(question, [candidate.unit.headed for candidate in others])
        closest = sorted(range(len(others)), key=lambda i: -cosines[i])[:extra_absences]
        candidates += [
            Candidate(others[i].unit, others[i].passage, len(passages), absent=True) for i in sorted(closest)
        ]
    return Evidence(passages, candidates)
