"""The rules that refuse a question before any claim is chosen, each for a reason the applicant is told.

- no question: nothing in the text is a word KraftBot knows (`???`, keyboard mash, emoji), or the
  text is code or an attack string (`'; DROP TABLE users; --`, `<script>`): the applicant is asked
  for a question;
- injection: the text tries to give the assistant new instructions;
- contact details: the question asks for a telephone number or e-mail address that no retrieved
  passage holds with the names the question gives (the documents name people, and such details must
  never be made up nor given for someone else); a passage that holds them, in any common Swedish
  format (`lexicon.PHONE_NUMBER`), lets the question through;
- false premise: the question takes for granted a name or number the documents never mention
  (`PremiseCheck`);
- off topic: judged against what the index holds, not against a cosine fitted to one corpus. The
  question's best passage is no closer to it than everyday questions on other subjects come to this
  index (`OffTopicBaseline`, measured when the index is loaded), and no retrieved passage holds every
  content word of the question (a question about who a person named in a long press release is asks
  about that release, however little of it is about the person).
Whether the remaining questions can be answered is decided on the evidence (`answering.decision`).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from kraftbot.answering.evidence import Evidence
from kraftbot.answering.premise import PremiseCheck
from kraftbot.settings import GateSettings
from kraftbot.text.lexicon import (
    CODE_INPUT,
    CONTACT_DETAILS,
    ENGLISH_FUNCTION_WORDS,
    INJECTION_ATTEMPT,
    OFF_TOPIC_PROBES,
    STOPWORDS,
)
from kraftbot.values import Passage, RefusalReason

_WORD = re.compile(r"[^\W\d_]{2,}")
_CONTENT_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
Terms = Callable[[str], list[str]]
Retrieve = Callable[[str], list[Passage]]
# A normal distribution's standard deviation in median absolute deviations.
MAD_TO_SD = 1.4826
# The least spread assumed, so that probes that happen to score alike cannot make the rule hair-trigger.
MIN_SPREAD = 0.005


def lacks_contact_details(question: str, passages: list[Passage], names: Sequence[str] = ()) -> bool:
    """The question asks for a telephone number or e-mail address and no passage holds one together with
    every name the question gives: one person's or organisation's number is never given for another's."""
    return any(
        asks.search(question) and not any(holds.search(p.text) and mentions(p, names) for p in passages)
        for asks, holds in CONTACT_DETAILS
    )


def mentions(passage: Passage, names: Sequence[str]) -> bool:
    """The passage (its title included) mentions every name, as `PremiseCheck` matches names."""
    return not names or all(map(PremiseCheck([passage.title, passage.text]).mentioned, names))


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


def content_words(text: str, terms: Terms) -> list[list[str]]:
    """The search terms of each word that carries a topic: Swedish stopwords, English function words,
    single letters and bare numbers (a false premise's business) carry none. A word's first term is its
    stem, the rest the stems of its parts (`SwedishAnalyzer.terms`)."""
    found: list[list[str]] = []
    for word in _CONTENT_WORD.findall(text.lower()):
        if len(word) < 2 or word in ENGLISH_FUNCTION_WORDS or word.isdigit():
            continue
        if word_terms := terms(word):
            found.append(word_terms)
    return found


def holds_every_word(words: Sequence[list[str]], passages: Sequence[Passage], terms: Terms) -> bool:
    """Some passage (its title included) holds every word: as a whole, or each of its parts."""
    for passage in passages:
        held = set(terms(f"{passage.title} {passage.text}"))
        if all(stem in held or (parts and all(part in held for part in parts)) for stem, *parts in words):
            return True
    return False


@dataclass(frozen=True)
class OffTopicBaseline:
    """How close questions about something else come to one index: the median and spread of the best
    dense cosine that each of `OFF_TOPIC_PROBES` retrieves. The level depends on the corpus (its size, how
    its passages are cut) and on the embedder, so it is measured on the index rather than assumed."""

    median: float
    spread: float

    @classmethod
    def measure(cls, retrieve: Retrieve, probes: Sequence[str] = OFF_TOPIC_PROBES) -> OffTopicBaseline | None:
        """The baseline from what the probes retrieve, or None when they retrieve nothing dense (an empty
        index, or keyword search only)."""
        best = [Evidence(retrieve(probe), []).top_dense for probe in probes]
        best = [cosine for cosine in best if cosine > -1.0]
        if not best:
            return None
        median = statistics.median(best)
        spread = statistics.median(abs(cosine - median) for cosine in best) * MAD_TO_SD
        return cls(median, max(spread, MIN_SPREAD))

    def margin(self, cosine: float) -> float:
        """How many spreads a cosine lies above the median of the probes."""
        return (cosine - self.median) / self.spread


@dataclass(frozen=True)
class Refusal:
    """Why a question is refused, and for a false premise the names or numbers never mentioned."""

    reason: RefusalReason
    unmentioned: tuple[str, ...] = ()


class RuleGate:
    """The refusals that need no ranking: see the module docstring.

    Without a `baseline` (an index with no dense search) no question is refused as off topic: the
    decision on the evidence still refuses what the documents do not answer."""

    def __init__(
        self,
        config: GateSettings,
        premises: PremiseCheck,
        terms: Terms,
        vocabulary: Collection[str],
        baseline: OffTopicBaseline | None = None,
    ) -> None:
        self.config = config
        self.premises = premises
        self.terms = terms
        self.vocabulary = vocabulary
        self.baseline = baseline

    def before_retrieval(self, asked: str) -> Refusal | None:
        """Refusals that need only the text as typed."""
        if not has_question(asked, self.terms, self.vocabulary):
            return Refusal("no_question")
        if self.config.block_injections and looks_like_injection(asked):
            return Refusal("injection")
        return None

    def after_retrieval(self, asked: str, passages: list[Passage], top_dense: float, top_bm25: float) -> Refusal | None:
        """Refusals that need the retrieved passages: contact details, a false premise, off topic.

        `top_bm25` is not used: a BM25 score's scale depends on the corpus's size (a rare exact term
        scores far lower among 13 passages than among 300), so words are judged by whether a passage
        holds them all."""
        if lacks_contact_details(asked, passages, self.premises.names(asked)):
            return Refusal("absent")
        if unmentioned := self.premises.unmentioned(asked):
            return Refusal("premise", tuple(unmentioned))  # names what is missing: more use than "off topic"
        if self.off_topic(asked, passages, top_dense):
            return Refusal("off_topic")
        return None

    def off_topic(self, asked: str, passages: list[Passage], top_dense: float) -> bool:
        """The best passage is no nearer than `gate.off_topic_margin` spreads above the baseline, and no
        passage holds every content word of the question."""
        if self.baseline is None or self.baseline.margin(top_dense) >= self.config.off_topic_margin:
            return False
        return not holds_every_word(content_words(asked, self.terms), passages, self.terms)
