"""Pick the generation backend the settings name."""

from __future__ import annotations

from pathlib import Path

from kraftbot.errors import ConfigurationError
from kraftbot.llm.base import GenerationBackend
from kraftbot.llm.packaged import PACKAGED_GENERATOR, ensure_model
from kraftbot.runtime.devices import resolve_device
from kraftbot.settings import LLMSettings, Settings


def gguf_path(settings: Settings) -> Path:
    """The GGUF file to run: `llm.model`, else the packaged generator (assembled and verified)."""
    if settings.llm.model:
        return Path(settings.llm.model)
    return ensure_model(PACKAGED_GENERATOR, settings.paths.model_cache_dir)


def build_backend(settings: Settings) -> GenerationBackend:
    config = settings.llm
    if config.backend == "llamacpp":
        from kraftbot.llm.llamacpp_backend import LlamaCppBackend

        path = gguf_path(settings)
        return LlamaCppBackend(path, config.n_ctx, settings.cpu_threads(config.threads), config.temperature)
    if config.backend == "transformers":
        from kraftbot.llm.transformers_backend import TransformersBackend

        device = resolve_device(config.device)
        if config.model and not config.model.endswith(".gguf"):
            return TransformersBackend(config.model, device, config.temperature, config.max_concurrency)
        # a GGUF file (the packaged one by default), dequantised by transformers: the same model as
        # llama.cpp runs, batched on a GPU
        path = gguf_path(settings)
        return TransformersBackend(
            str(path.parent), device, config.temperature, config.max_concurrency, gguf_file=path.name
        )
    if config.backend == "openai":
        from kraftbot.llm.openai_backend import OpenAIBackend

        return OpenAIBackend(
            config.api_base,
            config.model,
            config.api_key,
            config.timeout_s,
            config.temperature,
            config.max_concurrency,
            config.form_param,
        )
    if config.backend == "extractive":
        from kraftbot.llm.extractive_backend import ExtractiveBackend

        return ExtractiveBackend()
    raise ConfigurationError(f"Unknown llm.backend {config.backend!r}")


def concurrent_answers(config: LLMSettings) -> int:
    """How many questions the backend can serve at once: a model server or a batching GPU model
    takes `llm.max_concurrency`; one in-process llama.cpp model (one KV cache) takes one."""
    return config.max_concurrency if config.backend in ("openai", "transformers") else 1
