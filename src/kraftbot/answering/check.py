"""Checks that an answer says nothing its cited sources do not: the guard against a small model.

`AnswerChecker` passes an answer when every `[n]` names a given source, at least one does, no
number or name is absent from the cited sources, every sentence is close to a sentence of a cited
passage, and the answer is in Swedish. `adds_nothing` catches an answer that only echoes the question.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from kraftbot.answering.similarity import Similarity
from kraftbot.settings import CheckSettings
from kraftbot.text.facts import absent_terms
from kraftbot.text.language import judge_language
from kraftbot.text.lexicon import BARE_REPLIES, COMMON_STARTS
from kraftbot.text.markers import cited_numbers, strip_markers
from kraftbot.text.sentences import sentences, text_units
from kraftbot.values import CheckReport, Passage


def adds_nothing(answer: str, question: str, terms: Callable[[str], list[str]]) -> bool:
    """The answer's search terms are all in the question (bar "ja", "nej", "finns"): an echo.

    The small model often turns the question into a statement ("Ja, vi kan vara med i ett projekt
    i Starta er AI-resa."): grounded in a loose sense, useless to the applicant.
    """
    known = set(terms(question)) | set(terms(BARE_REPLIES))
    return not [term for term in terms(strip_markers(answer)) if term not in known]


class AnswerChecker:
    """Checks a generated answer against the passages it was given.

    `common` holds the corpus's ordinary words (`common_words`): a capitalised one opening a
    sentence is not taken for a name.
    """

    def __init__(self, config: CheckSettings, similarity: Similarity, common: Collection[str] = COMMON_STARTS) -> None:
        self.config = config
        self.similarity = similarity
        self.common = common

    def support(self, sentence: str, passages: Sequence[Passage]) -> float:
        """Highest cosine of the sentence with a passage, or a sentence or list of one."""
        candidates = [c for p in passages for c in [p.text, *(u.full for u in text_units(p.text))]]
        scores = self.similarity.between(sentence, candidates)
        return float(scores.max()) if len(scores) else 0.0

    def absent(self, answer: str, passages: Sequence[Passage]) -> list[str]:
        """The answer's numbers and names that none of the passages contains."""
        return absent_terms(answer, [p.text for p in passages], self.common)

    def grounded(self, sentence: str, passages: Sequence[Passage]) -> bool:
        """The sentence's numbers and names occur in the passages, and one of them supports it."""
        return not self.absent(sentence, passages) and self.support(sentence, passages) >= self.config.support_threshold

    def check(self, answer: str, passages: Sequence[Passage]) -> CheckReport:
        language, in_language = judge_language(answer, self.config.language, self.config.language_min_confidence)
        result = CheckReport(passed=False, language=language)
        numbers = cited_numbers(answer)
        result.invalid_citations = [n for n in numbers if not 1 <= n <= len(passages)]
        cited = {n: passages[n - 1] for n in numbers if 1 <= n <= len(passages)}
        if not strip_markers(answer):
            result.problems.append("empty answer")
            return result
        if not cited:
            result.problems.append("no valid citation")
        if result.invalid_citations:
            result.problems.append(f"citations of sources not given: {result.invalid_citations}")
        if not in_language:
            result.problems.append(f"language {result.language!r}, not {self.config.language!r}")
        result.absent_terms = self.absent(answer, list(cited.values()))
        if result.absent_terms:
            result.problems.append(f"numbers or names absent from the cited sources: {result.absent_terms}")
        for sentence in sentences(answer):
            plain = strip_markers(sentence)
            if not plain or not cited:
                continue
            own = [cited[n] for n in cited_numbers(sentence) if n in cited] or list(cited.values())
            if self.support(plain, own) < self.config.support_threshold:
                result.unsupported_sentences.append(plain)
        if result.unsupported_sentences:
            result.problems.append(f"{len(result.unsupported_sentences)} sentence(s) not supported by a cited source")
        result.passed = not result.problems
        return result
