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

`--server` measures the server path instead: a model of Qwen2-7B's shape (7.6 B parameters, random
weights, bf16) as the `transformers` backend behind KraftBot's `/v1` API (`kraftbot serve`'s app on
loopback), follow-ups rewritten by the model (`followup.model_rewrite`), 1, 8 and 32 streamed API
requests at once, each rewrite exactly `REWRITE_TOKENS` new tokens (concurrent rewrites are batched
into shared `generate` calls, `llm.batching`). `--shape tiny --device cpu` runs the same path with a
two-layer model on the CPU (the test's check that the path works).

`--answer` runs the whole answer path instead, as a deployment on a GPU server would: the packaged
model loaded through transformers' `gguf_file` in bf16 on CUDA (`llm.backend = "transformers"`,
`llm.model` empty), every answer written and checked, through `kraftbot bench answer` on the first
`--limit` dev questions: time to the sources, to the first checked sentence and to the whole answer,
and the fallback rate, written to `eval/reports/answer-latency-gpu.md`.

    python scripts/gpu_check.py [--new-tokens 128] [--prompt-tokens 600]
    python scripts/gpu_check.py --server [--concurrency 1 8 32]
    python scripts/gpu_check.py --answer [--limit 40]
"""

from __future__ import annotations

import argparse
import os
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


# Qwen2.5 shapes by name: 1.5B for the backend check, 7B for the server path, tiny for the CPU test.
QWEN2_SHAPES: dict[str, dict[str, int | bool]] = {
    "1.5b": {"vocab_size": 151_936, "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28}
    | {"num_attention_heads": 12, "num_key_value_heads": 2, "tie_word_embeddings": True},
    "7b": {"vocab_size": 152_064, "hidden_size": 3584, "intermediate_size": 18_944, "num_hidden_layers": 28}
    | {"num_attention_heads": 28, "num_key_value_heads": 4, "tie_word_embeddings": False},
    "tiny": {"vocab_size": 512, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}
    | {"num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": True},
}


def qwen2_config(shape: str):
    """A Qwen2 configuration of the named shape that never stops early (no end-of-sequence token)."""
    from transformers import Qwen2Config

    return Qwen2Config(**QWEN2_SHAPES[shape], max_position_embeddings=32_768, eos_token_id=None)


def save_random_model(config, folder: str, device: str) -> int:
    """A random-weight model of `config` and the byte tokenizer saved to `folder`; its parameter count."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder)
    byte_tokenizer(config.vocab_size).save_pretrained(folder)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return params


def server_check(shape: str, device: str, levels: list[int]) -> int:
    """The `transformers` backend behind `/v1`: 1, 8, 32 streamed follow-ups at once."""
    import asyncio

    from kraftbot.answering.followup import REWRITE_TOKENS
    from kraftbot.bench import api_concurrency
    from kraftbot.frontends.web import server_app
    from kraftbot.settings import load_settings
    from kraftbot.storage.migrate import open_url
    from kraftbot.storage.stores import open_stores
    from kraftbot.web.background import BackgroundServer

    root = Path(__file__).resolve().parent.parent
    config = qwen2_config(shape)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        params = save_random_model(config, folder, device)
        settings = load_settings(config_file=root / "kraftbot.toml", environ={})
        settings.llm.backend, settings.llm.model, settings.llm.device = "transformers", folder, device
        settings.llm.max_concurrency = max(levels)
        settings.followup.model_rewrite = True
        stores = open_stores(open_url(f"sqlite:///{Path(folder) / 'check.db'}"), "default")
        app = server_app(settings, "default", stores, public_api=True, rate_limit_per_minute=0)
        backend = app.state.service.assistant.backend
        backend.model.generation_config.min_new_tokens = REWRITE_TOKENS  # every rewrite: exactly this many
        print(
            f"server path: {params / 1e9:.2f} B parameters ({shape} shape, random weights, "
            f"{next(backend.model.parameters()).dtype}, {device}); ready in {time.perf_counter() - started:.1f} s; "
            f"each follow-up's rewrite {REWRITE_TOKENS} new tokens"
        )
        server = BackgroundServer(app)
        try:
            conversations = api_concurrency.follow_ups(root / "eval" / "kraftsamling.jsonl")
            url = f"{server.url}v1"
            asyncio.run(api_concurrency.run_clients(url, conversations, 1))  # warm-up
            alone = None
            for clients in levels:
                run = asyncio.run(api_concurrency.run_clients(url, conversations, clients))
                print(api_concurrency.describe(run, REWRITE_TOKENS, alone))
                alone = alone or run
        finally:
            server.stop()
    return 0


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


def _no_gpu() -> int:
    print("gpu_check: no CUDA device here; nothing measured (run it on a machine with an NVIDIA GPU).")
    return 0


def answer_check(limit: int) -> int:
    """`kraftbot bench answer` with the packaged model in transformers on the GPU."""
    from kraftbot.frontends.cli import main as kraftbot

    environ = {"KRAFTBOT_LLM_BACKEND": "transformers", "KRAFTBOT_LLM_DEVICE": "cuda"}
    os.environ.update(environ)
    report = "eval/reports/answer-latency-gpu.md"
    return kraftbot(["bench", "answer", "--limit", str(limit), "--decode-pairs", "0", "--report", report])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--prompt-tokens", type=int, default=600, help="tokens in the user turn")
    parser.add_argument("--server", action="store_true", help="measure the model behind the /v1 API instead")
    parser.add_argument("--shape", choices=["7b", "tiny"], default="7b", help="--server: the model's shape")
    parser.add_argument("--device", default="cuda", help="--server: cuda, or cpu with --shape tiny")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32], help="--server: requests at once")
    parser.add_argument("--answer", action="store_true", help="the whole answer path, the model on the GPU")
    parser.add_argument("--limit", type=int, default=40, help="--answer: the first N dev questions")
    args = parser.parse_args(argv)

    import torch

    if args.answer:
        return answer_check(args.limit) if torch.cuda.is_available() else _no_gpu()
    if args.server and (args.device == "cpu" or torch.cuda.is_available()):
        return server_check(args.shape, args.device, args.concurrency)
    if not torch.cuda.is_available():
        return _no_gpu()
    from kraftbot.llm.transformers_backend import TransformersBackend

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        params = save_random_model(qwen2_config("1.5b"), folder, "cuda")
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
