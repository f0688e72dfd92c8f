"""The `transformers` backend with a tiny causal LM built from a config: loading, streaming, chat templates,
concurrent requests and streams batched, the output form held, token usage; and the packaged GGUF (slow)."""

import re
import threading
from pathlib import Path

import pytest

from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage
from kraftbot.llm.transformers_backend import TransformersBackend, _BatchStreamer, form_cost

from ..tiny_models import build_causal_lm

MESSAGES = [
    {"role": "system", "content": "du är kraftbot svara på svenska"},
    {"role": "user", "content": "hej fråga pengar projekt"},
]
CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}svara{% endif %}"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    return build_causal_lm(tmp_path_factory.mktemp("tiny-lm"))


@pytest.mark.parametrize("byte_level", [False, True])
def test_stream_yields_pieces_that_make_the_whole_answer(tmp_path: Path, byte_level: bool) -> None:
    """The pieces add up to the decoded output of `model.generate`, for a word-level tokenizer (which
    puts spaces between tokens) and a byte-level one (whose tokens may end inside a character)."""
    backend = TransformersBackend(str(build_causal_lm(tmp_path, byte_level=byte_level)), "cpu", temperature=0.0)
    outputs = []
    generate = backend.model.generate
    backend.model.generate = lambda **inputs: outputs.append((inputs, generate(**inputs))) or outputs[-1][1]
    pieces = list(backend.generate_stream(MESSAGES, max_new_tokens=12))
    assert backend.batcher.idle.wait(10)
    [(inputs, output)] = outputs
    whole = backend.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert len(pieces) > 1, "the answer should arrive in several pieces"
    assert "".join(pieces) == whole == backend.generate(MESSAGES, max_new_tokens=12)


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


# The form, concurrent streams and usage, with the byte-level tiny model (its vocabulary has brackets,
# numbers and the no-answer word in many tokens, as a real one does).
EVIDENCE = [
    {"role": "system", "content": "Svara med meningar som slutar med källa, som [1]."},
    {"role": "user", "content": "Underlag: [1] Bidraget är högst 600 000 kronor. Hur mycket?"},
]


@pytest.fixture(scope="module")
def byte_model(tmp_path_factory) -> Path:
    return build_causal_lm(tmp_path_factory.mktemp("byte-lm"), byte_level=True)


@pytest.fixture(scope="module")
def byte_backend(byte_model: Path) -> TransformersBackend:
    return TransformersBackend(str(byte_model), "cpu", temperature=0.0)


def test_a_streamed_answer_always_takes_the_form(byte_model: Path) -> None:
    """Sampled at temperature 1 from a random model, under many seeds, forms and budgets: without the
    processor almost none of these texts would match."""
    import random

    import torch

    backend = TransformersBackend(str(byte_model), "cpu", temperature=1.0)
    chooser = random.Random(11)
    for seed in range(40):
        form = OutputForm(chooser.randint(1, 12), chooser.randint(1, 3))
        budget = chooser.choice([8, 16, 40, 90])
        torch.manual_seed(seed)
        text = "".join(backend.generate_stream(EVIDENCE, budget, form=form))
        assert re.fullmatch(form.regex(), text), (seed, form, budget, text)
    torch.manual_seed(0)
    assert not re.fullmatch(OutputForm(3, 2).regex(), backend.generate(EVIDENCE, 40)), "free text is not in the form"


def test_usage_counts_the_prompt_and_every_generated_token(byte_model: Path) -> None:
    backend = TransformersBackend(str(byte_model), "cpu", temperature=0.0)
    outputs = []
    generate = backend.model.generate
    backend.model.generate = lambda **inputs: outputs.append(generate(**inputs)) or outputs[-1]
    prompt = backend.tokenizer(backend._prompt(EVIDENCE), add_special_tokens=True)["input_ids"]
    free = TokenUsage()
    assert list(backend.generate_stream(EVIDENCE, 12, usage=free))
    assert free == TokenUsage(len(prompt), 12), "the random model does not stop on its own within 12 tokens"
    formed = TokenUsage()
    list(backend.generate_stream(EVIDENCE, 30, form=OutputForm(1, 1), usage=formed))
    assert backend.batcher.idle.wait(10), "generate returns a moment after the row's last piece"
    generated = outputs[-1][0, len(prompt) :]
    assert formed == TokenUsage(len(prompt), int((generated != backend.tokenizer.pad_token_id).sum()))
    assert generated[formed.completion_tokens - 1] == backend.tokenizer.eos_token_id, "the end token counts too"


def _questions() -> list[tuple[list[ChatMessage], int, OutputForm | None]]:
    """Four callers with prompts of different lengths, budgets and forms (one free)."""
    return [
        ([EVIDENCE[0], {"role": "user", "content": "Hur mycket? " * n}], budget, form)
        for n, budget, form in [
            (1, 20, OutputForm(2, 2)),
            (3, 9, None),
            (6, 30, OutputForm(12, 1)),
            (2, 14, OutputForm(1, 3)),
        ]
    ]


def _counting_generate_calls(backend: TransformersBackend) -> list[int]:
    """Record each `model.generate` call's batch size."""
    calls: list[int] = []
    generate = backend.model.generate

    def counted(**inputs):
        calls.append(inputs["input_ids"].shape[0])
        return generate(**inputs)

    backend.model.generate = counted
    return calls


def test_concurrent_streams_share_one_generate_and_each_gets_its_text_alone(byte_model: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    backend = TransformersBackend(str(byte_model), "cpu", temperature=0.0, max_batch=8)
    questions = _questions()
    alone = [list(backend.generate_stream(messages, budget, form=form)) for messages, budget, form in questions]
    calls = _counting_generate_calls(backend)
    backend.batcher.wait_s = 0.5  # all four arrive before the batch runs
    start = threading.Barrier(len(questions))

    def ask(question) -> list[str]:
        messages, budget, form = question
        start.wait()
        return list(backend.generate_stream(messages, budget, form=form))

    with ThreadPoolExecutor(len(questions)) as pool:
        together = list(pool.map(ask, questions))
    assert calls == [4], "one generate for the four streams"
    assert ["".join(pieces) for pieces in together] == ["".join(pieces) for pieces in alone]
    assert all(len(pieces) > 1 for pieces in together), "each text streamed, not handed over at the end"
    for (_, _, form), pieces in zip(questions, together, strict=True):
        assert form is None or re.fullmatch(form.regex(), "".join(pieces))


def test_a_caller_that_stops_reading_leaves_the_batch_and_the_others_go_on(byte_model: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    backend = TransformersBackend(str(byte_model), "cpu", temperature=0.0)
    short = [([EVIDENCE[0], {"role": "user", "content": "Hur mycket? " * n}], 12) for n in (1, 2)]
    alone = [backend.generate(messages, budget) for messages, budget in short]
    calls = _counting_generate_calls(backend)
    steps: list[int] = []
    put = _BatchStreamer.put
    backend.batcher.wait_s = 0.5

    def counting_put(self, value) -> None:
        steps.append(1)
        put(self, value)

    def quitter() -> list[str]:
        stream = backend.generate_stream(EVIDENCE, 500)
        pieces = [next(stream), next(stream)]
        stream.close()
        return pieces

    _BatchStreamer.put = counting_put  # type: ignore[method-assign]
    try:
        with ThreadPoolExecutor(3) as pool:
            stopped = pool.submit(quitter)
            others = [pool.submit(backend.generate, messages, budget) for messages, budget in short]
            assert [future.result(60) for future in others] == alone
            assert len(stopped.result(60)) == 2
        assert backend.batcher.idle.wait(60)
    finally:
        _BatchStreamer.put = put  # type: ignore[method-assign]
    assert calls == [3]
    assert len(steps) < 60, "the batch ends soon after its last reader, not at the budget of 500 tokens"


def test_a_failed_batch_fails_each_stream_with_a_swedish_error(byte_backend: TransformersBackend) -> None:
    from kraftbot.errors import BackendError
    from kraftbot.llm.transformers_backend import GENERATION_FAILED

    def broken(**inputs):
        raise RuntimeError("CUDA out of memory")

    byte_backend.model.generate = broken
    try:
        with pytest.raises(BackendError, match=GENERATION_FAILED):
            list(byte_backend.generate_stream(EVIDENCE, 8, form=OutputForm(1, 1)))
    finally:
        del byte_backend.model.generate
    assert list(byte_backend.generate_stream(EVIDENCE, 8)), "the next request after a failure is served"


def test_the_forms_cost_per_token(byte_backend: TransformersBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the time per generated token with and without the form, and the processor's own share.
    The tiny model's forward pass takes well under a millisecond, so this shows the processor's cost
    plainly; the packaged model's figures are in test_the_packaged_gguf_loads_and_writes_in_the_form."""
    timings = form_cost(byte_backend, EVIDENCE, OutputForm(3, 2), tokens=60, repeats=3)
    with capsys.disabled():
        print(f"\nbyte-level tiny model: {timings}")
    assert timings.processor_ms < 3.0, "a step of the processor must stay cheap"


@pytest.mark.slow
def test_the_packaged_gguf_loads_and_writes_in_the_form(make_settings, capsys: pytest.CaptureFixture[str]) -> None:
    """`llm.model` empty: the packaged GGUF through transformers' `gguf_file=`, dequantised to float32
    on the CPU (about 6 GB; the load peaks higher). Prints load time, peak RSS and the cost per token."""
    import resource
    import time

    from kraftbot.llm.factory import build_backend
    from kraftbot.llm.packaged import PACKAGED_GENERATOR

    started = time.perf_counter()
    backend = build_backend(make_settings(llm={"backend": "transformers", "model": "", "device": "cpu"}))
    load_s = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    assert isinstance(backend, TransformersBackend) and backend.model_id == PACKAGED_GENERATOR.file_name
    question = [
        {"role": "system", "content": "Du svarar kort på svenska."},
        {"role": "user", "content": "Vad heter Sveriges huvudstad? Svara med ett ord."},
    ]
    assert "stockholm" in backend.generate(question, 6).lower()
    form = OutputForm(2, 1)
    written = "".join(backend.generate_stream(EVIDENCE, 40, form=form))
    assert re.fullmatch(form.regex(), written), written
    timings = form_cost(backend, EVIDENCE, form, tokens=12, repeats=1)
    with capsys.disabled():
        print(f"\npackaged GGUF: loaded in {load_s:.0f} s, peak RSS {peak_gb:.1f} GiB; {timings}; form: {written!r}")
    del backend


EXIT_WHILE_A_BATCH_RUNS = """
import sys, threading
from kraftbot.llm.transformers_backend import TransformersBackend
backend = TransformersBackend(sys.argv[1], "cpu", temperature=0.0)
backend.batcher.wait_s = 2.0  # the two requests share a batch
messages = [{"role": "user", "content": "hej"}]
threading.Thread(target=backend.generate, args=(messages, 300), daemon=True).start()
while backend.batcher.idle.is_set():  # until the other request is in
    pass
print(repr(backend.generate(messages, 2)), flush=True)
"""


def test_a_process_that_ends_while_a_batch_still_runs_exits_cleanly(byte_model: Path) -> None:
    """Its own answer is done but the batch goes on for another caller: without waiting for it at exit
    the process aborts inside torch (exit code 134)."""
    import os
    import subprocess
    import sys

    environ = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_A_BATCH_RUNS, str(byte_model)],
        capture_output=True, text=True, env=environ, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "it answered before exiting"
