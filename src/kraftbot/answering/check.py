"""The check every model-written sentence passes before anyone sees it.

A sentence is shown only when it is supported by the evidence it cites:
- citation: it cites at least one `[n]`, and every `[n]` is one of the evidence items given;
- language: it is not confidently another language than the answers' (`check.language`);
- fragment: it has at least `MIN_WORDS` words (a bare "4 [1]." says less than the claim it cites);
- numbers: every number, amount and date in it is stated by the cited evidence (a number the
  question brings is no fact);
- names: every name and acronym in it stands in the cited evidence (likewise);
- polarity: it denies what its closest evidence sentence denies and affirms what that sentence
  affirms (inte, ej, aldrig, ingen …; an opening "Ja"/"Nej" counts, and only a yes/no question, one
  without a question word, may be answered with one);
- asked: the first sentence states the kind of fact the question asks for (an amount, a date, a
  count, a name) whenever the cited evidence holds one;
- words: enough of its content-word stems (compounds split) stand in the cited evidence or the question,
  and none is one the prompt's examples brought in ("öppet måndag till fredag");
- echo: it holds a content word of the evidence's own, not only the question's words again;
- similarity: its embedding is close enough to the cited evidence's.
The checks are cheap and work on any Swedish documents; none knows the corpus's subject. They run
in that order and the first that fails is recorded: the caller quotes the evidence instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from kraftbot.answering.ranking import asked_types, holds
from kraftbot.answering.similarity import Similarity
from kraftbot.settings import CheckSettings, WriterSettings
from kraftbot.text.facts import absent_names, absent_numbers
from kraftbot.text.language import judge_language
from kraftbot.text.lexicon import NEGATIONS, QUESTION_WORDS
from kraftbot.text.markers import cited_numbers, strip_markers
from kraftbot.text.sentences import sentences

CheckName = Literal[
    "citation", "fragment", "language", "numbers", "names", "polarity", "asked", "words", "echo", "similarity"
]
# Fewer words than this (numbers and the citation left out) is a fragment ("4 [1].", "10 miljoner
# kronor [1].", "Maskininlärning [1]."), not an answer an applicant can act on: the claim says more.
MIN_WORDS = 3
Terms = Callable[[str], list[str]]

_OPENING_REPLY = re.compile(r"^\W*(ja|jo|nej)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:-\w+)*")
_LETTERS = re.compile(r"[^\W\d_]+")
# A question with a question word asks for a fact; one without ("Kom det någon ny omgång?", "Vi är
# ett konsultbolag, kan vi vara med?") asks yes or no, wherever its verb stands.
_ASKS_FOR_FACT = re.compile(rf"\b{QUESTION_WORDS}", re.IGNORECASE)
# Who is asked for by "vem"/"who"; "vilka"/"vilken" ask as often for a kind of thing as for a name.
_ASKS_WHO = re.compile(r"\b(vem|vems|who|whom)\b", re.IGNORECASE)
_NEGATION = re.compile(rf"\b({'|'.join(NEGATIONS)})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """Whether a sentence may be shown; `failed` names the first check it did not pass."""

    failed: CheckName | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.failed is None


PASSED = Verdict()


def inflected_from(name: str, words: Collection[str]) -> bool:
    """Whether each part of a (hyphenated) name is a word given, or an inflection of one: "Vetlandas"
    of "Vetlanda", "AI-projektet" of "AI-projekt". The two agree on at least four letters and differ
    only in endings of at most three letters each ("Karlstad" is no inflection of "Karlskrona"); a
    short part ("AI") must match exactly."""
    for part in name.lower().split("-"):
        if part and part not in words and not any(_inflection(part, word) for word in words):
            return False
    return True


def _inflection(first: str, second: str) -> bool:
    shared = _common_prefix(first, second)
    return shared >= 4 and len(first) - shared <= 3 and len(second) - shared <= 3


def _common_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def denies(text: str) -> bool:
    """True when the text negates (inte, ej, aldrig, ingen, inga, utan …) or opens with "Nej"."""
    opening = _OPENING_REPLY.match(text)
    if opening:
        return opening.group(1).lower() == "nej"
    return bool(_NEGATION.search(text))


class SentenceCheck:
    """Judges one written sentence against the numbered evidence it was written from."""

    def __init__(
        self,
        config: WriterSettings,
        language: CheckSettings,
        similarity: Similarity,
        terms: Terms,
        common: Collection[str],
        borrowed: Collection[str] = (),
    ) -> None:
        """`borrowed` are the stems of the prompt's own examples: a sentence that brings one in which
        neither its evidence nor the question holds copied the example, not the documents."""
        self.config = config
        self.language = language
        self.similarity = similarity
        self.terms = terms
        self.common = common
        self.borrowed = frozenset(borrowed)

    def judge(self, sentence: str, question: str, evidence: Sequence[str], first: bool) -> Verdict:
        """`evidence` holds the items' texts, item n at index n-1; `first` for the lead's first sentence."""
        numbers = cited_numbers(sentence)
        if not numbers or any(n < 1 or n > len(evidence) for n in numbers):
            return Verdict("citation", f"cites {numbers or 'nothing'} of {len(evidence)}")
        cited = [evidence[n - 1] for n in numbers]
        plain = strip_markers(sentence)
        if len(_LETTERS.findall(plain)) < MIN_WORDS:
            return Verdict("fragment", plain)
        checks = (self._language, self._numbers, self._names, self._polarity, self._asked, self._words, self._echo)
        for check in checks:
            verdict = check(plain, question, cited, first)
            if not verdict.passed:
                return verdict
        cosine = float(self.similarity.between(plain, [" ".join(cited)]).max())
        if cosine < self.config.min_similarity:
            return Verdict("similarity", f"cosine {cosine:.3f}")
        return PASSED

    def _language(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        code, allowed = judge_language(plain, self.language.language, self.language.language_min_confidence)
        return PASSED if allowed else Verdict("language", code)

    def _numbers(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        """Numbers from the evidence only: one the question brings ("Kan man få 700 000?") is no fact."""
        missing = absent_numbers(plain, cited)
        return Verdict("numbers", ", ".join(missing)) if missing else PASSED

    def _names(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        """Names from the evidence only: "Ingår Malmö i AI-rådet?" must not become "Malmö ingår" because
        the question said Malmö."""
        given = " ".join(cited)
        words = {part for word in _WORD.findall(given.lower()) for part in (word, *word.split("-"))}
        missing = [name for name in absent_names(plain, [given], self.common) if not inflected_from(name, words)]
        return Verdict("names", ", ".join(missing)) if missing else PASSED

    def _polarity(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        if _OPENING_REPLY.match(plain) and _ASKS_FOR_FACT.search(question):
            return Verdict("polarity", "a yes or no to a question that is not a yes/no question")
        closest = self._closest_sentence(plain, cited)
        if denies(plain) != denies(closest):
            return Verdict("polarity", f"evidence: {closest[:80]}")
        return PASSED

    def _asked(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        """The lead's first sentence states one of the kinds of fact asked for that its evidence holds
        (a two-part question's other kind may come in the next sentence)."""
        if not first:
            return PASSED
        evidence = " ".join(cited)
        asked = asked_types(question) - (set() if _ASKS_WHO.search(question) else {"name"})
        held = [kind for kind in sorted(asked) if holds(kind, evidence, question)]
        if held and not any(holds(kind, plain, question) for kind in held):
            return Verdict("asked", ", ".join(held))
        return PASSED

    def _echo(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        """The sentence says something of the evidence's own, not only the question's words again
        ("Ja, vi är tre organisationer som driver projektet ihop …")."""
        written = {term for term in self.terms(plain) if not term.isdigit()}
        own = set(self.terms(" ".join(cited))) - set(self.terms(question))
        return PASSED if written & own or not written else Verdict("echo", "only the question's words")

    def _words(self, plain: str, question: str, cited: list[str], first: bool) -> Verdict:
        written = {term for term in self.terms(plain) if not term.isdigit()}  # numbers have their own check
        if not written:
            return PASSED
        known = set(self.terms(" ".join([*cited, question])))
        copied = (written - known) & self.borrowed
        if copied:
            return Verdict("words", f"from the prompt's examples: {sorted(copied)[:6]}")
        share = len(written & known) / len(written)
        if share < self.config.min_word_overlap:
            return Verdict("words", f"{share:.2f} of {sorted(written - known)[:6]}")
        return PASSED

    def closest(self, sentence: str, evidence: Sequence[str]) -> int:
        """The number of the evidence item sharing most content-word stems with the sentence."""
        written = set(self.terms(strip_markers(sentence)))
        shares = [len(written & set(self.terms(text))) for text in evidence]
        return shares.index(max(shares)) + 1

    def _closest_sentence(self, plain: str, cited: Sequence[str]) -> str:
        """The evidence sentence sharing most stems with the written one: the one whose polarity it must keep."""
        written = set(self.terms(plain))
        candidates = [s for text in cited for s in sentences(text)] or list(cited)
        return max(candidates, key=lambda s: len(written & set(self.terms(s))))
