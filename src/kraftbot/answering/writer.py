"""What the model is given to write an answer's lead, and how its stream is cut into sentences.

Evidence first: the decision has already chosen the claims; the model only puts them into words.
The prompt is fixed text first (llama.cpp keeps its KV cache across questions), the numbered
evidence next, the question last. The examples show the exact output form and are about made-up
subjects, so nothing in the prompt names the documents' subject. Each evidence item is a chosen
claim with the claims that follow it in its passage (`writer.context_claims`), so that an
explaining answer has material; the claim itself comes first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kraftbot.answering.compose import shown
from kraftbot.answering.evidence import Candidate
from kraftbot.llm.base import NO_ANSWER, ChatMessage
from kraftbot.text.sentences import text_units

SYSTEM_PROMPT = f"""Du svarar på frågor på svenska med hjälp av numrerade utdrag ur dokument.
Regler:
1. Skriv 1–3 korta meningar på svenska, även när frågan är på engelska.
2. Börja med själva svaret: "Ja, …" eller "Nej, …" på en ja/nej-fråga, annars beloppet, datumet, namnet
eller det som frågan gäller.
3. Använd bara det som står i utdragen, med utdragens egna siffror, namn och ord. Lägg inte till något eget.
4. Avsluta varje mening med numret på utdraget den bygger på, i hakparentes: [1].
5. Har frågan två delar, eller jämför den två saker, så svara på båda.
6. Om utdragen inte svarar på frågan, skriv bara {NO_ANSWER}."""

# (evidence, question, answer): the output form, shown once; fixed, so cached with the system text.
EXAMPLES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        (
            "Bidraget kan sökas av ideella föreningar som är registrerade i kommunen.",
            "En förening kan få högst 50 000 kronor per år. Pengarna ska användas till verksamhet för unga.",
        ),
        "Hur mycket kan en förening få, och vem får söka?",
        "En förening kan få högst 50 000 kronor per år [2]. Bidraget kan sökas av ideella föreningar som är "
        "registrerade i kommunen [1].",
    ),
    (
        ("Ansökningar som kommer in efter den 15 mars 2025 behandlas inte.",),
        "Can we apply after the deadline?",
        "Nej, ansökningar som kommer in efter den 15 mars 2025 behandlas inte [1].",
    ),
    (
        ("Biblioteket har öppet måndag till fredag.",),
        "Vad kostar ett lånekort?",
        NO_ANSWER,
    ),
)


def example_text() -> str:
    """Every word of the prompt's examples (evidence, questions, answers): what the model may copy from
    the prompt instead of from the documents."""
    return " ".join(" ".join([*evidence, question, answer]) for evidence, question, answer in EXAMPLES)


@dataclass(frozen=True)
class EvidenceItem:
    """Evidence `[number]` as the model reads it: a chosen claim, then what follows it in its passage."""

    number: int
    claim: Candidate
    text: str


def _following_claims(candidate: Candidate, count: int) -> list[str]:
    """The sentences that follow the claim in its passage (its explanation, more often than not)."""
    if count == 0 or candidate.unit.kind != "sentence":
        return []
    units = [u for u in text_units(candidate.passage.text, candidate.passage.section) if u.kind == "sentence"]
    texts = [u.text for u in units]
    if candidate.unit.text not in texts:
        return []
    start = texts.index(candidate.unit.text) + 1
    return [text for text in texts[start : start + count] if not text.endswith(":")]


def numbered_evidence(chosen: Sequence[Candidate], context_claims: int) -> list[EvidenceItem]:
    """One item per chosen claim, in the decision's order; a following sentence already chosen is
    left to its own item."""
    claims = {shown(candidate) for candidate in chosen}
    items = []
    for number, candidate in enumerate(chosen, start=1):
        following = [text for text in _following_claims(candidate, context_claims) if text not in claims]
        items.append(EvidenceItem(number, candidate, " ".join([shown(candidate), *following])))
    return items


def _excerpts(texts: Sequence[str]) -> str:
    return "\n".join(f"[{number}] {text}" for number, text in enumerate(texts, start=1))


def _request(texts: Sequence[str], question: str) -> str:
    return f"Utdrag:\n{_excerpts(texts)}\n\nFråga: {question}"


def prompt(question: str, items: Sequence[EvidenceItem]) -> list[ChatMessage]:
    """The fixed system text and examples, then this question's evidence and the question itself."""
    messages: list[ChatMessage] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for evidence, asked, answer in EXAMPLES:
        messages.append({"role": "user", "content": _request(evidence, asked)})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": _request([item.text for item in items], question)})
    return messages


# A sentence ends at its citation: `… [1].`, `… [1, 2]`, `… [1][2]!` (the punctuation may also
# stand before the marker: `… kronor. [1]`).
_CITED_END = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\](?:\s*\[\s*\d+\s*\])*[.!?]?")
_MISPLACED_STOP = re.compile(r"\s*([.!?])\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)\s*[.!?]?$")


def tidy(sentence: str) -> str:
    """One sentence as shown: single spaces, the stop after its citation ("kronor [1].")."""
    text = " ".join(sentence.split())
    text = _MISPLACED_STOP.sub(r" \2\1", text)
    return text if text.endswith((".", "!", "?")) else text + "."


class SentenceStream:
    """Cuts a stream of text pieces into sentences as soon as each is complete (at its citation)."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> Iterator[str]:
        """The sentences the piece completes. A citation at the buffer's very end may still grow
        (`[1` + `, 2]`, `[1]` + `.`), so a sentence is cut only once something follows it."""
        self._buffer += piece
        while match := _CITED_END.search(self._buffer):
            if match.end() == len(self._buffer):
                return
            sentence, self._buffer = self._buffer[: match.end()], self._buffer[match.end() :]
            if sentence.strip():
                yield tidy(sentence)

    def rest(self) -> str:
        """What is left when the stream ends: a last sentence, or text without a citation."""
        rest, self._buffer = self._buffer.strip(), ""
        return tidy(rest) if rest else ""
