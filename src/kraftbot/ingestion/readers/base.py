"""What a format reader returns, and the text decoding every text-like format shares."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from kraftbot.errors import UnreadableFile

# Tried in order: UTF-8 (with or without BOM), then the Windows code page that older Swedish
# files use; ISO latin-1 decodes any byte, so it is the last resort.
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")
_CONTROL_BYTES = set(range(32)) - {9, 10, 12, 13}


@dataclass
class Extracted:
    """Text and metadata found inside one file.

    `pages` holds `(page_label, text)` pairs: one pair with an empty label for formats without
    pages, one per page with text for PDFs. `meta` holds what the file says about itself
    (front matter, document properties, an HTML <title>), `heading` its first heading, the
    last-resort title.
    """

    pages: list[tuple[str, str]]
    meta: dict[str, str] = field(default_factory=dict)
    heading: str = ""

    def __post_init__(self) -> None:
        self.pages = [(label, text) for label, text in self.pages if text.strip()]
        if not self.pages:
            raise UnreadableFile("no text found")


def looks_binary(data: bytes) -> bool:
    """True for data that is not text in any encoding: NUL bytes or many control bytes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    return sum(byte in _CONTROL_BYTES for byte in sample) > len(sample) // 100


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-16 by its BOM (Notepad's "Unicode"), UTF-8 when it is valid
    UTF-8, else a Western European code page."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def clean_value(value: object) -> str:
    """A metadata value as one line of text ('' for None), inner whitespace collapsed."""
    return "" if value is None else " ".join(str(value).split())
