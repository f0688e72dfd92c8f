"""Tiny Hugging Face models built from a config in the test (random weights, no download)."""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "hej",
    "du",
    "är",
    "kraftbot",
    "svara",
    "på",
    "svenska",
    "källor",
    "fråga",
    "pengar",
    "kronor",
    "projekt",
    "kommun",
    "utlysning",
    "ai",
]


def word_level_tokenizer(words: list[str], specials: list[str], **special_tokens: str):
    """A fast word-level tokenizer over `specials + words` (no training, no download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*specials, *words])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##")
    return core, lambda: PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", **special_tokens)


def build_tokenizer(target: Path, chat_template: str | None = None):
    """A word-level tokenizer over a small Swedish vocabulary for a causal LM, saved to `target`."""
    _, make = word_level_tokenizer(
        WORDS, ["[PAD]", "[UNK]", "[BOS]", "[EOS]"], pad_token="[PAD]", bos_token="[BOS]", eos_token="[EOS]"
    )
    tokenizer = make()
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(target)
    return tokenizer


# Pieces of answers in the written form, as whole tokens of the byte-level tokenizer: the brackets and
# numbers alone and stuck to what comes before and after them (as a real BPE vocabulary has them), the
# no-answer word whole and in parts, sentence starts, Swedish letters, and newlines.
FORM_PIECES = [
    " [", "[", "]", "].", "]. ", "[1", "1]", "2]", "[12", "12", "10", " [1].", "]]", "[[", " [[", "](",
    ".", ". ", ".\n", "\n", "\n\n", "INGET", "_SVAR", "INGET_SVAR", "ING", "Det", " Det", "Se", " Se",
    " är", " kronor", " 600", " 000", " procent", "Å", "å", "ä", "ö", "Ö", "é", "”", "(", " (", ")", ",",
    " och", " som", " projekt", " kommun", "Bidraget", " högst", "  ", "   ", "a [", "x].", "]x",
]  # fmt: skip


def build_byte_tokenizer(target: Path, chat_template: str | None = None):
    """A byte-level tokenizer (every byte a token, like GPT-2's and Qwen's) with `FORM_PIECES` as extra
    tokens, saved to `target`: any text can be written, and the brackets come in many tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_char = bytes_to_unicode()
    pieces = ["".join(byte_char[byte] for byte in piece.encode()) for piece in FORM_PIECES]
    alphabet = [byte_char[byte] for byte in range(256)]
    vocab = {token: i for i, token in enumerate(dict.fromkeys(["[PAD]", "[BOS]", "[EOS]", *alphabet, *pieces]))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", bos_token="[BOS]", eos_token="[EOS]")
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(target)
    return tokenizer


def build_causal_lm(target: Path, chat_template: str | None = None, byte_level: bool = False) -> Path:
    """A two-layer Llama with random weights and the word-level tokenizer above (or the byte-level one),
    saved as a local model folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = (build_byte_tokenizer if byte_level else build_tokenizer)(target, chat_template)
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


def build_cross_encoder(target: Path) -> Path:
    """A randomly initialised one-layer BERT cross-encoder with a word-level tokenizer, saved to `target`."""
    import torch
    from tokenizers import processors
    from transformers import BertConfig, BertForSequenceClassification

    words = ["vem", "fattar", "beslut", "om", "ansökan", "koncernstab", "hr", "hur", "lång", "tid", "svar"]
    core, make = word_level_tokenizer(
        words, ["[PAD]", "[UNK]", "[CLS]", "[SEP]"], pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = make()
    tokenizer.model_max_length = 128
    tokenizer.save_pretrained(target)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128, num_labels=1,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(target)
    return target
