"""`OutputForm` held during decoding by a transformers logits processor.

llama.cpp gets the form as a GBNF grammar and vLLM as a regex, but transformers has no grammar engine
of its own, and a general regex-to-token automaton (outlines, xgrammar) is a heavy dependency for a
form this simple. The form only constrains a few things: where `[` and `]` go and what stands between
them, the first character of a sentence, the separator between sentences, newlines, the length of a
sentence, when the end-of-sequence token may come, and that `NO_ANSWER` stands alone. So the prose
inside a sentence is never looked at token by token: a token made only of characters that sentence text
allows (`plain`, almost the whole vocabulary) is allowed in a sentence as one precomputed mask, and only
the few tokens that hold a `[` or a `]` are read character by character. The masks of the other states
(the first character of a sentence, the number inside the brackets, the `.` after them) are computed once
per tokenizer and form and then looked up, so a step costs a few vector operations over the vocabulary.

The character classes and the longest sentence are read from `OutputForm.regex()` itself (by matching
probe strings), so the form is defined in one place; the test checks every output against that regex.

Near the end of the token budget the processor closes what is open along the shortest way there
(`" [1]."`, `"]."`, ..., or `NO_ANSWER` before any sentence): an answer cut off mid-sentence would fail the
form, and the caller would have to throw it away.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from typing import Any

import torch
from transformers import LogitsProcessor

from kraftbot.llm.base import NO_ANSWER, OutputForm

# A sentence and a citation that always fit any form (source 1 exists in every form): how an open
# sentence is closed, and what is written when a sentence must be both begun and ended in a few tokens.
_CITATION = "[1]."
_SHORTEST_SENTENCE = "Se " + _CITATION


class Phase(Enum):
    START = "start"  # nothing written yet
    FIRST = "first"  # after the space between two sentences: a sentence's first character is due
    TEXT = "text"  # in a sentence's text
    CITE = "cite"  # after "[": the number
    CLOSE = "close"  # after "]": the "."
    END = "end"  # after "].": the end, or a space and the next sentence
    DEAD = "dead"  # no sentence can be made of what was written


@dataclass(frozen=True)
class FormState:
    """Where in the form the text written so far stands: both readings at once, a sentence and
    `NO_ANSWER`, as "INGET_SVAR" may also begin a sentence."""

    phase: Phase = Phase.START
    chars: int = 0  # TEXT: characters after the sentence's first one
    space: bool = False  # TEXT: the last of them is a space
    digits: str = ""  # CITE: the number so far
    sentences: int = 0  # sentences ended with "]."
    no_answer: int = 0  # characters of NO_ANSWER the whole text is; -1 once it is not a prefix of it


@dataclass(frozen=True)
class CharClasses:
    """What `OutputForm.regex()` allows as a sentence's first character and in its text, and its
    longest text (in characters, the space before "[" not counted)."""

    is_first: Callable[[str], bool]
    is_text: Callable[[str], bool]
    text_cap: int


def _longest_text(pattern: re.Pattern[str]) -> int:
    """The most text characters a sentence of the pattern holds (binary search over probes)."""
    low, high = 1, 1
    while pattern.fullmatch(f"A{'x' * high} {_CITATION}") and high < 100_000:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if pattern.fullmatch(f"A{'x' * middle} {_CITATION}") else (low, middle)
    return low


@cache
def char_classes() -> CharClasses:
    # the character classes do not depend on the numbers of sources and sentences
    pattern = re.compile(OutputForm(sources=1, max_sentences=1).regex(), re.DOTALL)

    @cache
    def is_first(char: str) -> bool:
        return pattern.fullmatch(f"{char}x {_CITATION}") is not None

    @cache
    def is_text(char: str) -> bool:
        return pattern.fullmatch(f"A{char} {_CITATION}") is not None

    return CharClasses(is_first, is_text, _longest_text(pattern))


class FormRules:
    """The form as a character automaton over `FormState`."""

    def __init__(self, form: OutputForm) -> None:
        self.form = form
        self.chars = char_classes()
        numbers = [str(n) for n in range(1, form.sources + 1)]
        self.numbers = frozenset(numbers)
        self.number_prefixes = frozenset(number[:end] for number in numbers for end in range(1, len(number) + 1))

    def accepting(self, state: FormState) -> bool:
        return state.phase is Phase.END or state.no_answer == len(NO_ANSWER)

    def alive(self, state: FormState) -> bool:
        return state.phase is not Phase.DEAD or state.no_answer >= 0

    def feed(self, state: FormState, text: str) -> FormState:
        for char in text:
            state = self._step(state, char)
            if not self.alive(state):
                break
        return state

    def _step(self, state: FormState, char: str) -> FormState:
        no_answer = state.no_answer
        if 0 <= no_answer < len(NO_ANSWER) and char == NO_ANSWER[no_answer]:
            no_answer += 1
        else:
            no_answer = -1
        return replace(self._sentence_step(state, char), no_answer=no_answer)

    def _sentence_step(self, state: FormState, char: str) -> FormState:
        phase, dead = state.phase, FormState(Phase.DEAD, sentences=state.sentences)
        if phase in (Phase.START, Phase.FIRST):
            return FormState(Phase.TEXT, sentences=state.sentences) if self.chars.is_first(char) else dead
        if phase is Phase.TEXT:
            if char == "[":
                return FormState(Phase.CITE, sentences=state.sentences) if state.space and state.chars >= 2 else dead
            # the space before "[" is the form's own, so a sentence may hold one character more if it is a space
            room = self.chars.text_cap + (1 if char == " " else 0)
            if self.chars.is_text(char) and state.chars < room:
                return replace(state, chars=state.chars + 1, space=char == " ")
            return dead
        if phase is Phase.CITE:
            if char == "]":
                return FormState(Phase.CLOSE, sentences=state.sentences) if state.digits in self.numbers else dead
            digits = state.digits + char
            return replace(state, digits=digits) if digits in self.number_prefixes else dead
        if phase is Phase.CLOSE:
            return FormState(Phase.END, sentences=state.sentences + 1) if char == "." else dead
        if phase is Phase.END and char == " " and state.sentences < self.form.max_sentences:
            return FormState(Phase.FIRST, sentences=state.sentences)
        return dead

    def closings(self, state: FormState) -> list[str]:
        """Texts that would make `state` accepting: `NO_ANSWER`'s rest while the text is a prefix of it,
        and the shortest way to end the sentence that is open."""
        ways = [NO_ANSWER[state.no_answer :]] if 0 <= state.no_answer < len(NO_ANSWER) else []
        if state.phase in (Phase.START, Phase.FIRST):
            ways.append(_SHORTEST_SENTENCE)
        elif state.phase is Phase.TEXT:
            ready = state.space and state.chars >= 2
            ways.append(("" if ready else " " * max(1, 2 - state.chars)) + _CITATION)
        elif state.phase is Phase.CITE:
            ways.append("]." if state.digits else "1].")
        elif state.phase is Phase.CLOSE:
            ways.append(".")
        return ways


def token_texts(tokenizer: Any, count: int) -> list[str]:
    """Each token's text as it reads after another token (a word-piece decoder adds the space
    between words there, a byte-level one nothing); "" for special tokens and ids past the tokenizer.

    Decoded after a plain reference token because several decoders drop a leading space at the
    start of a text; special tokens are skipped, as the streamer skips them.
    """
    size = min(count, len(tokenizer))
    decode_options = {"skip_special_tokens": True, "clean_up_tokenization_spaces": False}
    singles = tokenizer.batch_decode([[token] for token in range(size)], **decode_options)
    reference = next(
        (token for token, text in enumerate(singles) if text.isascii() and text.isalpha() and len(text) > 1), None
    )
    if reference is None:
        return singles + [""] * (count - size)
    head = singles[reference]
    pairs = tokenizer.batch_decode([[reference, token] for token in range(size)], **decode_options)
    texts = [
        pair[len(head) :] if pair.startswith(head) else single for pair, single in zip(pairs, singles, strict=True)
    ]
    return texts + [""] * (count - size)


class TokenTable:
    """A tokenizer's tokens sorted by what the form can do with them; built once per backend (with
    `token_texts`, about 4 s for Qwen's 151 936 tokens on one core)."""

    def __init__(self, texts: Sequence[str], eos_ids: Sequence[int]) -> None:
        chars = char_classes()
        self.texts = list(texts)
        self.size = len(self.texts)
        self.eos_ids = sorted(set(eos_ids))
        self.max_length = max(len(text) for text in self.texts)
        plain = [bool(text) and all(chars.is_text(char) for char in text) for text in self.texts]
        self.plain = torch.tensor(plain, dtype=torch.bool)
        self.length = torch.tensor([len(text) for text in self.texts])
        self.ends_in_space = torch.tensor([text.endswith(" ") for text in self.texts])
        # plain tokens that can begin a sentence, and those that begin the next one after "]."
        self.opens = torch.tensor([ok and chars.is_first(text[0]) for ok, text in zip(plain, self.texts, strict=True)])
        self.continues = torch.tensor(
            [
                ok and text[0] == " " and (len(text) == 1 or chars.is_first(text[1]))
                for ok, text in zip(plain, self.texts, strict=True)
            ]
        )

        def ids(keep: Callable[[str], bool]) -> list[int]:
            return [token for token, text in enumerate(self.texts) if text and keep(text)]

        # the tokens read character by character: those with a bracket (everywhere in a sentence),
        # and in the states after "[" and "]" those that may follow there
        self.bracketed = ids(lambda text: ("[" in text or "]" in text) and "\n" not in text)
        self.after_open = ids(lambda text: text[0].isdigit() or text[0] == "]")
        self.after_close = ids(lambda text: text[0] == ".")
        self.no_answer = ids(lambda text: text in NO_ANSWER)
        self.by_text: dict[str, int] = {}
        for token, text in enumerate(self.texts):
            if text and token not in self.eos_ids:
                self.by_text.setdefault(text, token)

    def tokenize(self, text: str) -> list[int] | None:
        """The fewest tokens whose texts make up `text`; None when the vocabulary cannot spell it."""
        best: list[list[int] | None] = [[]]  # the fewest tokens for each prefix of `text`
        for end in range(1, len(text) + 1):
            ways = [
                [*before, token]
                for start, before in enumerate(best)
                if before is not None and (token := self.by_text.get(text[start:end])) is not None
            ]
            best.append(min(ways, key=len, default=None))
        return best[-1]


class FormMasks:
    """The tokens allowed in each state of one form, with the states' masks kept once computed (they do
    not depend on the text's length, except within a token's length of the sentence cap)."""

    def __init__(self, table: TokenTable, form: OutputForm, device: str = "cpu") -> None:
        self.table = table
        self.rules = FormRules(form)
        self.device = device
        # what the steps near the sentence cap read, on the device the scores are on
        self._plain, self._length, self._ends_in_space = (
            tensor.to(device) for tensor in (table.plain, table.length, table.ends_in_space)
        )
        self._cached: dict[FormState, tuple[torch.Tensor, list[int]]] = {}
        plans = [self.table.tokenize(text) for text in self._all_closings()]
        # the last tokens of a budget are kept for closing: as many as the longest way to close takes
        self.reserve = 1 + max((len(plan) for plan in plans if plan is not None), default=0)

    def _all_closings(self) -> list[str]:
        states = [
            FormState(Phase.FIRST, no_answer=-1),
            *(
                FormState(Phase.TEXT, chars=chars, space=space, no_answer=-1)
                for chars in (0, 1, 2)
                for space in (False, True)
            ),
            FormState(Phase.CITE, no_answer=-1),
            FormState(Phase.CITE, digits="1", no_answer=-1),
            FormState(Phase.CLOSE, no_answer=-1),
        ]
        return [way for state in states for way in self.rules.closings(state)]

    def closing_token(self, state: FormState) -> int | None:
        """The first token of the shortest way to an accepting state; None if the vocabulary has none."""
        plans = [plan for way in self.rules.closings(state) if (plan := self.table.tokenize(way))]
        return min(plans, key=len)[0] if plans else None

    def blocked(self, state: FormState) -> torch.Tensor:
        """A boolean mask over the vocabulary, True for the tokens after which the text could no longer
        take the form.

        Far from the sentence cap a state's mask depends on its text's length only through "at least
        two characters", so it is computed once for `_key(state)` and kept. Within a token's length of
        the cap, the kept mask is narrowed: plain tokens by their lengths (one vector operation), the
        few read tokens it allows by reading them again.
        """
        key = replace(state, chars=min(state.chars, 2))
        if key not in self._cached:
            self._cached[key] = self._compute(key)
        blocked, read = self._cached[key]
        if not (state.phase is Phase.TEXT and state.chars + self.table.max_length > self.rules.chars.text_cap):
            return blocked
        allowed = ~blocked & (~self._plain | self._plain_that_fits(state))
        for token in read:
            if not self.rules.alive(self.rules.feed(state, self.table.texts[token])):
                allowed[token] = False
        if not allowed.any():
            allowed[self.table.eos_ids] = True
        return ~allowed

    def _compute(self, state: FormState) -> tuple[torch.Tensor, list[int]]:
        """The blocked mask of a state, and the tokens read character by character that it allows."""
        mask = torch.zeros(self.table.size, dtype=torch.bool)
        candidates: list[int] = list(self.table.no_answer) if state.no_answer >= 0 else []
        phase = state.phase
        if phase in (Phase.START, Phase.FIRST):
            mask |= self.table.opens
            candidates += self.table.bracketed
        elif phase is Phase.TEXT:
            mask |= self.table.plain
            candidates += self.table.bracketed
        elif phase is Phase.CITE:
            candidates += self.table.after_open
        elif phase is Phase.CLOSE:
            candidates += self.table.after_close
        elif phase is Phase.END and state.sentences < self.rules.form.max_sentences:
            mask |= self.table.continues
            candidates += self.table.bracketed
        read = [token for token in candidates if self.rules.alive(self.rules.feed(state, self.table.texts[token]))]
        mask[read] = True
        if self.rules.accepting(state) or not mask.any():  # never a row with no token at all
            mask[self.table.eos_ids] = True
        return (~mask).to(self.device), read

    def _plain_that_fits(self, state: FormState) -> torch.Tensor:
        room = self.rules.chars.text_cap - state.chars
        return (self._length <= room) | ((self._length == room + 1) & self._ends_in_space)

    def forced(self, state: FormState) -> torch.Tensor:
        """`blocked` when the budget is all but spent: everything but the end if the text is complete,
        else everything but the next token of the shortest way to close it."""
        blocked = torch.ones(self.table.size, dtype=torch.bool, device=self.device)
        if self.rules.accepting(state):
            blocked[self.table.eos_ids] = False
            return blocked
        token = self.closing_token(state)
        if token is None:
            return self.blocked(state)
        blocked[token] = False
        return blocked


@dataclass
class Row:
    """One sequence of a batch: its form's masks (None: free text), its token budget, its state."""

    masks: FormMasks | None
    budget: int
    state: FormState = FormState()
    finished: bool = False


class FormLogitsProcessor(LogitsProcessor):
    """Masks each constrained row's scores to the tokens its form allows; free rows are left alone.

    `generate` hands over the whole sequence each step; the processor reads only the newest token of
    each row to move that row's state on. A row that has ended (its end-of-sequence token, or its budget)
    is no longer masked: generate pads it from then on.
    """

    def __init__(self, rows: Sequence[Row], prompt_length: int) -> None:
        self.rows = list(rows)
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        written = input_ids.shape[1] - self.prompt_length
        for index, row in enumerate(self.rows):
            if row.masks is None or row.finished:
                continue
            if written > 0:
                token = int(input_ids[index, -1])
                if token in row.masks.table.eos_ids or written >= row.budget:
                    row.finished = True
                    continue
                row.state = row.masks.rules.feed(row.state, row.masks.table.texts[token])
            left = row.budget - written
            blocked = row.masks.forced(row.state) if left <= row.masks.reserve else row.masks.blocked(row.state)
            scores[index].masked_fill_(blocked, float("-inf"))
        return scores
