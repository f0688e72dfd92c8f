"""The `transformers` backend with a tiny causal LM built from a config: loading, streaming, chat templates."""

from pathlib import Path

import pytest

from kraftbot.llm.transformers_backend import TransformersBackend

from ..tiny_models import build_causal_lm

MESSAGES = [
    {"role": "system", "content": "du är kraftbot svara på svenska"},
    {"role": "user", "content": "hej fråga pengar projekt"},
]
CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}svara{% endif %}"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return build_causal_lm(tmp_path_factory.mktemp("tiny-lm"))


def test_stream_yields_pieces_that_make_the_whole_answer(tiny_model: Path) -> None:
    backend = TransformersBackend(str(tiny_model), "cpu", temperature=0.0)
    pieces = list(backend.generate_stream(MESSAGES, max_new_tokens=12))
    assert len(pieces) > 1, "the answer should arrive in several pieces"
    assert "".join(pieces) == backend.generate(MESSAGES, max_new_tokens=12)


def test_chat_template_is_used_when_the_tokenizer_has_one(tmp_path: Path) -> None:
    backend = TransformersBackend(str(build_causal_lm(tmp_path, CHAT_TEMPLATE)), "cpu", temperature=0.0)
    inputs = backend._inputs(MESSAGES)
    decoded = backend.tokenizer.decode(inputs["input_ids"][0])
    assert decoded.split()[-1] == "svara"
    assert backend.generate(MESSAGES, max_new_tokens=4)
