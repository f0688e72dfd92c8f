"""Find the passages that can answer a question: dense + Swedish BM25, fused, optionally reranked.

Dense search understands paraphrases; keyword search finds the rare exact term (a name, a law,
a compound) that a small embedder blurs. Both see the document title with the passage. Their
scores are fused (weighted z-scores, or weighted reciprocal rank), and a cross-encoder may reorder
the best few.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kraftbot.bm25 import BM25Index
from kraftbot.chunking import embedding_text
from kraftbot.faiss_factory import faiss_threads
from kraftbot.fusion import weighted_rrf, weighted_zscore
from kraftbot.indexing import KnowledgeIndex
from kraftbot.rerank import CrossEncoderReranker
from kraftbot.settings import RetrievalSettings
from kraftbot.swedish import SwedishAnalyzer


def page_label(title: str, page: str) -> str:
    """A title with the page where the text stands ("Förstudie, s. 3"); the title alone without pages."""
    return f"{title}, s. {page}" if page else title


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with what a citation needs, and the evidence behind its rank.

    `score` orders the passages: in hybrid mode the fused score (z-score fusion: weighted standard
    deviations above this question's candidate mean; rrf: in [0, 1], 1 = first for every method),
    the cosine similarity in dense mode, the BM25 score in bm25 mode, and the cross-encoder's score
    when one reranked. `dense_score` (cosine similarity of question and title + passage) and
    `bm25_score` (raw BM25) are given whatever the mode, for evidence gates; None when not computed.
    """

    node_id: str
    doc_id: str
    title: str
    url: str
    doc_type: str
    text: str
    score: float
    page: str = ""
    dense_score: float | None = None
    bm25_score: float | None = None
    rerank_score: float | None = None

    @classmethod
    def from_node(
        cls,
        node: TextNode,
        score: float,
        dense_score: float | None = None,
        bm25_score: float | None = None,
        rerank_score: float | None = None,
    ) -> Passage:
        meta = node.metadata
        return cls(
            node_id=node.node_id,
            doc_id=str(meta.get("doc_id", "")),
            title=str(meta.get("title", "")),
            url=str(meta.get("url", "")),
            doc_type=str(meta.get("doc_type", "")),
            text=node.get_content(),
            score=float(score),
            page=str(meta.get("page_label", "")),
            dense_score=dense_score,
            bm25_score=bm25_score,
            rerank_score=rerank_score,
        )


class Retriever:
    """Hybrid retrieval over a loaded index; the keyword index is built here, from its nodes."""

    def __init__(
        self,
        knowledge: KnowledgeIndex,
        config: RetrievalSettings,
        reranker: CrossEncoderReranker | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.config = config
        self._nodes = {node.node_id: node for node in knowledge.nodes}
        self._order = list(self._nodes)
        self._position = {node_id: i for i, node_id in enumerate(self._order)}
        texts = [embedding_text(node) for node in self._nodes.values()]
        self.analyzer = SwedishAnalyzer.fit(texts, decompound=config.decompound)
        self._bm25 = BM25Index([self.analyzer.terms(t) for t in texts], config.bm25_k1, config.bm25_b)
        self._dense = knowledge.index.as_retriever(similarity_top_k=config.dense_candidates)
        self._faiss = knowledge.index.vector_store.client
        self._vector_ids = {node: int(i) for i, node in knowledge.index.index_struct.nodes_dict.items()}
        if reranker is None and config.reranker_model:
            reranker = CrossEncoderReranker(config.reranker_model, config.reranker_device)
        self.reranker = reranker

    def retrieve(self, question: str) -> list[Passage]:
        config = self.config
        bm25 = self._bm25.scores(self.analyzer.terms(question))
        bm25_ranking = [self._order[i] for i in BM25Index.top(bm25, config.bm25_candidates)]
        dense: dict[str, float] = {}
        query_vector: list[float] = []
        if config.mode != "bm25":
            bundle = QueryBundle(question)
            with faiss_threads(config.faiss_query_threads):
                hits: list[NodeWithScore] = self._dense.retrieve(bundle)
            dense = {hit.node.node_id: float(hit.score or 0.0) for hit in hits}
            query_vector = bundle.embedding or []  # filled in by the dense retriever
        if config.mode == "dense":
            ranked = list(dense.items())
        elif config.mode == "bm25":
            ranked = [(node_id, float(bm25[self._position[node_id]])) for node_id in bm25_ranking]
        else:
            ranked = self._fuse(list(dense), bm25_ranking, dense, bm25, query_vector)
        rerank: dict[str, float] = {}
        if self.reranker is not None:
            head = [node_id for node_id, _ in ranked[: config.reranker_candidates]]
            texts = [embedding_text(self._nodes[node_id]) for node_id in head]
            rerank = dict(zip(head, self.reranker.scores(question, texts), strict=True))
            ranked = sorted(rerank.items(), key=lambda item: -item[1])
        ranked = ranked[: config.top_k]
        if query_vector:
            dense.update(self._similarities(query_vector, [n for n, _ in ranked if n not in dense]))
        return [
            Passage.from_node(
                self._nodes[node_id],
                score,
                dense_score=dense.get(node_id),
                bm25_score=float(bm25[self._position[node_id]]),
                rerank_score=rerank.get(node_id),
            )
            for node_id, score in ranked
        ]

    def _fuse(
        self,
        dense_ranking: list[str],
        bm25_ranking: list[str],
        dense: dict[str, float],
        bm25: np.ndarray,
        query_vector: list[float],
    ) -> list[tuple[str, float]]:
        """One ranking from both methods; z-score fusion first scores every candidate by both."""
        config = self.config
        if config.fusion == "rrf":
            return weighted_rrf(
                [(dense_ranking, config.dense_weight), (bm25_ranking, config.bm25_weight)], config.rrf_k
            )
        candidates = list(dict.fromkeys([*dense_ranking, *bm25_ranking]))
        dense.update(self._similarities(query_vector, [n for n in candidates if n not in dense]))
        keyword = {node_id: float(bm25[self._position[node_id]]) for node_id in candidates}
        return weighted_zscore(
            [({n: dense[n] for n in candidates}, config.dense_weight), (keyword, config.bm25_weight)]
        )

    def _similarities(self, query_vector: list[float], node_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of stored vectors that the dense candidates did not include."""
        if not node_ids:
            return {}
        query = np.asarray(query_vector, dtype=np.float32)
        vectors = np.stack([self._faiss.reconstruct(self._vector_ids[n]) for n in node_ids])
        return dict(zip(node_ids, (vectors @ query).tolist(), strict=True))
