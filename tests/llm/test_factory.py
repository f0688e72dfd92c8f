"""The backend the settings name: each kind is built from its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.llm.extractive_backend import ExtractiveBackend
from kraftbot.llm.factory import build_backend
from kraftbot.llm.openai_backend import OpenAIBackend
from kraftbot.settings import load_settings

from ..tiny_models import build_causal_lm


def test_the_openai_backend_is_built_from_the_environment() -> None:
    settings = load_settings(
        config_file=Path("/nonexistent"),
        environ={
            "KRAFTBOT_LLM_BACKEND": "openai",
            "KRAFTBOT_LLM_API_BASE": "http://127.0.0.1:9/v1",
            "KRAFTBOT_LLM_MODEL": "qwen",
            "KRAFTBOT_LLM_TIMEOUT_S": "3",
        },
    )
    backend = build_backend(settings)
    assert isinstance(backend, OpenAIBackend)
    assert backend.url == "http://127.0.0.1:9/v1/chat/completions" and backend.model_id == "qwen"
    assert backend.form_param == "auto"
    settings.llm.form_param = "vllm_guided"
    assert build_backend(settings).form_param == "vllm_guided"  # type: ignore[attr-defined]


def test_settings_choose_the_transformers_backend(tmp_path: Path, make_settings) -> None:
    model = build_causal_lm(tmp_path / "tiny-lm")
    backend = build_backend(make_settings(llm={"backend": "transformers", "model": str(model), "device": "cpu"}))
    assert backend.name == "transformers"
    assert backend.model_id == str(model)


@pytest.mark.parametrize("model", ["", "/modeller/egen.gguf"])
def test_the_transformers_backend_loads_a_gguf_file_the_packaged_one_by_default(
    make_settings, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    """Without a model id the packaged GGUF (or `llm.model` naming a .gguf file) goes to transformers
    as `gguf_file=` in its folder; the real load is the slow test in test_transformers_backend.py."""
    from kraftbot.llm import factory, transformers_backend

    loaded = []
    monkeypatch.setattr(
        transformers_backend, "TransformersBackend", lambda *args, **kwargs: loaded.append((args, kwargs))
    )
    packaged = Path("/cache/models/qwen.gguf")
    monkeypatch.setattr(factory, "ensure_model", lambda model, cache_dir: packaged)
    build_backend(make_settings(llm={"backend": "transformers", "model": model, "device": "cpu"}))
    expected = Path(model) if model else packaged
    [(args, kwargs)] = loaded
    assert args[:2] == (str(expected.parent), "cpu") and kwargs == {"gguf_file": expected.name}


def test_the_extractive_backend_needs_no_model(make_settings) -> None:
    backend = build_backend(make_settings(llm={"backend": "extractive"}))
    assert isinstance(backend, ExtractiveBackend)
    assert backend.generate([], 16) == "" and list(backend.generate_stream([], 16)) == []


@pytest.mark.parametrize(
    ("backend", "expected"), [("openai", 12), ("transformers", 12), ("llamacpp", 1), ("extractive", 1)]
)
def test_questions_at_once_follow_what_the_backend_serves(make_settings, backend: str, expected: int) -> None:
    from kraftbot.llm.factory import concurrent_answers

    settings = make_settings(llm={"backend": backend, "max_concurrency": 12})
    assert concurrent_answers(settings.llm) == expected
