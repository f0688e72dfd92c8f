"""The `transformers` backend with a tiny causal LM built from a config: loading, streaming, chat templates,
concurrent requests batched."""

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
    inputs = backend._inputs([backend._prompt(MESSAGES)])
    decoded = backend.tokenizer.decode(inputs["input_ids"][0])
    assert decoded.split()[-1] == "svara"
    assert backend.generate(MESSAGES, max_new_tokens=4)


def test_concurrent_requests_share_batched_generate_calls(tiny_model: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    backend = TransformersBackend(str(tiny_model), "cpu", temperature=0.0, max_batch=8)
    questions = [[MESSAGES[0], {"role": "user", "content": " ".join(["hej"] * n + ["fråga"])}] for n in range(1, 7)]
    alone = [backend.generate(messages, max_new_tokens=6) for messages in questions]
    calls = []
    generate = backend.model.generate

    def counted(**inputs):
        calls.append(inputs["input_ids"].shape[0])
        return generate(**inputs)

    backend.model.generate = counted
    backend.batcher.wait_s = 0.2  # let all six arrive before the first batch runs
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda messages: backend.generate(messages, max_new_tokens=6), questions))
    assert together == alone, "a prompt's text must not depend on what it was batched with"
    assert sum(calls) == 6 and len(calls) < 6 and max(calls) > 1


def test_a_failed_batch_is_a_swedish_backend_error_for_each_caller(tiny_model: Path) -> None:
    from kraftbot.errors import BackendError
    from kraftbot.llm.transformers_backend import GENERATION_FAILED

    backend = TransformersBackend(str(tiny_model), "cpu", temperature=0.0)

    def broken(**inputs):
        raise RuntimeError("CUDA out of memory")

    backend.model.generate = broken
    with pytest.raises(BackendError, match=GENERATION_FAILED):
        backend.generate(MESSAGES, max_new_tokens=4)
    backend.model.generate = type(backend.model).generate.__get__(backend.model)
    assert backend.generate(MESSAGES, max_new_tokens=4), "the next request after a failure is served"
