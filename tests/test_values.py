"""The result object: its JSON form puts the contract first, leaves out stages that did not run, and
reads back as the same result."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from kraftbot.values import AnswerResult, Citation, DecisionScores, Timings, Unit, lead_of, page_label

from .doubles import answer_result, passage

CONTRACT = ["question", "answer", "refused", "citations", "retrieved", "timings", "tokens_out", "backend", "model"]


TRACE = ["decision", "rewritten_question", "rewrite_method", "parts", "refusal_reason", "unmentioned"]


def traced() -> AnswerResult:
    """A result that went through every stage: a rewrite, two parts, the decision."""
    return answer_result(
        "Kommuner får söka [1]. Högst 600 000 kronor [1].",
        cited=["utlysning-1"],
        retrieved=["utlysning-1", "faq"],
        decision=DecisionScores(best_claim=0.9, absence_margin=-0.05, top_dense=0.93, top_bm25=12.5, answerable=0.97),
        rewritten_question="Vad handlade Starta er AI-resa om? Vem får söka, och hur mycket?",
        rewrite_method="rule",
        parts=["Vem får söka", "hur mycket"],
        id="amount",
    )


def premise() -> AnswerResult:
    return answer_result(
        "Det kan jag inte svara på: mitt underlag nämner inte ”Kiruna”.",
        refused=True,
        refusal_reason="premise",
        unmentioned=["Kiruna"],
    )


@pytest.mark.parametrize("result", [traced(), premise()], ids=["answered", "refused"])
def test_the_json_form_round_trips(result: AnswerResult) -> None:
    data = result.to_dict()
    assert AnswerResult.model_validate(data) == result
    assert AnswerResult.model_validate_json(json.dumps(data, ensure_ascii=False)) == result


def test_the_json_form_lists_the_contract_first_and_omits_stages_that_did_not_run() -> None:
    data = answer_result("Högst 600 000 kronor [1].", cited=["faq"]).to_dict()
    assert list(data)[: len(CONTRACT)] == CONTRACT
    assert not set(TRACE) & set(data)
    assert data["mode"] == "extractive" and data["citations"][0]["doc_id"] == "faq"
    # Timings keep their None.
    assert answer_result("Nej.", refused=True).to_dict()["timings"]["ttft_s"] is None
    full = traced().to_dict()
    assert set(TRACE) - set(full) == {"refusal_reason", "unmentioned"}
    assert full["decision"]["answerable"] == 0.97 and full["parts"] == ["Vem får söka", "hur mycket"]
    assert premise().to_dict()["unmentioned"] == ["Kiruna"] and premise().to_dict()["mode"] == "refused"


def test_a_refusal_reason_outside_the_known_ones_is_rejected() -> None:
    data = premise().to_dict() | {"refusal_reason": "too_hard"}
    with pytest.raises(ValidationError, match="refusal_reason"):
        AnswerResult.model_validate(data)


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


def test_a_claim_is_matched_under_its_heading_without_repeating_it() -> None:
    assert (
        Unit("Högst 600 000 kronor.", "sentence", section="Hur mycket?").headed == "Hur mycket? Högst 600 000 kronor."
    )
    assert Unit("Högst 600 000 kronor.", "sentence").headed == "Högst 600 000 kronor."
    item = Unit("- kommuner", "item", "Vilka får söka?", "Vilka får söka?")
    assert item.headed == item.full == "Vilka får söka? - kommuner"
    led = Unit("- kommuner", "item", "Följande får söka:", "Vilka får söka?")
    assert led.headed == "Vilka får söka? Följande får söka: - kommuner"


def test_the_lead_is_the_answer_up_to_its_first_blank_line() -> None:
    assert lead_of("  Högst 600 000 kronor [1].\n \nNärmast ligger: ...") == "Högst 600 000 kronor [1]."
    assert lead_of("Kommuner [1].\nFöreningar [2].") == "Kommuner [1].\nFöreningar [2]."
    assert answer_result("Ja [1].\n\nMer.").lead == "Ja [1]."
