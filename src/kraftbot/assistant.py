"""Assemble an Assistant from settings: the one place the CLI, web app and evaluation share."""

from __future__ import annotations

import logging
import time

from kraftbot.answering.pipeline import Assistant
from kraftbot.index.embedders import build_embedder
from kraftbot.index.store import DEFAULT_INDEX, load_index
from kraftbot.llm.factory import build_backend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.runtime.offline import disable_telemetry
from kraftbot.runtime.openmp import configure_openmp
from kraftbot.settings import Settings

log = logging.getLogger(__name__)


def build_assistant(settings: Settings, index_name: str = DEFAULT_INDEX) -> Assistant:
    """Load (or rebuild a stale, or build a missing default) index, and the model when one is used."""
    configure_openmp(settings.openmp)
    disable_telemetry([settings.embedding.model, settings.llm.model, settings.retrieval.reranker_model])
    knowledge = load_index(settings, index_name, build_embedder(settings))
    retriever = Retriever(knowledge, settings.retrieval)
    # The model writes the leads (and may rewrite follow-ups); with neither switched on, none is loaded.
    needs_model = settings.writer.enabled or settings.followup.model_rewrite
    backend = build_backend(settings) if needs_model else None
    assistant = Assistant(settings, retriever, backend)
    if assistant.writer is not None:
        started = time.perf_counter()
        assistant.writer.warm()
        log.info("Model warmed (its fixed prompt read) in %.1f s", time.perf_counter() - started)
    log.info("Assistant ready: index %s, answers written by %s", index_name, assistant.backend_name)
    return assistant


def with_fresh_index(assistant: Assistant, index_name: str = DEFAULT_INDEX) -> Assistant:
    """The same assistant (settings, model) over the index as it is on disk now: what a re-index
    swaps in while questions already asked finish on the old one."""
    settings = assistant.settings
    knowledge = load_index(settings, index_name, assistant.retriever.knowledge.embedder, progress=False)
    return Assistant(settings, Retriever(knowledge, settings.retrieval), assistant.backend)
