"""The facts a Swedish text states: numbers, amounts, dates and names, normalised for comparison.

- `number_values`, `absent_numbers`: numbers, amounts, dates and percentages, normalised so that
  "600 000", "600000", "600 000 kr", "600 tusen" and "0,6 miljoner" are one value;
- `names_in`, `absent_names`: proper names and acronyms (capitalised words); a capitalised word that
  opens a sentence is a name only when it is not a common word (`common_words` of the corpus);
- `absent_terms`: both, the answer's numbers and names that no source contains.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from kraftbot.text.lexicon import COMMON_STARTS, MONTHS, NUMBER_WORDS, SCALES
from kraftbot.text.markers import strip_markers
from kraftbot.text.sentences import sentences

_SPACE = r"[ \u00a0\u202f]"
_NUMBER = re.compile(
    rf"(?<![\w,.])(\d{{1,3}}(?:{_SPACE}\d{{3}})+(?![\d])|\d+(?:[.,]\d+)?)"
    rf"(?:{_SPACE}*(tusen|tkr|miljoner|miljon|milj|mnkr|mkr|miljarder|miljard|mdr|mrd)\b)?",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b(?:{_SPACE}+({'|'.join(SCALES)})\b)?", re.IGNORECASE)
_MONTH = re.compile(rf"\b({'|'.join(MONTHS)})\b", re.IGNORECASE)
_WORD = re.compile(r"\w[\w\-]*")
_URL = re.compile(r"\S+\.(?:se|com|org|eu|nu|net)\S*|https?://\S+")
_LINE_START = re.compile(r"^\s*(?:[-*•]|\d+[.)])?\s*[\"'”“»(]*", re.MULTILINE)
DATE = re.compile(rf"\b\d{{1,2}} ({'|'.join(MONTHS)})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)
# A point in time as a sentence may answer "när?": a date, a month or season with its year, or a year.
WHEN = re.compile(
    rf"{DATE.pattern}|\b({'|'.join(MONTHS)}|våren|hösten|sommaren|vintern|vt|ht)\s+\d{{4}}\b|\b(19|20)\d{{2}}\b",
    re.IGNORECASE,
)
AMOUNT = re.compile(r"\d[\d  ,]*\s*(kronor|kr\b|miljon|miljard|procent|%|tkr|mkr)", re.IGNORECASE)
SHARE = re.compile(r"\d[\d ,]*\s*(procent|%)", re.IGNORECASE)
YEAR = re.compile(r"^(19|20)\d{2}$")


def _value(digits: str, scale: str | None) -> float:
    number = float(re.sub(_SPACE, "", digits).replace(",", "."))
    return round(number * SCALES.get((scale or "").lower(), 1.0), 6)


def number_values(text: str) -> list[tuple[str, float]]:
    """Each number in the text with its value, a scale word applied ("2 miljoner" -> 2000000)."""
    plain = strip_markers(text)
    found = [(m.group(0).strip(), _value(m.group(1), m.group(2))) for m in _NUMBER.finditer(plain)]
    for match in _NUMBER_WORD.finditer(plain):
        value = NUMBER_WORDS[match.group(1).lower()] * SCALES.get((match.group(2) or "").lower(), 1.0)
        found.append((match.group(0), round(value, 6)))
    return found


def source_values(sources: Sequence[str]) -> set[float]:
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
    known = source_values(sources)
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
