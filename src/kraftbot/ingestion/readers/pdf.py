"""PDF through pypdf: one text per page, labelled as the document numbers it, so a citation can
say "s. 3"."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.readers.base import Extracted, clean_value

# pypdf reports recoverable damage through warnings and logging; the corpus reader reports one
# line per unreadable file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
    except PyPdfError as error:
        raise UnreadableFile(f"damaged PDF ({error})") from error
    # Many PDFs are encrypted only against editing, with an empty password for reading.
    try:
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("password-protected PDF")
    except DependencyError as error:  # AES encryption needs the optional `cryptography` package
        raise UnreadableFile(f"encrypted PDF that cannot be opened ({error})") from error
    return reader


def read_pdf(data: bytes) -> Extracted:
    """Page texts with their page labels; the title from the document properties."""
    reader = _open(data)
    try:
        labels = reader.page_labels
        pages = [(labels[number], page.extract_text() or "") for number, page in enumerate(reader.pages)]
        title = clean_value(reader.metadata.title if reader.metadata else None)
    except PyPdfError as error:
        raise UnreadableFile(f"damaged PDF ({error})") from error
    try:
        return Extracted(pages=pages, meta={"title": title} if title else {})
    except UnreadableFile as error:
        raise UnreadableFile("no text layer in the PDF (scanned pages?)") from error
