"""Aggregate scored results into `summary.json`: measures with intervals, latency, memory, breakdowns."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kraftbot.evaluation.metrics import bootstrap_mean, percentile_summary
from kraftbot.settings import EvaluationSettings

Result = Mapping[str, Any]


@dataclass(frozen=True)
class Measure:
    """A summary measure: the mean of one per-question score over the questions it applies to."""

    name: str
    score: str
    applies: Callable[[Result], bool]
    higher_is_better: bool = True


def _any(_: Result) -> bool:
    return True


def _answerable(result: Result) -> bool:
    return bool(result.get("answerable"))


def _unanswerable(result: Result) -> bool:
    return not result.get("answerable")


MEASURES: tuple[Measure, ...] = (
    Measure("hit_at_1", "hit_at_1", _answerable),
    Measure("hit_at_3", "hit_at_3", _answerable),
    Measure("mrr_at_10", "mrr_at_10", _answerable),
    Measure("fact_accuracy", "facts_ok", _answerable),
    Measure("citation_accuracy", "citation_ok", _answerable),
    Measure("answer_correct", "answer_correct", _answerable),
    Measure("answer_correct_anywhere", "answer_correct_anywhere", _answerable),
    Measure("refusal_rate", "refused", _unanswerable),
    Measure("false_refusal_rate", "refused", _answerable, higher_is_better=False),
    Measure("wrong_claim_rate", "wrong_claim", _any, higher_is_better=False),
    Measure("overall_correct", "ok", _any),
    Measure("supported_sentence_share", "supported_share", _any),
    Measure("ungrounded_terms", "ungrounded_count", _any, higher_is_better=False),
    Measure("swedish_share", "in_language", _any),
)
LATENCIES = ("retrieval_s", "ttft_s", "total_s", "tokens_per_s")
LENGTHS = ("answer_chars", "lead_chars")
STATS = ("p50", "p95", "max")
HIGHER_IS_BETTER = (
    {m.name: m.higher_is_better for m in MEASURES}
    | {f"latency.{name}.{stat}": name == "tokens_per_s" for name in LATENCIES for stat in STATS}
    | {f"length.{name}.{stat}": False for name in LENGTHS for stat in STATS}
    | {"wrong_claims": False, "peak_rss_mb": False}
)


def decode_rate(result: Result) -> float | None:
    """Tokens per second after the first token; None when nothing was generated."""
    timings = result.get("timings") or {}
    ttft, total, tokens = timings.get("ttft_s"), timings.get("total_s"), result.get("tokens_out", 0)
    if ttft is None or not total or tokens < 2 or total <= ttft:
        return None
    return (tokens - 1) / (total - ttft)


def latency_values(results: Sequence[Result], name: str) -> list[float]:
    if name == "tokens_per_s":
        rates = (decode_rate(r) for r in results)
        return [rate for rate in rates if rate is not None]
    values = ((r.get("timings") or {}).get(name) for r in results)
    return [float(v) for v in values if v is not None]


def length_values(results: Sequence[Result], name: str) -> list[float]:
    """Characters of each answer (or of its lead), refusals included: what the applicant has to read."""
    return [float(r["scores"][name]) for r in results if r["scores"].get(name) is not None]


def measure_values(results: Sequence[Result], measure: Measure) -> list[float]:
    scores = (r["scores"].get(measure.score) for r in results if measure.applies(r))
    return [float(s) for s in scores if s is not None]


def aggregate(results: Sequence[Result], config: EvaluationSettings) -> dict[str, Any]:
    """Every measure as {value, low, high, n}, or None where no question applies."""
    estimates = {}
    for measure in MEASURES:
        estimate = bootstrap_mean(
            measure_values(results, measure), config.bootstrap_samples, config.confidence, config.seed
        )
        estimates[measure.name] = estimate.to_dict() if estimate else None
    return estimates


def _grouped(results: Sequence[Result], keys: Callable[[Result], list[str]]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        for key in keys(result):
            groups[key].append(result)
    return dict(sorted(groups.items()))


def _breakdown(results: Sequence[Result], config: EvaluationSettings, keys: Callable[[Result], list[str]]) -> Any:
    """The measures and answer lengths of each group of questions."""
    return {
        key: {
            "n": len(group),
            "measures": aggregate(group, config),
            "length": {name: percentile_summary(length_values(group, name)) for name in LENGTHS},
            "wrong_claims": wrong_claim_count(group),
        }
        for key, group in _grouped(results, keys).items()
    }


def wrong_claim_count(results: Sequence[Result]) -> int:
    """Answers that state a tempting wrong alternative in their lead (the target is none)."""
    return sum(bool(r["scores"].get("wrong_claims")) for r in results)


def writing_summary(results: Sequence[Result]) -> dict[str, Any]:
    """How the answered questions' leads came about: the share whose first sentence the model wrote
    (and the check passed), the share where a written sentence was withheld and a quote took its
    place, and how often each check stopped a sentence."""
    answered = [r for r in results if not r.get("refused")]
    traces = [r.get("sentences") or [] for r in answered]
    shown = [[t for t in trace if t["origin"] != "rejected"] for trace in traces]
    led = sum(bool(s) and s[0]["origin"] == "generated" for s in shown)
    fell_back = sum(any(t["origin"] == "rejected" for t in trace) for trace in traces)
    failed = Counter(t.get("failed") or "" for trace in traces for t in trace if t["origin"] == "rejected")
    return {
        "answered": len(answered),
        "generated_lead_share": round(led / len(answered), 4) if answered else None,
        "fallback_rate": round(fell_back / len(answered), 4) if answered else None,
        "failed_checks": dict(failed.most_common()),
    }


def flatten_measures(group: Mapping[str, Any]) -> dict[str, float | None]:
    """A group's measures, one number each."""
    return {name: (estimate or {}).get("value") for name, estimate in group["measures"].items()}


def summarise(results: Sequence[Result], config: EvaluationSettings, run: dict[str, Any]) -> dict[str, Any]:
    """The content of summary.json."""
    peaks = [r["peak_rss_mb"] for r in results if r.get("peak_rss_mb") is not None]
    return {
        "run": run,
        "measures": aggregate(results, config),
        "writing": writing_summary(results),
        "wrong_claims": wrong_claim_count(results),
        "latency": {name: percentile_summary(latency_values(results, name)) for name in LATENCIES},
        "length": {name: percentile_summary(length_values(results, name)) for name in LENGTHS},
        "memory": {"peak_rss_mb": max(peaks) if peaks else None},
        "by_mode": _breakdown(results, config, lambda r: [str(r.get("mode") or "unknown")]),
        "by_category": _breakdown(results, config, lambda r: [str(r.get("category") or "(none)")]),
        "by_tag": _breakdown(results, config, lambda r: list(r.get("tags") or ["(none)"])),
    }


def flatten(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """One number per summary measure, under the names that thresholds and comparisons use."""
    flat = flatten_measures(summary)
    writing = summary.get("writing") or {}
    flat["generated_lead_share"] = writing.get("generated_lead_share")
    flat["fallback_rate"] = writing.get("fallback_rate")
    for group in ("latency", "length"):
        for name, stats in summary.get(group, {}).items():
            for stat in STATS:
                flat[f"{group}.{name}.{stat}"] = stats[stat] if stats else None
    flat["wrong_claims"] = summary.get("wrong_claims")
    flat["peak_rss_mb"] = summary["memory"]["peak_rss_mb"]
    return flat
