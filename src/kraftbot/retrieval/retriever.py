"""Find the passages that can answer a question: dense + Swedish BM25, fused, optionally reranked.

Dense search understands paraphrases; keyword search finds the rare exact term (a name, a law,
a compound) that a small embedder blurs. Both see the document title with the passage. Their
scores are fused (weighted z-scores, or weighted reciprocal rank), and a cross-encoder may reorder
the best few.
"""

from __future__ import annotations

import numpy as np

from kraftbot.index.faiss_index import faiss_threads
from kraftbot.index.knowledge import KnowledgeIndex, to_passage
from kraftbot.ingestion.chunking import embedding_text
from kraftbot.retrieval.bm25 import BM25Index
from kraftbot.retrieval.fusion import weighted_rrf, weighted_zscore
from kraftbot.retrieval.rerank import CrossEncoderReranker
from kraftbot.settings import RetrievalSettings
from kraftbot.text.swedish import SwedishAnalyzer
from kraftbot.values import Passage


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
        if reranker is None and config.reranker_model:
            reranker = CrossEncoderReranker(config.reranker_model, config.reranker_device)
        self.reranker = reranker

    def retrieve(self, question: str) -> list[Passage]:
        config = self.config
        bm25 = self._bm25.scores(self.analyzer.terms(question))
        bm25_ranking = [self._order[i] for i in BM25Index.top(bm25, config.bm25_candidates)]
        dense: dict[str, float] = {}
        query_vector: np.ndarray | None = None
        if config.mode != "bm25":
            query_vector = np.asarray(self.knowledge.embedder.get_query_embedding(question), dtype=np.float32)
            with faiss_threads(config.faiss_query_threads):
                hits = self.knowledge.search(query_vector, config.dense_candidates)
            dense = {self._order[row]: score for row, score in hits}
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
        if query_vector is not None:
            dense.update(self._similarities(query_vector, [n for n, _ in ranked if n not in dense]))
        return [
            to_passage(
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
        query_vector: np.ndarray | None,
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

    def _similarities(self, query_vector: np.ndarray | None, node_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of stored vectors that the dense candidates did not include."""
        if query_vector is None or not node_ids:
            return {}
        rows = [self._position[n] for n in node_ids]
        return dict(zip(node_ids, self.knowledge.similarities(query_vector, rows), strict=True))
