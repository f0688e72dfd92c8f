"""Any Hugging Face causal LM (id or local path, or a GGUF file dequantised): bf16 on the GPU when
present, else CPU float32.

Every call, streamed or not, becomes a request to one `Batcher` (`llm.batching`): requests that arrive
together share one `model.generate` over their prompts (up to `llm.max_concurrency`, left-padded), and
a streamer hands each sequence's text to its own caller as it is produced. Each sequence has its own
token budget and stops on its own, and each may be held to its own `OutputForm` (`llm.form_decoding`),
so with greedy decoding a caller gets the text it would get alone. A caller that stops reading drops out
of the batch at the next token; the others go on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage
from kraftbot.llm.batching import Batcher

log = logging.getLogger(__name__)

GENERATION_FAILED = "Språkmodellen kunde inte skriva ett svar just nu. Försök igen om en stund."
# decoding as the text is read everywhere: special tokens dropped, spaces left as they are
DECODE = {"skip_special_tokens": True, "clean_up_tokenization_spaces": False}
# forms whose masks are kept: the writer's forms differ only in their number of sources
KEPT_FORMS = 8


def _plain_prompt(messages: list[ChatMessage]) -> str:
    """A prompt for models whose tokenizer has no chat template."""
    turns = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n\n".join([*turns, "assistant:"])


class _Ended:
    """The end of a request's text, in its queue of pieces."""


ENDED = _Ended()


@dataclass
class StreamRequest:
    """One caller's generation: what to generate, and the queue its pieces (then `ENDED`, or an
    error) arrive in."""

    messages: list[ChatMessage]
    max_new_tokens: int
    form: OutputForm | None = None
    usage: TokenUsage | None = None
    pieces: queue.SimpleQueue[str | _Ended | BaseException] = field(default_factory=queue.SimpleQueue)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self.stop.is_set()

    def fail(self, error: BaseException) -> None:
        self.pieces.put(error)


class _Sequence:
    """One row of a batched `generate`: its tokens, decoded into new text as they come."""

    def __init__(self, request: StreamRequest, tokenizer: Any, eos_ids: set[int]) -> None:
        self.request = request
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.tokens: list[int] = []
        self.written = 0  # tokens generated, an end-of-sequence token included
        self.sent = ""
        self.done = False

    def add(self, token: int) -> None:
        if self.done:
            return
        if self.request.cancelled:
            self.done = True
            return
        self.written += 1
        if self.request.usage is not None:
            self.request.usage.completion_tokens += 1
        if token in self.eos_ids:
            self.end()
            return
        self.tokens.append(token)
        self._send(final=False)
        if self.written >= self.request.max_new_tokens:
            self.end()

    def _send(self, final: bool) -> None:
        text = self.tokenizer.decode(self.tokens, **DECODE)
        # hold back a character still missing bytes (a byte-level token may end inside one); a text that
        # no longer begins with what was sent (no byte-level or SentencePiece decoder rewrites) is not sent
        if (final or not text.endswith("\ufffd")) and text.startswith(self.sent) and len(text) > len(self.sent):
            self.request.pieces.put(text[len(self.sent) :])
            self.sent = text

    def end(self) -> None:
        if not self.done:
            self.done = True
            self._send(final=True)
            self.request.pieces.put(ENDED)


class _BatchStreamer:
    """`generate`'s streamer for a batch: the first `put` is the prompts, then one token per row a step."""

    def __init__(self, sequences: Sequence[_Sequence]) -> None:
        self.sequences = sequences
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        for sequence, token in zip(self.sequences, value.tolist(), strict=True):
            sequence.add(int(token))

    def end(self) -> None:
        for sequence in self.sequences:
            sequence.end()


class TransformersBackend:
    name = "transformers"

    def __init__(
        self, model_id: str, device: str, temperature: float, max_batch: int = 8, gguf_file: str | None = None
    ) -> None:
        """`model_id` is a model id or folder; with `gguf_file`, the folder holding that GGUF file, whose
        weights transformers dequantises on loading (float32 on the CPU: about 4 bytes a parameter)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_id = gguf_file or model_id
        self.device = device
        self.temperature = temperature
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        source = {"gguf_file": gguf_file} if gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(model_id, **source)
        self.model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype, **source).to(device)
        self.model.eval()
        self.tokenizer.padding_side = "left"  # generated tokens follow every prompt directly
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.eos_ids = self._eos_ids()
        self._forms: OrderedDict[OutputForm, Any] = OrderedDict()
        self._table: Any = None
        self._table_lock = threading.Lock()
        self.batcher: Batcher[StreamRequest] = Batcher(self._run_batch, max_batch)

    def _eos_ids(self) -> set[int]:
        configured = self.model.generation_config.eos_token_id
        ids = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
        return ids | ({self.tokenizer.eos_token_id} if self.tokenizer.eos_token_id is not None else set())

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

    def form_masks(self, form: OutputForm) -> Any:
        """The form's `FormMasks`, kept for the `KEPT_FORMS` latest forms (their masks fill in as
        states are met, a vocabulary's worth of booleans each); the token table behind them is built
        on the first form."""
        from kraftbot.llm.form_decoding import FormMasks, TokenTable, token_texts

        with self._table_lock:
            if self._table is None:
                vocabulary = self.model.get_output_embeddings().weight.shape[0]
                self._table = TokenTable(token_texts(self.tokenizer, vocabulary), sorted(self.eos_ids))
            if form not in self._forms:
                self._forms[form] = FormMasks(self._table, form, self.device)
                while len(self._forms) > KEPT_FORMS:
                    self._forms.popitem(last=False)
            self._forms.move_to_end(form)
            return self._forms[form]

    def _run_batch(self, requests: list[StreamRequest]) -> None:
        """One `model.generate` for the requests; each row streams to its caller and stops on its own."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        from kraftbot.llm.form_decoding import FormLogitsProcessor, Row

        inputs = self._inputs([self._prompt(request.messages) for request in requests])
        prompt_length = inputs["input_ids"].shape[1]
        for request, mask in zip(requests, inputs["attention_mask"], strict=True):
            if request.usage is not None:
                request.usage.prompt_tokens = int(mask.sum())
        sequences = [_Sequence(request, self.tokenizer, self.eos_ids) for request in requests]
        budgets = [request.max_new_tokens for request in requests]

        class RowsStop(StoppingCriteria):
            """A row stops at its own budget, or when its caller has stopped reading."""

            def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
                written = input_ids.shape[1] - prompt_length
                done = [
                    written >= budget or request.cancelled for budget, request in zip(budgets, requests, strict=True)
                ]
                return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

        processors = LogitsProcessorList()
        if any(request.form for request in requests):
            rows = [
                Row(self.form_masks(request.form) if request.form else None, request.max_new_tokens)
                for request in requests
            ]
            processors.append(FormLogitsProcessor(rows, prompt_length))
        with torch.inference_mode():
            self.model.generate(
                **inputs,
                max_new_tokens=max(budgets),
                streamer=_BatchStreamer(sequences),
                logits_processor=processors,
                stopping_criteria=StoppingCriteriaList([RowsStop()]),
                pad_token_id=self.tokenizer.pad_token_id,
                **self._sampling(),
            )

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        request = StreamRequest(list(messages), max_new_tokens, form, usage)
        self.batcher.submit(request)
        try:
            while not isinstance(item := request.pieces.get(), _Ended):
                if isinstance(item, BaseException):
                    log.error("transformers generation failed: %s", item)
                    raise BackendError(GENERATION_FAILED) from item
                yield item
        finally:
            request.stop.set()  # a caller that stopped reading frees its row at the next token

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return "".join(self.generate_stream(messages, max_new_tokens))


@dataclass(frozen=True)
class FormCost:
    """Milliseconds per decoded token (the prompt's time left out) with and without a form, and the
    form processor's own milliseconds per step (replayed over the formed answer's tokens once its
    masks are kept: the steady state)."""

    free_ms: float
    form_ms: float
    processor_ms: float

    def __str__(self) -> str:
        return (
            f"{self.free_ms:.2f} ms/token free, {self.form_ms:.2f} ms/token in the form, "
            f"of which the processor {self.processor_ms:.3f} ms/step"
        )


def form_cost(
    backend: TransformersBackend, messages: list[ChatMessage], form: OutputForm, tokens: int, repeats: int
) -> FormCost:
    """What holding `backend` to `form` costs per token (best of `repeats` runs of up to `tokens` tokens;
    the form's first run also fills its masks)."""
    import time

    import torch

    from kraftbot.llm.form_decoding import FormLogitsProcessor, Row

    def per_token(run_form: OutputForm | None) -> tuple[float, str]:
        """Decoding time per token: from the first piece on, so that the prompt's time is left out."""
        best, text = float("inf"), ""
        for _ in range(repeats):
            usage = TokenUsage()
            pieces = []
            for piece in backend.generate_stream(messages, tokens, form=run_form, usage=usage):
                if not pieces:
                    first = time.perf_counter()
                pieces.append(piece)
            text = "".join(pieces)
            if usage.completion_tokens > 1:
                best = min(best, (time.perf_counter() - first) / (usage.completion_tokens - 1))
        return best * 1000, text

    free_ms, _ = per_token(None)
    form_ms, text = per_token(form)
    masks = backend.form_masks(form)
    ids = backend.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    ids = torch.cat([torch.zeros((1, 1), dtype=torch.long), ids], dim=1).to(backend.device)
    processor = FormLogitsProcessor([Row(masks, ids.shape[1] + masks.reserve + 1)], prompt_length=1)
    scores = torch.zeros((1, masks.table.size), device=backend.device)
    started = time.perf_counter()
    for end in range(1, ids.shape[1] + 1):
        processor(ids[:, :end], scores.clone())
    processor_ms = (time.perf_counter() - started) / ids.shape[1] * 1000
    return FormCost(free_ms, form_ms, processor_ms)
