"""The plain baseline every evaluation can run beside KraftBot: what a user would pick instead.

A PrivateGPT-style pipeline on the same index and the same model: the three passages closest to
the question by dense search alone, a prompt that tells the model to say when the context does not
hold the answer, and the model's text shown as it comes, with the three passages as its sources.
No gate, no check, no follow-up rewrite (earlier questions go into the prompt, as a chat engine
would send them). `kraftbot eval --baseline naive` runs it in the same process and on the same
questions as KraftBot, so the report's margin is measured under the same conditions.
"""

from __future__ import annotations

import re
import time
from typing import Literal

from kraftbot.answering.pipeline import retrieved_summary
from kraftbot.index.knowledge import KnowledgeIndex
from kraftbot.llm.base import ChatMessage, GenerationBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings
from kraftbot.text.lexicon import CONTEXT_DECLINE
from kraftbot.text.sentences import sentences
from kraftbot.values import AnswerResult, Citation, Mode, Passage, Timings

NAIVE = "naive"
_WORD = re.compile(r"\w+")
QUOTED = "quoted"
# The baselines `kraftbot eval --baseline` can run beside KraftBot: the naive pipeline below, and
# KraftBot's own answer path with no model writing (the chosen claims quoted, as before wave 3).
Baseline = Literal["naive", "quoted"]
NAIVE_PASSAGES = 3

# PrivateGPT's default system prompt for answering from documents, in Swedish.
NAIVE_SYSTEM_PROMPT = (
    "Du kan bara svara på frågor om det givna sammanhanget. Om du vet svaret men det inte bygger på det "
    "givna sammanhanget, ge inte svaret, utan säg bara att svaret inte finns i det givna sammanhanget. "
    "Svara på svenska."
)


def best_quote(passage_text: str, answer: str, limit: int) -> str:
    """The passage sentence sharing most words with the answer, cut to `limit` characters: what a
    plain pipeline shows under each of its sources."""
    answer_words = {w.lower() for w in _WORD.findall(answer)}
    candidates = sentences(passage_text) or [passage_text]
    best = max(candidates, key=lambda s: len(answer_words & {w.lower() for w in _WORD.findall(s)}))
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


def naive_messages(question: str, passages: list[Passage], history: list[str]) -> list[ChatMessage]:
    """llama-index's context template: the passages, then the question (after any earlier questions)."""
    context = "\n\n".join("\n".join(part for part in (p.title, p.section, p.text) if part) for p in passages)
    earlier = "".join(f"Tidigare fråga: {turn}\n" for turn in history)
    user = (
        f"Sammanhanget är nedan.\n---------------------\n{context}\n---------------------\n"
        f"Besvara frågan utifrån sammanhanget och inte utifrån förkunskaper.\n{earlier}Fråga: {question}\nSvar:"
    )
    return [{"role": "system", "content": NAIVE_SYSTEM_PROMPT}, {"role": "user", "content": user}]


class NaiveAssistant:
    """Dense top-3 passages, the prompt alone, the model's text as the answer."""

    def __init__(self, knowledge: KnowledgeIndex, backend: GenerationBackend, settings: Settings) -> None:
        retrieval = settings.retrieval.model_copy(update={"mode": "dense", "top_k": NAIVE_PASSAGES})
        self.retriever = Retriever(knowledge, retrieval)
        self.backend = backend
        self.settings = settings

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult:
        started = time.perf_counter()
        passages = self.retriever.retrieve(question)
        timings = Timings(retrieval_s=time.perf_counter() - started)
        pieces: list[str] = []
        messages = naive_messages(question, passages, history or [])
        for piece in self.backend.generate_stream(messages, self.settings.llm.max_new_tokens):
            if timings.ttft_s is None:
                timings.ttft_s = time.perf_counter() - started
            pieces.append(piece)
        answer = "".join(pieces).strip()
        timings.total_s = time.perf_counter() - started
        refused = not answer or bool(CONTEXT_DECLINE.search(answer))
        quote_chars = self.settings.answer.quote_chars
        citations = [
            Citation.of(n, passage, best_quote(passage.text, answer, quote_chars))
            for n, passage in enumerate(passages, start=1)
        ]
        return AnswerResult(
            mode=Mode.REFUSED if refused else Mode.GENERATED,
            question=question,
            answer=answer,
            refused=refused,
            citations=[] if refused else citations,
            retrieved=retrieved_summary(passages),
            timings=timings,
            tokens_out=len(pieces),
            backend=f"{NAIVE}:{self.backend.name}",
            model=self.backend.model_id,
        )
