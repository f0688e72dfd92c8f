"""Any Hugging Face causal LM (id or local path): bf16 on the GPU when present, else CPU float32."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, generate_by_streaming

log = logging.getLogger(__name__)

GENERATION_FAILED = "Språkmodellen kunde inte skriva ett svar just nu. Försök igen om en stund."


def _plain_prompt(messages: list[ChatMessage]) -> str:
    """A prompt for models whose tokenizer has no chat template."""
    turns = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n\n".join([*turns, "assistant:"])


class TransformersBackend:
    name = "transformers"

    def __init__(self, model_id: str, device: str, temperature: float) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_id = model_id
        self.device = device
        self.temperature = temperature
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(model_id)
        self.model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype).to(device)
        self.model.eval()

    def _inputs(self, messages: list[ChatMessage]) -> dict[str, Any]:
        if self.tokenizer.chat_template:
            encoded = self.tokenizer.apply_chat_template(
                list(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        else:
            encoded = self.tokenizer(_plain_prompt(messages), return_tensors="pt")
        return {key: value.to(self.device) for key, value in encoded.items()}

    def generate_stream(self, messages: list[ChatMessage], max_new_tokens: int) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling = (
            {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {"do_sample": False}
        )
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self.model.generate(
                    **self._inputs(messages), streamer=streamer, max_new_tokens=max_new_tokens, **sampling
                )
            except BaseException as error:  # re-raised in the consuming thread
                failure.append(error)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
        if failure:
            log.error("transformers generation failed: %s", failure[0])
            raise BackendError(GENERATION_FAILED) from failure[0]

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return generate_by_streaming(self, messages, max_new_tokens)
