"""The lead the model writes, sentence by sentence: a sentence that passes is shown at once with its
sources renumbered in citing order; the first that fails is never shown, stops the model and is
replaced by the claim it cited; claims the model left out are quoted after; the assistant streams the
written lead, or the quotes, or (where the model may veto) a refusal. The model's stream is scripted
(`StreamedBackend`); the check, the embedder, the stemmer and the index are real."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kraftbot.answering.check import SentenceCheck
from kraftbot.answering.compose import cite
from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.similarity import Similarity
from kraftbot.answering.writer import numbered_evidence, prompt
from kraftbot.answering.written import Lead, LeadWriter
from kraftbot.llm.base import NO_ANSWER, ChatMessage, OutputForm, TokenUsage
from kraftbot.settings import Settings, load_settings
from kraftbot.text.facts import common_words
from kraftbot.text.sentences import sentences
from kraftbot.text.swedish import SwedishAnalyzer
from kraftbot.values import Finished, Mode, SentenceShown

from ..doubles import GRANT_SOURCE, StreamedBackend, candidate, passage
from .conftest import AMOUNT_QUESTION

VETLANDA = (
    "Vetlanda kommun genomförde ett AI-projekt mellan mars och november 2022. "
    "Projektet leddes av kommunens digitaliseringsstrateg."
)
CALL = passage(GRANT_SOURCE, "utlysning-1", node_id="utlysning-1#0")
CASE = passage(VETLANDA, "fallstudie-vetlanda", node_id="fallstudie-vetlanda#0", title="Vetlanda")
AMOUNT_CLAIM = "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt."
CASE_CLAIM = "Vetlanda kommun genomförde ett AI-projekt mellan mars och november 2022."
# Evidence [1] is the call's amount, [2] Vetlanda's project (each with the sentences after it).
CHOSEN = [candidate(AMOUNT_CLAIM, CALL), candidate(CASE_CLAIM, CASE)]
QUESTION = "Berätta om Starta er AI-resa och Vetlandas AI-projekt."

WRITTEN_CASE = "Vetlandas AI-projekt pågick mellan mars och november 2022 [2]."
WRITTEN_AMOUNT = "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt [1]."
INVENTED = {
    "numbers": "Utlysningen Starta er AI-resa ger högst 700 000 kronor per projekt [1].",
    "names": "Anna Svensson beviljade högst 600 000 kronor per projekt [1].",
    "polarity": "Utlysningen Starta er AI-resa ger inte 600 000 kronor per projekt [1].",
    "language": "The call Starta er AI-resa gives at most 600 000 kronor per project [1].",
}


def tokens(*sentences: str) -> list[str]:
    """The sentences as a model streams them: words with their leading space, "[", "2", "]", "." apart."""
    return re.findall(r"\s*\w+|\s*\S", " ".join(sentences))


def cited(claim: str, number: int) -> str:
    """A claim as quoted: the number the reader sees before its stop."""
    return f"{claim[:-1]} [{number}]."


GENERATED_CASE = ("generated", "Vetlandas AI-projekt pågick mellan mars och november 2022 [1].")
QUOTED_AMOUNT = ("quoted", cited(AMOUNT_CLAIM, 1))
QUOTED_AMOUNT_SECOND = ("quoted", cited(AMOUNT_CLAIM, 2))
QUOTED_CASE_SECOND = ("quoted", cited(CASE_CLAIM, 2))


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(config_file=Path("/nonexistent"), environ={})


@pytest.fixture(scope="module")
def check(settings: Settings, similarity: Similarity) -> SentenceCheck:
    texts = [item.text for item in numbered_evidence(CHOSEN, settings.writer.context_claims)]
    analyzer = SwedishAnalyzer.fit(texts)
    return SentenceCheck(settings.writer, settings.check, similarity, analyzer.terms, common_words(texts))


def write(
    settings: Settings,
    check: SentenceCheck,
    backend: StreamedBackend,
    *,
    may_veto: bool = False,
    **writer: object,
) -> tuple[list[SentenceShown], Lead]:
    """Every event of one lead written by `backend` (with `writer` settings changed), and the lead."""
    config = settings.writer.model_copy(update=writer)
    lead = Lead()
    events = list(
        LeadWriter(backend, check, config, settings.answer.quote_chars).write(QUESTION, CHOSEN, may_veto, lead)
    )
    return events, lead


def shown(events: Sequence[SentenceShown]) -> list[tuple[str, str]]:
    return [(event.origin, event.text) for event in events]


def test_sentences_that_pass_are_shown_with_sources_numbered_in_citing_order(
    settings: Settings, check: SentenceCheck
) -> None:
    backend = StreamedBackend(tokens(WRITTEN_CASE, WRITTEN_AMOUNT))
    events, lead = write(settings, check, backend)
    assert shown(events) == [GENERATED_CASE, ("generated", WRITTEN_AMOUNT.replace("[1]", "[2]"))]
    assert [[(c.n, c.doc_id) for c in event.citations] for event in events] == [
        [(1, "fallstudie-vetlanda")],
        [(2, "utlysning-1")],
    ], "each event carries the sources it is the first to cite"
    assert [(c.n, c.node_id) for c in lead.citations] == [(1, "fallstudie-vetlanda#0"), (2, "utlysning-1#0")]
    assert lead.citations[0].quote.startswith(CASE_CLAIM)
    assert lead.text == " ".join(event.text for event in events)
    assert [(t.origin, t.failed) for t in lead.traces] == [("generated", None), ("generated", None)]
    assert (backend.given, backend.closed, lead.vetoed) == (len(backend.pieces), False, False)


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        ([WRITTEN_CASE], [GENERATED_CASE, QUOTED_AMOUNT_SECOND]),
        # a sentence without a citation is cited by the item whose words it shares
        (["Vetlandas AI-projekt pågick mellan mars och november 2022."], [GENERATED_CASE, QUOTED_AMOUNT_SECOND]),
        ([WRITTEN_AMOUNT], [("generated", WRITTEN_AMOUNT), QUOTED_CASE_SECOND]),
        ([], [QUOTED_AMOUNT, QUOTED_CASE_SECOND]),
    ],
    ids=["case-only", "case-uncited", "amount-only", "nothing"],
)
def test_chosen_claims_the_model_did_not_cite_are_quoted_after_what_it_wrote(
    settings: Settings, check: SentenceCheck, pieces: list[str], expected: list[tuple[str, str]]
) -> None:
    events, lead = write(settings, check, StreamedBackend(tokens(*pieces)))
    assert shown(events) == expected
    assert [t.origin for t in lead.traces] == [origin for origin, _ in expected]
    assert [c.doc_id for c in lead.citations] == [
        "fallstudie-vetlanda" if "Vetlanda" in text else "utlysning-1" for _, text in expected
    ]


@pytest.mark.parametrize("failed", sorted(INVENTED))
@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ([], [QUOTED_AMOUNT, QUOTED_CASE_SECOND]),
        ([WRITTEN_CASE], [GENERATED_CASE, QUOTED_AMOUNT_SECOND]),
    ],
    ids=["first", "after-a-passing-one"],
)
def test_a_sentence_that_fails_is_never_shown_stops_the_model_and_its_claim_is_quoted(
    settings: Settings, check: SentenceCheck, failed: str, before: list[str], expected: list[tuple[str, str]]
) -> None:
    bad = INVENTED[failed]
    backend = StreamedBackend(tokens(*before, bad, WRITTEN_CASE, WRITTEN_AMOUNT))
    events, lead = write(settings, check, backend)
    assert shown(events) == expected
    rejected = [t for t in lead.traces if t.origin == "rejected"]
    assert [(t.text, t.failed) for t in rejected] == [(bad, failed)]
    quoted = len(expected) - len(before)
    assert [t.origin for t in lead.traces] == ["generated"] * len(before) + ["rejected"] + ["quoted"] * quoted
    # cut (and judged) when the piece after it arrived: nothing more was read, and the model was stopped
    assert (backend.given, backend.closed) == (len(tokens(*before, bad)) + 1, True)


@pytest.mark.parametrize(
    ("pieces", "may_veto", "vetoed", "expected"),
    [
        ([NO_ANSWER], True, True, []),
        ([NO_ANSWER], False, False, [QUOTED_AMOUNT, QUOTED_CASE_SECOND]),
        # the veto never withdraws what was shown
        ([WRITTEN_CASE, NO_ANSWER], True, False, [GENERATED_CASE, QUOTED_AMOUNT_SECOND]),
    ],
    ids=["veto", "no-veto-quotes", "after-a-sentence"],
)
def test_the_models_no_answer_refuses_only_where_it_may_veto(
    settings: Settings,
    check: SentenceCheck,
    pieces: list[str],
    may_veto: bool,
    vetoed: bool,
    expected: list[tuple[str, str]],
) -> None:
    events, lead = write(settings, check, StreamedBackend(tokens(*pieces)), may_veto=may_veto)
    assert (lead.vetoed, shown(events)) == (vetoed, expected)
    assert ("rejected", "no_answer") in [(t.origin, t.failed) for t in lead.traces]
    assert lead.text == " ".join(text for _, text in expected)


@pytest.mark.parametrize(
    ("fail_after", "expected"),
    [
        (0, [QUOTED_AMOUNT, QUOTED_CASE_SECOND]),
        # the first sentence was cut (the next piece came) before the model failed
        (len(tokens(WRITTEN_CASE)) + 1, [GENERATED_CASE, QUOTED_AMOUNT_SECOND]),
    ],
    ids=["at-once", "midway"],
)
def test_a_model_that_fails_midway_leaves_the_reader_the_quotes(
    settings: Settings, check: SentenceCheck, fail_after: int, expected: list[tuple[str, str]]
) -> None:
    backend = StreamedBackend(tokens(WRITTEN_CASE, WRITTEN_AMOUNT), fail_after=fail_after)
    events, lead = write(settings, check, backend)
    assert shown(events) == expected
    assert [(t.origin, t.failed) for t in lead.traces if t.origin == "rejected"] == [("rejected", "backend")]
    assert backend.given == fail_after


@pytest.mark.parametrize(
    ("read_first", "most_read"),
    [(0, 1), (1, len(tokens(WRITTEN_CASE)) + 2)],
    ids=["before-any", "after-the-first"],
)
def test_a_cancelled_lead_stops_the_model_and_shows_nothing_more(
    settings: Settings, check: SentenceCheck, read_first: int, most_read: int
) -> None:
    backend = StreamedBackend(tokens(WRITTEN_CASE, WRITTEN_AMOUNT))
    lead = Lead()
    writer = LeadWriter(backend, check, settings.writer, settings.answer.quote_chars)
    events = writer.write(QUESTION, CHOSEN, False, lead)
    first = [next(events) for _ in range(read_first)]
    lead.cancelled.set()
    assert list(events) == [], "no further sentence, and no quotes"
    assert shown(first) == [GENERATED_CASE][:read_first]
    assert lead.sentences == [event.text for event in first]
    assert (backend.given, backend.closed) == (most_read, True)


def test_the_model_stops_after_the_most_sentences_allowed(settings: Settings, check: SentenceCheck) -> None:
    backend = StreamedBackend(tokens(WRITTEN_CASE, WRITTEN_AMOUNT))
    events, _ = write(settings, check, backend, max_sentences=1)
    assert [event.origin for event in events] == ["generated", "quoted"], "the uncited claim is still quoted"
    assert (backend.given, backend.closed) == (len(tokens(WRITTEN_CASE)) + 1, True)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("citations", OutputForm(sources=2, max_sentences=3, whole=False)),
        ("whole", OutputForm(sources=2, max_sentences=3, whole=True)),
        ("none", None),
    ],
)
def test_the_model_is_given_the_prompt_the_form_and_the_leads_usage(
    settings: Settings, check: SentenceCheck, form: str, expected: OutputForm | None
) -> None:
    backend = StreamedBackend(tokens(WRITTEN_CASE))
    _, lead = write(settings, check, backend, form=form, max_new_tokens=99)
    assert len(backend.calls) == 1
    messages, max_new_tokens, given_form, usage = backend.calls[0]
    assert messages == prompt(QUESTION, numbered_evidence(CHOSEN, settings.writer.context_claims))
    assert (max_new_tokens, given_form) == (99, expected)
    assert usage is lead.usage and lead.usage.completion_tokens == len(backend.pieces)


class CopyingBackend(StreamedBackend):
    """A model that writes the first sentence of evidence [1] as it stands, cited: one every check passes."""

    def __init__(self) -> None:
        super().__init__([])

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        first_item = messages[-1]["content"].splitlines()[1].removeprefix("[1] ")
        self.pieces = tokens(cite(sentences(first_item)[0], 1))
        return super().generate_stream(messages, max_new_tokens, form, usage)


def no_answer() -> StreamedBackend:
    return StreamedBackend([NO_ANSWER])


@pytest.mark.parametrize(
    ("backend", "veto_below", "kinds", "mode", "origins"),
    [
        (CopyingBackend, 0.0, ["SourcesFound", "SentenceShown", "Finished"], Mode.WRITTEN, ["generated"]),
        (no_answer, 1.0, ["SourcesFound", "RefusalShown", "Finished"], Mode.REFUSED, []),
        (no_answer, 0.0, ["SourcesFound", "SentenceShown", "Finished"], Mode.EXTRACTIVE, ["quoted"]),
    ],
    ids=["written", "vetoed", "quoted"],
)
def test_the_assistant_streams_the_written_lead_or_its_fallback(
    make_assistant: Callable[..., Assistant],
    backend: Callable[[], StreamedBackend],
    veto_below: float,
    kinds: list[str],
    mode: Mode,
    origins: list[str],
) -> None:
    model = backend()
    events = list(make_assistant(model, writer={"veto_below": veto_below}).stream(AMOUNT_QUESTION))
    assert list(dict.fromkeys(type(event).__name__ for event in events)) == kinds
    finished = events[-1]
    assert isinstance(finished, Finished)
    result = finished.result
    assert (result.mode, result.refused, result.backend, result.tokens_out) == (
        mode,
        mode == Mode.REFUSED,
        "streamed",
        model.given,
    )
    lead = [event for event in events if isinstance(event, SentenceShown)]
    assert [event.origin for event in lead][:1] == origins
    if lead:
        assert result.answer == " ".join(event.text for event in lead)
        assert "600 000 kronor" in result.answer
    assert (
        result.sentences is not None and [t.origin for t in result.sentences if t.origin != "rejected"][:1] == origins
    )
