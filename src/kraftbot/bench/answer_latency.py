"""`kraftbot bench answer`: how long an applicant waits for each part of a written answer, and what
KraftBot's way of running the model costs against llama.cpp run plainly on the same prompts.

Per question, through `Assistant.stream` (warm: the fixed system text is cached first): the time to
the sources, to the first shown sentence (checked model text, a quote, or the refusal) and to the
whole answer; whether a written sentence was withheld (the fallback rate). Then, for the questions
the model wrote for, the same prompt twice on the same llama.cpp model, each after a priming request
that leaves only the fixed system text in the KV cache: once plainly (`create_chat_completion`,
greedy) and once as KraftBot runs it (`generate_stream` with the citation mask). Their time to
first token and decode tokens/s are compared pair by pair, in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.writer import EvidenceItem, numbered_evidence, prompt
from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentile
from kraftbot.evaluation.questions import load_questions
from kraftbot.llm.base import ChatMessage, OutputForm
from kraftbot.values import Finished, RefusalShown, SentenceShown, SourcesFound

PRIMER = "Fråga: Vad är klockan?"


@dataclass
class Timing:
    """One question's waits in seconds, and how its lead came about."""

    sources_s: float | None
    first_s: float
    total_s: float
    mode: str
    fell_back: bool


@dataclass
class DecodeTiming:
    """One prompt's time to first token and decode rate."""

    ttft_s: float
    tokens: int
    decode_tps: float


@dataclass
class AnswerBench:
    timings: list[Timing] = field(default_factory=list)
    raw: list[DecodeTiming] = field(default_factory=list)
    kraftbot: list[DecodeTiming] = field(default_factory=list)


def time_answer(assistant: Assistant, question: str, history: Sequence[str]) -> Timing:
    started = time.perf_counter()
    sources = first = None
    result = None
    for event in assistant.stream(question, list(history)):
        now = time.perf_counter() - started
        if isinstance(event, SourcesFound):
            sources = now
        elif isinstance(event, SentenceShown | RefusalShown) and first is None:
            first = now
        elif isinstance(event, Finished):
            result = event.result
    total = time.perf_counter() - started
    assert result is not None
    fell_back = any(t.origin == "rejected" for t in result.sentences or [])
    return Timing(sources, first if first is not None else total, total, str(result.mode), fell_back)


def _decode_timing(pieces: Any, started: float) -> DecodeTiming:
    first = None
    tokens = 0
    for _ in pieces:
        tokens += 1
        if first is None:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    ttft = first if first is not None else total
    rate = (tokens - 1) / (total - ttft) if tokens > 1 and total > ttft else 0.0
    return DecodeTiming(ttft, tokens, rate)


def _prime(llama: Any, messages: list[ChatMessage]) -> None:
    """Leave only the fixed system text and examples in llama.cpp's KV cache."""
    primer = [*messages[:-1], {"role": "user", "content": PRIMER}]
    llama.create_chat_completion(messages=primer, max_tokens=1, temperature=0.0)


def compare_decoding(assistant: Assistant, items: Sequence[EvidenceItem], question: str, bench: AnswerBench) -> None:
    """The prompt run plainly and as KraftBot runs it, each after the same priming."""
    backend = assistant.backend
    llama = getattr(backend, "llama", None)
    if llama is None or backend is None:
        return
    config = assistant.settings.writer
    messages = prompt(question, items)
    _prime(llama, messages)
    started = time.perf_counter()
    plain = llama.create_chat_completion(
        messages=list(messages), max_tokens=config.max_new_tokens, temperature=0.0, stream=True
    )
    bench.raw.append(_decode_timing(plain, started))
    _prime(llama, messages)
    form = OutputForm(len(items), config.max_sentences, whole=config.form == "whole")
    started = time.perf_counter()
    bench.kraftbot.append(_decode_timing(backend.generate_stream(messages, config.max_new_tokens, form), started))


def run_answer_bench(assistant: Assistant, questions_file: Path, limit: int, decode_pairs: int) -> AnswerBench:
    """Warm the model, time every question, then compare decoding on the first `decode_pairs` written ones."""
    questions = load_questions(questions_file).questions
    questions = questions[:limit] if limit else questions
    bench = AnswerBench()
    time_answer(assistant, questions[0].question, [])  # warm: the fixed prompt enters the KV cache
    written: list[tuple[str, list[EvidenceItem]]] = []
    for question in tqdm(questions, desc="bench answer", unit="question"):
        bench.timings.append(time_answer(assistant, question.question, question.history))
        if bench.timings[-1].mode == "written" and len(written) < decode_pairs and not question.history:
            prepared = assistant.prepare(question.question)
            if prepared.evidence is not None and prepared.parts is not None:
                decision = assistant.decider.decide(prepared.searched, prepared.parts, prepared.evidence)
                items = numbered_evidence(decision.chosen, assistant.settings.writer.context_claims)
                written.append((prepared.searched, items))
    for question, items in tqdm(written, desc="bench decode", unit="prompt"):
        compare_decoding(assistant, items, question, bench)
    return bench


def _stats(values: Sequence[float]) -> str:
    if not values:
        return "–"
    return f"{percentile(values, 50):.2f} / {percentile(values, 95):.2f}"


def render_answer_report(bench: AnswerBench, questions_file: Path, command: str) -> str:
    timings = bench.timings
    answered = [t for t in timings if t.mode != "refused"]
    written = [t for t in timings if t.mode == "written"]
    fell_back = sum(t.fell_back for t in answered)
    lines = [
        "# Time to a written answer",
        "",
        f"Command: `{command}`; questions: `{questions_file}` ({len(timings)}); {machine_note()}.",
        "",
        "| wait (s) | p50 / p95 |",
        "|---|---|",
        f"| sources shown | {_stats([t.sources_s for t in timings if t.sources_s is not None])} |",
        f"| first sentence shown (any answer) | {_stats([t.first_s for t in timings])} |",
        f"| first sentence shown (answered) | {_stats([t.first_s for t in answered])} |",
        f"| whole answer (answered) | {_stats([t.total_s for t in answered])} |",
        f"| whole answer (refused) | {_stats([t.total_s for t in timings if t.mode == 'refused'])} |",
        "",
        f"Answered {len(answered)} of {len(timings)}; the model's checked sentences lead {len(written)} of them "
        f"({len(written) / max(1, len(answered)):.1%}); a written sentence was withheld and a quote shown instead in "
        f"{fell_back} ({fell_back / max(1, len(answered)):.1%}).",
        "",
    ]
    pairs = list(zip(bench.raw, bench.kraftbot, strict=True))
    if pairs:
        ttft = [k.ttft_s / r.ttft_s for r, k in pairs if r.ttft_s > 0]
        decode = [k.decode_tps / r.decode_tps for r, k in pairs if r.decode_tps > 0]
        lines += [
            f"## The same prompts, plain llama.cpp against KraftBot's run ({len(pairs)} prompts, same model, same run)",
            "",
            "| measure | plain llama.cpp p50 | KraftBot p50 | ratio KraftBot / plain, p50 (p95) |",
            "|---|---|---|---|",
            f"| time to first token (s) | {percentile([r.ttft_s for r, _ in pairs], 50):.3f} | "
            f"{percentile([k.ttft_s for _, k in pairs], 50):.3f} | {percentile(ttft, 50):.3f} "
            f"({percentile(ttft, 95):.3f}) |",
            f"| decode (tokens/s) | {percentile([r.decode_tps for r, _ in pairs], 50):.1f} | "
            f"{percentile([k.decode_tps for _, k in pairs], 50):.1f} | {percentile(decode, 50):.3f} "
            f"({percentile(decode, 95):.3f}) |",
            "",
        ]
    return "\n".join(lines)
