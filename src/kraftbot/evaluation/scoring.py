"""Per-question measures that need no judge model: string and rank checks against the question file.

Facts and sources are lists of entries whose `|`-separated alternatives are equivalent; matching is
case-insensitive and ignores whitespace inside numbers, so "600 000" and "600000" are the same fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kraftbot.evaluation.grounding import GroundingJudge
from kraftbot.evaluation.metrics import hit_at, reciprocal_rank
from kraftbot.evaluation.questions import Question
from kraftbot.text.language import judge_language
from kraftbot.text.markers import cited_numbers, strip_markers
from kraftbot.text.sentences import sentences
from kraftbot.values import AnswerResult, Passage, RetrievedPassage

_NUMBER_GAP = re.compile(r"(?<=\d)[\s\u00a0\u202f]+(?=\d)")
_SPACES = re.compile(r"\s+")
RETRIEVAL_DEPTH = 10


def normalise(text: str) -> str:
    """Lower case, no whitespace between digits, single spaces elsewhere."""
    return _SPACES.sub(" ", _NUMBER_GAP.sub("", text.lower())).strip()


def alternatives(entry: str) -> list[str]:
    return [alt for alt in (normalise(part) for part in entry.split("|")) if alt]


def contains(text: str, alternative: str) -> bool:
    """Substring match that does not let a number match inside a longer one ("33" is not in "2033")."""
    before = r"(?<!\d)" if alternative[0].isdigit() else ""
    after = r"(?!\d)" if alternative[-1].isdigit() else ""
    return re.search(before + re.escape(alternative) + after, text) is not None


def missing_facts(answer: str, facts: Sequence[str]) -> list[str]:
    """The fact entries of which no alternative occurs in the (normalised) answer."""
    text = normalise(answer)
    return [entry for entry in facts if not any(contains(text, alt) for alt in alternatives(entry))]


def matches_source(sources: Sequence[str], doc_id: str, url: str) -> bool:
    """True when the document id or URL contains an alternative of any `sources` entry."""
    haystacks = (normalise(doc_id or ""), normalise(url or ""))
    return any(alt in hay for entry in sources for alt in alternatives(entry) for hay in haystacks if hay)


def first_relevant_rank(retrieved: Sequence[RetrievedPassage], sources: Sequence[str]) -> int | None:
    """1-based rank of the first retrieved passage from an expected document, within the depth."""
    for rank, hit in enumerate(retrieved[:RETRIEVAL_DEPTH], start=1):
        if matches_source(sources, hit.doc_id, hit.url):
            return rank
    return None


def retrieval_scores(rank: int | None) -> dict[str, float]:
    """hit@1, hit@3 and MRR@10 of one question (`evaluation.metrics` definitions)."""
    return {
        "hit_at_1": float(hit_at([rank], 1)[0]),
        "hit_at_3": float(hit_at([rank], 3)[0]),
        "mrr_at_10": float(reciprocal_rank([rank], RETRIEVAL_DEPTH)[0]),
    }


def wrong_claims(lead: str, wrong: Sequence[str]) -> list[str]:
    """The `wrong` entries of which an alternative stands in the lead: tempting answers that are false."""
    text = normalise(lead)
    return [entry for entry in wrong if any(contains(text, alt) for alt in alternatives(entry))]


def text_scores(question: Question, result: AnswerResult, language: str, min_confidence: float) -> dict[str, Any]:
    """Retrieval, fact, citation, refusal, wrong-claim, length and language scores; None where a measure
    does not apply.

    Facts count where the applicant reads them first, in the lead (`AnswerResult.lead`):
    `answer_correct` needs every fact there; `answer_correct_anywhere` accepts them anywhere in the
    answer. A wrong claim is a `wrong` alternative in the lead of an answer that is not a refusal.
    An answer counts as in `language` unless identified as another one with at least
    `min_confidence` (as in the answer check: a bare number or name cannot be identified).
    """
    answer, refused, lead = result.answer, result.refused, result.lead
    code, in_language = judge_language(answer, language, min_confidence) if not refused else ("", False)
    claims = [] if refused else wrong_claims(lead, question.wrong)
    scores: dict[str, Any] = {
        "refused": refused,
        "language": code or None,
        "in_language": in_language if code else None,
        "wrong_claims": claims,
        "wrong_claim": bool(claims) if question.wrong else None,
        "answer_chars": len(answer),
        "lead_chars": len(lead),
    }
    if not question.answerable:
        not_applicable = ("rank", "hit_at_1", "hit_at_3", "mrr_at_10", "facts_ok", "facts_anywhere", "citation_ok")
        scores.update(dict.fromkeys(not_applicable))
        scores.update(missing_facts=[], answer_correct=None, answer_correct_anywhere=None, ok=refused)
        return scores
    if question.sources:
        rank = first_relevant_rank(result.retrieved, question.sources)
        scores.update(rank=rank, **retrieval_scores(rank))
        scores["citation_ok"] = any(matches_source(question.sources, c.doc_id, c.url) for c in result.citations)
    else:
        scores.update(rank=None, hit_at_1=None, hit_at_3=None, mrr_at_10=None, citation_ok=None)
    missing = missing_facts(lead, question.facts)
    scores["missing_facts"] = missing
    # A refusal states no facts, even when its links happen to contain a fact's words.
    scores["facts_ok"] = (not refused and not missing) if question.facts else None
    scores["facts_anywhere"] = (not refused and not missing_facts(answer, question.facts)) if question.facts else None
    cited = scores["citation_ok"] is not False
    scores["answer_correct"] = not refused and scores["facts_ok"] is not False and cited
    scores["answer_correct_anywhere"] = not refused and scores["facts_anywhere"] is not False and cited
    scores["ok"] = scores["answer_correct"]
    return scores


def grounding_scores(judge: GroundingJudge, answer: str, cited: Mapping[int, Passage]) -> dict[str, Any]:
    """Share of answer sentences supported by a passage they cite, and terms absent from the cited passages.

    Sentences are split within lines (a list item is a claim of its own). A sentence without its own
    marker is judged against every cited passage; an answer that cites nothing supports nothing.
    """
    parts = [(raw, strip_markers(raw)) for line in answer.splitlines() for raw in sentences(line)]
    parts = [(raw, plain) for raw, plain in parts if plain]
    supported = 0
    for raw, plain in parts:
        own = [cited[n] for n in cited_numbers(raw) if n in cited] or list(cited.values())
        supported += bool(own) and judge.support(plain, own) >= judge.config.support_threshold
    absent = judge.absent(answer, list(cited.values()))
    return {
        "supported_share": supported / len(parts) if parts else None,
        "ungrounded": absent,
        "ungrounded_count": len(absent),
    }
