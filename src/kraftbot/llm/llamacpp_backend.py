"""The default backend: a GGUF model in llama.cpp, on the CPU (or offloaded when built with CUDA).

One long-lived `Llama` object serves every question, so the fixed system prompt's KV cache is
reused: llama.cpp keeps the longest common token prefix between calls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage, generate_by_streaming, normalised
from kraftbot.llm.citation_mask import CitationMask, FormProcessor


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
        self._grammars: dict[OutputForm, Any] = {}
        self._mask: CitationMask | None = None

    @property
    def llama(self) -> Any:
        """The llama.cpp model itself, for benchmarks that run it plainly beside KraftBot."""
        return self._llama

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        """Streamed text; a whole `form` becomes a GBNF grammar (cached per form: parsing one takes
        milliseconds), any other the citation mask (`llm.citation_mask`)."""
        grammar = self._grammar(form) if form and form.whole else None
        processors = self._citation_processors(form) if form and not form.whole else None
        with self._lock:
            stream = self._llama.create_chat_completion(
                messages=list(messages),
                max_tokens=max_new_tokens,
                temperature=self.temperature,
                stream=True,
                grammar=grammar,
                logits_processor=processors,
            )
            try:
                for chunk in stream:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if usage is not None:
                        usage.completion_tokens += 1
                    if piece:
                        yield piece
            finally:
                stream.close()  # a caller that stopped reading stops the decoding here
                if usage is not None:
                    usage.prompt_tokens = max(0, self._llama.n_tokens - usage.completion_tokens)

    def _citation_processors(self, form: OutputForm) -> Any:
        from llama_cpp import LogitsProcessorList

        if self._mask is None:  # the vocabulary's texts, once (about a second for 150 000 tokens)
            detokenize = self._llama.detokenize
            texts = [detokenize([token]).decode("utf-8", errors="replace") for token in range(self._llama.n_vocab())]
            self._mask = CitationMask(texts)
        return LogitsProcessorList([FormProcessor(self._mask, form)])

    def _grammar(self, form: OutputForm) -> Any:
        from llama_cpp import LlamaGrammar

        if form not in self._grammars:
            self._grammars[form] = LlamaGrammar.from_string(form.gbnf(), verbose=False)
        return self._grammars[form]

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return generate_by_streaming(self, messages, max_new_tokens)

    def _first_tokens(self, options: Sequence[str]) -> list[int]:
        """Each option's first token ("Nej" is "Ne" + "j"): one step of the model tells them apart."""
        tokens = [self._llama.tokenize(option.encode(), add_bos=False, special=False)[:1] for option in options]
        firsts = [token[0] for token in tokens if token]
        if len(firsts) != len(options) or len(set(firsts)) != len(firsts):
            raise ValueError(f"options {list(options)!r} do not begin with distinct tokens")
        return firsts

    def option_probabilities(self, messages: list[ChatMessage], options: Sequence[str]) -> list[float]:
        """One step of the model: the logits of the options' first tokens at the reply's first position.

        Prompts that share their start (system prompt, question) reuse llama.cpp's cached prefix, so
        judging several sentences against one question costs little more than the sentences' tokens.
        """
        from llama_cpp import LogitsProcessorList

        tokens = self._first_tokens(options)
        seen: list[float] = []

        def capture(_: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
            if not seen:
                seen.extend(float(scores[token]) for token in tokens)
            return scores

        with self._lock:
            self._llama.create_chat_completion(
                messages=list(messages), max_tokens=1, temperature=0.0, logits_processor=LogitsProcessorList([capture])
            )
        return normalised(seen)
