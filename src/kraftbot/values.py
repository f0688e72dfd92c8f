"""The values that pass between KraftBot's stages, free of any model, index or web library.

`Passage`, `Citation` and `Unit` are small frozen records the stages build by the thousand;
`AnswerResult` is the DESIGN contract's result object (what `kraftbot ask --json` prints and each
line of an evaluation's `results.jsonl` holds), a pydantic model so that a file written by an older
or broken run is rejected when read instead of being scored wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


def page_label(title: str, page: str) -> str:
    """A title with the page where the text stands ("Förstudie, s. 3"); the title alone without pages."""
    return f"{title}, s. {page}" if page else title


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def lead_of(answer: str) -> str:
    """The answer's text up to its first blank line: the direct answer, before quotes and source lists.

    DESIGN's wave-2 contract: the evaluation scores facts in the lead, and every front end shows it first.
    """
    return _BLANK_LINE.split(answer.strip(), maxsplit=1)[0].strip()


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with what a citation needs, and the evidence behind its rank.

    `score` orders the passages: in hybrid mode the fused score (z-score fusion: weighted standard
    deviations above this question's candidate mean; rrf: in [0, 1], 1 = first for every method),
    the cosine similarity in dense mode, the BM25 score in bm25 mode, and the cross-encoder's score
    when one reranked. `dense_score` (cosine similarity of question and title + passage) and
    `bm25_score` (raw BM25) are given whatever the mode, for evidence gates; None when not computed.
    """

    node_id: str
    doc_id: str
    title: str
    url: str
    doc_type: str
    text: str
    score: float
    page: str = ""
    # The document's date as its metadata gives it ("2022", "2025-06-26"); "" when unknown.
    date: str = ""
    # The heading of the section the chunk stands in ("Hur mycket kan ett projekt få?"); "" without one.
    section: str = ""
    dense_score: float | None = None
    bm25_score: float | None = None
    rerank_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """Source `n` of an answer, with the quote from it that the reader sees."""

    n: int
    doc_id: str
    title: str
    url: str
    quote: str
    # The cited chunk in the index, so that the evaluation judges the answer against the very text
    # it was given (a quote can recur in two overlapping chunks).
    node_id: str = ""
    # The page as a PDF prints it, so a reader can find the quote in a long report; "" without pages.
    page: str = ""

    @classmethod
    def of(cls, number: int, passage: Passage, quote: str) -> Citation:
        """Source `number` of an answer: the passage's document, its chunk and page, and the quote."""
        return cls(number, passage.doc_id, passage.title, passage.url, quote, passage.node_id, passage.page)

    @property
    def label(self) -> str:
        """The title as shown to a reader, with the page where there is one."""
        return page_label(self.title, self.page)

    def shown(self) -> dict[str, str | int]:
        """What a reader or an API client gets of the citation (not the index's ids)."""
        return {"n": self.n, "title": self.title, "url": self.url, "page": self.page, "quote": self.quote}


UnitKind = Literal["sentence", "item", "list"]


@dataclass(frozen=True)
class Unit:
    """One claim of a passage: a sentence, a list item, or a whole list.

    `text` is a verbatim slice of the passage, so it can serve as a citation's quote. `context` is
    the lead sentence or heading a list belongs to ("Följande uppgifter saknas:"): list items mean
    little without it. `section` is the heading the claim stands under ("Vem får söka?"), which says
    what question the claim answers; `first` marks the claim that opens its passage.
    """

    text: str
    kind: UnitKind
    context: str = ""
    section: str = ""
    first: bool = False

    @property
    def full(self) -> str:
        """The unit with its context, for embedding and for quoting a list item."""
        return f"{self.context} {self.text}" if self.context and self.kind == "item" else self.text

    @property
    def headed(self) -> str:
        """The unit under its section heading: what it says and what it answers, for matching a question."""
        shown = self.full
        return f"{self.section} {shown}" if self.section and not shown.startswith(self.section) else shown


class Mode(StrEnum):
    """How the shown answer came about."""

    WRITTEN = "written"  # the model wrote the lead from the chosen evidence, every sentence checked
    EXTRACTIVE = "extractive"  # the source claims that answer the question, quoted with their sources
    REFUSED = "refused"  # an honest refusal
    GENERATED = "generated"  # a model's own text, unchecked (the naive baseline the evaluation compares with)


# Why an answer was refused: no question in the text, a hostile question, one outside the
# documents' subject, one the documents say they cannot answer, one resting on a name or number the
# documents never mention, or one no claim of the documents answers well enough.
RefusalReason = Literal["no_question", "injection", "off_topic", "absent", "premise", "unsupported"]


class Record(BaseModel):
    """Base of the serialised records: unknown fields are errors, so a renamed field cannot pass."""

    model_config = ConfigDict(extra="forbid")


class Timings(Record):
    retrieval_s: float = 0.0
    ttft_s: float | None = None
    total_s: float = 0.0


class RetrievedPassage(Record):
    """A retrieved passage as the result lists it."""

    doc_id: str
    url: str
    score: float


class DecisionScores(Record):
    """What the answer-or-refuse decision weighed (see answering.decision)."""

    best_claim: float
    absence_margin: float
    top_dense: float
    top_bm25: float
    answerable: float


# How a sentence of the lead came about: written by the model and shown after its check, the
# source's own words quoted, or written by the model and never shown because a check failed.
SentenceOrigin = Literal["generated", "quoted", "rejected"]


class SentenceTrace(Record):
    """One sentence of the lead, or one the check kept from it: `failed` names the check it failed."""

    text: str
    origin: SentenceOrigin
    failed: str | None = None
    detail: str | None = None


class AnswerTrace(Record):
    """How an answer came about, stage by stage; None where a stage did not run."""

    mode: Mode = Mode.REFUSED
    decision: DecisionScores | None = None
    rewritten_question: str | None = None
    rewrite_method: str | None = None
    parts: list[str] | None = None
    refusal_reason: RefusalReason | None = None
    unmentioned: list[str] | None = None
    sentences: list[SentenceTrace] | None = None


class AnswerResult(AnswerTrace):
    """The result object of the DESIGN contract, with its trace fields beside the contract's."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[RetrievedPassage]
    timings: Timings
    tokens_out: int
    backend: str
    model: str
    id: str = ""
    # The prompt tokens the model read for this answer (beside the contract's tokens_out).
    tokens_in: int = 0

    @property
    def lead(self) -> str:
        """What the applicant reads first: the answer up to its first blank line (see `lead_of`)."""
        return lead_of(self.answer)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the contract's fields first, then the trace without the stages that did not run."""
        data = self.model_dump(mode="json", exclude_none=True, exclude={"timings"})
        data["timings"] = self.timings.model_dump(mode="json")
        contract = [name for name in type(self).model_fields if name not in AnswerTrace.model_fields]
        return {name: data[name] for name in contract if name in data} | data


@dataclass(frozen=True)
class SourcesFound:
    """First event of an answer: what retrieval found, before any answer text."""

    passages: list[Passage]


@dataclass(frozen=True)
class SentenceShown:
    """A sentence of the lead, final once sent: checked model text or a quote; `citations` are the
    sources it is the first to cite."""

    text: str
    origin: Literal["generated", "quoted"]
    citations: list[Citation]


@dataclass(frozen=True)
class RefusalShown:
    """The answer is an honest refusal (the whole text)."""

    text: str


@dataclass(frozen=True)
class Finished:
    """Last event: the whole result (the lead, every citation with its supporting quote, the trace,
    token usage)."""

    result: AnswerResult


# The one stream the assistant yields, in this order: SourcesFound (unless the question was refused
# before any search), then SentenceShown events or one RefusalShown, then Finished.
AnswerEvent = SourcesFound | SentenceShown | RefusalShown | Finished
