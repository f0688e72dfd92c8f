"""Sentence-aware chunking by section, with the document title and section heading on every chunk.

A chunk is retrieved alone, so it must say what it is about: the title and the heading of its
section go into the embedded text, while the stored chunk text stays the plain passage that
answers quote. A Markdown document is first cut at its headings, so that no chunk runs one
section into the next and no heading runs into the sentence under it: a section phrased as a
question ("## Hur mycket kan ett projekt få?") is then one chunk that both search methods match
against the applicant's question.
"""

from __future__ import annotations

import re

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode, TextNode

from kraftbot.ingestion.corpus import METADATA_KEYS
from kraftbot.settings import ChunkSettings

EMBEDDED_KEYS = ("title", "section")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def split_sections(document: Document) -> list[Document]:
    """The document cut at its Markdown headings: each section's body, its heading as metadata `section`.

    Text before the first heading is a section without a heading; a heading with no text under it
    adds nothing. A document without headings comes back whole.
    """
    text = document.text
    headings = list(_HEADING.finditer(text))
    if not headings:
        return [document]
    pieces = [("", text[: headings[0].start()])]
    for number, heading in enumerate(headings):
        end = headings[number + 1].start() if number + 1 < len(headings) else len(text)
        pieces.append((heading.group(1).strip(), text[heading.end() : end]))
    return [
        Document(text=body.strip(), metadata={**document.metadata, "section": section}, id_=f"{document.id_}#{i}")
        for i, (section, body) in enumerate(pieces)
        if body.strip()
    ]


def chunk_documents(documents: list[Document], config: ChunkSettings) -> list[TextNode]:
    """Split documents into nodes whose embedding text is `title + section heading + passage`."""
    if config.split_sections:
        documents = [section for document in documents for section in split_sections(document)]
    for document in documents:
        document.metadata.setdefault("section", "")
        document.excluded_embed_metadata_keys = [k for k in METADATA_KEYS if k not in EMBEDDED_KEYS]
        document.excluded_llm_metadata_keys = list(METADATA_KEYS)
        document.metadata_template = "{value}"
    splitter = SentenceSplitter(chunk_size=config.chunk_size, chunk_overlap=config.chunk_overlap)
    nodes = splitter.get_nodes_from_documents(documents)
    positions: dict[str, int] = {}
    for node in nodes:
        doc_id = str(node.metadata.get("doc_id", ""))
        node.metadata["chunk"] = positions[doc_id] = positions.get(doc_id, -1) + 1
        node.excluded_embed_metadata_keys = [*node.excluded_embed_metadata_keys, "chunk"]
        node.excluded_llm_metadata_keys = [*node.excluded_llm_metadata_keys, "chunk"]
    return nodes


def embedding_text(node: TextNode) -> str:
    """The exact text the embedder sees for a node."""
    return node.get_content(metadata_mode=MetadataMode.EMBED)
