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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from kraftbot.citations import Unit, text_units
from kraftbot.retrieval import Passage
from kraftbot.settings import GateSettings
from kraftbot.similarity import Similarity

_ABSENCE = re.compile(
    r"\b(saknas|finns inte|finns inga|finns varken|innehåller inte|innehåller ingen|är okän[dt]"
    r"|inte känd|inte känt|ingen uppgift|inga uppgifter|framgår inte|anges inte|säger alltså inte)\b",
    re.IGNORECASE,
)

# An answer saying that the material lacks something: the model's own refusal.
_MATERIAL_ABSENCE = re.compile(
    r"\b(finns inte|finns ingen|saknas|framgår inte|anges inte|nämns inte|står inte)\b.{0,60}"
    r"\b(underlag|källor|källan|dokument)|\b(underlaget|källorna|källan)\b.{0,60}"
    r"\b(innehåller inte|säger inte|anger inte|nämner inte|saknar)|\b(är okänt|inte känt|vet jag inte)\b",
    re.IGNORECASE | re.DOTALL,
)

_INJECTION = re.compile(
    "|".join(
        [
            r"\b(ignorera|strunta i|glöm|bortse från)\b.{0,40}\b(instruktion|regler|anvisning|tidigare|ovan)",
            r"\b(ignore|disregard|forget)\b.{0,40}\b(instruction|rules|previous|above|prompt)",
            r"^\s*(system|assistant|assistent|developer)\s*:",
            r"<\|[^|>]{1,40}\|>|\[/?INST\]|<</?SYS>>|</?(system|assistant)>",
            r"\bdu är (inte längre|nu|numera)\b|\byou are (now|no longer)\b|\bfrån och med nu\b",
            r"\bhitta på (ett|en|svar|något|uppgift|siffr|belopp)|\b(fabricera|make up|invent|fabricate)",
            r"\b(nya regler|new rules|utan (några )?begränsningar|without (any )?(restrictions|limits))\b",
            r"\b(låtsas|pretend|roleplay|rollspel)\b",
            r"\b(hotfull|kränkande|förolämp)\w*",
            r"\b(systemprompt|system prompt|dina instruktioner|your instructions)\b",
        ]
    ),
    re.IGNORECASE | re.MULTILINE,
)

# What a question asks for, and what a passage must hold to answer it.
_CONTACT_DETAILS = [
    (
        re.compile(r"\btelefon\w*|\bring(a|er)\b", re.IGNORECASE),
        re.compile(r"(?:\+46|\b0)\d{1,3}[-\s]?\d{2,3}(?:[\s-]?\d{2}){1,2}\b"),
    ),
    (re.compile(r"\b(e-?post|mejl|mail)adress\w*", re.IGNORECASE), re.compile(r"[\w.+-]+@[\w-]+\.\w+")),
]

OFF_TOPIC = (
    "Jag svarar bara på frågor om Kraftsamling för AI i kommuner och civilsamhälle, Vinnovas och "
    "AI Swedens satsning, och den här frågan ligger utanför det som mitt underlag handlar om."
)
INJECTION = (
    "Jag kan inte göra det. Jag svarar bara på frågor om Kraftsamling för AI i kommuner och "
    "civilsamhälle utifrån mitt underlag, och jag hittar aldrig på uppgifter eller byter roll."
)
NOT_IN_MATERIAL = "Det kan jag tyvärr inte svara på: uppgiften finns inte i mitt underlag."
SITES = {
    "vinnova.se": "Vinnovas webbplats (vinnova.se)",
    "ai.se": "AI Swedens webbplats (ai.se)",
}


def is_absence(unit: Unit) -> bool:
    """True for a sentence saying the material lacks something (a list: its lead or heading says so)."""
    own = "" if unit.kind == "list" else unit.text
    return bool(_ABSENCE.search(own) or _ABSENCE.search(unit.context))


def is_absence_statement(text: str) -> bool:
    """True when a text says the material does not hold something ("finns inte i underlaget")."""
    return bool(_MATERIAL_ABSENCE.search(text))


def lacks_contact_details(question: str, passages: list[Passage]) -> bool:
    """The question asks for a telephone number or e-mail address and no passage holds one."""
    return any(
        asks.search(question) and not any(holds.search(p.text) for p in passages) for asks, holds in _CONTACT_DETAILS
    )


def looks_like_injection(text: str) -> bool:
    """Instructions aimed at the assistant (role changes, fake system lines, "hitta på"), sv or en."""
    return bool(_INJECTION.search(text))


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


@dataclass
class Verdict:
    """`refusal` is None when the evidence can answer, else the reason: injection, off_topic, absent."""

    refusal: str | None
    evidence: Evidence
    scores: dict[str, float] = field(default_factory=dict)


Terms = Callable[[str], list[str]]


def absence_statements(passages: list[Passage]) -> list[tuple[Unit, Passage]]:
    """Every sentence of the corpus that says the material lacks something, with its passage."""
    found: dict[str, tuple[Unit, Passage]] = {}
    for passage in passages:
        for unit in text_units(passage.text):
            if is_absence(unit):
                found.setdefault(unit.full, (unit, passage))
    return list(found.values())


def _scored(
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
    return Evidence(passages, _scored(question, located, similarity, terms, weight))


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
            elsewhere = _scored(question, located, self.similarity, self.terms, self.config.lexical_weight)[0]
            own = evidence.best_absence
            if own is None or elsewhere.score > own.score:
                evidence.absence_elsewhere = (elsewhere, self.absences[elsewhere.passage][1])
        answer, absence = evidence.best_answer, evidence.best_absence
        scores = {
            "top_dense": round(evidence.top_dense, 4),
            "top_bm25": round(evidence.top_bm25, 4),
            "best_sentence": round(answer.score, 4) if answer else 0.0,
            "best_absence": round(absence.score, 4) if absence else 0.0,
        }
        if self.config.block_injections and looks_like_injection(asked or question):
            return Verdict("injection", evidence, scores)
        if evidence.top_dense < self.config.min_dense and evidence.top_bm25 < self.config.min_bm25:
            return Verdict("off_topic", evidence, scores)
        if lacks_contact_details(question, passages):
            return Verdict("absent", evidence, scores)
        if absence and (answer is None or absence.score >= answer.score - self.config.absence_margin):
            return Verdict("absent", evidence, scores)
        return Verdict(None, evidence, scores)


def refusal_message(reason: str, evidence: Evidence, documents: int = 3) -> str:
    """The Swedish refusal: why, the closest documents as links, and where to look instead."""
    if reason == "injection":
        return INJECTION
    if reason == "off_topic":
        return OFF_TOPIC
    lines = [NOT_IN_MATERIAL]
    absence, where = evidence.best_absence, evidence.absence_passage
    if reason == "absent" and absence is not None:
        lines.append(f"Underlaget säger: ”{absence.unit.full.lstrip('-* ')}”")
    closest: dict[str, str] = {}
    for passage in ([where] if reason == "absent" and where else []) + evidence.passages:
        if passage.url and len(closest) < documents:
            closest.setdefault(passage.url, passage.title or passage.doc_id)
    if closest:
        links = ", ".join(f"[{title}]({url})" for url, title in closest.items())
        lines.append(f"Närmast ligger: {links}.")
    hosts = {urlparse(url).hostname or "" for url in closest}
    sites = [name for domain, name in SITES.items() if any(h == domain or h.endswith("." + domain) for h in hosts)]
    if sites:
        lines.append(f"Aktuella uppgifter hittar du på {' eller '.join(sites)}.")
    return "\n\n".join(lines)
