"""The FAISS factory: exact up to the threshold, HNSW above it, and HNSW keeps recall."""

from __future__ import annotations

import faiss
import numpy as np

from kraftbot.bench.faiss_scaling import synthetic
from kraftbot.index.faiss_index import faiss_threads, make_faiss_index
from kraftbot.settings import RetrievalSettings

from ..conftest import fresh_python


def test_index_type_switches_at_the_threshold() -> None:
    config = RetrievalSettings(faiss_exact_max=1000, hnsw_m=16, hnsw_ef_search=40)
    assert isinstance(make_faiss_index(64, 1000, config), faiss.IndexFlatIP)
    approximate = make_faiss_index(64, 1001, config)
    assert isinstance(approximate, faiss.IndexHNSWFlat)
    assert approximate.metric_type == faiss.METRIC_INNER_PRODUCT
    assert approximate.hnsw.efSearch == 40


def test_hnsw_keeps_recall_against_exact_search() -> None:
    rng = np.random.default_rng(1)
    topics = rng.standard_normal((30, 64), dtype=np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    data, queries = synthetic(3000, topics, rng), synthetic(50, topics, rng)
    config = RetrievalSettings(faiss_exact_max=1000)
    exact, approximate = make_faiss_index(64, 500, config), make_faiss_index(64, 3000, config)
    for index in (exact, approximate):
        index.add(data)
    _, truth = exact.search(queries, 10)
    _, found = approximate.search(queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95
    # Inner product on unit vectors: the exact top hit of a data point is the point itself.
    _, own = exact.search(data[:5], 1)
    assert own[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_faiss_threads_restores_the_thread_count() -> None:
    before = faiss.omp_get_max_threads()
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before
    with faiss_threads(0):
        assert faiss.omp_get_max_threads() == before


def test_faiss_keeps_its_own_openmp_runtime_when_torch_loads_later(tmp_path) -> None:
    """A FAISS loaded after torch would share torch's runtime: its per-question thread count would
    resize the embedder's thread pool (faiss_factory's docstring has the measurement)."""
    script = (
        "import ctypes, kraftbot.assistant, torch\n"
        "from kraftbot.index.faiss_index import faiss_threads\n"
        "from kraftbot.runtime.openmp import loaded_runtimes\n"
        "torch.set_num_threads(1)\n"
        "torch_runtime = ctypes.CDLL(next(p for p in loaded_runtimes() if 'torch' in p))\n"
        "with faiss_threads(3):\n"
        "    print(torch_runtime.omp_get_max_threads())\n"
    )
    assert fresh_python(script, tmp_path) == "1"
