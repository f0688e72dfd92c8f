"""Benchmark arithmetic on hand-made rankings, and the bench commands end to end on small inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from kraftbot.bench.metrics import bootstrap, evaluate, percentiles_ms, rank_of
from kraftbot.bench.retrieval_bench import method_settings
from kraftbot.bench.swefaq import load_swefaq
from kraftbot.cli import main
from kraftbot.settings import load_settings

SWEFAQ_DIR = Path(__file__).resolve().parent.parent / "eval" / "datasets"


def test_rank_of_counts_distinct_documents() -> None:
    # Two chunks of doc a come first: b is the second distinct document.
    assert rank_of("b", ["a", "a", "b", "c"]) == 2
    assert rank_of("a", ["a"]) == 1
    assert rank_of("z", ["a", "b"]) == 0


def test_latency_percentiles_in_milliseconds() -> None:
    # 20 timings of 1..20 s, shuffled: the median lies between 10 and 11, p95 is the 19th.
    seconds = [float(n) for n in (7, 20, 1, 14, 3, 18, 9, 12, 5, 16, 2, 19, 11, 6, 15, 4, 13, 8, 17, 10)]
    assert percentiles_ms(seconds) == (10_500.0, 19_000.0)
    assert percentiles_ms([]) == (0.0, 0.0)


def test_metrics_on_a_hand_made_ranking() -> None:
    ranks = [1, 3, 0, 11, 5]  # 0: not retrieved; 11: beyond the @10 cutoff
    result = {name: estimate.mean for name, estimate in evaluate(ranks).items()}
    assert result["hit@1"] == pytest.approx(1 / 5)
    assert result["hit@5"] == pytest.approx(3 / 5)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 5) / 5)
    assert result["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4) + 1 / math.log2(6)) / 5)


def test_bootstrap_interval_brackets_the_mean() -> None:
    values = np.array([1.0] * 60 + [0.0] * 40)
    estimate = bootstrap(values, resamples=500, seed=3)
    assert estimate.mean == pytest.approx(0.6)
    assert estimate.low < 0.6 < estimate.high
    assert estimate.low > 0.45 and estimate.high < 0.75  # about +-1.96 * sqrt(.24 / 100)
    assert bootstrap(np.ones(10)).low == bootstrap(np.ones(10)).high == 1.0


def test_swefaq_pools_one_passage_per_question() -> None:
    data = load_swefaq(SWEFAQ_DIR / "swefaq")
    assert len(data.questions) == len(data.passages) == 219
    assert {q.split for q in data.questions} == {"dev", "test"}
    assert {q.answer_id for q in data.questions} == {p.id for p in data.passages}
    assert all(p.title and p.text for p in data.passages)


def test_bench_retrieval_prints_json_and_writes_report(tmp_path, capsys) -> None:
    report = tmp_path / "report.md"
    code = main(
        [
            "--config",
            str(tmp_path / "absent.toml"),
            "bench",
            "retrieval",
            "--dataset",
            "swefaq",
            "--split",
            "dev",
            "--limit",
            "6",
            "--methods",
            "dense,bm25,default",
            "--json",
            "--datasets-dir",
            str(SWEFAQ_DIR),
            "--work-dir",
            str(tmp_path / "work"),
            "--report",
            str(report),
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == ["dense", "bm25", "default"]
    for scores in result.values():
        assert set(scores) == {"hit@1", "hit@5", "mrr@10", "ndcg@10", "n"}
        assert scores["n"] == 6
        assert 0.0 <= scores["hit@1"] <= scores["hit@5"] <= 1.0
    text = report.read_text(encoding="utf-8")
    assert "## dev" in text and "| default | 6 |" in text and "p95 ms" in text


def test_methods_differ_only_in_the_settings_they_must() -> None:
    shipped = load_settings(config_file=Path("/nonexistent"), environ={})
    default = method_settings("default", shipped)
    assert default.retrieval.top_k == 10
    assert default.retrieval.model_dump(exclude={"top_k"}) == shipped.retrieval.model_dump(exclude={"top_k"})
    assert method_settings("dense", shipped).retrieval.mode == "dense"
    assert method_settings("bm25", shipped).retrieval.mode == "bm25"
    minilm = method_settings("minilm", shipped)
    assert minilm.embedding.backend == "huggingface" and Path(minilm.embedding.model).is_dir()
    assert minilm.retrieval.mode == "dense"
    assert shipped.retrieval.mode == "hybrid"  # the copies did not touch the shipped settings
    with pytest.raises(ValueError, match="Unknown method"):
        method_settings("colbert", shipped)


def test_a_configured_reranker_reranks_only_the_default_method() -> None:
    configured = load_settings(
        config_file=Path("/nonexistent"), environ={"KRAFTBOT_RETRIEVAL_RERANKER_MODEL": "some/cross-encoder"}
    )
    assert method_settings("default", configured).retrieval.reranker_model == "some/cross-encoder"
    for baseline in ("minilm", "dense", "bm25"):
        assert method_settings(baseline, configured).retrieval.reranker_model == ""
    assert configured.retrieval.reranker_model == "some/cross-encoder"


def test_bench_faiss_reports_every_size(tmp_path, capsys) -> None:
    report = tmp_path / "faiss.md"
    code = main(
        [
            "--config",
            str(tmp_path / "absent.toml"),
            "bench",
            "faiss",
            "--sizes",
            "300,1200",
            "--queries",
            "20",
            "--report",
            str(report),
        ]
    )
    assert code == 0
    rows = [line for line in report.read_text(encoding="utf-8").splitlines() if line.startswith("| 1,200")]
    assert len(rows) == 2 and "IndexFlatIP" in rows[0] and "HNSW" in rows[1]
    assert float(rows[0].split("|")[-2]) == 1.0  # exact search is its own reference
    assert "faiss_exact_max" in capsys.readouterr().out
