"""The `[n]` source markers of an answer: which sources it names, and the text without them."""

from __future__ import annotations

import re
from collections.abc import Mapping

_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")


def cited_numbers(answer: str) -> list[int]:
    """Source numbers in order of first mention: `[1]`, `[1, 3]` and `[2][3]` all count."""
    numbers: list[int] = []
    for group in _MARKER.findall(answer):
        for part in re.split(r"[,;]", group):
            value = int(part)
            if value not in numbers:
                numbers.append(value)
    return numbers


def renumber(text: str, numbers: Mapping[int, int]) -> str:
    """The text with each marker's numbers mapped (`[2]` -> `[1]` when source 2 is the first cited)."""

    def mapped(match: re.Match[str]) -> str:
        return "[" + ", ".join(str(numbers[int(part)]) for part in re.split(r"[,;]", match.group(1))) + "]"

    return _MARKER.sub(mapped, text)


def strip_markers(text: str) -> str:
    """The text without its `[n]` markers."""
    return re.sub(r"[ \t]+", " ", _MARKER.sub("", text)).replace(" .", ".").strip()
