"""Where to run torch models: the GPU when one is present, unless settings say otherwise."""

from __future__ import annotations


def resolve_device(configured: str) -> str:
    """Map `auto` to `cuda` when torch sees a GPU, else `cpu`; pass explicit choices through."""
    if configured != "auto":
        return configured
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
