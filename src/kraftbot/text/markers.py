"""The `[n]` source markers of an answer: which sources it names, and the text without them."""

from __future__ import annotations

import re

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


def strip_markers(text: str) -> str:
    """The text without its `[n]` markers."""
    return re.sub(r"[ \t]+", " ", _MARKER.sub("", text)).replace(" .", ".").strip()
