"""Swedish text analysis for keyword search: lower-case, stopwords, compounds, Snowball stems.

Swedish writes compounds as one word (`kommunalförbund`, `ansökningsdag`) and joins words with
hyphens (`AI-förmågor`), so a question that says `förbund` or `förmågor` would never match those
words on whole-word stems alone. Each word therefore yields its own stem plus the stems of its
parts: hyphenated words split at the hyphens, closed compounds split greedily against the
vocabulary of the indexed corpus (with the linking `-s-`/`-e-`), so only splits into words that
really occur are made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import snowballstemmer

from kraftbot.text.lexicon import CHAT_WORD, CHAT_WORDS, STOPWORDS

WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
SOFT_HYPHEN = "\u00ad"
LINKING = ("", "s", "e")
# Adjective endings a compound head may carry: `kommunalförbund` also yields `kommun`.
HEAD_SUFFIXES = ("al", "ell", "isk")
# Definite endings the Snowball stemmer leaves on (`förbundet`, `miljön`); removed when the
# corpus knows the shorter stem.
DEFINITE_ENDINGS = ("et", "n")
MIN_PART = 3
MIN_COMPOUND = 7
MAX_PARTS = 4


def expand_chat_words(text: str) -> str:
    """The text with chat abbreviations written out ("hur mkt e det" -> "hur mycket är det")."""
    return CHAT_WORD.sub(lambda match: CHAT_WORDS[match.group(1).lower()], text)


class SwedishAnalyzer:
    """Turns text into search terms; `vocabulary` (stems) decides which compound splits are real."""

    def __init__(self, vocabulary: Iterable[str] = (), decompound: bool = True) -> None:
        self._stemmer = snowballstemmer.stemmer("swedish")
        self._stems: dict[str, str] = {}
        self._parts: dict[str, list[str]] = {}
        self.vocabulary = frozenset(vocabulary)
        self.decompound = decompound

    @classmethod
    def fit(cls, texts: Iterable[str], decompound: bool = True) -> SwedishAnalyzer:
        """An analyzer whose compound splitting knows every word stem of `texts`."""
        plain = cls(decompound=False)
        vocabulary = {
            plain.stem(part)
            for text in texts
            for word in plain.words(text)
            for part in word.split("-")
            if len(part) >= MIN_PART and not part.isdigit()
        }
        return cls(vocabulary, decompound)

    def stem(self, word: str) -> str:
        """Snowball stem, without a definite ending when the corpus knows the stem without it."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stemmer.stemWord(word)
            if stem not in self.vocabulary:
                for ending in DEFINITE_ENDINGS:
                    shorter = stem[: -len(ending)]
                    if stem.endswith(ending) and len(shorter) > MIN_PART and shorter in self.vocabulary:
                        stem = shorter
                        break
            self._stems[word] = stem
        return stem

    @staticmethod
    def words(text: str) -> list[str]:
        """Lower-cased words (hyphenated ones kept whole), stopwords removed."""
        text = text.replace(SOFT_HYPHEN, "").lower()
        return [w for w in WORD.findall(text) if w not in STOPWORDS]

    def terms(self, text: str) -> list[str]:
        """Search terms: the stem of every word, then the stems of its hyphen and compound parts."""
        terms: list[str] = []
        for word in self.words(text):
            terms.append(self.stem(word))
            pieces = [p for p in word.split("-") if p and p not in STOPWORDS] if "-" in word else [word]
            for piece in pieces:
                if piece != word:
                    terms.append(self.stem(piece))
                if self.decompound:
                    terms.extend(self.compound_parts(piece))
        return terms

    def compound_parts(self, word: str) -> list[str]:
        """Stems of the parts of a closed compound, or [] when no split into known words exists."""
        cached = self._parts.get(word)
        if cached is None:
            split = self._split(word, MAX_PARTS) if len(word) >= MIN_COMPOUND else None
            cached = self._parts[word] = self._with_head_roots(split) if split else []
        return cached

    def _known(self, piece: str) -> str | None:
        stem = self.stem(piece)
        return stem if len(stem) >= MIN_PART and stem in self.vocabulary else None

    def _split(self, word: str, max_parts: int) -> list[str] | None:
        """Longest known head first; the rest must be a known word or split again."""
        if max_parts < 2:
            return None
        for end in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head = self._known(word[:end])
            if head is None:
                continue
            for link in LINKING:
                if not word.startswith(link, end):
                    continue
                rest = word[end + len(link) :]
                if len(rest) < MIN_PART:
                    continue
                tail = self._known(rest)
                if tail is not None:
                    return [head, tail]
                deeper = self._split(rest, max_parts - 1)
                if deeper:
                    return [head, *deeper]
        return None

    def _with_head_roots(self, parts: list[str]) -> list[str]:
        """Add the root of an adjectival head (`kommunal` -> `kommun`) when the corpus knows it."""
        roots = [
            part[: -len(suffix)]
            for part in parts[:-1]
            for suffix in HEAD_SUFFIXES
            if part.endswith(suffix) and part[: -len(suffix)] in self.vocabulary
        ]
        return parts + roots
