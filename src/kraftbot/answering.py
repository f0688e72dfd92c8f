"""The answering service: question -> retrieval -> prompt -> streamed answer -> citations.

The CLI, the web app and the evaluation all call this one class, so they behave the same.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from kraftbot.citations import map_citations
from kraftbot.llm.base import GenerationBackend
from kraftbot.prompting import DONT_KNOW, build_messages
from kraftbot.result import AnswerResult, Timings
from kraftbot.retrieval import Passage, Retriever
from kraftbot.settings import Settings
from kraftbot.validation import validate_question


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text, as it streams."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The complete answer, after the stream."""

    result: AnswerResult


AnswerEvent = TextDelta | Finished


def retrieved_summary(passages: list[Passage]) -> list[dict[str, object]]:
    return [{"doc_id": p.doc_id, "url": p.url, "score": round(p.score, 4)} for p in passages]


class Assistant:
    """Answers Swedish questions from an index with a generation backend."""

    def __init__(self, settings: Settings, retriever: Retriever, backend: GenerationBackend) -> None:
        self.settings = settings
        self.retriever = retriever
        self.backend = backend

    def stream(self, question: str) -> Iterator[AnswerEvent]:
        """Yield the answer text as it is generated, then the finished result.

        Raises QuestionRejected (with a Swedish message) before any model call for bad input.
        """
        question = validate_question(question, self.settings.answer.max_question_chars)
        started = time.perf_counter()
        retrieved = self.retriever.retrieve(question)
        passages = retrieved[: self.settings.answer.prompt_passages]
        timings = Timings(retrieval_s=time.perf_counter() - started)
        pieces: list[str] = []
        for piece in self.backend.generate_stream(
            build_messages(question, passages), self.settings.llm.max_new_tokens
        ):
            if timings.ttft_s is None:
                timings.ttft_s = time.perf_counter() - started
            pieces.append(piece)
            yield TextDelta(piece)
        answer = "".join(pieces).strip()
        citations, _ = map_citations(answer, passages, self.settings.answer.quote_chars)
        timings.total_s = time.perf_counter() - started
        yield Finished(
            AnswerResult(
                question=question,
                answer=answer,
                refused=DONT_KNOW.rstrip(".").lower() in answer.lower(),
                citations=citations,
                retrieved=retrieved_summary(retrieved),
                timings=timings,
                tokens_out=len(pieces),
                backend=self.backend.name,
                model=self.backend.model_id,
            )
        )

    def ask(self, question: str) -> AnswerResult:
        """The finished answer, without streaming."""
        for event in self.stream(question):
            if isinstance(event, Finished):
                return event.result
        raise AssertionError("answer stream ended without a result")
