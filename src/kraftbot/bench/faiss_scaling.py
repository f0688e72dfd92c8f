"""`kraftbot bench faiss`: exact vs HNSW search at growing corpus sizes, on synthetic vectors.

Real embeddings are clustered by topic, so the vectors are unit-normalised points scattered around
random topic centres (about 100 per centre, cosine to their centre about 0.8), and the queries are
fresh points from the same mixture. Both index types come from `make_faiss_index`, exactly as an
index build makes them; recall@10 is measured against the exact index's top 10.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import faiss
import numpy as np

from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentiles_ms
from kraftbot.index.faiss_index import faiss_threads, make_faiss_index
from kraftbot.settings import RetrievalSettings

DIMENSION = 384
POINTS_PER_TOPIC = 100
NOISE = 0.04  # per coordinate: noise norm about 0.78, cosine to the topic centre about 0.8
BLOCK = 100_000


@dataclass
class SizeResult:
    kind: str
    n: int
    build_s: float
    p50_ms: float
    p95_ms: float
    recall: float


def synthetic(n: int, topics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`n` unit vectors around the given topic centres, made in blocks to bound peak memory."""
    out = np.empty((n, topics.shape[1]), dtype=np.float32)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        centres = topics[rng.integers(0, len(topics), stop - start)]
        noise = rng.standard_normal((stop - start, topics.shape[1]), dtype=np.float32) * NOISE
        block = centres + noise
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _latencies(index: faiss.Index, queries: np.ndarray, k: int, threads: int) -> tuple[np.ndarray, list[float]]:
    """Ask one query at a time with the retriever's thread count, as the application does."""
    found, seconds = [], []
    with faiss_threads(threads):
        for query in queries:
            started = time.perf_counter()
            _, ids = index.search(query[None, :], k)
            seconds.append(time.perf_counter() - started)
            found.append(ids[0])
    return np.array(found), seconds


def _timed_add(index: faiss.Index, data: np.ndarray) -> float:
    started = time.perf_counter()
    index.add(data)
    return time.perf_counter() - started


def _result(kind: str, n: int, build: float, found: np.ndarray, truth: np.ndarray, seconds: list[float]) -> SizeResult:
    recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
    return SizeResult(kind, n, build, *percentiles_ms(seconds), recall)


def run_faiss_bench(
    sizes: list[int],
    config: RetrievalSettings,
    queries: int = 200,
    ef_search: tuple[int, ...] = (),
    seed: int = 0,
) -> list[SizeResult]:
    """Exact and HNSW (the factory's two kinds) at every size; HNSW recall is against exact.

    One HNSW graph per size is searched with the shipped `hnsw_ef_search` and any extra values.
    """
    rng = np.random.default_rng(seed)
    threads = config.faiss_query_threads
    results: list[SizeResult] = []
    for n in sizes:
        topics = rng.standard_normal((max(1, n // POINTS_PER_TOPIC), DIMENSION), dtype=np.float32)
        topics /= np.linalg.norm(topics, axis=1, keepdims=True)
        data = synthetic(n, topics, rng)
        asked = synthetic(queries, topics, rng)
        exact = make_faiss_index(DIMENSION, n, config.model_copy(update={"faiss_exact_max": n}))
        build = _timed_add(exact, data)
        truth, seconds = _latencies(exact, asked, 10, threads)
        results.append(_result("exact (IndexFlatIP)", n, build, truth, truth, seconds))
        del exact
        approximate = make_faiss_index(DIMENSION, n, config.model_copy(update={"faiss_exact_max": 0}))
        build = _timed_add(approximate, data)
        del data
        for ef in sorted({config.hnsw_ef_search, *ef_search}):
            approximate.hnsw.efSearch = ef
            found, seconds = _latencies(approximate, asked, 10, threads)
            label = f"HNSW (M={config.hnsw_m}, efC={config.hnsw_ef_construction}, efS={ef})"
            results.append(_result(label, n, build, found, truth, seconds))
        del approximate
    return results


def render_faiss_report(results: list[SizeResult], config: RetrievalSettings, command: str) -> str:
    lines = [
        "# FAISS scaling: exact vs HNSW",
        "",
        f"Command: `{command}`",
        "",
        f"Synthetic {DIMENSION}-d unit vectors around random topic centres ({POINTS_PER_TOPIC} per "
        "centre, cosine to the centre about 0.8); queries are fresh points from the same mixture, "
        f"asked one at a time with `faiss_query_threads = {config.faiss_query_threads}` FAISS thread(s) "
        f"(builds use {faiss.omp_get_max_threads()}). Recall@10 is the share of the exact top 10 that "
        "the index returns. Timings are wall-clock on a shared machine (load below). HNSW rows of one size "
        "share one build (its build time is repeated).",
        "",
        "| vectors | index | build s | query p50 ms | query p95 ms | recall@10 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(f"| {r.n:,} | {r.kind} | {r.build_s:.1f} | {r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.recall:.3f} |")
    lines += [
        "",
        f"Machine at the end of the run: {machine_note()}.",
        "",
        f"Shipped threshold: `retrieval.faiss_exact_max = {config.faiss_exact_max:,}` "
        "(exact at or below it, HNSW above).",
        "",
    ]
    return "\n".join(lines)
