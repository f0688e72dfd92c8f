"""The output form as a logits processor, without a model: the character automaton agrees with
`OutputForm.regex()`, and decoding from random scores through the processor always ends in the form,
whatever the scores favour and however small the budget."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import torch

from kraftbot.llm.base import NO_ANSWER, OutputForm
from kraftbot.llm.form_decoding import (
    FormLogitsProcessor,
    FormMasks,
    FormRules,
    FormState,
    Row,
    TokenTable,
    token_texts,
)

from ..tiny_models import build_byte_tokenizer

CAP = 400  # the longest sentence text in OutputForm.regex()


def accepts(form: OutputForm, text: str) -> bool:
    rules = FormRules(form)
    return rules.accepting(rules.feed(FormState(), text))


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (NO_ANSWER, OutputForm(3, 2)),
        ("Det är 600 000 kronor [1].", OutputForm(1, 1)),
        ("det [3].", OutputForm(3, 1)),
        ("Ab [1].", OutputForm(1, 1)),
        ("A  [1].", OutputForm(1, 1)),  # the text is one space
        ("Det [1]. Och [2].", OutputForm(2, 2)),
        ("Bidraget är högst 80 procent [12]. Åtta projekt fick pengar [3].", OutputForm(12, 3)),
        (f"{NO_ANSWER} finns [1].", OutputForm(1, 1)),  # the no-answer word may begin a sentence
        ("”Citat” [1].", OutputForm(1, 1)),
        ("A" + "x" * CAP + " [1].", OutputForm(1, 1)),
        ("A" + "x" * (CAP - 1) + "  [1].", OutputForm(1, 1)),
    ],
)
def test_texts_in_the_form_are_accepted(text: str, form: OutputForm) -> None:
    assert re.fullmatch(form.regex(), text), "the example itself must be in the form"
    assert accepts(form, text)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("", OutputForm(3, 2)),
        (NO_ANSWER + "x", OutputForm(3, 2)),
        ("INGET", OutputForm(3, 2)),
        ("A [1].", OutputForm(1, 1)),  # no text between the first character and the citation
        ("Det är [4].", OutputForm(3, 1)),
        ("Det är [0].", OutputForm(3, 1)),
        ("Det är [01].", OutputForm(3, 1)),
        ("Det [1]. Och [2]. Mer [1].", OutputForm(2, 2)),
        ("Det [1].  Och [2].", OutputForm(2, 2)),
        ("Det [1].Och [2].", OutputForm(2, 2)),
        (" Det [1].", OutputForm(1, 1)),
        ("Det [1] .", OutputForm(1, 1)),
        ("Det [1]", OutputForm(1, 1)),
        ("Det\nmer [1].", OutputForm(1, 1)),
        ("Det [[1]].", OutputForm(1, 1)),
        ("Det [1] [2].", OutputForm(2, 1)),
        ("Det[1].", OutputForm(1, 1)),
        ("Det ] [1].", OutputForm(1, 1)),
        ("-Det [1].", OutputForm(1, 1)),
        ("A" + "x" * (CAP + 1) + " [1].", OutputForm(1, 1)),
    ],
)
def test_texts_out_of_the_form_are_refused(text: str, form: OutputForm) -> None:
    assert not re.fullmatch(form.regex(), text), "the example itself must be out of the form"
    assert not accepts(form, text)


def test_the_automaton_agrees_with_the_regex_on_random_texts() -> None:
    """Texts stitched from the form's own pieces, most of them near misses."""
    pieces = [
        "Det",
        "är",
        " ",
        "  ",
        "[",
        "]",
        ".",
        "1",
        "2",
        "0",
        "12",
        "]. ",
        " [",
        NO_ANSWER,
        "INGET",
        "x",
        "\n",
        "Å",
        "(",
        "-",
    ]
    chooser = random.Random(7)
    agreed = 0
    for _ in range(4000):
        form = OutputForm(chooser.randint(1, 12), chooser.randint(1, 3))
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 12)))
        if chooser.random() < 0.5:
            text = chooser.choice(["Det", "A", "d", NO_ANSWER]) + text + chooser.choice(["", " [1].", "[2].", " [12]."])
        assert accepts(form, text) == bool(re.fullmatch(form.regex(), text)), repr(text)
        agreed += accepts(form, text)
    assert agreed > 100, "too few accepted texts to tell anything"


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, TokenTable]:
    tokenizer = build_byte_tokenizer(Path(tmp_path_factory.mktemp("byte-tokenizer")))
    return tokenizer, TokenTable(token_texts(tokenizer, len(tokenizer) + 5), [tokenizer.eos_token_id])


def _decode(table: TokenTable, masks: FormMasks, budget: int, seed: int) -> tuple[list[int], list[str]]:
    """Sample up to `budget` tokens from random scores through the processor; its tokens and texts."""
    generator = torch.Generator().manual_seed(seed)
    chooser = random.Random(seed)
    # scores that favour something different each run: the end, brackets, long tokens, or nothing
    bias = torch.zeros(table.size)
    for token in chooser.sample(range(table.size), 12):
        bias[token] = chooser.uniform(0, 8)
    if chooser.random() < 0.2:  # a model that would rather not answer
        bias[[table.by_text[piece] for piece in ("INGET", "ING", "_SVAR", NO_ANSWER)] + table.eos_ids] += 10
    scale = chooser.choice([0.5, 2.0, 6.0])
    processor = FormLogitsProcessor([Row(masks, budget)], prompt_length=1)
    ids = torch.zeros((1, 1), dtype=torch.long)
    for _ in range(budget):
        scores = processor(ids, torch.randn((1, table.size), generator=generator) * scale + bias)
        assert torch.isfinite(scores).any(), "some token must always be allowed"
        token = int(torch.multinomial(torch.softmax(scores, -1), 1, generator=generator))
        if token in table.eos_ids:
            break
        ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    tokens = ids[0, 1:].tolist()
    return tokens, [table.texts[token] for token in tokens]


def test_decoding_through_the_processor_always_ends_in_the_form(table) -> None:
    tokenizer, token_table = table
    chooser = random.Random(3)
    closed, kinds = 0, set()
    for seed in range(300):
        form = OutputForm(chooser.randint(1, 12), chooser.randint(1, 3))
        budget = chooser.choice([6, 8, 12, 20, 40, 120])
        masks = FormMasks(token_table, form)
        tokens, _ = _decode(token_table, masks, budget, seed)
        text = tokenizer.decode(tokens, skip_special_tokens=True)
        assert re.fullmatch(form.regex(), text), (seed, form, budget, text)
        closed += len(tokens) >= budget - masks.reserve
        kinds.add(NO_ANSWER if text == NO_ANSWER else min(text.count("]."), 2))
    assert closed > 30, "the budget should often run out: those are the runs that test closing"
    assert kinds == {NO_ANSWER, 1, 2}, "no answer, one sentence and several must all have come"


def test_a_long_sentence_is_closed_at_the_cap(table) -> None:
    """Scores that favour the longest plain token every step: the text reaches the cap and must close there."""
    tokenizer, token_table = table
    form = OutputForm(2, 1)
    masks = FormMasks(token_table, form)
    longest = max(
        range(token_table.size), key=lambda token: (bool(token_table.plain[token]), token_table.length[token])
    )
    processor = FormLogitsProcessor([Row(masks, 1000)], prompt_length=1)
    ids = torch.tensor([[0]])
    for _ in range(1000):
        scores = torch.zeros((1, token_table.size))
        scores[0, longest] = 10.0
        token = int(torch.argmax(processor(ids, scores)))
        if token in token_table.eos_ids:
            break
        ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    text = tokenizer.decode(ids[0, 1:].tolist(), skip_special_tokens=True)
    assert re.fullmatch(form.regex(), text) and len(text) > CAP, text[-40:]


def test_the_no_answer_word_is_allowed_alone_and_then_only_the_end(table) -> None:
    _, token_table = table
    masks = FormMasks(token_table, OutputForm(2, 2))
    state = masks.rules.feed(FormState(), NO_ANSWER)
    blocked = masks.blocked(state)
    allowed = {token_table.texts[token] for token in (~blocked).nonzero().flatten().tolist()}
    assert "" in allowed, "the end of sequence"
    assert "\n" not in allowed and "[" not in allowed and " [" in allowed  # NO_ANSWER may go on as a sentence
    first = ~masks.blocked(FormState())
    assert first[token_table.by_text[NO_ANSWER]] and not first[token_table.by_text[" Det"]]
    assert not first[token_table.eos_ids].any(), "an empty answer is not in the form"


def test_only_the_forms_numbers_are_allowed_inside_the_brackets(table) -> None:
    _, token_table = table
    masks = FormMasks(token_table, OutputForm(sources=2, max_sentences=1))
    after_open = masks.rules.feed(FormState(), "Det är [")
    allowed = {token_table.texts[token] for token in (~masks.blocked(after_open)).nonzero().flatten().tolist()}
    assert {"1", "2", "1]", "2]"} <= allowed
    assert not {"0", "3", "12", "]", "10", "[1"} & allowed
