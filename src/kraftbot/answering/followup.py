"""Follow-up questions ("och hur mycket kunde man söka där?") made standalone before retrieval.

Two candidates: the model's rewrite, and a rule-based one (the earlier turns put before the
follow-up, which keeps their names and subjects in the search). Retrieval decides: the candidate
whose best passage is closer to it wins, so a model rewrite that loses the subject cannot hurt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kraftbot.errors import BackendError
from kraftbot.llm.base import ChatMessage, GenerationBackend
from kraftbot.text.redact import redact
from kraftbot.values import Passage

log = logging.getLogger(__name__)

# How a follow-up was made standalone: not at all (no history), by the model, or by the rule.
RewriteMethod = Literal["none", "model", "rule"]

TURNS_USED = 2
MAX_REWRITE_CHARS = 300
REWRITE_TOKENS = 64
REWRITE_PROMPT = (
    "Du skriver om en följdfråga så att den går att förstå utan det tidigare samtalet. "
    "Ersätt ord som 'där', 'det', 'den', 'de' och 'dem' med det de syftar på i de tidigare frågorna. "
    "Svara inte på frågan. Skriv bara den omskrivna frågan, på svenska, på en rad."
)


@dataclass(frozen=True)
class Rewrite:
    question: str
    passages: list[Passage]
    method: RewriteMethod


def rule_rewrite(question: str, history: list[str]) -> str:
    """The last earlier turns, then the follow-up: their subjects then take part in retrieval."""
    return " ".join([*history[-TURNS_USED:], question])


def model_rewrite(question: str, history: list[str], backend: GenerationBackend) -> str | None:
    """The model's standalone version of the question, or None when it gives nothing usable."""
    turns = "\n".join(f"- {turn}" for turn in history[-TURNS_USED:])
    messages: list[ChatMessage] = [
        {"role": "system", "content": REWRITE_PROMPT},
        {"role": "user", "content": f"Tidigare frågor:\n{turns}\n\nFöljdfråga: {question}\n\nOmskriven fråga:"},
    ]
    try:
        text = backend.generate(messages, REWRITE_TOKENS)
    except BackendError:
        log.warning("Model rewrite of a follow-up failed; using the rule-based rewrite", exc_info=True)
        return None
    lines = [line.strip().strip('"”“') for line in text.strip().splitlines() if line.strip()]
    if not lines or len(lines[0]) > MAX_REWRITE_CHARS or len(lines[0]) < 5:
        return None
    return lines[0]


def _strength(passages: list[Passage]) -> float:
    return max((p.dense_score if p.dense_score is not None else p.score for p in passages), default=-1.0)


def standalone(
    question: str,
    history: list[str],
    retrieve: Callable[[str], list[Passage]],
    backend: GenerationBackend | None = None,
) -> Rewrite:
    """The question to answer and its passages; unchanged without history."""
    if not history:
        return Rewrite(question, retrieve(question), "none")
    rule = rule_rewrite(question, history)
    best = Rewrite(rule, retrieve(rule), "rule")
    rewritten = model_rewrite(question, history, backend) if backend is not None else None
    if rewritten and rewritten != rule:
        candidate = Rewrite(rewritten, retrieve(rewritten), "model")
        log.info(
            "Follow-up rewrites: model %r (%.3f), rule %r (%.3f)",
            redact(rewritten),
            _strength(candidate.passages),
            redact(rule),
            _strength(best.passages),
        )
        if _strength(candidate.passages) > _strength(best.passages):
            best = candidate
    return best
