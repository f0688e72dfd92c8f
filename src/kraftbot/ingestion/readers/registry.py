"""Pick the reader for a file by its suffix, or by its first bytes when it has no suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.readers.base import Extracted
from kraftbot.ingestion.readers.pdf import read_pdf
from kraftbot.ingestion.readers.text import read_text
from kraftbot.ingestion.readers.web import read_html
from kraftbot.ingestion.readers.word import read_docx

Reader = Callable[[bytes], Extracted]

READERS: dict[str, Reader] = {
    ".md": read_text,
    ".markdown": read_text,
    ".txt": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}


def sniff_reader(data: bytes) -> Reader:
    """The reader for a file without a suffix: PDF, Word and HTML by signature, else text
    (which refuses binary content)."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return read_pdf
    if head.startswith(b"pk\x03\x04"):
        return read_docx
    if head.startswith((b"<!doctype html", b"<html")):
        return read_html
    return read_text


def reader_for(path: Path, data: bytes) -> Reader:
    """The reader for a file, or UnreadableFile when the format is not supported."""
    suffix = path.suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    if not suffix:
        return sniff_reader(data)
    raise UnreadableFile(f"unsupported file type '{path.suffix}'")


def read_file(path: Path, data: bytes) -> Extracted:
    """Text and metadata of one file whose bytes are already read."""
    if not data.strip():
        raise UnreadableFile("empty file")
    return reader_for(path, data)(data)
