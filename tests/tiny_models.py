"""Tiny Hugging Face models built from a config in the test (random weights, no download)."""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "hej", "du", "är", "kraftbot", "svara", "på", "svenska", "källor",
    "fråga", "pengar", "kronor", "projekt", "kommun", "utlysning", "ai",
]


def build_tokenizer(target: Path, chat_template: str | None = None):
    """A word-level fast tokenizer over a small Swedish vocabulary, saved to `target`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]", "[BOS]", "[EOS]", *WORDS])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]", bos_token="[BOS]", eos_token="[EOS]"
    )
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(target)
    return tokenizer


def build_causal_lm(target: Path, chat_template: str | None = None) -> Path:
    """A two-layer Llama with random weights and the tokenizer above, saved as a local model folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer(target, chat_template)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(target)
    return target
