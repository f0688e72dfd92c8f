"""The naive baseline beside KraftBot: dense top-3, PrivateGPT's prompt, the model's text as it comes,
run on the same questions into its own folder, with KraftBot's margin over it in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from kraftbot.answering.pipeline import Assistant
from kraftbot.evaluation.baseline import NAIVE_SYSTEM_PROMPT, NaiveAssistant
from kraftbot.evaluation.runner import REPORT_FILE, SUMMARY_FILE, run_evaluation
from kraftbot.llm.base import ChatMessage
from kraftbot.retrieval.retriever import Retriever

from ..doubles import ScriptedBackend
from .test_runner import QUESTIONS, Workspace, workspace  # noqa: F401 (the shared module fixture)


class ContextReader(ScriptedBackend):
    """Answers the naive prompt like a small model: the amount when asked for it and the context holds
    it, else the refusal the prompt asks for; anything else (KraftBot's own prompts) gets the scripted default."""

    def generate_stream(
        self, messages: list[ChatMessage], max_new_tokens: int, form: object = None, usage: object = None
    ) -> Iterator[str]:
        if messages[0]["content"] != NAIVE_SYSTEM_PROMPT:
            yield from super().generate_stream(messages, max_new_tokens)
            return
        self.prompts.append(messages)
        context, _, question = messages[-1]["content"].rpartition("Fråga: ")
        holds = "600 000" in context and "Hur mycket" in question
        yield "Högst 600 000 kronor per projekt." if holds else "Svaret finns inte i det givna sammanhanget."


def test_the_naive_baseline_reads_three_dense_passages_and_shows_the_model_text(workspace: Workspace) -> None:  # noqa: F811
    backend = ContextReader()
    naive = NaiveAssistant(workspace.assistant.retriever.knowledge, backend, workspace.settings)
    result = naive.ask("Hur mycket pengar kan ett projekt få i Starta er AI-resa?")
    assert result.answer == "Högst 600 000 kronor per projekt." and not result.refused
    assert len(result.retrieved) == len(result.citations) == 3
    assert [c.n for c in result.citations] == [1, 2, 3]
    prompt = backend.prompts[-1][-1]["content"]
    dense_top3 = naive.retriever.retrieve("Hur mycket pengar kan ett projekt få i Starta er AI-resa?")
    assert [p.node_id for p in dense_top3] == [c.node_id for c in result.citations]
    assert all(p.text in prompt for p in dense_top3)
    declined = naive.ask("Hur blir vädret i Göteborg i helgen?", history=["Vad är Kraftsamlingen?"])
    assert declined.refused and declined.citations == []
    assert "Tidigare fråga: Vad är Kraftsamlingen?" in backend.prompts[-1][-1]["content"]


def test_an_evaluation_with_the_baseline_reports_the_margin_measured_in_the_same_run(
    workspace: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = workspace.settings
    knowledge = workspace.assistant.retriever.knowledge
    assistant = Assistant(
        settings, Retriever(knowledge, settings.retrieval), ContextReader("Högst 600 000 kronor [1].")
    )
    out = tmp_path / "run"
    outcome = run_evaluation(
        settings, workspace.questions, out, assistant=assistant, progress=False, baselines=["naive", "quoted"]
    )
    naive_summary = json.loads((out / "naive" / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert naive_summary["run"]["answered"] == len(QUESTIONS) == len(outcome.results)
    assert naive_summary["measures"]["refusal_rate"]["value"] == 1.0, "the weather question was declined"
    baseline, quoted = outcome.summary["run"]["baselines"]
    assert baseline["name"] == "naive" and quoted["name"] == "quoted"
    quoted_results = (out / "quoted" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(quoted_results) == len(QUESTIONS)
    assert all(json.loads(line)["mode"] in ("extractive", "refused") for line in quoted_results), "no model writes"
    assert baseline["measures"]["answer_correct"] == naive_summary["measures"]["answer_correct"]["value"]
    report = (out / REPORT_FILE).read_text(encoding="utf-8")
    section = report[report.index("## Against the naive baseline") : report.index("## By category")]
    kraftbot = outcome.summary["measures"]["answer_correct"]["value"]
    assert f"| answer_correct | {kraftbot:.3f} | {baseline['measures']['answer_correct']:.3f} |" in section
