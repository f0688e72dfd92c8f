"""`report.md`: the summary table, plots and per-question table, readable without the JSON.

Plots use matplotlib's object API (`Figure`, Agg canvas): no display, no global pyplot state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kraftbot.evaluation.metrics import PERCENTILE_DEFINITION
from kraftbot.evaluation.summary import HIGHER_IS_BETTER, LATENCIES, LENGTHS, MEASURES, flatten, latency_values

LATENCY_PLOT = "latency.png"
TAG_PLOT = "score_by_tag.png"
ANSWER_CHARS = 140


def cell(value: Any) -> str:
    """A Markdown table cell: numbers rounded, booleans as marks, pipes and newlines escaped."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value) or "–"
    return str(value).replace("|", "\\|").replace("\n", " ")


def excerpt(text: str, limit: int = ANSWER_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return lines


def measure_rows(measures: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    for measure in MEASURES:
        est = measures.get(measure.name)
        interval = f"{est['low']:.3f} – {est['high']:.3f}" if est else None
        rows.append([measure.name, est["value"] if est else None, interval, est["n"] if est else 0])
    return rows


def plot_latency(path: Path, results: Sequence[Mapping[str, Any]]) -> None:
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    for axis, name in zip(figure.subplots(1, 3), ("retrieval_s", "ttft_s", "total_s"), strict=True):
        values = latency_values(results, name)
        axis.hist(values or [0.0], bins=min(20, max(5, len(values))), color="#3b6ea8")
        axis.set_title(name.replace("_s", " (s)"))
        axis.set_ylabel("questions")
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.savefig(path, dpi=100)


def plot_tags(path: Path, by_tag: Mapping[str, Any]) -> None:
    tags = [t for t, group in by_tag.items() if group["measures"].get("overall_correct")]
    estimates = [by_tag[t]["measures"]["overall_correct"] for t in tags]
    figure = Figure(figsize=(7, 0.35 * len(tags) + 1.2), layout="constrained")
    axis = figure.subplots()
    values = [e["value"] for e in estimates]
    errors = [[e["value"] - e["low"] for e in estimates], [e["high"] - e["value"] for e in estimates]]
    labels = [f"{tag} (n={by_tag[tag]['n']})" for tag in tags]
    axis.barh(labels, values, xerr=errors, color="#4c9a6a", capsize=3)
    axis.set_xlim(0, 1)
    axis.invert_yaxis()
    axis.set_xlabel("overall correct (answered right or refused right), 95% interval")
    figure.savefig(path, dpi=100)


def _breakdown(groups: Mapping[str, Any], names: Sequence[str], label: str) -> list[str]:
    rows = []
    for key, group in groups.items():
        measures = group["measures"]
        rows.append([key, group["n"], *((measures.get(n) or {}).get("value") for n in names)])
    return table([label, "n", *names], rows)


# What the baseline comparison shows: the promise to applicants, then what it costs them.
MARGIN_MEASURES = (
    "answer_correct",
    "answer_correct_anywhere",
    "refusal_rate",
    "false_refusal_rate",
    "wrong_claims",
    "wrong_claim_rate",
    "swedish_share",
    "generated_lead_share",
    "fallback_rate",
    "length.answer_chars.p50",
    "length.lead_chars.p50",
    "latency.total_s.p50",
    "latency.total_s.p95",
)
CATEGORY_MEASURES = ("answer_correct", "answer_correct_anywhere", "refusal_rate", "false_refusal_rate")


def _margin_row(name: str, mine: float | None, other: float | None) -> list[Any]:
    margin = None if mine is None or other is None else mine - other
    ahead = None if not margin else (margin > 0) == HIGHER_IS_BETTER.get(name, True)
    return [name, mine, other, margin, "tie" if margin == 0 else ahead]


def margin_lines(summary: Mapping[str, Any]) -> list[str]:
    """KraftBot against each baseline run beside it: each measure, the difference and which is ahead,
    then the answers right by category (questions behind = the margin times the category's size)."""
    lines: list[str] = []
    ours = flatten(summary)
    for baseline in summary["run"].get("baselines") or []:
        name, theirs = baseline["name"], baseline["measures"]
        rows = [_margin_row(measure, ours.get(measure), theirs.get(measure)) for measure in MARGIN_MEASURES]
        lines += [
            f"## Against the {name} baseline",
            "",
            f"Same questions, index and model, in the same run (`{baseline['folder']}`).",
            "",
            *table(["measure", "KraftBot", name, "margin", "KraftBot ahead"], rows),
            "",
        ]
        by_category = []
        for key, group in summary["by_category"].items():
            mine = (group["measures"].get("answer_correct") or {}).get("value")
            other = (baseline.get("by_category") or {}).get(key, {}).get("answer_correct")
            behind = None if mine is None or other is None else round((other - mine) * group["n"], 1)
            by_category.append([key, group["n"], mine, other, behind])
        lines += [
            f"Answers right by category against {name} (questions behind: positive = KraftBot answers fewer right):",
            "",
            *table(["category", "n", "KraftBot", name, "questions behind"], by_category),
            "",
        ]
    return lines


def category_lines(by_category: Mapping[str, Any]) -> list[str]:
    """Every category's measures, wrong claims and median answer length."""
    rows = []
    for key, group in by_category.items():
        measures = group["measures"]
        length = group["length"]["answer_chars"] or {}
        values = [(measures.get(n) or {}).get("value") for n in CATEGORY_MEASURES]
        rows.append([key, group["n"], *values, group["wrong_claims"], length.get("p50")])
    return table(["category", "n", *CATEGORY_MEASURES, "wrong claims", "median chars"], rows)


def question_rows(results: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in results:
        s = r["scores"]
        rows.append(
            [
                r["id"],
                r.get("category") or r.get("tags", []),
                s.get("ok"),
                s.get("rank"),
                s.get("facts_ok"),
                s.get("facts_anywhere"),
                s.get("citation_ok"),
                s.get("wrong_claims") or None,
                s.get("refused"),
                r.get("mode"),
                s.get("language"),
                s.get("supported_share"),
                s.get("ungrounded") or None,
                (r.get("timings") or {}).get("total_s"),
                excerpt(str(r.get("answer", ""))),
            ]
        )
    return rows


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary tables (measures with intervals, latency, memory); also printed by the CLI."""
    latency, length = summary["latency"], summary["length"]
    stats = ("p50", "p95", "max", "n")
    return [
        *table(["measure", "value", "95% interval", "n"], measure_rows(summary["measures"])),
        "",
        f"Wrong claims shown (a tempting wrong alternative in an answer's lead): {summary['wrong_claims']}.",
        "",
        *table(["latency", *stats], [[name, *((latency[name] or {}).get(k) for k in stats)] for name in LATENCIES]),
        "",
        *table(["length", *stats], [[name, *((length[name] or {}).get(k) for k in stats)] for name in LENGTHS]),
        "",
        f"Percentiles: {PERCENTILE_DEFINITION}.",
        "",
        f"Peak resident memory: {summary['memory']['peak_rss_mb'] or 0:.0f} MB.",
    ]


def write_report(path: Path, summary: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> None:
    """Write report.md and its two PNG plots next to it."""
    run = summary["run"]
    plot_latency(path.parent / LATENCY_PLOT, results)
    plot_tags(path.parent / TAG_PLOT, summary["by_tag"])
    lines = [
        "# KraftBot evaluation",
        "",
        f"Questions: `{run['questions_file']}` ({run['answered']} answered of {run['selected']} selected), "
        f"index `{run['index']}`, models {', '.join(run['models']) or '–'}, finished {run['finished']}.",
        "",
        "## Summary",
        "",
        *summary_lines(summary),
        "",
        *margin_lines(summary),
        "## By category",
        "",
        *category_lines(summary["by_category"]),
        "",
        "## Plots",
        "",
        f"![Latency distribution]({LATENCY_PLOT})",
        "",
        f"![Score per tag]({TAG_PLOT})",
        "",
        "## By mode",
        "",
        *_breakdown(
            summary["by_mode"],
            ["answer_correct", "refusal_rate", "false_refusal_rate", "supported_sentence_share", "ungrounded_terms"],
            "mode",
        ),
        "",
        "## By tag",
        "",
        *_breakdown(summary["by_tag"], ["overall_correct", "hit_at_3", "answer_correct", "refusal_rate"], "tag"),
        "",
        "## Per question",
        "",
        *table(
            [
                "id",
                "category",
                "ok",
                "rank",
                "facts in lead",
                "facts anywhere",
                "cited",
                "wrong claims",
                "refused",
                "mode",
                "lang",
                "supported",
                "ungrounded",
                "total s",
                "answer",
            ],
            question_rows(results),
        ),
        "",
    ]
    if run["problems"]:
        lines += ["## Skipped", "", *(f"- {cell(p)}" for p in run["problems"]), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
