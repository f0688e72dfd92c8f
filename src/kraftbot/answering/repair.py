"""Citation repair: a generated sentence that cites the wrong given source is pointed at the right one.

The small model often puts every marker on `[1]`, or one marker at the start of its answer, while
the sentence's fact stands in source 2. Such a sentence is true to the given sources but its
citation is not. Before the answer check, each sentence that its own markers do not ground is
moved to the given source that grounds it best (all its numbers and names occur there and it is
close enough in meaning). The check then runs unchanged on the repaired answer, so a sentence no
source grounds still fails it. An answer that cites nothing at all is left alone: it ignored the
format, and the check refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kraftbot.answering.check import AnswerChecker
from kraftbot.text.markers import cited_numbers, strip_markers
from kraftbot.values import MovedCitation, Passage

_SENTENCE_SPLIT = re.compile(r"((?<=[.!?])\s+)")
_END = re.compile(r"^(.*?)([.!?:;]*)$", re.DOTALL)


@dataclass
class Attribution:
    """The answer with repaired markers, and the sentences whose markers changed (old -> new)."""

    text: str
    moved: list[MovedCitation] = field(default_factory=list)


def _cite(plain: str, number: int) -> str:
    """The sentence (markers already stripped) with one `[number]` before its closing punctuation."""
    body, end = _END.match(plain).groups()  # type: ignore[union-attr]
    return f"{body.rstrip()} [{number}]{end}"


def repair_citations(answer: str, passages: Sequence[Passage], checker: AnswerChecker) -> Attribution:
    """Point each sentence that its own citations do not ground at the given source that does."""
    valid = [n for n in cited_numbers(answer) if 1 <= n <= len(passages)]
    if not valid:
        return Attribution(answer)
    parts = _SENTENCE_SPLIT.split(answer)
    moved: list[MovedCitation] = []
    for index in range(0, len(parts), 2):
        sentence = parts[index]
        plain = strip_markers(sentence)
        if not plain:
            continue
        own = [n for n in cited_numbers(sentence) if 1 <= n <= len(passages)] or valid
        if checker.grounded(plain, [passages[n - 1] for n in own]):
            continue
        fitting = [n for n in range(1, len(passages) + 1) if not checker.absent(plain, [passages[n - 1]])]
        scored = [(checker.support(plain, [passages[n - 1]]), n) for n in fitting]
        support, best = max(scored, default=(0.0, 0))
        if best and support >= checker.config.support_threshold:
            parts[index] = _cite(plain, best)
            moved.append(MovedCitation(sentence=plain, from_=cited_numbers(sentence), to=best))
    return Attribution("".join(parts), moved)
