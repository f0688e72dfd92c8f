"""The answers the chat showed and what applicants said about them.

Every answer is stored when shown (question, earlier turns, answer, citations, mode, index, model),
so a 👍/👎 and its comment refer to exactly what the applicant saw. Personal data is redacted
before anything is written. `negative_questions` turns the 👎 items into evaluation questions for
staff to complete with facts and sources.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, DateTime, Engine, ForeignKey, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kraftbot.storage.database import Base
from kraftbot.text.redact import redact
from kraftbot.values import AnswerResult

Rating = Literal["up", "down"]


class StoredAnswer(Base):
    """One answer as the chat showed it."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    question: Mapped[str] = mapped_column(Text)
    history: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(20))
    refused: Mapped[bool] = mapped_column(Boolean)
    index_name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))


class StoredFeedback(Base):
    """An applicant's 👍 or 👎 on an answer, with an optional comment."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id"), index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rating: Mapped[str] = mapped_column(String(4))
    comment: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class NegativeItem:
    """A 👎 answer with what staff need to turn it into an evaluation question."""

    answer: StoredAnswer
    comments: list[str]


@dataclass(frozen=True)
class RatedAnswer:
    """An answer with the ratings and comments applicants gave it, for the staff's Återkoppling page."""

    answer: StoredAnswer
    ups: int
    downs: int
    comments: list[str]
    last_rated: datetime


class UnknownAnswer(LookupError):
    """Feedback for an answer id the database does not hold."""


class FeedbackStore:
    """Stores answers and feedback; creates its tables on first use."""

    def __init__(self, engine: Engine, index_name: str) -> None:
        self.engine = engine
        self.index_name = index_name

    def record_answer(self, result: AnswerResult, history: list[str], conversation_id: str | None = None) -> str:
        """Store the answer as shown, redacted; its id is what feedback refers to. `conversation_id`
        (the chat page's, per conversation) lets staff read the conversation as it went."""
        answer_id = str(uuid.uuid4())
        citations = [{**c.shown(), "quote": redact(c.quote)} for c in result.citations]
        row = StoredAnswer(
            id=answer_id,
            created=datetime.now(UTC),
            conversation_id=conversation_id,
            question=redact(result.question),
            history=[redact(turn) for turn in history],
            answer=redact(result.answer),
            citations=citations,
            mode=str(result.mode or ""),
            refused=result.refused,
            index_name=self.index_name,
            model=f"{result.backend}:{result.model}",
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
        return answer_id

    def add_feedback(self, answer_id: str, rating: Rating, comment: str = "") -> None:
        """Store a rating and comment (redacted); UnknownAnswer when no such answer was shown."""
        with Session(self.engine) as session, session.begin():
            if session.get(StoredAnswer, answer_id) is None:
                raise UnknownAnswer(answer_id)
            session.add(
                StoredFeedback(answer_id=answer_id, created=datetime.now(UTC), rating=rating, comment=redact(comment))
            )

    def forget_before(self, cutoff: datetime) -> int:
        """Delete the answers stored before `cutoff`, with their feedback (`database.retention_days`);
        how many answers."""
        with Session(self.engine) as session, session.begin():
            old = select(StoredAnswer.id).where(StoredAnswer.created < cutoff)
            session.execute(delete(StoredFeedback).where(StoredFeedback.answer_id.in_(old)))
            return session.execute(delete(StoredAnswer).where(StoredAnswer.created < cutoff)).rowcount

    def rated(self, since: datetime | None = None, until: datetime | None = None, mode: str = "") -> list[RatedAnswer]:
        """Answers that got a rating (rated at or after `since`, before `until`; of one `mode` when
        given): those with a 👎 first, then the latest rated first."""
        query = select(StoredAnswer, StoredFeedback).join(StoredFeedback, StoredFeedback.answer_id == StoredAnswer.id)
        if since is not None:
            query = query.where(StoredFeedback.created >= since)
        if until is not None:
            query = query.where(StoredFeedback.created < until)
        if mode:
            query = query.where(StoredAnswer.mode == mode)
        with Session(self.engine) as session:
            grouped: dict[str, tuple[StoredAnswer, list[StoredFeedback]]] = {}
            for answer, feedback in session.execute(query.order_by(StoredFeedback.id)).all():
                session.expunge(answer)
                grouped.setdefault(answer.id, (answer, []))[1].append(feedback)
        items = [
            RatedAnswer(
                answer,
                sum(f.rating == "up" for f in ratings),
                sum(f.rating == "down" for f in ratings),
                [f.comment for f in ratings if f.comment],
                max(f.created for f in ratings),
            )
            for answer, ratings in grouped.values()
        ]
        items.sort(key=lambda item: item.last_rated, reverse=True)
        return sorted(items, key=lambda item: item.downs == 0)

    def answer(self, answer_id: str) -> RatedAnswer | None:
        """One stored answer with its ratings, or None."""
        with Session(self.engine) as session:
            answer = session.get(StoredAnswer, answer_id)
            if answer is None:
                return None
            ratings = session.scalars(select(StoredFeedback).where(StoredFeedback.answer_id == answer_id)).all()
            session.expunge(answer)
            last = max((f.created for f in ratings), default=answer.created)
            return RatedAnswer(
                answer,
                sum(f.rating == "up" for f in ratings),
                sum(f.rating == "down" for f in ratings),
                [f.comment for f in ratings if f.comment],
                last,
            )

    def negative_items(self) -> list[NegativeItem]:
        """Every answer with a 👎, oldest first, with its comments."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(StoredAnswer, StoredFeedback.comment)
                .join(StoredFeedback, StoredFeedback.answer_id == StoredAnswer.id)
                .where(StoredFeedback.rating == "down")
                .order_by(StoredAnswer.created, StoredFeedback.id)
            ).all()
            items: dict[str, NegativeItem] = {}
            for answer, comment in rows:
                session.expunge(answer)
                item = items.setdefault(answer.id, NegativeItem(answer, []))
                if comment:
                    item.comments.append(comment)
            return list(items.values())


def as_question(item: NegativeItem) -> dict[str, Any]:
    """A 👎 item in the evaluation question format. Facts and sources are left for staff to fill in
    (or `answerable` set to false): until then `kraftbot eval` skips the line and says why."""
    answer = item.answer
    return {
        "id": f"feedback-{answer.id[:8]}",
        "question": answer.question,
        "history": answer.history,
        "answerable": True,
        "facts": [],
        "sources": [],
        "tags": ["feedback"],
        "feedback": {"answer": answer.answer, "comments": item.comments, "mode": answer.mode, "model": answer.model},
    }


def export_negative(store: FeedbackStore) -> list[str]:
    """The 👎 items as JSON Lines, one question per line."""
    return [json.dumps(as_question(item), ensure_ascii=False) for item in store.negative_items()]
