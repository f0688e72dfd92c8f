"""The backend the settings name: each kind is built from its settings, a wrong one is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from kraftbot.errors import ConfigurationError
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


def test_settings_choose_the_transformers_backend(tmp_path: Path, make_settings) -> None:
    model = build_causal_lm(tmp_path / "tiny-lm")
    backend = build_backend(make_settings(llm={"backend": "transformers", "model": str(model), "device": "cpu"}))
    assert backend.name == "transformers"
    assert backend.model_id == str(model)


def test_transformers_backend_without_a_model_is_a_clear_error(make_settings) -> None:
    settings = make_settings(llm={"backend": "transformers", "model": ""})
    with pytest.raises(ConfigurationError, match=r"llm\.model"):
        build_backend(settings)


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
