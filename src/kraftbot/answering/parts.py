"""The questions in one message: "Vem får söka, och hur mycket kan man få?" asks two things.

Each part is answered by its own source sentence, so that the lead answers both; the message as a
whole still decides what is retrieved. A part is a question when it ends with a question mark or
opens with a question word; the rest ("Jag har sett olika uppgifter.", "Ska skriva om den i en
rapport.") is context.
"""

from __future__ import annotations

import re

from kraftbot.text.lexicon import QUESTION_OPENING, QUESTION_WORDS

# A new question starts after a question mark, or at "och"/"samt" (and the chat spelling "o")
# followed by a question word: "..., och hur många projekt beviljades?".
_SPLIT = re.compile(
    r"(?<=\?)\s+|(?:,\s*|\s+)(?:och|o|samt|and)\s+(?=" + QUESTION_WORDS + ")",
    re.IGNORECASE,
)
MIN_WORDS = 2


def question_parts(message: str) -> list[str]:
    """The message's questions, in order; the message itself when it holds one (or none)."""
    pieces = [piece.strip() for piece in _SPLIT.split(message.strip()) if piece and piece.strip()]
    parts = [
        piece.rstrip("?.!, ")
        for piece in pieces
        if len(piece.split()) >= MIN_WORDS and (piece.endswith("?") or QUESTION_OPENING.search(piece))
    ]
    return parts if len(parts) > 1 else [message.strip()]
