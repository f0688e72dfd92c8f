"""Privacy switches that must be set before the Hugging Face hub client is imported.

It calls home at start unless told otherwise; a municipality's server must not leak anything.
"""

from __future__ import annotations

import os
from pathlib import Path


def disable_telemetry(local_model_paths: list[str] | None = None) -> None:
    """Turn off analytics; go hub-offline when every configured model is a local path or packaged.

    Values the user already set are kept.
    """
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    models = [m for m in (local_model_paths or []) if m]
    if all(Path(m).expanduser().exists() for m in models):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
