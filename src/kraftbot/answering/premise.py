"""What a question takes for granted that the documents never mention: a false premise.

"Hur mycket fick Kiruna kommun i Starta er AI-resa?" retrieves the call's amounts, and any reader
of those passages would answer with one. But the documents never name Kiruna: the honest answer is
that they say nothing about it. So before reading, the question's names and, outside yes/no
questions, its numbers and years are looked up in the whole corpus. Names are capitalised words
(not ordinary words opening a sentence) and words that simplemma's Swedish dictionary knows as
proper nouns, since applicants write "fick kiruna pengar?" as often as "Fick Kiruna pengar?".

- A name counts as mentioned when the corpus holds it or a close spelling of it ("Vinova" is
  Vinnova misspelt, not a new organisation).
- A yes/no question tests its names and numbers ("Kan man få 5 miljoner?" is answered with the
  real amount); any other question takes them for granted ("Varför höjdes taket till 5 miljoner?").
- A question about the rules ("vi är en förening i Norrland, hur mycket kan vi söka?") asks what
  holds for anyone, so its names are context, not a premise.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import simplemma

from kraftbot.text.facts import common_words, number_values, source_values
from kraftbot.text.lexicon import ENGLISH_FUNCTION_WORDS, PROPER_ADJECTIVES, RULE_QUESTION, YES_NO_OPENING
from kraftbot.text.markers import strip_markers
from kraftbot.text.sentences import sentences

_WORD = re.compile(r"\w[\w\-]*")
# How alike a misspelt name must be to a corpus word (difflib ratio): "Vinova" / "Vinnova" is 0.92.
SPELLING_CUTOFF = 0.8


class PremiseCheck:
    """Looks a question's names and numbers up in every text of the corpus."""

    def __init__(self, corpus_texts: Iterable[str]) -> None:
        texts = list(corpus_texts)
        self.words = frozenset(word.lower() for text in texts for word in _WORD.findall(text))
        self._long_words = sorted(word for word in self.words if len(word) >= 4)
        self.values = source_values(texts)
        self.common = common_words(texts) | ENGLISH_FUNCTION_WORDS

    def mentioned(self, name: str) -> bool:
        """The corpus holds the name, its form without a genitive s, or a close spelling of it."""
        word = name.lower()
        if word in self.words or word.removesuffix("s") in self.words:
            return True
        return bool(difflib.get_close_matches(word, self._long_words, n=1, cutoff=SPELLING_CUTOFF))

    def unmentioned(self, question: str) -> list[str]:
        """The names and numbers a question takes for granted that the corpus never states.

        A yes/no question tests its names and numbers rather than assuming them ("Ingår Malmö i
        AI-rådet?" is answered by the council's list); a question about the rules asks what holds for
        anyone, so its names are context ("vi är en förening i Norrland, hur mycket kan vi söka?").
        """
        if YES_NO_OPENING.search(question):
            return []
        names = [] if RULE_QUESTION.search(question) else self.names(question)
        unknown = [name for name in names if not self.mentioned(name)]
        unknown += [surface for surface, value in number_values(question) if value not in self.values]
        return list(dict.fromkeys(unknown))

    def names(self, question: str) -> list[str]:
        """The names a question gives: capitalised words (a sentence's first word only when no ordinary
        word) and proper nouns written in lower case."""
        named: list[str] = []
        for sentence in sentences(strip_markers(question)):
            for position, word in enumerate(_WORD.findall(sentence)):
                if word.islower():
                    if word not in self.common and (lemma := simplemma.lemmatize(word, lang="sv"))[:1].isupper():
                        named.append(lemma)
                elif word[:1].isupper() and len(word) > 1 and self._proper(word, opens=position == 0):
                    named.append(word)
        return [name for name in named if name.lower() not in PROPER_ADJECTIVES]

    def _proper(self, name: str, opens: bool) -> bool:
        """A capitalised word that is no compound of a mentioned name and an ordinary word ("AI-grej")
        and, opening a sentence, no ordinary word ("Fick" is få)."""
        word = name.lower()
        head, _, tail = word.rpartition("-")
        if head and tail and self.mentioned(head) and simplemma.is_known(tail, lang="sv"):
            return False
        if not opens:
            return True
        if word in self.common:
            return False
        return simplemma.lemmatize(word, lang="sv")[:1].isupper() or not simplemma.is_known(word, lang="sv")
