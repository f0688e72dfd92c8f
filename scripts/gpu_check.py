"""GPU speed check of KraftBot's `transformers` backend: time to first token and tokens/s.

Where CUDA is present, builds a causal LM of realistic size (a Qwen2-1.5B configuration, about
1.5 B parameters) with random weights in bf16, plus an offline byte-level tokenizer of the same
vocabulary size with a chat template, saves both to a temporary folder and loads them through
`TransformersBackend` exactly as a deployment would. Speed does not depend on the weights.
Every request generates exactly `--new-tokens` tokens (min_new_tokens = max_new_tokens).

Measured: one request alone, then 8 concurrent requests as 8 threads on the one backend (how the
web app serves today, one `generate` per request), and for comparison one batch of 8 prompts in a
single `generate` call (what a batching server such as vLLM does). On a machine without CUDA it
prints a notice and exits 0.

    python scripts/gpu_check.py [--new-tokens 128] [--prompt-tokens 600]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

CONCURRENT = 8
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def qwen2_1_5b_config():
    """Qwen2.5-1.5B's shape (28 layers, hidden 1536, GQA 12/2 heads, vocabulary 151 936)."""
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=151_936,
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        max_position_embeddings=32_768,
        tie_word_embeddings=True,
        eos_token_id=None,
    )


def byte_tokenizer(vocab_size: int):
    """An offline byte-level BPE tokenizer (no merges: one token per byte) with the model's vocabulary size.

    Qwen2's tokenizer class, which transformers picks for a qwen2 model folder, rebuilds exactly this
    kind of tokenizer from the vocabulary; the ids past the 256 bytes decode to `f123 `.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {char: i for i, char in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for special in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"):
        vocab[special] = len(vocab)
    while len(vocab) < vocab_size:
        vocab[f"f{len(vocab)}Ġ"] = len(vocab)  # "Ġ" is a space: the streamer flushes each token
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def prompt(words: int, seed: int) -> list[dict[str, str]]:
    """A RAG-sized chat prompt of random letters, one token each (the system part is always the same)."""
    import random
    import string

    generator = random.Random(seed)
    system = string.ascii_lowercase * 4
    user = "".join(generator.choice(string.ascii_letters) for _ in range(words))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def timed_request(backend, messages, new_tokens: int) -> tuple[float, float, int]:
    """(time to first token, total seconds, pieces) for one streamed request."""
    started = time.perf_counter()
    first = None
    pieces = 0
    for _ in backend.generate_stream(messages, new_tokens):
        if first is None:
            first = time.perf_counter() - started
        pieces += 1
    return first or 0.0, time.perf_counter() - started, pieces


def concurrent_requests(backend, new_tokens: int, words: int) -> tuple[list[tuple[float, float, int]], float]:
    results: list[tuple[float, float, int]] = [(0.0, 0.0, 0)] * CONCURRENT

    def worker(i: int) -> None:
        results[i] = timed_request(backend, prompt(words, seed=100 + i), new_tokens)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def batched_generate(backend, new_tokens: int, words: int) -> float:
    """Seconds for one `generate` over a left-padded batch of CONCURRENT prompts."""
    import torch

    tokenizer = backend.tokenizer
    tokenizer.padding_side = "left"
    texts = [
        tokenizer.apply_chat_template(prompt(words, seed=200 + i), add_generation_prompt=True, tokenize=False)
        for i in range(CONCURRENT)
    ]
    inputs = tokenizer(texts, return_tensors="pt", padding=True).to(backend.device)
    torch.cuda.synchronize()
    started = time.perf_counter()
    output = backend.model.generate(
        **inputs,
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.cuda.synchronize()
    assert output.shape[1] - inputs["input_ids"].shape[1] == new_tokens
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--prompt-tokens", type=int, default=600, help="tokens in the user turn")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device here; nothing measured (run it on a machine with an NVIDIA GPU).")
        return 0
    from transformers import AutoModelForCausalLM

    from kraftbot.llm.transformers_backend import TransformersBackend

    config = qwen2_1_5b_config()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with torch.device("cuda"):
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        params = sum(p.numel() for p in model.parameters())
        model.save_pretrained(folder)
        byte_tokenizer(config.vocab_size).save_pretrained(folder)
        del model
        torch.cuda.empty_cache()
        backend = TransformersBackend(folder, "cuda", temperature=0.0)
        backend.model.generation_config.min_new_tokens = args.new_tokens
        backend.model.generation_config.eos_token_id = None
        print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
        print(
            f"model: Qwen2 config, {params / 1e9:.2f} B parameters, random weights, "
            f"{next(backend.model.parameters()).dtype}; built and loaded in {time.perf_counter() - started:.1f} s"
        )

        sample = backend.tokenizer.apply_chat_template(
            prompt(args.prompt_tokens, seed=0), add_generation_prompt=True, tokenize=False
        )
        prompt_tokens = len(backend.tokenizer(sample)["input_ids"])
        print(f"each request: {prompt_tokens} prompt tokens, exactly {args.new_tokens} new tokens")
        timed_request(backend, prompt(args.prompt_tokens, seed=0), args.new_tokens)  # warm-up (CUDA kernels)
        ttft, total, _ = timed_request(backend, prompt(args.prompt_tokens, seed=1), args.new_tokens)
        decode = args.new_tokens / total
        print(f"1 request:  time to first token {ttft:.3f} s, {decode:.1f} tokens/s ({total:.2f} s total)")

        results, wall = concurrent_requests(backend, args.new_tokens, args.prompt_tokens)
        ttfts = [r[0] for r in results]
        per_request = [args.new_tokens / r[1] for r in results]
        print(
            f"{CONCURRENT} concurrent requests (8 threads, one generate each): time to first token "
            f"median {statistics.median(ttfts):.3f} s, max {max(ttfts):.3f} s; per request "
            f"{statistics.median(per_request):.1f} tokens/s; together {CONCURRENT * args.new_tokens / wall:.1f} "
            f"tokens/s ({wall:.2f} s wall)"
        )
        batch_s = batched_generate(backend, args.new_tokens, args.prompt_tokens)
        print(
            f"batch of {CONCURRENT} (one generate call, for comparison): "
            f"{CONCURRENT * args.new_tokens / batch_s:.1f} tokens/s together ({batch_s:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
