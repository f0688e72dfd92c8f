"""The default backend: a GGUF model in llama.cpp, on the CPU (or offloaded when built with CUDA).

One long-lived `Llama` object serves every question, so the fixed system prompt's KV cache is
reused: llama.cpp keeps the longest common token prefix between calls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from kraftbot.llm.base import ChatMessage, generate_by_streaming


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(self, model_path: Path, n_ctx: int, threads: int, temperature: float) -> None:
        from llama_cpp import Llama

        self.model_id = model_path.name
        self.temperature = temperature
        self._llama = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=-1,
            verbose=False,
        )
        # One model object holds one KV cache: requests take turns.
        self._lock = threading.Lock()

    def generate_stream(self, messages: list[ChatMessage], max_new_tokens: int) -> Iterator[str]:
        with self._lock:
            stream = self._llama.create_chat_completion(
                messages=list(messages),
                max_tokens=max_new_tokens,
                temperature=self.temperature,
                stream=True,
            )
            for chunk in stream:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return generate_by_streaming(self, messages, max_new_tokens)
