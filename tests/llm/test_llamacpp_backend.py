"""The default backend: the packaged GGUF generator in llama.cpp, streaming a Swedish answer."""

from __future__ import annotations

import pytest

from kraftbot.llm.packaged import PACKAGED_GENERATOR

pytestmark = pytest.mark.slow

MESSAGES = [
    {"role": "system", "content": "Du svarar kort på svenska."},
    {"role": "user", "content": "Vilken färg har en banan när den är mogen? Svara med ett ord."},
]


def test_the_packaged_generator_streams_a_swedish_answer(packaged_backend) -> None:
    assert packaged_backend.name == "llamacpp" and packaged_backend.model_id == PACKAGED_GENERATOR.file_name
    pieces = list(packaged_backend.generate_stream(MESSAGES, 12))
    assert len(pieces) >= 2  # streamed, not one block
    assert "gul" in "".join(pieces).lower()  # temperature 0.1: the one-word answer is all but certain
