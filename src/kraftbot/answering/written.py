"""The lead the model writes, sentence by sentence, each checked before it is sent.

The model reads the numbered evidence (`answering.writer`) and its stream is cut at each citation.
A sentence without a citation is given the one whose words it shares most, and checked as such.
A sentence that passes every check (`answering.check`) is sent at once, its markers renumbered in
the order the answer cites its sources. The first sentence that fails is never shown: the model is
stopped and the claim the sentence cited is quoted in its place. Every chosen claim the model left
out is then quoted, so the lead never says less than the decision's claims. The model's "no
answer" refuses only where the decision was unsure (`may_veto`); otherwise the chosen claims are
quoted. A model that fails is treated as one whose sentence failed: the applicant gets the quotes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from kraftbot.answering.check import SentenceCheck, Verdict
from kraftbot.answering.compose import cite, quote, shown
from kraftbot.answering.evidence import Candidate
from kraftbot.answering.writer import EvidenceItem, SentenceStream, numbered_evidence, prompt
from kraftbot.errors import BackendError
from kraftbot.llm.base import NO_ANSWER, GenerationBackend, OutputForm, TokenUsage
from kraftbot.settings import WriterSettings
from kraftbot.text.markers import cited_numbers, renumber
from kraftbot.text.redact import redact
from kraftbot.values import Citation, SentenceShown, SentenceTrace

log = logging.getLogger(__name__)

@dataclass
class Lead:
    """The lead as it forms: the sentences sent, the sources in the order they were first cited, the
    trace of every sentence (the rejected ones too), whether the model vetoed, and token usage."""

    usage: TokenUsage = field(default_factory=TokenUsage)
    cancelled: threading.Event = field(default_factory=threading.Event)
    sentences: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    traces: list[SentenceTrace] = field(default_factory=list)
    vetoed: bool = False
    # evidence number -> the number the reader sees
    shown_numbers: dict[int, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def cited(self, items: Sequence[EvidenceItem], numbers: Sequence[int], quote_chars: int) -> list[Citation]:
        """Number the evidence items the reader has not seen cited yet; their new citations."""
        new = []
        for number in numbers:
            if number not in self.shown_numbers:
                self.shown_numbers[number] = len(self.shown_numbers) + 1
                item = items[number - 1]
                citation = Citation.of(self.shown_numbers[number], item.claim.passage, quote(item.text, quote_chars))
                self.citations.append(citation)
                new.append(citation)
        return new

    def renumbered(self, sentence: str) -> str:
        """The sentence with its evidence numbers replaced by the numbers the reader sees."""
        return renumber(sentence, self.shown_numbers)


class LeadWriter:
    """Has the model write the lead from the chosen claims, and lets only checked sentences through."""

    def __init__(self, backend: GenerationBackend, check: SentenceCheck, config: WriterSettings, quote_chars: int):
        self.backend = backend
        self.check = check
        self.config = config
        self.quote_chars = quote_chars

    def warm(self) -> None:
        """Have the model read the fixed system text and examples once, so that llama.cpp keeps them in
        its KV cache and the first applicant's answer starts as fast as every later one."""
        primer = prompt("?", [])
        for _ in self.backend.generate_stream(primer, 1):
            pass

    def write(
        self, question: str, chosen: Sequence[Candidate], may_veto: bool, lead: Lead
    ) -> Iterator[SentenceShown]:
        """The lead's sentences as they pass; `lead` holds the whole of it afterwards."""
        items = numbered_evidence(chosen, self.config.context_claims)
        form = None
        if self.config.form != "none":
            form = OutputForm(len(items), self.config.max_sentences, whole=self.config.form == "whole")
        messages = prompt(question, items)
        stream = self.backend.generate_stream(messages, self.config.max_new_tokens, form, lead.usage)
        splitter = SentenceStream()
        failed = False
        try:
            for piece in stream:
                if lead.cancelled.is_set():
                    return  # nobody is reading: stop the model, send nothing more
                for sentence in splitter.feed(piece):
                    failed = not (yield from self._checked(sentence, question, items, lead))
                    if failed or len(lead.sentences) >= self.config.max_sentences:
                        break
                if failed or len(lead.sentences) >= self.config.max_sentences:
                    break
            else:
                rest = splitter.rest()
                if rest.startswith(NO_ANSWER):
                    lead.traces.append(SentenceTrace(text=rest, origin="rejected", failed="no_answer"))
                    lead.vetoed = may_veto and not lead.sentences
                elif rest:
                    yield from self._checked(rest, question, items, lead)
        except BackendError as error:
            log.error("The model failed while writing; quoting the evidence instead: %s", redact(str(error)))
            lead.traces.append(SentenceTrace(text="", origin="rejected", failed="backend"))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # stops the model where it is
        if lead.vetoed:
            return
        # Every chosen claim the model left out is quoted after what it wrote: the lead never says less
        # than the claims the decision chose (a part of the question, the runner-up claim).
        yield from self._quote([i for i in items if i.number not in lead.shown_numbers], items, lead)

    def _checked(
        self, sentence: str, question: str, items: Sequence[EvidenceItem], lead: Lead
    ) -> Iterator[SentenceShown]:
        """Send the sentence if it passes; else quote what it cited. Returns whether it passed."""
        texts = [item.text for item in items]
        if not cited_numbers(sentence):  # cited by the evidence its words come from; checked as if written so
            sentence = cite(sentence, self.check.closest(sentence, texts))
        verdict = self.check.judge(sentence, question, texts, first=not lead.sentences)
        if verdict.passed:
            numbers = cited_numbers(sentence)
            new = lead.cited(items, numbers, self.quote_chars)
            text = lead.renumbered(sentence)
            lead.sentences.append(text)
            lead.traces.append(SentenceTrace(text=text, origin="generated"))
            yield SentenceShown(text, "generated", new)
            return True
        self._reject(sentence, verdict, lead)
        valid = [n for n in cited_numbers(sentence) if 1 <= n <= len(items)]
        yield from self._quote([items[n - 1] for n in valid if n not in lead.shown_numbers], items, lead)
        return False

    @staticmethod
    def _reject(sentence: str, verdict: Verdict, lead: Lead) -> None:
        log.info("Written sentence withheld (%s: %s)", verdict.failed, redact(verdict.detail))
        trace = SentenceTrace(text=sentence, origin="rejected", failed=verdict.failed, detail=verdict.detail)
        lead.traces.append(trace)

    def _quote(
        self, quoted: Sequence[EvidenceItem], items: Sequence[EvidenceItem], lead: Lead
    ) -> Iterator[SentenceShown]:
        """The claims themselves, each cited: the honest fallback for what the model did not write well."""
        for item in quoted:
            new = lead.cited(items, [item.number], self.quote_chars)
            text = cite(shown(item.claim), lead.shown_numbers[item.number])
            lead.sentences.append(text)
            lead.traces.append(SentenceTrace(text=text, origin="quoted"))
            yield SentenceShown(text, "quoted", new)

