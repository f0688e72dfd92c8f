"""Checks that an answer says nothing its cited sources do not: the guard against a small model.

Public helpers (also used by the evaluation):
- `number_values`, `absent_numbers`: numbers, amounts, dates and percentages, normalised so that
  "600 000", "600000", "600 000 kr", "600 tusen" and "0,6 miljoner" are one value;
- `names_in`, `absent_names`: proper names and acronyms (capitalised words); a capitalised word that
  opens a sentence is a name only when it is not a common word (`common_words` of the corpus);
- `absent_terms`: both, the answer's numbers and names that no cited source contains;
- `identify_language`, `judge_language`: py3langid's language code and its probability; a text too
  short to identify (a number, a name) is not held to be in another language;
- `AnswerChecker`: every `[n]` names a given source, at least one does, no absent term, every
  sentence close to a sentence of a cited passage, and the answer in Swedish.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from kraftbot.citations import cited_numbers, sentences, strip_markers, text_units
from kraftbot.retrieval import Passage
from kraftbot.settings import GroundingSettings
from kraftbot.similarity import Similarity

_SPACE = r"[ \u00a0\u202f]"
_NUMBER = re.compile(
    rf"(?<![\w,.])(\d{{1,3}}(?:{_SPACE}\d{{3}})+(?![\d])|\d+(?:[.,]\d+)?)"
    rf"(?:{_SPACE}*(tusen|tkr|miljoner|miljon|milj|mnkr|mkr|miljarder|miljard|mdr|mrd)\b)?",
    re.IGNORECASE,
)
_SCALES = {"tusen": 1e3, "tkr": 1e3, "miljon": 1e6, "miljoner": 1e6, "milj": 1e6, "mkr": 1e6, "mnkr": 1e6}
_SCALES |= {"miljard": 1e9, "miljarder": 1e9, "mdr": 1e9, "mrd": 1e9}
NUMBER_WORDS = {
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "elva": 11,
    "tolv": 12,
    "tjugo": 20,
    "trettio": 30,
    "fyrtio": 40,
    "femtio": 50,
    "hundra": 100,
}
MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
_NUMBER_WORD = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b(?:{_SPACE}+({'|'.join(_SCALES)})\b)?", re.IGNORECASE)
_MONTH = re.compile(rf"\b({'|'.join(MONTHS)})\b", re.IGNORECASE)
_WORD = re.compile(r"\w[\w\-]*")
_URL = re.compile(r"\S+\.(?:se|com|org|eu|nu|net)\S*|https?://\S+")
_LINE_START = re.compile(r"^\s*(?:[-*•]|\d+[.)])?\s*[\"'”“»(]*", re.MULTILINE)
# Capitalised words that open Swedish sentences without being names.
COMMON_STARTS = frozenset(
    {
        "det",
        "den",
        "de",
        "detta",
        "denna",
        "dessa",
        "du",
        "ni",
        "vi",
        "man",
        "jag",
        "han",
        "hon",
        "enligt",
        "ja",
        "nej",
        "dessutom",
        "men",
        "och",
        "eller",
        "om",
        "för",
        "till",
        "med",
        "efter",
        "innan",
        "när",
        "där",
        "här",
        "hur",
        "vad",
        "vem",
        "vilka",
        "vilken",
        "vilket",
        "alla",
        "varje",
        "även",
        "också",
        "bidraget",
        "projektet",
        "projekten",
        "utlysningen",
        "satsningen",
        "ansökan",
        "underlaget",
        "källan",
        "källorna",
        "svaret",
        "sammanfattningsvis",
        "kort",
        "totalt",
        "först",
        "sedan",
        "slutligen",
        "i",
        "på",
        "av",
        "vid",
        "under",
        "från",
        "som",
        "att",
        "nu",
        "inom",
        "utöver",
        "mellan",
        "genom",
        "ett",
        "en",
        "observera",
        "tänk",
        "ur",
    }
)


def _value(digits: str, scale: str | None) -> float:
    number = float(re.sub(_SPACE, "", digits).replace(",", "."))
    return round(number * _SCALES.get((scale or "").lower(), 1.0), 6)


def number_values(text: str) -> list[tuple[str, float]]:
    """Each number in the text with its value, a scale word applied ("2 miljoner" -> 2000000)."""
    plain = strip_markers(text)
    found = [(m.group(0).strip(), _value(m.group(1), m.group(2))) for m in _NUMBER.finditer(plain)]
    for match in _NUMBER_WORD.finditer(plain):
        value = NUMBER_WORDS[match.group(1).lower()] * _SCALES.get((match.group(2) or "").lower(), 1.0)
        found.append((match.group(0), round(value, 6)))
    return found


def _source_values(sources: Sequence[str]) -> set[float]:
    """Every value the sources state: scaled and bare ("2 miljoner" -> 2000000 and 2), months too."""
    text = "\n".join(sources)
    values = {value for _, value in number_values(text)}
    values |= {_value(m.group(1), None) for m in _NUMBER.finditer(text)}
    values |= {float(n) for n in NUMBER_WORDS.values() if re.search(rf"\b{_key(n)}\b", text, re.I)}
    values |= {float(MONTHS[m.group(1).lower()]) for m in _MONTH.finditer(text)}
    return values


def _key(value: int) -> str:
    return next(word for word, number in NUMBER_WORDS.items() if number == value)


def absent_numbers(answer: str, sources: Sequence[str]) -> list[str]:
    """The answer's numbers whose value no source states."""
    known = _source_values(sources)
    return list(dict.fromkeys(surface for surface, value in number_values(answer) if value not in known))


def common_words(texts: Iterable[str]) -> frozenset[str]:
    """Words that occur in lower case in the texts (web addresses left out), and COMMON_STARTS.

    Capitalised at a sentence start, such a word ("Själva", "Resten", "Skapa") is an ordinary word;
    a name such as "Halmstad" never occurs in lower case.
    """
    words = {word for text in texts for word in _WORD.findall(_URL.sub(" ", text)) if word.islower()}
    return frozenset(words | COMMON_STARTS)


def names_in(text: str, common: Collection[str] = COMMON_STARTS) -> list[str]:
    """Capitalised words of two letters or more (names, acronyms), also at a sentence start unless a
    common word there."""
    names: list[str] = []
    lines = _LINE_START.sub("", strip_markers(text)).splitlines()  # a line opens a sentence too
    for sentence in (sentence for line in lines for sentence in sentences(line)):
        for position, word in enumerate(_WORD.findall(sentence)):
            if len(word) < 2 or not word[0].isupper() or word.isdigit():
                continue
            if position == 0 and word.lower() in common:
                continue
            names.append(word)
    return list(dict.fromkeys(names))


def _name_found(name: str, source: str) -> bool:
    """Case-insensitive word-prefix match, so "Vinnovas" matches "Vinnova" and the reverse."""
    stems = {name.lower(), name.lower().removesuffix("s")}
    return any(re.search(rf"(?<!\w){re.escape(stem)}", source) for stem in stems if len(stem) > 1)


def absent_names(answer: str, sources: Sequence[str], common: Collection[str] = COMMON_STARTS) -> list[str]:
    source = "\n".join(sources).lower()
    return [name for name in names_in(answer, common) if not _name_found(name, source)]


def absent_terms(answer: str, sources: Sequence[str], common: Collection[str] = COMMON_STARTS) -> list[str]:
    """Numbers and names of the answer that none of the sources contains: likely invented."""
    return absent_numbers(answer, sources) + absent_names(answer, sources, common)


# Words that answer a yes/no question without telling anything the question did not.
_BARE_REPLIES = "ja nej jo inte finns"


def adds_nothing(answer: str, question: str, terms: Callable[[str], list[str]]) -> bool:
    """The answer's search terms are all in the question (bar "ja", "nej", "finns"): an echo.

    The small model often turns the question into a statement ("Ja, vi kan vara med i ett projekt
    i Starta er AI-resa."): grounded in a loose sense, useless to the applicant.
    """
    known = set(terms(question)) | set(terms(_BARE_REPLIES))
    return not [term for term in terms(strip_markers(answer)) if term not in known]


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str, float]:
    """py3langid's ISO 639-1 code for the text without citation markers, and its probability."""
    plain = strip_markers(text)
    if not plain:
        return "", 0.0
    code, probability = _identifier().classify(plain)
    return str(code), float(probability)


def judge_language(text: str, language: str, min_confidence: float) -> tuple[str, bool]:
    """The identified code, and False only when the text is identified, with at least
    `min_confidence`, as another language.

    Short answers ("600 000 kronor per projekt.", "Högskolan i Halmstad.") are mostly numbers and
    names; the identifier guesses wildly on them, so only a confident other language counts.
    """
    code, probability = identify_language(text)
    return code, code == language or probability < min_confidence


@dataclass
class AnswerCheck:
    """The outcome of checking one answer; `problems` says in English why it failed."""

    passed: bool
    problems: list[str] = field(default_factory=list)
    invalid_citations: list[int] = field(default_factory=list)
    absent_terms: list[str] = field(default_factory=list)
    unsupported_sentences: list[str] = field(default_factory=list)
    language: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class AnswerChecker:
    """Checks a generated answer against the passages it was given.

    `common` holds the corpus's ordinary words (`common_words`): a capitalised one opening a
    sentence is not taken for a name.
    """

    def __init__(
        self, config: GroundingSettings, similarity: Similarity, common: Collection[str] = COMMON_STARTS
    ) -> None:
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

    def check(self, answer: str, passages: Sequence[Passage]) -> AnswerCheck:
        language, in_language = judge_language(answer, self.config.language, self.config.language_min_confidence)
        result = AnswerCheck(passed=False, language=language)
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
