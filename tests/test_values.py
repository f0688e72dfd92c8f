"""The result object: its JSON form puts the contract first, leaves out stages that did not run, and
reads back as the same result."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from kraftbot.values import (
    AnswerResult,
    CheckReport,
    Citation,
    GateScores,
    Mode,
    MovedCitation,
    Timings,
    Unit,
    page_label,
)

from .doubles import answer_result, passage

CONTRACT = ["question", "answer", "refused", "citations", "retrieved", "timings", "tokens_out", "backend", "model"]


def traced() -> AnswerResult:
    """A result that went through every stage: gate, rewrite, repair, a failed check, quotes."""
    return answer_result(
        "Högst 600 000 kronor [1].",
        cited=["utlysning-1"],
        retrieved=["utlysning-1", "faq"],
        mode=Mode.EXTRACTIVE,
        gate=GateScores(top_dense=0.9, top_bm25=12.5, best_sentence=0.88, best_absence=0.7),
        rewritten_question="Vad handlade Starta er AI-resa om? Hur mycket?",
        rewrite_method="rule",
        citations_moved=[MovedCitation(sentence="Högst 600 000 kronor.", from_=[2], to=1)],
        check=CheckReport(passed=False, problems=["no valid citation"], generated="Högst 5 miljoner."),
        evidence_quotes=2,
        id="amount",
    )


@pytest.mark.parametrize(
    "result", [traced(), answer_result("Det vet jag inte.", refused=True, refusal_reason="off_topic")]
)
def test_the_json_form_round_trips(result: AnswerResult) -> None:
    data = result.to_dict()
    assert AnswerResult.model_validate(data) == result
    assert AnswerResult.model_validate_json(json.dumps(data, ensure_ascii=False)) == result


def test_the_json_form_lists_the_contract_first_and_omits_stages_that_did_not_run() -> None:
    data = answer_result("Högst 600 000 kronor [1].", cited=["faq"]).to_dict()
    assert list(data)[: len(CONTRACT)] == CONTRACT
    for absent in ("gate", "check", "rewritten_question", "rewrite_method", "citations_moved", "refusal_reason"):
        assert absent not in data
    assert data["mode"] == "generated" and data["citations"][0]["doc_id"] == "faq"
    # Timings keep their None: a refusal has no first token to time.
    assert answer_result("Nej.", refused=True).to_dict()["timings"]["ttft_s"] is None
    assert traced().to_dict()["check"]["problems"] == ["no valid citation"]


def test_a_renamed_or_unknown_field_is_rejected() -> None:
    data = traced().to_dict()
    data["answer_text"] = data.pop("answer")
    with pytest.raises(ValidationError, match="answer"):
        AnswerResult.model_validate(data)
    with pytest.raises(ValidationError, match="total"):
        Timings.model_validate({"total": 1.0})


def test_a_citation_carries_its_passage_chunk_and_page() -> None:
    source = passage("Budgeten för pilotprojektet i Växjö.", "rapporter/förstudie", title="Förstudie", page="3")
    citation = Citation.of(2, source, "Budgeten …")
    assert (citation.n, citation.doc_id, citation.node_id, citation.page) == (2, source.doc_id, source.node_id, "3")
    assert citation.label == "Förstudie, s. 3" and page_label("Förstudie", "") == "Förstudie"


def test_a_list_item_is_quoted_with_its_lead() -> None:
    assert Unit("- en kommun", "item", "Följande krävs:").full == "Följande krävs: - en kommun"
    assert Unit("Följande krävs:\n- en kommun", "list", "Följande krävs:").full == "Följande krävs:\n- en kommun"
