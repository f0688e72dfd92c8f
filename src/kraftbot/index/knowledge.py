"""A loaded index, and its files: the chunks, their vectors, the FAISS index over them.

KraftBot owns this small store instead of llama-index's `VectorStoreIndex`: retrieval needs the
chunks in their build order, every chunk's vector (to score candidates that dense search did not
return) and the FAISS index, all of which llama-index keeps behind private attributes. An index
folder holds:
- `chunks.jsonl`: one llama-index `TextNode` a line (`TextNode.to_dict`), in vector order;
- `embeddings.npz`: `ids` (node ids) and `vectors` (float32, one row per chunk, same order);
- `vectors.faiss`: the FAISS index over those rows (`faiss.write_index`), row i = chunk i;
- `manifest.json` (see `manifest.py`).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode

from kraftbot.errors import CorruptIndexError
from kraftbot.index.faiss_index import make_faiss_index
from kraftbot.index.manifest import Manifest
from kraftbot.settings import RetrievalSettings
from kraftbot.values import Passage

CHUNKS_FILE = "chunks.jsonl"
EMBEDDINGS_FILE = "embeddings.npz"
FAISS_FILE = "vectors.faiss"
STORE_FILES = (CHUNKS_FILE, EMBEDDINGS_FILE, FAISS_FILE)


def to_passage(
    node: TextNode,
    score: float,
    dense_score: float | None = None,
    bm25_score: float | None = None,
    rerank_score: float | None = None,
) -> Passage:
    """The passage a chunk becomes when retrieved, with the scores behind its rank."""
    meta = node.metadata
    return Passage(
        node_id=node.node_id,
        doc_id=str(meta.get("doc_id", "")),
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        doc_type=str(meta.get("doc_type", "")),
        text=node.get_content(),
        score=float(score),
        page=str(meta.get("page_label", "")),
        date=str(meta.get("date", "")),
        section=str(meta.get("section", "")),
        dense_score=dense_score,
        bm25_score=bm25_score,
        rerank_score=rerank_score,
    )


@dataclass
class KnowledgeIndex:
    """A loaded index: its chunks, their vectors (row i = chunk i), the FAISS index and the embedder
    that reads questions into the same space."""

    name: str
    path: Path
    manifest: Manifest
    nodes: list[TextNode]
    vectors: np.ndarray
    faiss_index: faiss.Index
    embedder: BaseEmbedding

    def passages(self) -> list[Passage]:
        """Every chunk as an unscored passage (the corpus the gate and the check learn words from)."""
        return [to_passage(node, 0.0) for node in self.nodes]

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest chunks by inner product: (row, cosine), best first."""
        scores, rows = self.faiss_index.search(query_vector.reshape(1, -1), k)
        return [(int(row), float(score)) for row, score in zip(rows[0], scores[0], strict=True) if row >= 0]

    def similarities(self, query_vector: np.ndarray, rows: list[int]) -> list[float]:
        """Cosine of the question with the stored vectors of the given chunks."""
        return (self.vectors[rows] @ query_vector).tolist() if rows else []


def write_store(folder: Path, nodes: list[TextNode], vectors: np.ndarray, config: RetrievalSettings) -> None:
    """Persist chunks, vectors and a FAISS index over them (exact or HNSW by corpus size)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / CHUNKS_FILE).open("w", encoding="utf-8") as handle:
        for node in nodes:
            handle.write(json.dumps(node.to_dict(), ensure_ascii=False) + "\n")
    np.savez(folder / EMBEDDINGS_FILE, ids=np.array([n.node_id for n in nodes]), vectors=vectors)
    index = make_faiss_index(vectors.shape[1], len(nodes), config)
    if isinstance(index, faiss.IndexFlat):
        index.add(vectors)
    else:  # HNSW: one vector at a time, in order, so the graph does not depend on the thread count
        for row in range(len(vectors)):
            index.add(vectors[row : row + 1])
    faiss.write_index(index, str(folder / FAISS_FILE))


def read_chunks(folder: Path) -> list[TextNode]:
    with (folder / CHUNKS_FILE).open(encoding="utf-8") as handle:
        return [TextNode.from_dict(json.loads(line)) for line in handle if line.strip()]


def read_vectors(folder: Path) -> tuple[list[str], np.ndarray]:
    """The node ids and the vector matrix of `embeddings.npz`, in build order."""
    with np.load(folder / EMBEDDINGS_FILE) as stored:
        return stored["ids"].tolist(), np.asarray(stored["vectors"], dtype=np.float32)


def read_store(folder: Path, embedder: BaseEmbedding) -> KnowledgeIndex:
    """Open an index folder written by `write_store`; the three files must be readable and agree row
    for row, else CorruptIndexError says how to repair it."""
    try:
        nodes = read_chunks(folder)
        ids, vectors = read_vectors(folder)
        faiss_index = faiss.read_index(str(folder / FAISS_FILE))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, zipfile.BadZipFile) as error:
        raise CorruptIndexError(
            f"Index '{folder.name}' is damaged ({type(error).__name__} reading its files); "
            "run `kraftbot index` again to rebuild it."
        ) from error
    if ids != [n.node_id for n in nodes] or faiss_index.ntotal != len(nodes):
        raise CorruptIndexError(
            f"Index '{folder.name}' is damaged (its chunks, vectors and FAISS index disagree); "
            "run `kraftbot index` again to rebuild it."
        )
    return KnowledgeIndex(folder.name, folder, Manifest.read(folder), nodes, vectors, faiss_index, embedder)
