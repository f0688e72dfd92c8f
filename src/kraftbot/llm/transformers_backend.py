"""Any Hugging Face causal LM (id or local path): bf16 on the GPU when present, else CPU float32.

`generate` calls from concurrent questions are batched into shared `model.generate` calls (up to
`llm.max_concurrency` prompts, left-padded): `llm.batching`. A stream is generated on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage
from kraftbot.llm.batching import Batcher

log = logging.getLogger(__name__)

GENERATION_FAILED = "Språkmodellen kunde inte skriva ett svar just nu. Försök igen om en stund."


def _plain_prompt(messages: list[ChatMessage]) -> str:
    """A prompt for models whose tokenizer has no chat template."""
    turns = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n\n".join([*turns, "assistant:"])


class TransformersBackend:
    name = "transformers"

    def __init__(self, model_id: str, device: str, temperature: float, max_batch: int = 8) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_id = model_id
        self.device = device
        self.temperature = temperature
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(model_id)
        self.model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype).to(device)
        self.model.eval()
        self.tokenizer.padding_side = "left"  # generated tokens follow every prompt directly
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batcher = Batcher(self._generate_batch, max_batch)

    def _prompt(self, messages: list[ChatMessage]) -> str:
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        return _plain_prompt(messages)

    def _inputs(self, prompts: list[str]) -> dict[str, Any]:
        # a chat template writes its own special tokens; a plain prompt gets the tokenizer's
        plain = not self.tokenizer.chat_template
        encoded = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=plain)
        return {key: value.to(self.device) for key, value in encoded.items()}

    def _sampling(self) -> dict[str, Any]:
        return {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {"do_sample": False}

    def _generate_batch(self, conversations: list[list[ChatMessage]], max_new_tokens: int) -> list[str]:
        """One `model.generate` for several prompts; each text decoded from after its prompt."""
        import torch

        inputs = self._inputs([self._prompt(messages) for messages in conversations])
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, max_new_tokens=max_new_tokens, pad_token_id=self.tokenizer.pad_token_id, **self._sampling()
            )
        prompt_length = inputs["input_ids"].shape[1]
        return self.tokenizer.batch_decode(output[:, prompt_length:], skip_special_tokens=True)

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self.model.generate(
                    **self._inputs([self._prompt(messages)]),
                    streamer=streamer,
                    max_new_tokens=max_new_tokens,
                    pad_token_id=self.tokenizer.pad_token_id,
                    **self._sampling(),
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
        try:
            return self.batcher.submit(messages, max_new_tokens)
        except Exception as error:
            log.error("transformers generation failed: %s", error)
            raise BackendError(GENERATION_FAILED) from error
