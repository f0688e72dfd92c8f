"""Markdown and plain text, with an optional YAML front matter block for the metadata."""

from __future__ import annotations

import yaml

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.readers.base import Extracted, clean_value, decode_text, looks_binary


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Separate a YAML front matter block (between `---` lines) from the body."""
    if not text.startswith("---"):
        return {}, text
    head, sep, body = text[3:].partition("\n---")
    if not sep:
        return {}, text
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as error:
        raise UnreadableFile(f"invalid front matter: {str(error).splitlines()[0]}") from error
    if not isinstance(meta, dict):
        raise UnreadableFile("front matter is not a mapping")
    return meta, body.lstrip("-").lstrip("\n")


def first_markdown_heading(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def read_text(data: bytes) -> Extracted:
    """Front matter keys become metadata; the body is indexed as it is."""
    if looks_binary(data):
        raise UnreadableFile("binary content, not text")
    meta, body = split_front_matter(decode_text(data))
    return Extracted(
        pages=[("", body)],
        meta={str(key): clean_value(value) for key, value in meta.items()},
        heading=first_markdown_heading(body),
    )
