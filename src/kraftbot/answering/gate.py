"""The rules that refuse a question before any claim is chosen, each for a reason the applicant is told.

- no question: nothing in the text is a word KraftBot knows (`???`, keyboard mash, emoji), or the
  text is code or an attack string (`'; DROP TABLE users; --`, `<script>`): the applicant is asked
  for a question;
- injection: the text tries to give the assistant new instructions;
- contact details: the question asks for a telephone number or e-mail address that no retrieved
  passage holds (the documents name people, and such details must never be made up);
- false premise: the question takes for granted a name or number the documents never mention
  (`PremiseCheck`);
- off topic: the best passage is far from the question both by meaning (dense cosine) and by words
  (BM25).
Whether the remaining questions can be answered is decided on the evidence (`answering.decision`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from kraftbot.answering.premise import PremiseCheck
from kraftbot.settings import GateSettings
from kraftbot.text.lexicon import CODE_INPUT, CONTACT_DETAILS, ENGLISH_FUNCTION_WORDS, INJECTION_ATTEMPT, STOPWORDS
from kraftbot.values import Passage, RefusalReason

_WORD = re.compile(r"[^\W\d_]{2,}")
Terms = Callable[[str], list[str]]


def lacks_contact_details(question: str, passages: list[Passage]) -> bool:
    """The question asks for a telephone number or e-mail address and no passage holds one."""
    return any(
        asks.search(question) and not any(holds.search(p.text) for p in passages) for asks, holds in CONTACT_DETAILS
    )


def looks_like_injection(text: str) -> bool:
    """Instructions aimed at the assistant (role changes, fake system lines, "hitta på"), sv or en."""
    return bool(INJECTION_ATTEMPT.search(text))


def has_question(text: str, terms: Terms, vocabulary: Collection[str]) -> bool:
    """Some word of the text is a Swedish or English function word or a term of the corpus, and the
    text is no code or attack string."""
    if CODE_INPUT.search(text):
        return False
    words = [word.lower() for word in _WORD.findall(text)]
    return any(word in STOPWORDS or word in ENGLISH_FUNCTION_WORDS for word in words) or any(
        term in vocabulary for term in terms(text)
    )


@dataclass(frozen=True)
class Refusal:
    """Why a question is refused, and for a false premise the names or numbers never mentioned."""

    reason: RefusalReason
    unmentioned: tuple[str, ...] = ()


class RuleGate:
    """The refusals that need no ranking: see the module docstring."""

    def __init__(self, config: GateSettings, premises: PremiseCheck, terms: Terms, vocabulary: Collection[str]) -> None:
        self.config = config
        self.premises = premises
        self.terms = terms
        self.vocabulary = vocabulary

    def before_retrieval(self, asked: str) -> Refusal | None:
        """Refusals that need only the text as typed."""
        if not has_question(asked, self.terms, self.vocabulary):
            return Refusal("no_question")
        if self.config.block_injections and looks_like_injection(asked):
            return Refusal("injection")
        return None

    def after_retrieval(self, asked: str, passages: list[Passage], top_dense: float, top_bm25: float) -> Refusal | None:
        """Refusals that need the retrieved passages: contact details, a false premise, off topic."""
        if lacks_contact_details(asked, passages):
            return Refusal("absent")
        if unmentioned := self.premises.unmentioned(asked):
            return Refusal("premise", tuple(unmentioned))  # names what is missing: more use than "off topic"
        if top_dense < self.config.min_dense and top_bm25 < self.config.min_bm25:
            return Refusal("off_topic")
        return None
