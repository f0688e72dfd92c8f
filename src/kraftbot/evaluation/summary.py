"""Aggregate scored results into `summary.json`: measures with intervals, latency, memory, breakdowns."""

from __future__ import annotations

from collections import defaultdict
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
    Measure("refusal_rate", "refused", _unanswerable),
    Measure("false_refusal_rate", "refused", _answerable, higher_is_better=False),
    Measure("overall_correct", "ok", _any),
    Measure("supported_sentence_share", "supported_share", _any),
    Measure("ungrounded_terms", "ungrounded_count", _any, higher_is_better=False),
    Measure("swedish_share", "in_language", _any),
)
LATENCIES = ("retrieval_s", "ttft_s", "total_s", "tokens_per_s")
HIGHER_IS_BETTER = (
    {m.name: m.higher_is_better for m in MEASURES}
    | {f"latency.{name}.{stat}": name == "tokens_per_s" for name in LATENCIES for stat in ("p50", "p95", "max")}
    | {"peak_rss_mb": False}
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


def summarise(results: Sequence[Result], config: EvaluationSettings, run: dict[str, Any]) -> dict[str, Any]:
    """The content of summary.json."""
    peaks = [r["peak_rss_mb"] for r in results if r.get("peak_rss_mb") is not None]
    return {
        "run": run,
        "measures": aggregate(results, config),
        "latency": {name: percentile_summary(latency_values(results, name)) for name in LATENCIES},
        "memory": {"peak_rss_mb": max(peaks) if peaks else None},
        "by_mode": {
            mode: {"n": len(group), "measures": aggregate(group, config)}
            for mode, group in _grouped(results, lambda r: [str(r.get("mode") or "unknown")]).items()
        },
        "by_tag": {
            tag: {"n": len(group), "measures": aggregate(group, config)}
            for tag, group in _grouped(results, lambda r: list(r.get("tags") or ["(none)"])).items()
        },
    }


def flatten(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """One number per summary measure, under the names that thresholds and comparisons use."""
    flat: dict[str, float | None] = {
        name: (estimate or {}).get("value") for name, estimate in summary["measures"].items()
    }
    for name, stats in summary["latency"].items():
        for stat in ("p50", "p95", "max"):
            flat[f"latency.{name}.{stat}"] = stats[stat] if stats else None
    flat["peak_rss_mb"] = summary["memory"]["peak_rss_mb"]
    return flat
