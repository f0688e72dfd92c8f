"""Sentence-aware chunking with the document title carried on every chunk.

A chunk is retrieved alone, so it must say what it is about: the title goes into the embedded
text, while the stored chunk text stays the plain passage that answers quote.
"""

from __future__ import annotations

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import MetadataMode, TextNode

from kraftbot.ingestion.corpus import METADATA_KEYS
from kraftbot.settings import ChunkSettings

EMBEDDED_KEYS = ("title",)


def chunk_documents(documents: list[Document], config: ChunkSettings) -> list[TextNode]:
    """Split documents into nodes whose embedding text is `title + passage`."""
    for document in documents:
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
