"""`kraftbot tune`: fit the ranking and answerability models on a question file, with cross-validation.

Every question goes through the assistant's rules, search and evidence (`Assistant.prepare`).
- Ranking: each candidate of an answerable question is labelled by whether it states one of the
  question's required facts (the evaluation's own matching); one logistic model over the
  candidates' features (`answering.ranking.FEATURES`).
- Answerability: each question the rules let through is labelled answerable or not; its features
  (`answering.weights.ANSWERABILITY_FEATURES`) come from a ranking fitted without the question's
  own fold, so that they look as they will on questions the ranking has never seen.
- Threshold: the highest answerability threshold whose held-out false-refusal rate stays within a
  bound (3% by default), so that as many unanswerable questions as possible are refused.
The report gives the held-out scores; the weights are fitted on every question.
Use the dev set: a figure tuned on the test set is no result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from kraftbot.answering.decision import answerability_features
from kraftbot.answering.evidence import Evidence
from kraftbot.answering.linear import LinearModel, Matrix
from kraftbot.answering.pipeline import Assistant
from kraftbot.answering.ranking import FEATURES, Scored, SentenceRanker
from kraftbot.answering.weights import ANSWERABILITY_FEATURES, AnswerWeights
from kraftbot.evaluation.questions import Question, load_questions
from kraftbot.evaluation.scoring import missing_facts

log = logging.getLogger(__name__)

FOLDS = 5


@dataclass
class Example:
    """One question the rules let through: its evidence, the candidates' features and labels."""

    question: Question
    evidence: Evidence
    features: Matrix
    labels: list[bool]  # a candidate states one of the required facts (all False when unanswerable)

    @property
    def states_facts(self) -> bool:
        return any(self.labels)


def states_a_fact(text: str, facts: Sequence[str]) -> bool:
    return bool(facts) and len(missing_facts(text, facts)) < len(facts)


def collect(assistant: Assistant, questions: Sequence[Question], progress: bool = True) -> list[Example]:
    ranker = assistant.decider.ranker
    examples = []
    for question in tqdm(questions, desc="tune", unit="question", disable=not progress):
        prepared = assistant.prepare(question.question, question.history)
        if prepared.refusal or prepared.evidence is None:
            continue  # refused by a rule: no decision to learn
        candidates = prepared.evidence.candidates
        labels = [question.answerable and states_a_fact(c.unit.full, question.facts) for c in candidates]
        features = ranker.features(prepared.searched, candidates)
        examples.append(Example(question, prepared.evidence, features, labels))
    return examples


def fit_ranking(examples: Sequence[Example], l2: float) -> LinearModel:
    rows = [e for e in examples if e.question.answerable and len(e.labels)]
    matrix = np.vstack([e.features for e in rows])
    return LinearModel.fit(FEATURES, matrix, [label for e in rows for label in e.labels], l2)


def _ranked(ranker: SentenceRanker, model: LinearModel, example: Example) -> list[Scored]:
    return SentenceRanker(model, ranker.similarity, ranker.terms).scored(example.evidence.candidates, example.features)


def folds(count: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(count)
    return [fold for fold in np.array_split(order, FOLDS) if len(fold)]


def cross_validate(
    ranker: SentenceRanker, examples: Sequence[Example], l2: float = 1.0, seed: int = 0
) -> tuple[Matrix, dict[str, Any]]:
    """Held-out answerability features of every example, and the held-out ranking accuracy."""
    features = np.zeros((len(examples), len(ANSWERABILITY_FEATURES)))
    right = 0
    answerable = 0
    for fold in folds(len(examples), seed):
        held_out = set(fold.tolist())
        model = fit_ranking([e for i, e in enumerate(examples) if i not in held_out], l2)
        for i in fold:
            example = examples[i]
            ranked = _ranked(ranker, model, example)
            values = answerability_features(ranked, example.evidence)
            features[i] = [values[name] for name in ANSWERABILITY_FEATURES]
            if example.question.answerable:
                answerable += 1
                best = next((s for s in ranked if not s.candidate.absent), None)
                right += best is not None and not missing_facts(best.candidate.unit.full, example.question.facts)
    return features, {"answerable_questions": answerable, "best_claim_states_every_fact": right / max(answerable, 1)}


def held_out_probabilities(features: Matrix, labels: Sequence[bool], l2: float, seed: int) -> Matrix:
    """Each question's answerability probability from a model fitted without its fold."""
    probabilities = np.zeros(len(labels))
    for fold in folds(len(labels), seed):
        held_out = set(fold.tolist())
        train = [i for i in range(len(labels)) if i not in held_out]
        model = LinearModel.fit(ANSWERABILITY_FEATURES, features[train], [labels[i] for i in train], l2)
        probabilities[fold] = model.probabilities(features[fold])
    return probabilities


def choose_threshold(probabilities: Matrix, labels: Sequence[bool], max_false_refusals: float) -> float:
    """The highest threshold (most refusals of unanswerable questions) whose held-out false-refusal
    rate on answerable questions stays within `max_false_refusals`."""
    answerable = probabilities[np.asarray(labels, dtype=bool)]
    for threshold in np.arange(0.95, 0.0, -0.01):
        if np.mean(answerable < threshold) <= max_false_refusals:
            return round(float(threshold), 2)
    return 0.0


def tune(
    assistant: Assistant, questions_file: Path, l2: float = 1.0, seed: int = 0, max_false_refusals: float = 0.03
) -> AnswerWeights:
    """Fit both models and the answerability threshold on the question file; the provenance records
    what they were fitted on and their held-out scores."""
    question_set = load_questions(questions_file)
    examples = collect(assistant, question_set.questions)
    held_out, report = cross_validate(assistant.decider.ranker, examples, l2, seed)
    labels = [e.question.answerable for e in examples]
    probabilities = held_out_probabilities(held_out, labels, l2, seed)
    threshold = choose_threshold(probabilities, labels, max_false_refusals)
    answerable = np.asarray(labels, dtype=bool)
    report["false_refusal_rate"] = float(np.mean(probabilities[answerable] < threshold))
    report["refusal_rate_after_rules"] = float(np.mean(probabilities[~answerable] < threshold))
    ranking = fit_ranking(examples, l2)
    answerability = LinearModel.fit(ANSWERABILITY_FEATURES, held_out, labels, l2)
    provenance = {
        "questions_file": str(questions_file),
        "questions": len(question_set.questions),
        "decided": len(examples),
        "unanswerable_decided": int((~answerable).sum()),
        "embedder": assistant.retriever.knowledge.embedder.model_name,
        "folds": FOLDS,
        "l2": l2,
        "seed": seed,
        "max_false_refusals": max_false_refusals,
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "cross_validated": {k: round(v, 4) if isinstance(v, float) else v for k, v in report.items()},
    }
    log.info("Tuned on %s: %s", questions_file, provenance["cross_validated"])
    return AnswerWeights(ranking, answerability, threshold, provenance)
