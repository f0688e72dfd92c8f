"""Word documents (.docx) through python-docx: paragraphs and tables in document order."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import OpcError
from docx.table import Table
from docx.text.paragraph import Paragraph

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.readers.base import Extracted, clean_value

HEADING_STYLES = ("Title", "Heading", "Rubrik")


def _table_text(table: Table) -> str:
    """One line per row; a merged cell repeats in python-docx, so repeats are dropped."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        lines.append(" | ".join(cells))
    return "\n".join(line for line in lines if line)


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return style.startswith(HEADING_STYLES)


def read_docx(data: bytes) -> Extracted:
    """Body text with blank lines between blocks; the title from the core properties."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (OpcError, zipfile.BadZipFile, KeyError) as error:
        raise UnreadableFile(f"not a valid .docx file ({error})") from error
    blocks: list[str] = []
    heading = ""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            blocks.append(_table_text(block))
            continue
        text = block.text.strip()
        if text and not heading and _is_heading(block):
            heading = text
        blocks.append(text)
    title = clean_value(document.core_properties.title)
    return Extracted(
        pages=[("", "\n\n".join(block for block in blocks if block))],
        meta={"title": title} if title else {},
        heading=heading,
    )
