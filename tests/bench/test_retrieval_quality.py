"""The bench commands end to end on small inputs; their metrics are tested in tests/evaluation/test_metrics.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kraftbot.bench.retrieval_quality import BenchResult, MethodRun, latency_table, method_settings, table
from kraftbot.bench.swefaq import BenchData, BenchPassage, BenchQuestion, load_swefaq
from kraftbot.errors import ConfigurationError
from kraftbot.frontends.cli import main
from kraftbot.settings import load_settings

SWEFAQ_DIR = Path(__file__).resolve().parents[2] / "eval" / "datasets"


def test_swefaq_pools_one_passage_per_question() -> None:
    data = load_swefaq(SWEFAQ_DIR / "swefaq")
    assert len(data.questions) == len(data.passages) == 219
    assert {q.split for q in data.questions} == {"dev", "test"}
    assert {q.answer_id for q in data.questions} == {p.id for p in data.passages}
    assert all(p.title and p.text for p in data.passages)


def test_scores_and_tables_of_known_ranks() -> None:
    # Dev ranks 1, 3 and a miss; test rank 2. Retrieval 1, 2, 3, 5 ms: p95 interpolates to 4.7 ms
    # (3 + 0.85 * 2), where nearest rank would say 5.
    questions = [BenchQuestion(f"q{i}", "dev" if i < 3 else "test", f"fråga {i}", f"p{i}") for i in range(4)]
    passages = [BenchPassage(f"p{i}", "titel", "", "svar") for i in range(4)]
    run = MethodRun({"q0": 1, "q1": 3, "q2": 0, "q3": 2}, [0.001, 0.005, 0.002, 0.003])
    settings = load_settings(config_file=Path("/nonexistent"), environ={})
    result = BenchResult("swefaq", BenchData(questions, passages), {"default": run}, settings)
    assert result.as_json("dev") == {
        "default": {"hit@1": 0.3333, "hit@5": 0.6667, "mrr@10": 0.4444, "ndcg@10": 0.5, "n": 3}
    }
    assert result.as_json("both")["default"]["mrr@10"] == round((1 + 1 / 3 + 1 / 2) / 4, 4)
    row = table(result, "test").splitlines()[-1]
    assert row.startswith("| default | 1 | 0.000 [0.000, 0.000] | 1.000 [1.000, 1.000] | 0.500 [0.500, 0.500]")
    assert latency_table(result).splitlines()[-1] == "| default | 2.5 | 4.7 | - | - |"
    empty = BenchResult("swefaq", BenchData(questions[:3], passages), {"default": run}, settings)
    assert empty.as_json("test") == {"default": {"n": 0}}  # a small --limit can leave a split empty
    assert table(empty, "test").splitlines()[-1] == "| default | 0 | – | – | – | – |"


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
    with pytest.raises(ConfigurationError, match="Unknown method"):
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
