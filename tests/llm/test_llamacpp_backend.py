"""The default backend: the packaged GGUF generator in llama.cpp, streaming a Swedish answer and
reading the probabilities of a few one-token replies from one step."""

from __future__ import annotations

import pytest

from kraftbot.llm.packaged import PACKAGED_GENERATOR

pytestmark = pytest.mark.slow

MESSAGES = [
    {"role": "system", "content": "Du svarar kort på svenska."},
    {"role": "user", "content": "Vad heter Sveriges huvudstad? Svara med ett ord."},
]


def test_the_packaged_generator_streams_a_swedish_answer(packaged_backend) -> None:
    assert packaged_backend.name == "llamacpp" and packaged_backend.model_id == PACKAGED_GENERATOR.file_name
    pieces = list(packaged_backend.generate_stream(MESSAGES, 12))
    assert len(pieces) >= 2  # streamed, not one block
    # P(first token of "Stockholm") is about 0.97 among Swedish and Norwegian cities, sharpened by the
    # temperature of 0.1: all but certain. (A banana's colour was not: "Blå" came one time in five.)
    assert "stockholm" in "".join(pieces).lower()


JUDGE = "Du avgör om påståendet stämmer. Svara bara Ja eller Nej."


def _asked(claim: str) -> list:
    return [{"role": "system", "content": JUDGE}, {"role": "user", "content": f"Påstående: {claim}\nStämmer det?"}]


def test_yes_and_no_are_read_from_one_step_and_sum_to_one(packaged_backend) -> None:
    """ "Nej" is two tokens ("Ne" + "j"): it is told apart from "Ja" by its first. The small model says
    "Ja" too readily, but less readily to a false claim (a reading, not a sample: no randomness)."""
    true = packaged_backend.option_probabilities(_asked("Stockholm är Sveriges huvudstad."), ["Ja", "Nej"])
    false = packaged_backend.option_probabilities(_asked("Stockholm är Norges huvudstad."), ["Ja", "Nej"])
    assert sum(true) == pytest.approx(1.0) and sum(false) == pytest.approx(1.0)
    assert true[0] > false[0] and true[0] > 0.5
    assert packaged_backend.option_probabilities(_asked("Stockholm är Sveriges huvudstad."), ["Nej", "Ja"]) == (
        pytest.approx(true[::-1], abs=0.01)
    ), "the same reading, in the options' order (a cached prompt prefix moves it in the third decimal)"


def test_options_that_share_their_first_token_are_refused(packaged_backend) -> None:
    with pytest.raises(ValueError, match="distinct tokens"):
        packaged_backend.option_probabilities(_asked("Stockholm är Sveriges huvudstad."), ["Nej", "Nejdå"])
