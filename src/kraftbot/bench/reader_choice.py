"""`kraftbot bench reader`: who picks the claim that answers better, the learned ranking or the model?

KraftBot quotes the claim its learned ranking puts first. The packaged model could read the
candidates instead; this bench measures whether it should, on a question file (the dev set):
- the ranking is cross-fitted (each question ranked by a model fitted without its fold), so it is
  judged on questions it did not see, as the model is;
- its best `CANDIDATES` claims go to the model two ways: judging each ("Besvarar meningen frågan?",
  the probability of "Ja" decides) and citing one of them numbered in one prompt;
- a pick is right when the claim states every required fact of the question.
Each reader's accuracy and time per question are written to the report.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kraftbot.answering.evidence import Candidate
from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.ranking import SentenceRanker
from kraftbot.bench import machine_note
from kraftbot.evaluation.metrics import percentile
from kraftbot.evaluation.questions import load_questions
from kraftbot.evaluation.scoring import missing_facts
from kraftbot.evaluation.tuning import Example, collect, fit_ranking, folds
from kraftbot.llm.base import ChatMessage, GenerationBackend
from kraftbot.text.markers import cited_numbers

CANDIDATES = 4
JUDGE_PROMPT = "Du avgör om en mening ur KraftBots källor besvarar användarens fråga. Svara bara Ja eller Nej."
CITE_PROMPT = (
    "Du är KraftBot och svarar på frågor om Kraftsamling för AI i kommuner och civilsamhälle. Du får numrerade "
    "meningar ur källorna. Skriv numret på den mening som besvarar frågan inom hakparentes, till exempel [2]."
)
READERS = ("ranking", "model judges each", "model cites one")


@dataclass
class ReaderScore:
    right: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _earlier(history: Sequence[str]) -> str:
    return "".join(f"Tidigare fråga: {turn}\n" for turn in history)


def judge(backend: GenerationBackend, question: str, history: Sequence[str], claims: Sequence[Candidate]) -> int:
    """The claim with the highest probability of "Ja" (the prompts share their start, so llama.cpp
    reuses the question's prefix)."""
    yes = []
    for claim in claims:
        user = f"{_earlier(history)}Fråga: {question}\nMening: {claim.unit.headed}\nBesvarar meningen frågan?"
        messages: list[ChatMessage] = [{"role": "system", "content": JUDGE_PROMPT}, {"role": "user", "content": user}]
        probabilities = backend.option_probabilities(messages, ["Ja", "Nej"])
        yes.append(probabilities[0] if probabilities else 0.0)
    return int(np.argmax(yes))


def cite(backend: GenerationBackend, question: str, history: Sequence[str], claims: Sequence[Candidate]) -> int:
    """The claim the model cites first when shown all of them numbered; the first when it cites none."""
    lines = "\n".join(f"[{n}] {claim.unit.full}" for n, claim in enumerate(claims, start=1))
    user = f"Meningar:\n{lines}\n\n{_earlier(history)}Fråga: {question}"
    text = backend.generate([{"role": "system", "content": CITE_PROMPT}, {"role": "user", "content": user}], 12)
    cited = [n for n in cited_numbers(text) if 1 <= n <= len(claims)]
    return cited[0] - 1 if cited else 0


def _pick(
    name: str, backend: GenerationBackend, question: str, history: Sequence[str], best: Sequence[Candidate]
) -> int:
    if name == "model judges each":
        return judge(backend, question, history, best)
    if name == "model cites one":
        return cite(backend, question, history, best)
    return 0  # the ranking's own first


def _held_out_claims(assistant: Assistant, examples: list[Example]) -> list[list[Candidate]]:
    """Each answerable example's best claims by a ranking fitted without its fold."""
    ranker = assistant.decider.ranker
    best: list[list[Candidate]] = [[] for _ in examples]
    for fold in folds(len(examples), seed=0):
        held_out = set(fold.tolist())
        model = fit_ranking([e for i, e in enumerate(examples) if i not in held_out], l2=1.0)
        fitted = SentenceRanker(model, ranker.similarity, ranker.terms)
        for i in fold:
            ranked = fitted.scored(examples[i].evidence.candidates, examples[i].features)
            best[i] = [s.candidate for s in ranked if not s.candidate.absent][:CANDIDATES]
    return best


def run_reader_bench(
    assistant: Assistant, backend: GenerationBackend, questions_file: Path, limit: int = 0
) -> dict[str, ReaderScore]:
    questions = [q for q in load_questions(questions_file).questions if q.answerable]
    examples = [e for e in collect(assistant, questions, progress=False) if any(e.labels)]
    claims = _held_out_claims(assistant, examples)
    pairs = list(zip(examples, claims, strict=True))[: limit or None]
    scores = {name: ReaderScore() for name in READERS}
    for example, best in tqdm(pairs, desc="bench reader", unit="question"):
        question = example.question
        for name in READERS:
            started = time.perf_counter()
            chosen = best[_pick(name, backend, question.question, question.history, best)]
            scores[name].seconds.append(time.perf_counter() - started)
            scores[name].right.append(not missing_facts(chosen.unit.full, question.facts))
    return scores


def render_reader_report(scores: dict[str, ReaderScore], questions_file: Path, command: str) -> str:
    rows = []
    for name, score in scores.items():
        p50, p95 = percentile(score.seconds, [50, 95])
        rows.append(
            f"| {name} | {np.mean(score.right):.3f} ({sum(score.right)}/{len(score.right)}) | {p50:.2f} | {p95:.2f} |"
        )
    return "\n".join(
        [
            "# Who picks the claim: the learned ranking or the packaged model",
            "",
            f"Command: `{command}`. Questions: the answerable ones of `{questions_file}` whose candidates hold the "
            f"facts at all; each reader picks one of the ranking's best {CANDIDATES} claims (ranking cross-fitted "
            f"over 5 folds, so no question is ranked by a model fitted on it). Right = the claim states every "
            f"required fact. Machine: {machine_note()}.",
            "",
            "| reader | right | p50 s | p95 s |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            "The model reads with the packaged Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) in llama.cpp; the ranking is "
            "`answering.ranking` with the features of `kraftbot tune`.",
            "",
        ]
    )
